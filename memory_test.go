package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"

	"github.com/sigmagate/sigmagate/sigmamind"
)

// peakMiB runs the binary as runStep does and returns, besides the step, the
// most memory the process held: VmHWM of its own address space, read from
// /proc while it runs. (The rusage of a child counts the parent's pages it
// shared until exec.)
func peakMiB(t *testing.T, with map[string]string) (steptest.Step, float64) {
	t.Helper()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc to read a process's memory from")
	}
	cmd, wait := startBinary(t, with)
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	exited, polled := make(chan struct{}), make(chan float64)
	go func() {
		var peak float64
		for {
			// The high-water mark only grows: the last reading before the
			// process ends is its peak, up to the last few milliseconds.
			if data, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(data), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
						peak = max(peak, kb/1024)
					}
				}
			}
			select {
			case <-exited:
				polled <- peak
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	s, _ := wait()
	close(exited)
	return s, <-polled
}

// fatTestCases is the JSON of n test cases with every text as long as the
// decoder keeps it and as many mock variables as it keeps, all distinct, so
// that sharing equal texts saves nothing: about 550 KB each.
func fatTestCases(n int) string {
	long := strings.Repeat("a", sigmamind.MaxTextRunes)
	seq := 0
	text := func() string { seq++; return fmt.Sprintf("%016d", seq) + long[16:] }
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		tc := sigmamind.TestCase{TestCaseID: fmt.Sprintf("tc_%d", i), Label: text(), LLMModel: text(), UserPrompt: text(), SuccessCriteria: text(),
			Attempt: 5, Agent: &sigmamind.Agent{Name: text(), AgentID: "agent_x", Status: text()}}
		for range 64 {
			tc.MockData = append(tc.MockData, sigmamind.MockData{VariableName: text(), Value: text()})
		}
		one, _ := json.Marshal(tc)
		b.Write(one)
	}
	b.WriteByte(']')
	return b.String()
}

// TestMemoryOfTheSelection: memory follows what the gate keeps, not what
// the server sends. A server lists one batch run per page of 22 MB, 40 fat
// test cases each, for as many pages as the gate reads: each page keeps 16
// MiB of test cases while it is read, but the selection keeps only the
// gated batch runs' test cases, within 16 MiB in all. Before, every batch
// run kept its page's: 173 MiB with the defaults, 3.2 GB with batches: 100
// and baseline-batches: 100.
func TestMemoryOfTheSelection(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 4 GB of answers: not with -short")
	}
	t.Parallel()
	const limitMiB = 128
	cases := fatTestCases(40)
	now := time.Now().UTC()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != steptest.Key {
			http.Error(w, "{}", http.StatusUnauthorized)
			return
		}
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		created := now.Add(-time.Duration(p+1) * time.Minute).Format(time.RFC3339)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":[{"batchId":"batch_%03d","agent":{"agentId":"agent_x"},"createdDate":%q,"testCases":%s,`+
			`"successfulAttempts":200,"failedAttempts":0,"totalAttempts":200}],"page":%d,"size":1,"hasNext":%v}`, p, created, cases, p, p < 500)
	}))
	t.Cleanup(srv.Close)
	for _, tt := range []struct {
		name string
		with []string
	}{
		{"the defaults", nil},
		{"batches: 100, baseline-batches: 100", []string{"batches", "100", "baseline-batches", "100"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			w := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "timeout": "5m"}
			for i := 0; i+1 < len(tt.with); i += 2 {
				w[tt.with[i]] = tt.with[i+1]
			}
			s, peak := peakMiB(t, w)
			s.CheckHygiene(t)
			t.Logf("peak %.0f MiB in %v, pages of %d bytes", peak, time.Since(start).Round(time.Millisecond), len(cases))
			if s.Exit != 0 || s.Outputs["result"] != "pass" {
				t.Errorf("exit %d, result %q; want 0, pass\n%s", s.Exit, s.Outputs["result"], s.Stdout)
			}
			if peak == 0 || peak >= limitMiB {
				t.Errorf("peak memory %.0f MiB, want under %d MiB", peak, limitMiB)
			}
		})
	}
}

// TestReportCountsTestCasesNotKept: batch runs that keep no test case (the
// baseline, and the gated ones' repeats of a test case already kept) still
// report how many they have.
func TestReportCountsTestCasesNotKept(t *testing.T) {
	t.Parallel()
	now := time.Now()
	runs := []sigmamind.BatchRun{steptest.Run5("batch_x", now.Add(-time.Hour), 5, 0), steptest.Run5("batch_w", now.Add(-2*time.Hour), 5, 0), steptest.Run5("batch_v", now.Add(-3*time.Hour), 5, 0)}
	for i := range runs {
		runs[i].TestCases = append(runs[i].TestCases, sigmamind.TestCase{TestCaseID: "tc_2", Attempt: 5})
		runs[i].TotalAttempts, runs[i].SuccessfulAttempts = 10, 10
	}
	s := runStep(t, with(steptest.NewFake(t, runs...), "batches", "2", "baseline-batches", "1"), nil)
	s.CheckHygiene(t)
	var report struct {
		Batches, Baseline []struct {
			ID        string `json:"id"`
			Expected  int64  `json:"expected"`
			TestCases int    `json:"testCases"`
		}
	}
	if err := json.Unmarshal([]byte(strings.Replace(string(steptest.OnlyAgent(t, s.Outputs["report"])), `"baselineBatches"`, `"baseline"`, 1)), &report); err != nil {
		t.Fatalf("report %q: %v", s.Outputs["report"], err)
	}
	for _, b := range append(report.Batches, report.Baseline...) {
		if b.TestCases != 2 || b.Expected != 10 {
			t.Errorf("%s: %d test cases, %d configured attempts; want 2, 10\n%s", b.ID, b.TestCases, b.Expected, s.Outputs["report"])
		}
	}
	if len(report.Batches) != 2 || len(report.Baseline) != 1 {
		t.Errorf("report of %d gated and %d baseline batch runs, want 2 and 1: %s", len(report.Batches), len(report.Baseline), s.Outputs["report"])
	}
}
