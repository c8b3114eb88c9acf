package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// lines splits text at every break a reader of it might honour: the
// runner's (\n, \r) and Unicode's.
func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
	})
}

// problems lists how a job summary breaks the properties every summary must
// have, whatever the data.
func problems(md string) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	// (d) Valid UTF-8.
	if !utf8.ValidString(md) {
		bad("the summary is not valid UTF-8")
	}

	// (a) No line reads as a workflow command, should the summary ever be
	// printed to the log: the runner trims leading white space (.NET's,
	// which unicode.IsSpace covers) and runs "::cmd::", and runs "##[cmd]"
	// anywhere in a line.
	for _, l := range lines(md) {
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") {
			bad("a line starts with \"::\": %q", l)
		}
		if strings.Contains(l, "##[") {
			bad("a line holds \"##[\": %q", l)
		}
	}

	// (b) Every table row has as many cell separators as its header, and a
	// blank line ends every table: a line of text right after a table would
	// become one of its rows.
	// Lines within <pre> are an HTML block's, never a table's.
	all := strings.Split(md, "\n")
	inPre := false
	for i := 0; i < len(all); i++ {
		if inPre || all[i] == "<pre>" {
			inPre = !strings.Contains(all[i], "</pre>")
			continue
		}
		if !strings.HasPrefix(all[i], "|") {
			continue
		}
		header := all[i]
		want := pipes(header)
		if i+1 >= len(all) || !isDelimiterRow(all[i+1]) || pipes(all[i+1]) != want {
			bad("a table header is not followed by a delimiter row of %d pipes: %q", want, header)
		}
		j := i + 1
		for ; j < len(all) && strings.HasPrefix(all[j], "|"); j++ {
			if got := pipes(all[j]); got != want {
				bad("a table row has %d cell separators, its header %d: %q", got, want, all[j])
			}
		}
		if j < len(all) && all[j] != "" {
			bad("a table is not followed by a blank line: %q", all[j])
		}
		i = j
	}

	// (c) The HTML is only the report's own: every '<' opens or closes one
	// of its tags, and they pair up in order.
	rest := md
	depth := map[string]int{}
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		rest = rest[i:]
		tag := ""
		for _, t := range []string{"<details>", "</details>", "<summary>", "</summary>", "<pre>", "</pre>"} {
			if strings.HasPrefix(rest, t) {
				tag = t
				break
			}
		}
		if tag == "" {
			bad("a '<' that is not one of the report's tags: %q", untrusted.Cut(rest, 40))
			rest = rest[1:]
			continue
		}
		name := strings.Trim(tag, "</>")
		if strings.HasPrefix(tag, "</") {
			depth[name]--
			if depth[name] < 0 {
				bad("%s closes nothing: %q", tag, untrusted.Cut(rest, 40))
				depth[name] = 0
			}
		} else {
			if depth[name] > 0 {
				bad("%s opens inside another: %q", tag, untrusted.Cut(rest, 40))
			}
			depth[name]++
		}
		rest = rest[len(tag):]
	}
	for name, d := range depth {
		if d != 0 {
			bad("%d <%s> left open", d, name)
		}
	}
	// A <summary> is one line: a break in it could end the HTML block and
	// let the rest be read as markdown.
	for _, l := range all {
		if strings.Contains(l, "<summary>") && !strings.HasSuffix(l, "</summary>") {
			bad("a <summary> does not close on its line: %q", l)
		}
	}
	for _, tag := range []string{"details", "pre", "summary"} {
		if o, c := strings.Count(md, "<"+tag+">"), strings.Count(md, "</"+tag+">"); o != c {
			bad("%d <%s> but %d </%s>", o, tag, c, tag)
		}
	}
	return out
}

// pipes counts the unescaped '|' of a table row: GFM splits cells at every
// pipe not preceded by a backslash.
func pipes(row string) int {
	n := 0
	for i := 0; i < len(row); i++ {
		if row[i] == '|' && (i == 0 || row[i-1] != '\\') {
			n++
		}
	}
	return n
}

func isDelimiterRow(s string) bool {
	return strings.Trim(s, "|:- ") == "" && strings.Contains(s, "-")
}

func checkMarkdown(t testing.TB, md string) {
	t.Helper()
	for _, p := range problems(md) {
		t.Error(p)
	}
}

