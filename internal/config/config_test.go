package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/gate"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnvReadsTheRunnersNames(t *testing.T) {
	t.Parallel()
	got, err := FromEnv(context.Background(), getenv(map[string]string{
		"INPUT_API-KEY":          " key ",
		"INPUT_AGENT-ID":         "agent_x",
		"INPUT_MAX-FAILURE-RATE": " 10% ",
		"INPUT_BATCHES":          "",  // declared but not given: the default
		"INPUT_MIN_ATTEMPTS":     "7", // underscores work too
		"INPUT_SUMMARY":          "\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Raw{
		APIKey: "key", AgentID: "agent_x", APIURL: "https://api.sigmamind.ai", Batches: "1", MaxFailureRate: "10%",
		MinAttempts: "7", OnInconclusive: "fail", MaxRuns: "1", BaselineBatches: "0", MaxRegression: "5%",
		WarnOnly: "false", OnError: "fail", Summary: "true", Timeout: "2m", Retries: "3", PRComment: "off",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestFlagsOverrideAndMirrorInputs(t *testing.T) {
	t.Parallel()
	r, _ := FromEnv(context.Background(), getenv(map[string]string{"INPUT_BATCHES": "2"}))
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	Flags(fs, &r)
	if err := fs.Parse([]string{"--agent-id", "agent_y", "--warn-only", "--max-failure-rate=5%"}); err != nil {
		t.Fatal(err)
	}
	if r.AgentID != "agent_y" || r.WarnOnly != "true" || r.MaxFailureRate != "5%" || r.Batches != "2" {
		t.Errorf("got %+v", r)
	}
	// An empty flag means the default, never "off".
	if err := fs.Parse([]string{"--max-failure-rate", "", "--max-regression=", "--min-success-rate", " "}); err != nil {
		t.Fatal(err)
	}
	if r.MaxFailureRate != "0" || r.MaxRegression != "5%" || r.MinSuccessRate != "" {
		t.Errorf("empty flags: max-failure-rate %q, max-regression %q, min-success-rate %q; want the defaults 0, 5%%, empty",
			r.MaxFailureRate, r.MaxRegression, r.MinSuccessRate)
	}
	for _, in := range Inputs() {
		if fs.Lookup(in.Name) == nil {
			t.Errorf("no flag for input %s", in.Name)
		}
	}
}

func valid() Raw {
	r, _ := FromEnv(context.Background(), getenv(map[string]string{"INPUT_API-KEY": "sk-valid-key", "INPUT_AGENT-ID": "agent_x"}))
	return r
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	c, err := Parse(valid())
	if err != nil {
		t.Fatal(err)
	}
	zero := gate.MustRate("0")
	want := Config{
		APIKey: "sk-valid-key", AgentIDs: []string{"agent_x"}, AgentID: "agent_x", APIURL: "https://api.sigmamind.ai", Batches: 1, MaxRuns: 1,
		Rules:          gate.Rules{MaxFailureRate: &zero, MinAttempts: 1},
		OnInconclusive: "fail", OnError: "fail", Summary: true, Timeout: 2 * time.Minute, Retries: 3, PRComment: "off",
	}
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(gate.Rate{})); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Raw)
		want string // "" means valid
	}{
		{"https", func(r *Raw) { r.APIURL = "https://proxy.example.com/sigmamind/" }, ""},
		{"http loopback", func(r *Raw) { r.APIURL = "http://127.0.0.1:8089" }, ""},
		{"http localhost", func(r *Raw) { r.APIURL = "http://localhost:8089" }, ""},
		{"http ipv6 loopback", func(r *Raw) { r.APIURL = "http://[::1]:8089" }, ""},
		{"http elsewhere", func(r *Raw) { r.APIURL = "http://10.0.0.1" }, "input api-url: \"http://10.0.0.1\" uses http"},
		{"http lookalike", func(r *Raw) { r.APIURL = "http://localhost.example.com" }, "uses http"},
		{"credentials in url", func(r *Raw) { r.APIURL = "https://user:pw@api.example.com" }, "must not contain credentials"},
		{"not a url", func(r *Raw) { r.APIURL = "api.sigmamind.ai" }, "is not a URL"},
		{"ftp", func(r *Raw) { r.APIURL = "ftp://api.example.com" }, "the scheme must be https"},
		{"no key", func(r *Raw) { r.APIKey = "" }, "input api-key: is required"},
		{"key with newline", func(r *Raw) { r.APIKey = "sk-valid\nkey" }, "control character"},
		{"no agent", func(r *Raw) { r.AgentID = "" }, "input agent-id: is required"},
		{"agent with space", func(r *Raw) { r.AgentID = "agent x" }, "input agent-id: \"agent x\" is not an id"},
		{"bare agent id", func(r *Raw) { r.AgentID = "D5D0p7TUs66TTAEAx" }, ""},
		{"agents", func(r *Raw) { r.AgentID = "agent_a, agent_b\nagent_c,\r\n agent_d ," }, ""},
		{"agents repeated", func(r *Raw) { r.AgentID = "agent_a,agent_a" }, ""},
		{"agent spelled twice", func(r *Raw) { r.AgentID = "agent_a,a" }, `input agent-id: names one agent twice, as "agent_a" and "a"`},
		{"agents only commas", func(r *Raw) { r.AgentID = " , ,\n" }, "names no agent"},
		{"agents with space", func(r *Raw) { r.AgentID = "agent_a agent_b" }, `"agent_a agent_b" is not an id`},
		{"agent markup", func(r *Raw) { r.AgentID = "agent_a\n<b>x</b>" }, `input agent-id: "<b>x</b>" is not an id`},
		{"agents 50", func(r *Raw) { r.AgentID = agentList(50) }, ""},
		{"agents 51", func(r *Raw) { r.AgentID = agentList(51) }, "names 51 agents, more than 50"},
		{"agents with test case ids", func(r *Raw) { r.AgentID = "agent_a,agent_b"; r.RunTestCases = "tc_1" }, "input run-test-cases: names test case ids, but agent-id names 2 agents"},
		{"agents with all", func(r *Raw) { r.AgentID = "agent_a,agent_b"; r.RunTestCases = "all" }, ""},
		{"pr-comment always", func(r *Raw) { r.PRComment = "always"; r.GitHubToken = "ghs_0123456789abcdef" }, ""},
		{"pr-comment failures", func(r *Raw) { r.PRComment = "failures"; r.GitHubToken = "ghs_0123456789abcdef" }, ""},
		{"pr-comment unknown", func(r *Raw) { r.PRComment = "yes" }, `input pr-comment: "yes" is not one of off, always, failures`},
		{"pr-comment without a token", func(r *Raw) { r.PRComment = "always" }, ""},
		{"token with a line break", func(r *Raw) { r.PRComment = "always"; r.GitHubToken = "ghs_0123\n456789" }, "input github-token: contains white space"},
		{"short token", func(r *Raw) { r.PRComment = "always"; r.GitHubToken = "ghs_1" }, "input github-token: is shorter than 8"},
		{"short token unused", func(r *Raw) { r.GitHubToken = "ghs_1" }, ""},
		{"agents with batch id", func(r *Raw) { r.AgentID = "agent_a,agent_b"; r.BatchID = "batch_1" }, "input batch-id: is set, but agent-id names 2 agents"},
		{"batch id", func(r *Raw) { r.BatchID = "batch_s0OJu2JWR8R45Fai" }, ""},
		{"batch id with newline", func(r *Raw) { r.BatchID = "b\n::error::x" }, "input batch-id"},
		{"batches 100", func(r *Raw) { r.Batches = "100" }, ""},
		{"batches 101", func(r *Raw) { r.Batches = "101" }, "input batches: \"101\" is not a whole number from 1 to 100"},
		{"batches hex", func(r *Raw) { r.Batches = "0x10" }, "input batches"},
		{"batches sign", func(r *Raw) { r.Batches = "+3" }, "input batches"},
		{"rate percent", func(r *Raw) { r.MaxFailureRate = "12.5%" }, ""},
		{"rate too large", func(r *Raw) { r.MaxFailureRate = "10" }, "or a percentage such as 10%"},
		{"success rate", func(r *Raw) { r.MinSuccessRate = "0.9" }, ""},
		{"success rate bad", func(r *Raw) { r.MinSuccessRate = "ninety" }, "input min-success-rate"},
		{"failed attempts", func(r *Raw) { r.MaxFailedAttempts = "2" }, ""},
		{"failed attempts negative", func(r *Raw) { r.MaxFailedAttempts = "-2" }, "input max-failed-attempts"},
		{"confidence", func(r *Raw) { r.Confidence = "95%"; r.MaxFailureRate = "5%" }, ""},
		{"confidence with a zero limit", func(r *Raw) { r.Confidence = "0.95" }, "input max-failure-rate: is 0 (its default), which no number of attempts can show with confidence"},
		{"confidence with a full success limit", func(r *Raw) { r.Confidence = "0.95"; r.MaxFailureRate = "5%"; r.MinSuccessRate = "100%" }, "input min-success-rate: is 100%"},
		{"confidence too low", func(r *Raw) { r.Confidence = "0.4"; r.MaxFailureRate = "5%" }, "input confidence"},
		{"confidence one", func(r *Raw) { r.Confidence = "1" }, "input confidence"},
		{"on-inconclusive", func(r *Raw) { r.OnInconclusive = "ignore" }, "input on-inconclusive: \"ignore\" is not one of fail, warn, pass"},
		{"wait", func(r *Raw) { r.Wait = "10m" }, ""},
		{"wait negative", func(r *Raw) { r.Wait = "-1m" }, "input wait"},
		{"max-age days", func(r *Raw) { r.MaxAge = "7d" }, ""},
		{"max-age mixed", func(r *Raw) { r.MaxAge = "1d12h" }, ""},
		{"max-age too short", func(r *Raw) { r.MaxAge = "10s" }, "too short"},
		{"max-age bad", func(r *Raw) { r.MaxAge = "a week" }, "input max-age: \"a week\" is not a duration"},
		{"baseline", func(r *Raw) { r.BaselineBatches = "5" }, ""},
		{"regression bad", func(r *Raw) { r.MaxRegression = "lots" }, "input max-regression"},
		{"boolean", func(r *Raw) { r.WarnOnly = "TRUE" }, ""},
		{"boolean yes", func(r *Raw) { r.WarnOnly = "yes" }, "input warn-only"},
		{"on-error", func(r *Raw) { r.OnError = "Warn" }, "input on-error"},
		{"summary", func(r *Raw) { r.Summary = "False" }, ""},
		{"timeout zero", func(r *Raw) { r.Timeout = "0" }, "input timeout: \"0\" is too short"},
		{"timeout", func(r *Raw) { r.Timeout = "90s" }, ""},
		{"retries", func(r *Raw) { r.Retries = "11" }, "input retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.edit(&r)
			_, err := Parse(r)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
			var ie *InputError
			if err != nil && !errors.As(err, &ie) {
				t.Errorf("error %v is not an *InputError", err)
			}
		})
	}
}

