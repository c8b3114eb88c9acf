package report

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// update rewrites the golden files, as in go/printer and cmd/gofmt:
//
//	go test ./report -update
var update = flag.Bool("update", false, "rewrite the golden files")

// hostile are texts that try to break out of where the report puts them:
// table cells, code spans, HTML blocks, the runner's command parser,
// GitHub's math and mentions, and the size limits.
var hostile = []string{
	"a | b || c",
	"line one\nline two\r\nline three",
	"```\nfenced\n```",
	"`tick` and ``double`` and a lone `",
	"<script>alert(1)</script>",
	"</details></pre></summary><details open><pre>",
	"::error::pwned",
	"  ::warning file=x.go,line=1::spoofed",
	"x ##[set-output name=result]pass",
	"##[error]legacy",
	"$x$ and $$y$$ and $`z`$",
	"@someone please look, cc @org/team",
	"**bold** _em_ ~~gone~~ [link](https://evil.example) ![img](https://evil.example/x.png)",
	"# heading\n## another\n---",
	`\| a backslash before a pipe \`,
	"&lt;b&gt; &amp; &#124; &#x7C;",
	"\u00a0::error::after a no-break space",
	"\u2028::error::after a line separator",
	"\u0085::error::after a next line",
	"\x00 nul \x1b[31m escape \x7f del",
	"\xff\xfe not UTF-8 \xc3",
	"> [!CAUTION]\n> a fake alert",
	"- [ ] task\n1. item\n    indented code",
	"|---|---|\n| x | y |",
	"<!-- an unclosed comment",
	"\t::stop-commands::pwnd",
	"<details><summary>fake</summary>",
	"</pre>\n\n</details>\n\n# out of the block",
	"\r\n\r\n",
	"",
	strings.Repeat("long ", 1200),
	strings.Repeat("|", 300) + strings.Repeat("`", 300),
	strings.Repeat("é", 5000),
}

// hostileSample returns batch runs of a failing agent whose every text is
// one of the hostile ones.
func hostileSample() sample {
	s := sampleOf("agent_hostile", "failing")
	s.Rows = s.Rows[:3]
	s.AgentName = "<script>alert('name')</script> | ::error::pwned ##[error]x"
	s.TestCases = make([]TestCase, 0, len(hostile))
	for j, h := range hostile {
		s.TestCases = append(s.TestCases, TestCase{
			ID:       fmt.Sprintf("tc_%02d_%s", j, untrusted.Cut(h, 20)),
			Label:    h,
			Model:    hostile[(j+1)%len(hostile)],
			Attempts: 1,
			MockData: []MockData{{Name: hostile[(j+2)%len(hostile)], Value: hostile[(j+3)%len(hostile)]}, {Name: "plain", Value: "value"}},
			Prompt:   hostile[(j+4)%len(hostile)] + "\n" + h,
			Criteria: h + "\n" + hostile[(j+5)%len(hostile)],
		})
	}
	ids := []string{"batch_|::error::pwned", "batch_##[set-output name=result]pass\n## heading", "batch_" + strings.Repeat("x`|<", 50)}
	for i := range s.Rows {
		// Every run lists the hostile test cases, one attempt each.
		b := &s.Rows[i].Batch
		b.ID = ids[i]
		s.Rows[i].TestCases = len(hostile)
		b.Total, b.Expected = int64(len(hostile)), int64(len(hostile))
		b.Successful, b.Failed = b.Total-3, 2
	}
	return s
}

type goldenCase struct {
	name string
	r    Result
}

