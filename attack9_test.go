package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// startBinary starts the binary with the inputs and returns a function that
// waits for it.
func startBinary(t *testing.T, with map[string]string) (*exec.Cmd, func() (steptest.Step, time.Time)) {
	t.Helper()
	vars, outPath, sumPath := steptest.Env(t, with)
	cmd := exec.Command(binary)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, func() (steptest.Step, time.Time) {
		err := cmd.Wait()
		end := time.Now()
		s := steptest.Step{Stdout: stdout.String(), Stderr: stderr.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			s.Exit = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		s.Read(t, outPath, sumPath)
		return s, end
	}
}

func awaitRequest(t *testing.T, srv *sigmamindtest.Server, cmd *exec.Cmd, what func(sigmamindtest.Request) bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !slices.ContainsFunc(srv.Requests(), what); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the request awaited never came")
		}
	}
}

// SIGINT while the run is polled, and SIGTERM or SIGINT while the create
// hangs after SigmaMind created the run: prompt exit, outputs and summary
// written, never a pass, and the summary says a run may exist.
func TestStartSignals(t *testing.T) {
	t.Parallel()
	isPost := func(r sigmamindtest.Request) bool { return r.Method == "POST" }
	isRead := func(r sigmamindtest.Request) bool {
		return r.Method == "GET" && strings.HasPrefix(r.Path, "/v1/batch-runs/")
	}
	tests := []struct {
		name  string
		sig   os.Signal
		fault bool // the create hangs after taking effect
		at    func(sigmamindtest.Request) bool
	}{
		{"SIGINT mid-wait", syscall.SIGINT, false, isRead},
		{"SIGTERM in a hung create", syscall.SIGTERM, true, isPost},
		{"SIGINT in a hung create", syscall.SIGINT, true, isPost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 2, Stall: true, StallAfter: 2})
			if tt.fault {
				var once sync.Once
				srv.OnRequest(func(r sigmamindtest.Request) {
					if r.Method == "POST" {
						once.Do(func() { srv.Fail(sigmamindtest.Fault{Process: true, Hang: true}) })
					}
				})
			}
			cmd, wait := startBinary(t, startInputs(srv, map[string]string{"run-test-cases": "all"}))
			awaitRequest(t, srv, cmd, tt.at)
			time.Sleep(150 * time.Millisecond)
			sent := time.Now()
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			s, end := wait()
			s.CheckHygiene(t)
			if took := end.Sub(sent); took > 2*time.Second {
				t.Errorf("exited %v after the signal; want within 2s", took)
			}
			if s.Exit == 0 || s.Outputs["result"] == "pass" || s.Outputs["passed"] != "false" || s.Summary == "" {
				t.Errorf("exit %d, result %q, passed %q, summary %d bytes\n%s", s.Exit, s.Outputs["result"], s.Outputs["passed"], len(s.Summary), s.Stdout)
			}
			runs := ids(srv.BatchRunsOf("agent_x"))
			if len(runs) != 1 {
				t.Fatalf("batch runs %v", runs)
			}
			// The run is named once known; while its create hangs, the
			// summary says one may exist.
			want := []string{runs[0], "keep running in SigmaMind"}
			if tt.fault {
				want = []string{"SigmaMind may have started a batch run"}
			}
			summary := strings.ReplaceAll(s.Summary, `\_`, "_")
			for _, w := range want {
				if !strings.Contains(summary, w) {
					t.Errorf("summary lacks %q:\n%s", w, s.Summary)
				}
			}
		})
	}
}

// A server that hangs every request: the step ends by wait + timeout.
func TestStartHangsEndByWaitPlusTimeout(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"test cases", "create", "read"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 1, Stall: true, StallAfter: 1})
			var mu sync.Mutex
			srv.OnRequest(func(r sigmamindtest.Request) {
				mu.Lock()
				defer mu.Unlock()
				hang := map[string]bool{
					"test cases": r.Path == "/v1/test-cases",
					"create":     r.Method == "POST",
					"read":       r.Method == "GET" && strings.HasPrefix(r.Path, "/v1/batch-runs/"),
				}[name]
				if hang {
					srv.Fail(sigmamindtest.Fault{Hang: true})
				}
			})
			start := time.Now()
			s := runStep(t, startInputs(srv, map[string]string{"run-test-cases": "all", "wait": "1s", "timeout": "1s"}), nil)
			took := time.Since(start)
			s.CheckHygiene(t)
			if took > 4*time.Second {
				t.Errorf("took %v with wait 1s and timeout 1s", took)
			}
			if s.Exit == 0 || s.Outputs["result"] == "pass" {
				t.Errorf("exit %d result %q", s.Exit, s.Outputs["result"])
			}
		})
	}
}