func TestParseReportsEveryProblemAndNeverTheKey(t *testing.T) {
	t.Parallel()
	r := valid()
	r.APIKey = "sk-secret\x01"
	r.Batches, r.Timeout, r.MaxFailureRate = "0", "soon", "2"
	_, err := Parse(r)
	if err == nil {
		t.Fatal("no error")
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 4 {
		t.Errorf("%d problems reported, want 4: %v", n, err)
	}
	if strings.Contains(err.Error(), "sk-secret") {
		t.Errorf("the key appears in %q", err)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true}, {"90s", 90 * time.Second, true}, {"10m", 10 * time.Minute, true}, {"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true}, {"1d12h", 36 * time.Hour, true}, {"0d", 0, true},
		{"", 0, false}, {"-1m", 0, false}, {"d", 0, false}, {"1.5d", 0, false}, {"10", 0, false}, {"1h1d", 0, false},
		{"99999d", 0, false}, {"+5m", 0, false}, {"5 m", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "90s", "7d", "1d12h", "-1m", "1h1d", "99999d", "1.5h", "1e3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !strings.Contains(err.Error(), "is not a duration") {
				t.Errorf("ParseDuration(%q): unhelpful error %v", s, err)
			}
			return
		}
		if d < 0 {
			t.Errorf("ParseDuration(%q) = %v, negative", s, d)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add("agent_x", "10%", "3", "2m", "7d", "0.95")
	f.Add("", "x", "-1", "soon", "1h1d", "1")
	f.Fuzz(func(t *testing.T, agent, rate, batches, timeout, maxAge, conf string) {
		r := valid()
		r.AgentID, r.MaxFailureRate, r.Batches, r.Timeout, r.MaxAge, r.Confidence = agent, rate, batches, timeout, maxAge, conf
		c, err := Parse(r)
		if err != nil {
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ie *InputError
				if !errors.As(e, &ie) || ie.Problem == "" {
					t.Errorf("problem without input: %v", e)
				}
			}
			return
		}
		if c.Batches < 1 || c.Batches > 100 || c.Timeout < time.Second || c.Rules.Confidence != 0 && (c.Rules.Confidence < 0.5 || c.Rules.Confidence >= 1) {
			t.Errorf("accepted out-of-range config %+v", c)
		}
	})
}

func agentList(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("agent_%d", i)
	}
	return strings.Join(ids, ",")
}

func TestParseAgents(t *testing.T) {
	t.Parallel()
	r := valid()
	r.AgentID = "agent_b,\n agent_a , agent_b\n\nagent_c"
	c, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"agent_b", "agent_a", "agent_c"}, c.AgentIDs); diff != "" {
		t.Errorf("AgentIDs (-want +got):\n%s", diff)
	}
	if c.AgentID != "agent_b" || c.For("agent_c").AgentID != "agent_c" || c.AgentID != "agent_b" {
		t.Errorf("AgentID %q, For(agent_c) %q: want the first, then the one chosen, without changing c", c.AgentID, c.For("agent_c").AgentID)
	}
}