func goldenCases() []goldenCase {
	pass := sampleOf("agent_demo_pass", "passing")
	fail := sampleOf("agent_demo_fail", "failing")
	running := sampleOf("agent_demo_running", "running")

	// Undecided: attempts that errored count as failures.
	undecided := sampleOf("agent_undecided", "passing")
	undecided.Rows = undecided.Rows[:2]
	undecided.Rows[0].Batch.Successful, undecided.Rows[0].Batch.Failed = 24, 1 // 5 undecided
	undecided.Rows[1].Batch.Successful, undecided.Rows[1].Batch.Failed = 29, 0 // 1 undecided

	// Five clean attempts cannot show a failure rate of at most 10% at 95%:
	// one batch run of one test case of five attempts.
	few := sampleOf("agent_few", "passing")
	few.Rows, few.TestCases = few.Rows[:1], few.TestCases[:1]
	few.Rows[0].TestCases = 1
	few.Rows[0].Batch.Successful, few.Rows[0].Batch.Failed, few.Rows[0].Batch.Total = 5, 0, 5
	few.Rows[0].Batch.Expected = few.TestCases[0].Attempts

	return []goldenCase{
		{"passing", withEarlier(judgedSample("agent_demo_pass", pass, 3, 0, 3,
			gate.Rules{MaxFailureRate: rate("5%"), MinAttempts: 30, MaxAge: 24 * time.Hour},
			inputs("agent_demo_pass", "batches", "3", "max-failure-rate", "5%", "min-attempts", "30", "max-age", "24h")), pass.Rows[3:10])},
		{"failing", judgedSample("agent_demo_fail", fail, 1, 0, 1,
			gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1},
			inputs("agent_demo_fail", "max-failure-rate", "10%"))},
		{"undecided", judgedSample("agent_undecided", undecided, 2, 0, 2,
			gate.Rules{MaxFailureRate: rate("10%"), MaxFailedAttempts: count(5), MinAttempts: 1},
			inputs("agent_undecided", "batches", "2", "max-failure-rate", "10%", "max-failed-attempts", "5"))},
		{"inconclusive", judgedSample("agent_few", few, 1, 0, 1,
			gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1, Confidence: 0.95},
			inputs("agent_few", "max-failure-rate", "10%", "confidence", "0.95"))},
		{"running", judgedSample("agent_demo_running", running, 1, 0, 1,
			gate.Rules{MaxFailureRate: rate("20%"), MinAttempts: 1},
			inputs("agent_demo_running", "max-failure-rate", "20%"))},
		{"regression", judgedSample("agent_demo_fail", fail, 1, len(fail.Rows)-1, 1,
			gate.Rules{MaxFailureRate: rate("20%"), MinSuccessRate: rate("80%"), MinAttempts: 30, Confidence: 0.95, MaxRegression: rate("5%")},
			inputs("agent_demo_fail", "max-failure-rate", "20%", "min-success-rate", "80%", "min-attempts", "30",
				"confidence", "0.95", "baseline-batches", "11"))},
		// A running gated batch over a running baseline batch: rules are
		// provisional, and the baseline row counts judged attempts only,
		// as the regression rule does.
		{"running-baseline", func() Result {
			base := slices.Clone(pass.Rows[:1])
			base[0].Batch.Successful, base[0].Batch.Failed, base[0].Batch.Total = 12, 0, 18
			return judged("agent_demo_running", running.AgentName, running.Rows[:1], base, running.TestCases, 1,
				gate.Rules{MaxFailureRate: rate("20%"), MinAttempts: 1, MaxRegression: rate("5%")},
				inputs("agent_demo_running", "max-failure-rate", "20%", "baseline-batches", "1"))
		}()},
		{"warn-only", func() Result {
			r := judgedSample("agent_demo_fail", fail, 1, 0, 1, gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1},
				inputs("agent_demo_fail", "max-failure-rate", "10%", "warn-only", "true"))
			r.Note = "warn-only is set: this step passes, and the failure is reported as a warning"
			return r
		}()},
		{"error", Result{AgentID: "agent_demo_pass", Inputs: inputs("agent_demo_pass"),
			Err:  "could not list the batch runs of agent agent_demo_pass: GET /v1/agents/agent_demo_pass/batch-runs: 401 Unauthorized: Invalid API key",
			Hint: "SigmaMind rejected the API key: check the api-key secret (SigmaMind Dashboard → API Keys)"}},
		{"no-batches", judged("agent_demo_empty", "", nil, nil, nil, 1, gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1},
			inputs("agent_demo_empty", "max-failure-rate", "10%"))},
		{"hostile", judgedSample("agent_hostile", hostileSample(), 2, 1, 3,
			gate.Rules{MaxFailureRate: rate("1%"), MinAttempts: 1, MaxAge: time.Hour, MaxRegression: rate("1%")},
			inputs("agent_hostile", "batches", "3", "max-failure-rate", "1%", "baseline-batches", "1", "max-regression", "1%",
				"max-age", "1h", "batch-id", "::error::pwned ##[x]"))},
		// Rows of the trend that could not be read are left out, with a note;
		// the verdict is the judged rows'.
		{"trend-notes", func() Result {
			r := withEarlier(judgedSample("agent_demo_pass", pass, 1, 0, 1, gate.Rules{MaxFailureRate: rate("5%"), MinAttempts: 1},
				inputs("agent_demo_pass", "max-failure-rate", "5%")), append(slices.Clone(pass.Rows[1:3]), pass.Rows[4:6]...))
			r.Notes = []string{
				`batch run "` + pass.Rows[3].Batch.ID + `" is left out of the trend: successful 30 + failed 9 attempts exceed the total 30`,
				"older batch runs for the trend could not be read: GET /v1/batch-runs: 500 Internal Server Error | `x` ::error::pwned",
			}
			return r
		}()},
		// One gated batch run lists no test cases: its configured attempts
		// are unknown, and nothing calls it finished.
		{"unknown-attempts", func() Result {
			gated := slices.Clone(pass.Rows[:2])
			gated[1].TestCases, gated[1].Batch.Expected = 0, 0
			return judged("agent_demo_pass", pass.AgentName, gated, nil, pass.TestCases, 2, gate.Rules{MaxFailureRate: rate("5%"), MinAttempts: 1},
				inputs("agent_demo_pass", "batches", "2", "max-failure-rate", "5%"))
		}()},
		// Every batch run id links to its batch run, here also in what the
		// step started; the URLs are the application's, already escaped.
		{"links", func() Result {
			r := judgedSample("agent_demo_fail", fail, 1, 1, 3, gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1, MaxRegression: rate("5%")},
				inputs("agent_demo_fail", "max-failure-rate", "10%", "baseline-batches", "1", "batch-url-template", "https://app.example/agents/{agentId}/batches/{batchId}"))
			for i := range r.Rows {
				r.Rows[i].URL = "https://app.example/agents/agent_demo_fail/batches/" + r.Rows[i].Batch.ID
			}
			r.Started = &Started{BatchIDs: []string{r.Rows[0].Batch.ID}, URLs: []string{r.Rows[0].URL}, TestCases: []string{"tc_1"},
				Runs: 1, MaxRuns: 1, Attempts: r.Rows[0].Batch.Total, Stop: StopDecided}
			return r
		}()},
		// A URL holding what would end the link, split the row or open
		// HTML: the report encodes it, whatever it was given.
		{"hostile-links", func() Result {
			r := judgedSample("agent_hostile", hostileSample(), 2, 1, 3, gate.Rules{MaxFailureRate: rate("1%"), MinAttempts: 1},
				inputs("agent_hostile", "batches", "2", "max-failure-rate", "1%", "baseline-batches", "1"))
			for i := range r.Rows {
				r.Rows[i].URL = "https://app.example/b/x) [y](javascript:alert(1)) | <b>&amp;\n\x1b[31m`q`\"'##[x]" + r.Rows[i].Batch.ID
			}
			return r
		}()},
		{"hostile-error", Result{AgentID: "agent_hostile", AgentName: "::error::pwned", Inputs: inputs("agent_hostile"),
			Err: "could not list the batch runs of agent agent_hostile: GET /v1/agents/agent_hostile/batch-runs: 404 Not Found: " +
				"no agent `x` | <script>alert(1)</script>\n::error::pwned ##[set-output name=result]pass",
			// The hint names the agent id, which is the user's own input.
			Hint: "::error::pwned ##[set-output name=result]pass\n| x |"}},
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			md := Markdown([]Result{tc.r})
			checkMarkdown(t, md)
			golden(t, tc.name+".md", md)
			js := JSON([]Result{tc.r})
			checkJSON(t, js)
			// The file ends with a newline; the output is one line without it.
			golden(t, tc.name+".json", js+"\n")
		})
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestGoldenContent holds the golden files to what each case is about, so
// that an -update cannot silently lose it. A leading "!" means "must not
// hold".
func TestGoldenContent(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"passing":          {"## ✅ Passed: SigmaMind simulations of Acme Support (voice) (agent\\_demo\\_pass)", "| `max-failure-rate` | ≤ 5.0% |", "✅ pass", "<details><summary>6 test cases", "| earlier |"},
		"failing":          {"## ❌ Failed:", "- **max-failure-rate:** failure rate 16.7% is above the limit 10.0% (4 failed and 1 undecided of 30 attempts", "❌ fail"},
		"undecided":        {"and 6 undecided (errored; counted as failed)", "| 5 |"},
		"inconclusive":     {"## ⚠️ Inconclusive:", "95% bounds 0.0%–45.1%", "more attempts with no failures would show a failure rate ≤ 10.0% at 95% confidence", "⚠️ inconclusive"},
		"running":          {"## ⚠️ Inconclusive:", "still running:", "17 of 30 ⏳"},
		"regression":       {"`max-regression`", "probability of a larger rise", "baseline", "older batch runs not shown"},
		"running-baseline": {"⏳ pass so far", "⏳ fail so far", "| baseline | 0.0% |", "18 of 30 ⏳"},
		"warn-only":        {"## ❌ Failed:", "> [!NOTE]\n> warn-only is set: this step passes"},
		"error":            {"## 🛑 Error:", "**The gate could not judge the agent:** could not list the batch runs of agent agent\\_demo\\_pass: GET /v1/agents/agent\\_demo\\_pass/batch-runs: 401 Unauthorized: Invalid API key", "SigmaMind rejected the API key"},
		"no-batches":       {"## ❌ Failed:", "no batch runs were found", "| `batches` | ≥ 1 | 0 | ❌ fail |"},
		"hostile":          {"&lt;script&gt;"},
		"trend-notes":      {"## ✅ Passed:", "is left out of the trend: successful 30 + failed 9", "_older batch runs for the trend could not be read: GET /v1/batch-runs: 500 Internal Server Error \\| \\`x\\` ::error::pwned_"},
		"unknown-attempts": {"| `finished` | all attempts | configured attempts unknown | ➖ skipped |", "| 30 (configured attempts unknown) |", "!all 60 configured", "!of 30 |"},
	}
	for _, tc := range goldenCases() {
		md := Markdown([]Result{tc.r})
		for _, s := range want[tc.name] {
			if not, ok := strings.CutPrefix(s, "!"); ok {
				if strings.Contains(md, not) {
					t.Errorf("%s: the summary holds %q", tc.name, not)
				}
			} else if !strings.Contains(md, s) {
				t.Errorf("%s: the summary lacks %q", tc.name, s)
			}
		}
	}
}