// checkJSON checks property (e): one line of valid JSON, within
// MaxJSONBytes.
func checkJSON(t testing.TB, js string) {
	t.Helper()
	if !json.Valid([]byte(js)) {
		t.Errorf("JSON is not valid: %s", untrusted.Cut(js, 300))
	}
	if strings.ContainsAny(js, "\n\r") {
		t.Errorf("JSON is not one line: %s", untrusted.Cut(js, 300))
	}
	if len(js) > MaxJSONBytes {
		t.Errorf("JSON is %d bytes, over MaxJSONBytes %d", len(js), MaxJSONBytes)
	}
}

// fuzzResults builds results that carry the untrusted texts everywhere the
// API's data reaches the report: a judged one and an error.
func fuzzResults(label, prompt, criteria, batchID, model string) []Result {
	s := sampleOf("agent_fuzz", "failing")
	s.Rows = s.Rows[:3]
	s.AgentName = label
	for i := range s.Rows {
		s.Rows[i].Batch.ID = batchID + fmt.Sprint(i)
	}
	tc := s.TestCases
	tc[0].Label, tc[0].Prompt, tc[0].Criteria, tc[0].Model = label, prompt, criteria, model
	tc[0].MockData = append(tc[0].MockData, MockData{Name: label, Value: prompt})
	tc[1].ID, tc[1].Label = batchID, "" // a test case with no label is shown by id
	tc[2].ID, tc[2].Label = "", criteria
	// Two gated runs list these test cases; one without an id is listed
	// once for each, there being nothing to tell them apart by.
	twice := slices.Clone(tc)
	if batchID == "" {
		twice = append(twice, tc[1])
	}
	twice = append(twice, tc[2])
	// Regressions judged with confidence take a numerical integration,
	// which would slow the fuzzer tenfold: confidence bounds are judged in a
	// result of their own.
	judgedResult := judged("agent_fuzz", s.AgentName, s.Rows[:2], s.Rows[2:], twice, 3,
		gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1, MaxAge: time.Hour, MaxRegression: rate("1%")},
		inputs("agent_fuzz", "batch-id", batchID, "max-failure-rate", label))
	bounded := judged("agent_fuzz", s.AgentName, s.Rows[:1], nil, tc, 1,
		gate.Rules{MaxFailureRate: rate("10%"), MinSuccessRate: rate("90%"), MinAttempts: 1, Confidence: 0.9},
		inputs("agent_fuzz", "confidence", "0.9"))
	errResult := Result{AgentID: "agent_fuzz", AgentName: model, Inputs: inputs("agent_fuzz"),
		Err:  fmt.Sprintf("could not list the batch runs of agent %s: GET /v1/agents/%s/batch-runs: 404 Not Found: %s", batchID, batchID, prompt),
		Hint: label + criteria}
	return []Result{judgedResult, bounded, errResult}
}

func FuzzMarkdown(f *testing.F) {
	for i, h := range hostile {
		f.Add(h, hostile[(i+1)%len(hostile)], hostile[(i+2)%len(hostile)], hostile[(i+3)%len(hostile)], hostile[(i+4)%len(hostile)])
	}
	f.Add("Refund for a double charge", "You are Marcus Lee.", "The agent refunds one payment.", "batch_abc", "gpt-4.1")
	f.Fuzz(func(t *testing.T, label, prompt, criteria, batchID, model string) {
		results := fuzzResults(label, prompt, criteria, batchID, model)
		md := Markdown(results)
		checkMarkdown(t, md)
		if len(md) > summaryBudget {
			t.Errorf("the summary is %d bytes, over summaryBudget", len(md))
		}
		for _, r := range results {
			checkJSON(t, JSON([]Result{r}))
		}
		// Cut somewhere, by a budget the texts choose.
		budget := 200 + (len(label)*7919+len(prompt)*104729+len(criteria)*31+len(batchID)*17+len(model))%len(md)
		if cutMD := markdown(results, budget); len(cutMD) > budget {
			t.Errorf("budget %d: the summary is %d bytes", budget, len(cutMD))
		} else {
			checkMarkdown(t, cutMD)
		}
	})
}

// TestHostileProperties runs the fuzz properties over every pairing of the
// hostile texts, so that plain go test covers them all.
func TestHostileProperties(t *testing.T) {
	t.Parallel()
	for i, h := range hostile {
		for j, g := range hostile {
			results := fuzzResults(h, g, hostile[(i+j)%len(hostile)], g, h)
			md := Markdown(results)
			if p := problems(md); len(p) > 0 {
				t.Fatalf("texts %d and %d: %s", i, j, strings.Join(p, "\n"))
			}
			for _, r := range results {
				checkJSON(t, JSON([]Result{r}))
			}
		}
	}
}

