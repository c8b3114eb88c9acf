package sigmamind_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
)

// searchPages is how many pages a batch-id search reads at most: the
// client's own limit.
const searchPages = 1000

// searchTransport answers page p of a listing that has pages pages of
// rows batch runs each, with 20 test cases of realistic length per batch:
// about 300 KB a page. Nothing is kept between requests.
type searchTransport struct {
	pages, rows int
	cases       []byte // the testCases JSON, the same for every batch
}

func newSearchTransport(pages, rows int) *searchTransport {
	var cases []sigmamind.TestCase
	for j := range 20 {
		cases = append(cases, sigmamind.TestCase{
			TestCaseID: fmt.Sprintf("tc_%016d", j), Label: "Angry customer - cancellation flow", LLMModel: "gpt-4o-mini", Attempt: 5,
			Agent:           &sigmamind.Agent{Name: "Acme Support (voice)", AgentID: "agent_x", Status: "Live"},
			MockData:        []sigmamind.MockData{{VariableName: "customer_name", Value: "John Doe"}, {VariableName: "account_status", Value: "active"}},
			UserPrompt:      "You are an angry customer who was billed again a month after asking to cancel. You interrupt often and want the subscription cancelled today, with a refund for the last charge.",
			SuccessCriteria: "The agent acknowledges the frustration, offers at most one retention option, and confirms the cancellation with its effective date when the caller insists.",
		})
	}
	b, err := json.Marshal(cases)
	if err != nil {
		panic(err)
	}
	return &searchTransport{pages: pages, rows: rows, cases: b}
}

var searchNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func (s *searchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	p, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i := range s.rows {
		if i > 0 {
			b.WriteByte(',')
		}
		n := p*s.rows + i
		fmt.Fprintf(&b, `{"batchId":"batch_%06d","workspaceId":"org_V6eZ2zg8ziDx5pft","agent":{"name":"Acme Support (voice)","agentId":"agent_x","status":"Live"},"createdDate":%q,"testCases":%s,"successfulAttempts":95,"failedAttempts":4,"totalAttempts":100}`,
			n, searchNow.Add(-time.Duration(n)*time.Minute).Format(time.RFC3339), s.cases)
	}
	fmt.Fprintf(&b, `],"page":%d,"size":%d,"totalCount":%d,"totalPages":%d,"hasNext":%t,"hasPrevious":%t}`,
		p, s.rows, s.pages*s.rows, s.pages, p < s.pages-1, p > 0)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(&b), ContentLength: int64(b.Len()), Request: r}, nil
}

// search reads every page, as a search for a batch-id that is not there,
// and calls last at the last batch run, while the iteration still holds
// what it keeps.
func search(t testing.TB, pages int, last func()) {
	t.Helper()
	c, err := sigmamind.NewClient(&http.Client{Transport: newSearchTransport(pages, 25)}, "https://api.sigmamind.ai", "sk-bench-key")
	if err != nil {
		t.Fatal(err)
	}
	c.Now = func() time.Time { return searchNow }
	n := 0
	for b, err := range c.BatchRuns(context.Background(), "agent_x", 25) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == pages*25 {
			last()
		}
		if b.BatchID == "batch_nope" {
			t.Fatal("found")
		}
	}
	if n != pages*25 {
		t.Fatalf("read %d batch runs, want %d", n, pages*25)
	}
}

// TestSearchKeepsNoPages checks that what the iteration keeps while it
// reads is about the batch ids it has seen, not the pages: after 100 pages
// of 300 KB, the live heap is a few MiB.
func TestSearchKeepsNoPages(t *testing.T) {
	var live uint64
	search(t, 100, func() {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		live = m.HeapAlloc
	})
	if live > 16<<20 {
		t.Errorf("live heap at the last page of 100 is %.1f MiB, want under 16 MiB", float64(live)/(1<<20))
	}
}

// TestSearchPeakRSSChild is the search of BenchmarkSearch1000Pages, run in
// a process of its own so that its peak RSS (VmHWM) is the search's alone.
func TestSearchPeakRSSChild(t *testing.T) {
	if os.Getenv("SIGMAGATE_SEARCH_CHILD") != "1" {
		t.Skip("run by BenchmarkSearch1000Pages")
	}
	search(t, searchPages, func() {})
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Println(line)
		}
	}
}

// BenchmarkSearch1000Pages searches a batch-id through the client's 1,000
// pages of 25 batch runs (about 300 MB of JSON), in a process of its own,
// and reports that process's peak RSS and the live heap at the last page.
//
// Linux, go1.26, 2 cores (go test ./sigmamind -run '^$' -bench Search1000 -benchtime 1x):
//
//	before (the iterator kept a pointer into every page): peak-RSS 722 MiB, live 422 MiB
//	after (it keeps counts and a date per batch id):      peak-RSS  31 MiB, live   4 MiB
func BenchmarkSearch1000Pages(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc/self/status (Linux)")
	}
	var rss, live float64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSearchPeakRSSChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "SIGMAGATE_SEARCH_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "VmHWM:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				rss = kb / 1024
			}
		}
		if rss == 0 {
			b.Fatalf("no VmHWM in the child's output:\n%s", out)
		}
	}
	b.StopTimer()
	search(b, searchPages, func() {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		live = float64(m.HeapAlloc) / (1 << 20)
	})
	b.ReportMetric(rss, "peak-RSS-MiB")
	b.ReportMetric(live, "live-MiB")
	if rss >= 128 {
		b.Errorf("peak RSS %.0f MiB, want under 128 MiB", rss)
	}
}