// TestTrendRows: the table shows as many rows as the caller asks, and says
// how many it leaves out; 0 asks for every one.
func TestTrendRows(t *testing.T) {
	t.Parallel()
	pass := sampleOf("agent_demo_pass", "passing")
	runs := pass.Rows[:3]
	base := judgedSample("agent_demo_pass", pass, 1, 0, 1, gate.Rules{MaxFailureRate: rate("5%"), MinAttempts: 1}, inputs("agent_demo_pass"))
	base = withEarlier(base, runs[1:])
	for _, tt := range []struct {
		trendRows int
		shown     int
		leftOut   string
	}{
		{0, 3, ""},
		{1, 1, "| _2 older batch runs not shown_ |"},
		{2, 2, "| _1 older batch run not shown_ |"},
		{3, 3, ""},
		{10, 3, ""},
	} {
		r := base
		r.TrendRows = tt.trendRows
		md := Markdown([]Result{r})
		shown := 0
		for _, run := range runs {
			if strings.Contains(md, "| "+cell(run.Batch.ID, idLimit)+" |") {
				shown++
			}
		}
		if shown != tt.shown || strings.Contains(md, "not shown_") != (tt.leftOut != "") || !strings.Contains(md, tt.leftOut) {
			t.Errorf("TrendRows %d: %d rows shown, want %d, and the line %q:\n%s", tt.trendRows, shown, tt.shown, tt.leftOut, md)
		}
	}
}