// TestMarkdownSize: thousands of test cases with long prompts are cut to
// fit the job summary, and the summary says so.
func TestMarkdownSize(t *testing.T) {
	t.Parallel()
	prompt := strings.Repeat("Please cancel my subscription, and refund the last charge. ", 70)[:4000]
	// 40 batch runs of 100 test cases each, one attempt each.
	big := sampleOf("agent_big", "failing")
	var gated []Row
	var tcs []TestCase
	for i := range 40 {
		row := big.Rows[i%len(big.Rows)]
		row.Batch.ID = fmt.Sprintf("batch_%04d", i)
		row.TestCases = 100
		row.Batch.Total, row.Batch.Successful, row.Batch.Failed, row.Batch.Expected = 100, 95, 5, 100
		for j := range 100 {
			tcs = append(tcs, TestCase{
				ID: fmt.Sprintf("tc_%04d_%04d", i, j), Label: fmt.Sprintf("Scenario %d of batch %d | with a pipe", j, i),
				Model: "gpt-4o-mini", Attempts: 1, Prompt: prompt, Criteria: prompt,
				MockData: []MockData{{Name: "customer_name", Value: "Dana Whitfield"}},
			})
		}
		gated = append(gated, row)
	}
	r := judged("agent_big", big.AgentName, gated, nil, tcs, 40, gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1}, inputs("agent_big"))
	md := Markdown([]Result{r})
	if len(md) > summaryBudget {
		t.Errorf("the summary is %d bytes, over summaryBudget %d", len(md), summaryBudget)
	}
	if len(md) < summaryBudget/2 {
		t.Errorf("the summary is only %d bytes: the budget is not used", len(md))
	}
	if !strings.Contains(md, "left out: the job summary is limited to 1 MB") {
		t.Error("the summary does not say that test cases were left out")
	}
	checkMarkdown(t, md)

	// Several such agents: each keeps its section; the details of the
	// first take what the later sections leave, and are said to be cut.
	md = Markdown([]Result{r, r, r})
	if len(md) > summaryBudget {
		t.Errorf("three agents: the summary is %d bytes, over summaryBudget %d", len(md), summaryBudget)
	}
	checkMarkdown(t, md)
	if n := strings.Count(md, "\n### "); n != 3 {
		t.Errorf("three agents: %d sections, want 3", n)
	}
	if !strings.Contains(md, "left out: the job summary is limited to 1 MB") {
		t.Error("three agents: the summary does not say that test cases were left out")
	}
}

// TestJSONSize: batch details go before the JSON report would outgrow a
// step output.
func TestJSONSize(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("<batch_&_\"id\">", 100)
	var gated, baseline []Row
	big := sampleOf("agent_big", "passing")
	for i := range 200 {
		row := big.Rows[i%len(big.Rows)]
		row.Batch.ID = fmt.Sprintf("%s_%03d", long, i)
		if i < 100 {
			gated = append(gated, row)
		} else {
			baseline = append(baseline, row)
		}
	}
	in := inputs("agent_big", "batches", "100", "baseline-batches", "100", "batch-id", long)
	r := judged("agent_big", big.AgentName, gated, baseline, big.TestCases, 100, gate.Rules{MaxFailureRate: rate("10%"), MinAttempts: 1,
		MaxRegression: rate("5%"), Confidence: 0.95, MaxAge: time.Hour}, in)
	js := JSON([]Result{r})
	checkJSON(t, js)
	var got struct {
		Result  string   `json:"result"`
		Omitted []string `json:"omitted"`
		Agents  []struct {
			Rules []any `json:"rules"`
		} `json:"agents"`
	}
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatal(err)
	}
	if got.Result != string(r.Gate.Verdict) || len(got.Agents) != 1 || len(got.Agents[0].Rules) != len(r.Gate.Checks) || len(got.Omitted) == 0 || got.Omitted[0] != "batches" {
		t.Errorf("JSON = result %q, %d agents, omitted %q; want result %q, one agent with %d rules, batches omitted",
			got.Result, len(got.Agents), got.Omitted, r.Gate.Verdict, len(r.Gate.Checks))
	}

	// Texts that no cutting of details can shrink: the agent's own id and
	// name, a long error.
	huge := strings.Repeat("<&>\u2028", 30000)
	for _, r := range []Result{
		{AgentID: huge, AgentName: huge, Inputs: map[string]string{"agent-id": huge}, Err: huge, Hint: huge},
		{AgentID: huge, AgentName: huge, Inputs: map[string]string{"agent-id": huge}, Gate: r.Gate, Rows: r.Rows, TestCases: r.TestCases},
	} {
		js := JSON([]Result{r})
		checkJSON(t, js)
		checkMarkdown(t, Markdown([]Result{r}))
	}
}

