package sigmamind

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// stream is a body made as it is read, as one arrives from the network: so
// that measuring the memory of decoding it does not measure the body too.
type stream struct {
	parts [][]byte // head, then the units, then tail
	unit  func(i int) []byte
	n     int // units
	i     int // next part: 0 head, 1..n units, n+1 tail
	cur   []byte
}

func (s *stream) Read(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		if len(s.cur) == 0 {
			switch {
			case s.i == 0:
				s.cur = s.parts[0]
			case s.i <= s.n:
				s.cur = s.unit(s.i - 1)
			case s.i == s.n+1:
				s.cur = s.parts[1]
			default:
				if done == 0 {
					return 0, io.EOF
				}
				return done, nil
			}
			s.i++
		}
		c := copy(p[done:], s.cur)
		s.cur = s.cur[c:]
		done += c
	}
	return done, nil
}

// bodyCase is a page that tests how much memory decoding takes.
type bodyCase struct {
	name string
	// body returns a fresh stream of the page and its size.
	body func() (io.Reader, int)
}

// repeated is a page of head, units and tail, as close to size bytes as the
// units allow.
func repeated(size int, head, tail string, unit func(i int) []byte) func() (io.Reader, int) {
	return func() (io.Reader, int) {
		u := len(unit(1))
		n := (size - len(head) - len(tail)) / u
		total := len(head) + len(tail) + (n-1)*u + len(unit(0))
		return &stream{parts: [][]byte{[]byte(head), []byte(tail)}, unit: unit, n: n}, total
	}
}

const (
	oneRunHead = `{"data":[{"batchId":"batch_1","agent":{"agentId":"agent_x"},"createdDate":"2026-03-26T10:52:45.565Z","testCases":[`
	oneRunTail = `],"successfulAttempts":0,"failedAttempts":5,"totalAttempts":5}],"page":0,"size":10,"totalCount":1,"totalPages":1,"hasNext":false,"hasPrevious":false}`
	// justUnder is the largest page the client reads, less room for a tail.
	justUnder = MaxBodyBytes - 64<<10
)

// comma precedes every unit but the first.
func comma(i int, s string) []byte {
	if i == 0 {
		return []byte(s)
	}
	return []byte("," + s)
}

// distinct is a text of n bytes that differs for every i.
func distinct(i, n int) string {
	s := fmt.Sprintf("%08d ", i)
	return s + strings.Repeat("x", n-len(s))
}

var bodyCases = []bodyCase{
	{"realistic 1.2MB", func() (io.Reader, int) { b := realisticPage(); return bytes.NewReader(b), len(b) }},
	{"empty test cases 8.6MiB", repeated(86<<20/10, oneRunHead, oneRunTail, func(i int) []byte { return comma(i, "{}") })},
	{"empty test cases 31.9MiB", repeated(justUnder, oneRunHead, oneRunTail, func(i int) []byte { return comma(i, "{}") })},
	{"distinct prompts 31.9MiB", repeated(justUnder, oneRunHead, oneRunTail, func(i int) []byte {
		return comma(i, fmt.Sprintf(`{"testCaseId":"tc_%08d","userPrompt":"%s","attempt":1}`, i, distinct(i, 16000)))
	})},
	{"distinct texts in 100 runs 31.9MiB", func() (io.Reader, int) {
		// MaxPageSize batch runs of as many test cases each, every text new:
		// only the page's budget bounds what is kept.
		runHead := `{"batchId":"batch_%03d","agent":{"agentId":"agent_x"},"createdDate":"2026-03-26T10:52:45.565Z","successfulAttempts":0,"failedAttempts":5,"totalAttempts":5,"testCases":[`
		tc := func(i int) string {
			return fmt.Sprintf(`{"testCaseId":"tc_%08d","label":"%s","llmModel":"%s","attempt":1}`, i, distinct(i, 150), distinct(i, 151))
		}
		perRun := (justUnder/MaxPageSize - len(runHead)) / (len(tc(0)) + 1)
		unit := func(i int) []byte {
			switch run, k := i/perRun, i%perRun; {
			case i == 0:
				return []byte(fmt.Sprintf(runHead, run) + tc(i))
			case k == 0:
				return []byte("]}," + fmt.Sprintf(runHead, run) + tc(i))
			}
			return comma(i, tc(i))
		}
		head, tail := `{"data":[`, `]}],"hasNext":false}`
		n := MaxPageSize * perRun
		size := len(head) + len(tail)
		for i := range n {
			size += len(unit(i))
		}
		return &stream{parts: [][]byte{[]byte(head), []byte(tail)}, unit: unit, n: n}, size
	}},
	{"empty mock data 31.9MiB", repeated(justUnder, oneRunHead+`{"testCaseId":"tc_1","attempt":1,"mockData":[`, `]}`+oneRunTail, func(i int) []byte { return comma(i, "{}") })},
	{"one long string 31.9MiB", repeated(justUnder, `{"hasNext":false,"note":"`, `","data":[]}`, func(int) []byte { return []byte("0123456789abcdef") })},
	{"deep unknown lists 31.9MiB", repeated(justUnder, `{"hasNext":false,"data":[],"x":[`, `[]]}`, func(int) []byte { return []byte("[[[[[[[[[[1]]]]]]]]]],") })},
}