// TestMarkdownBudget cuts the summary at every budget and checks that it
// stays within it, stays well formed, and says what it left out.
func TestMarkdownBudget(t *testing.T) {
	t.Parallel()
	var results []Result
	for _, tc := range goldenCases() {
		results = append(results, tc.r)
	}
	for _, set := range [][]Result{results[:1], results[1:2], results[9:10], results} {
		full := markdown(set, 1<<30)
		// The smallest budget that the report promises to keep: room for the
		// line that says all was left out.
		const least = 200
		// Every budget of the small sets; about 600 odd-stepped ones of
		// the large.
		step := max(len(full)/600, 1) | 1
		if testing.Short() {
			step = max(len(full)/100, 1) | 1
		}
		const slack = 500
		for budget := least; budget <= len(full)+slack+step; budget += step {
			md := markdown(set, budget)
			if len(md) > budget {
				t.Fatalf("budget %d of %d: the summary is %d bytes", budget, len(full), len(md))
			}
			if p := problems(md); len(p) > 0 {
				t.Fatalf("budget %d of %d: %s", budget, len(full), strings.Join(p, "\n"))
			}
			if md != full && !strings.Contains(md, "left out") {
				t.Fatalf("budget %d of %d: details were cut without a word:\n%s", budget, len(full), md)
			}
			// Cutting keeps room for the lines that say what was cut: a
			// few hundred bytes.
			if budget >= len(full)+slack && md != full {
				t.Fatalf("budget %d of %d: the summary was cut though it fits", budget, len(full))
			}
		}
	}
}

func TestBar(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "░░░░░░░░░░"},
		{0.0001, "▏░░░░░░░░░"},
		{0.1, "█░░░░░░░░░"},
		{1.0 / 6, "█▋░░░░░░░░"},
		{0.5, "█████░░░░░"},
		{0.95, "█████████▌"},
		{0.999, "█████████▉"},
		{1, "██████████"},
		{2, "██████████"},
		{math.Inf(1), "██████████"},
		{-1, "░░░░░░░░░░"},
		{math.NaN(), "░░░░░░░░░░"},
	} {
		got := Bar(tc.f)
		if got != tc.want {
			t.Errorf("Bar(%v) = %q, want %q", tc.f, got, tc.want)
		}
		if n := utf8.RuneCountInString(got); n != 10 {
			t.Errorf("Bar(%v) is %d cells wide, want 10", tc.f, n)
		}
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 30) // 150 runes
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"short line", 20, "short line"},
		{"one two three four", 9, "one two\nthree\nfour"},
		{"exactly nine", 12, "exactly nine"},
		{"abcdefghij", 4, "abcd\nefgh\nij"},
		{"ab   cd", 2, "ab\ncd"},
		{"keep\n\nbreaks", 4, "keep\n\nbreaks"[:6] + "brea\nks"},
		{"héllo wörld", 6, "héllo\nwörld"},
		{long, 100, strings.TrimSpace(strings.Repeat("word ", 20)) + "\n" + strings.Repeat("word ", 10)},
	} {
		if got := wrap(tc.in, tc.width); got != tc.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func FuzzWrap(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, 10)
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		if width < 1 || width > 200 {
			return
		}
		got := wrap(s, width)
		for _, l := range strings.Split(got, "\n") {
			if n := utf8.RuneCountInString(l); n > width {
				t.Fatalf("wrap(%q, %d): a line of %d runes: %q", s, width, n, l)
			}
		}
		// Only breaks and the spaces they replace change.
		squeeze := func(text string) string { return strings.Join(strings.Fields(text), "") }
		if squeeze(got) != squeeze(s) {
			t.Fatalf("wrap(%q, %d) = %q changed the text", s, width, got)
		}
	})
}