// realisticPage is the page of bench_test.go at the repository's root: 100
// batch runs of 20 test cases with prompts of realistic length.
func realisticPage() []byte {
	page := Page[BatchRun]{Size: 100, TotalCount: 100, TotalPages: 1}
	for i := range 100 {
		run := BatchRun{BatchID: fmt.Sprintf("batch_%016d", i), WorkspaceID: "org_V6eZ2zg8ziDx5pft",
			Agent:              &Agent{Name: "Acme Support (voice)", AgentID: "agent_x", Status: "Live"},
			CreatedDate:        time.Date(2026, 11, 29, 10, 52, 45, 565e6, time.UTC).Add(-time.Duration(i) * time.Hour),
			SuccessfulAttempts: 95, FailedAttempts: 4, TotalAttempts: 100}
		for j := range 20 {
			run.TestCases = append(run.TestCases, TestCase{
				TestCaseID: fmt.Sprintf("tc_%016d", j), Label: "Angry customer - cancellation flow", LLMModel: "gpt-4o-mini", Attempt: 5,
				MockData:        []MockData{{VariableName: "customer_name", Value: "John Doe"}, {VariableName: "account_status", Value: "active"}},
				UserPrompt:      "You are an angry customer who was billed again a month after asking to cancel. You interrupt often and want the subscription cancelled today, with a refund for the last charge.",
				SuccessCriteria: "The agent acknowledges the frustration, offers at most one retention option, and confirms the cancellation with its effective date when the caller insists.",
			})
		}
		page.Data = append(page.Data, run)
	}
	body, err := json.Marshal(page)
	if err != nil {
		panic(err)
	}
	return body
}

// streamTransport answers every request with a fresh body from make.
type streamTransport func() io.Reader

func (f streamTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(f()), Request: r}, nil
}

// maxRSS is the peak resident memory the issue allows for decoding any page
// under the body limit.
const maxRSS = 128 << 20

// TestPeakRSS decodes each page through the client in a process of its own
// and checks the process's peak resident memory (VmHWM). Before decoding
// was streamed, the 8.6 MiB page of empty test cases took 1.28 GB and the
// 28 MiB one 4.7 GB.
func TestPeakRSS(t *testing.T) {
	if name := os.Getenv("SIGMAMIND_RSS_CASE"); name != "" {
		rssChild(t, name)
		return
	}
	if testing.Short() {
		t.Skip("decodes 200 MiB")
	}
	if raceDetector {
		t.Skip("the race detector's shadow memory would count; go test without -race measures the decoder alone")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status to read VmHWM from")
	}
	for _, c := range bodyCases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestPeakRSS$", "-test.v")
			cmd.Env = append(os.Environ(), "SIGMAMIND_RSS_CASE="+c.name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			i := strings.Index(string(out), "VmHWM=")
			if i < 0 {
				t.Fatalf("no VmHWM in\n%s", out)
			}
			line := string(out[strings.LastIndexByte(string(out[:i]), '\n')+1:])
			line, _, _ = strings.Cut(line, "\n")
			kb, err := strconv.ParseInt(strings.Fields(string(out[i+len("VmHWM="):]))[0], 10, 64)
			if err != nil {
				t.Fatalf("no VmHWM in\n%s", out)
			}
			t.Logf("peak RSS %.1f MiB (%s)", float64(kb)/1024, line)
			if kb<<10 > maxRSS {
				t.Errorf("peak RSS %d KiB, more than %d MiB\n%s", kb, maxRSS>>20, out)
			}
		})
	}
}

func rssChild(t *testing.T, name string) {
	for _, c := range bodyCases {
		if c.name != name {
			continue
		}
		var size int
		client, err := NewClient(&http.Client{Transport: streamTransport(func() io.Reader { r, n := c.body(); size = n; return r })},
			"https://api.sigmamind.ai", "sk-rss-test-key")
		if err != nil {
			t.Fatal(err)
		}
		page, err := client.ListBatchRuns(context.Background(), "agent_x", ListOptions{Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kept, left := 0, int64(0)
				for _, b := range page.Data {
					kept += len(b.TestCases)
					left += b.LeftOutTestCases
				}
				fmt.Printf("body %d bytes, %d runs, %d test cases kept, %d left out: VmHWM=%s\n",
					size, len(page.Data), kept, left, strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				runtime.KeepAlive(page)
				return
			}
		}
		t.Fatal("no VmHWM")
	}
	t.Fatalf("no case %q", name)
}

// heapSampler records the largest live heap while it runs.
type heapSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			h.peak = max(h.peak, heapObjects())
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.wg.Wait()
	return max(h.peak, heapObjects())
}

// BenchmarkDecodePage decodes each page with the decoder, and the realistic
// one also with encoding/json, today's way before streaming; set
// SIGMAMIND_BENCH_JSON=1 to run encoding/json on the large pages too (it
// takes gigabytes). peak-heap-MiB is the largest live heap seen while
// decoding, above what was live before, the body included for
// encoding/json.
func BenchmarkDecodePage(b *testing.B) {
	for _, c := range bodyCases {
		r, size := c.body()
		body, err := io.ReadAll(r)
		if err != nil || len(body) != size {
			b.Fatalf("%s: %d bytes, want %d: %v", c.name, len(body), size, err)
		}
		name := strings.ReplaceAll(c.name, " ", "_")
		b.Run(name+"/decoder", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				runtime.GC()
				before := heapObjects()
				h := sampleHeap()
				var p Page[BatchRun]
				if err := readBatchRunPage(newDecoder(bytes.NewReader(body), ""), &p, MaxPageSize); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, h.Stop()-min(before, h.peak))
				runtime.KeepAlive(p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
		if !strings.HasPrefix(c.name, "realistic") && os.Getenv("SIGMAMIND_BENCH_JSON") == "" {
			continue
		}
		b.Run(name+"/encoding_json", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var peak uint64
			for b.Loop() {
				runtime.GC()
				before := heapObjects()
				h := sampleHeap()
				// As the client did: the whole body read, then unmarshalled.
				whole, _ := io.ReadAll(bytes.NewReader(body))
				var p Page[BatchRun]
				if err := json.Unmarshal(whole, &p); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, h.Stop()-min(before, h.peak))
				runtime.KeepAlive(p)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
