// Package config reads the gate's inputs, from a GitHub Actions step's
// INPUT_* environment or from command-line flags, and checks them all before
// anything talks to the API.
package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sethvargo/go-envconfig"
	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// Raw holds every input as the text the user gave, defaults applied. Its
// tags are the one list of inputs: the environment keys, the flags, their
// defaults and help all come from here, and a test holds action.yml and the
// README to it. Each help text is action.yml's description of the input,
// word for word.
type Raw struct {
	APIKey            string `env:"API_KEY" secret:"true" help:"SigmaMind API key, sent as X-API-Key, at least 8 characters. Pass it from a repository secret; on the command line, prefer the SIGMAMIND_API_KEY environment variable."`
	AgentID           string `env:"AGENT_ID" help:"The agent whose batch runs are gated, e.g. agent_D5D0p7TUs66TTAEAx, or several separated by commas or newlines: each is judged on its own, and the worst verdict decides (error, fail, inconclusive, pass)."`
	APIURL            string `env:"API_URL, default=https://api.sigmamind.ai" help:"API base URL; https, or http to a loopback host (127.0.0.0/8, ::1, localhost)."`
	BatchID           string `env:"BATCH_ID" help:"Gate this batch run (and the older ones that batches adds) instead of the newest."`
	RunTestCases      string `env:"RUN_TEST_CASES" help:"Start a batch run and judge it instead of existing ones: all (every test case of the agent), or test case ids separated by commas, spaces or newlines (empty: judge existing batch runs)."`
	MaxRuns           string `env:"MAX_RUNS, default=1" help:"The most batch runs one step may start (1 to 20); above 1 it needs confidence, and starts another run of the same test cases while the pooled verdict is inconclusive."`
	Batches           string `env:"BATCHES, default=1" help:"How many of the newest batch runs to gate together; their counts are pooled (1 to 100)."`
	MaxFailureRate    string `env:"MAX_FAILURE_RATE, default=0" help:"Highest allowed failure rate, (failed + undecided) / total attempts: 0.1 or 10%."`
	MinSuccessRate    string `env:"MIN_SUCCESS_RATE" help:"Lowest allowed success rate, successful / total attempts (empty: off)."`
	MaxFailedAttempts string `env:"MAX_FAILED_ATTEMPTS" help:"Highest allowed number of failed and undecided attempts (empty: off)."`
	MinAttempts       string `env:"MIN_ATTEMPTS, default=1" help:"Fewest executed attempts that count as evidence; fewer fails the gate."`
	Confidence        string `env:"CONFIDENCE" help:"Judge rate rules on exact Clopper-Pearson bounds at this level, e.g. 0.95 (empty: off, judge the observed rates)."`
	OnInconclusive    string `env:"ON_INCONCLUSIVE, default=fail" help:"What an inconclusive verdict does: fail (exit 1), warn (exit 0 with a warning) or pass."`
	Wait              string `env:"WAIT" help:"Wait up to this long for gated batch runs that are still running, e.g. 10m (0: do not wait; empty: 0 when judging existing batch runs, 30m when run-test-cases starts them)."`
	MaxAge            string `env:"MAX_AGE" help:"Fail when the newest gated batch run is older than this, e.g. 90m, 24h or 7d (empty: off)."`
	BaselineBatches   string `env:"BASELINE_BATCHES, default=0" help:"Compare with this many older batch runs to catch regressions; 0 turns regression checks off."`
	MaxRegression     string `env:"MAX_REGRESSION, default=5%" help:"Highest allowed rise of the failure rate over the baseline, in points: 0.05 or 5%."`
	WarnOnly          string `env:"WARN_ONLY, default=false" help:"Judge and report, but annotate a failure as a warning and exit 0."`
	OnError           string `env:"ON_ERROR, default=fail" help:"What an API failure does: fail (exit 3), or warn: an outage (network failure, timeout, 429 or 5xx after retries) exits 0 with a warning, and anything re-running will not cure (a refused key, an unknown agent or batch, a redirect, an answer that is not the API's, impossible data, an untrusted certificate) still exits 3."`
	Summary           string `env:"SUMMARY, default=true" help:"Write the job summary (outside GitHub Actions: the report, to standard output)."`
	Timeout           string `env:"TIMEOUT, default=2m" help:"Limit for all talk with the API, retries included (wait adds to it)."`
	Retries           string `env:"RETRIES, default=3" help:"How often a request that may pass later (429, 500, 502, 503, 504, network failure) is retried."`
	JUnitFile         string `env:"JUNIT_FILE" help:"Write a JUnit XML report here, one test case per rule (a path in the workspace; missing folders are created; empty: none)."`
	ReportFile        string `env:"REPORT_FILE" help:"Write the complete JSON report here (a path in the workspace; missing folders are created; empty: none)."`
	BatchURLTemplate  string `env:"BATCH_URL_TEMPLATE" help:"Link each batch run to this URL, e.g. https://app.example/agents/{agentId}/batches/{batchId}: https only, placeholders {agentId} and {batchId} only (empty: no links)."`
	PRComment         string `env:"PR_COMMENT, default=off" help:"Comment on the pull request: off; always: one comment, created once and updated in place on every run; failures: created only when the verdict is not a pass, but an existing one is always updated."`
	GitHubToken       string `env:"GITHUB_TOKEN" secret:"true" action:"${{ github.token }}" help:"Token for pr-comment, which needs pull-requests: write; the job's token by default (on the command line: the GITHUB_TOKEN environment variable)."`
}

// Input describes one field of Raw.
type Input struct {
	Name    string // kebab-case, as in action.yml and flags
	EnvKey  string // as in the env tag, e.g. AGENT_ID
	Default string
	// ActionDefault, when not empty, is action.yml's default instead: an
	// expression the runner evaluates, such as the job's token.
	ActionDefault string
	Help          string
	// Secret inputs are masked, redacted and never recorded in a report.
	Secret bool
	field  int
}

// TrendRows is how many batch runs the summary's trend shows, newest first:
// enough to see a trend. It is no input; the gate reads that many, besides
// the ones it judges.
const TrendRows = 10

// Inputs lists the inputs in declaration order.
func Inputs() []Input {
	t := reflect.TypeFor[Raw]()
	ins := make([]Input, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		key, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		in := Input{EnvKey: key, Name: strings.ToLower(strings.ReplaceAll(key, "_", "-")), Help: f.Tag.Get("help"), field: i,
			ActionDefault: f.Tag.Get("action"), Secret: f.Tag.Get("secret") == "true"}
		if _, def, ok := strings.Cut(opts, "default="); ok {
			in.Default = def
		}
		ins = append(ins, in)
	}
	return ins
}

func (r *Raw) field(in Input) *string {
	return reflect.ValueOf(r).Elem().Field(in.field).Addr().Interface().(*string)
}

// inputLookuper finds an input as the runner exports it. The runner keeps
// hyphens (INPUT_AGENT-ID), which envconfig cannot name, and exports every
// declared input, empty when not given; empty must mean "use the default".
type inputLookuper struct{ getenv func(string) string }

func (l inputLookuper) Lookup(key string) (string, bool) {
	for _, k := range []string{"INPUT_" + strings.ReplaceAll(key, "_", "-"), "INPUT_" + key} {
		if v := strings.TrimSpace(l.getenv(k)); v != "" {
			return v, true
		}
	}
	return "", false
}

// FromEnv reads the inputs of a GitHub Actions step.
func FromEnv(ctx context.Context, getenv func(string) string) (Raw, error) {
	var r Raw
	err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &r, Lookuper: inputLookuper{getenv}})
	return r, err
}

// Flags adds a flag for every input to fs, each overriding r's value when
// given. Boolean inputs also work as bare flags (--warn-only). An empty value
// means the default, as an empty input does in GitHub Actions, so that
// --max-failure-rate "$UNSET" cannot turn a rule off.
func Flags(fs *flag.FlagSet, r *Raw) {
	for _, in := range Inputs() {
		v := &flagValue{p: r.field(in), def: in.Default, boolean: in.Default == "true" || in.Default == "false"}
		fs.Var(v, in.Name, in.Help)
	}
}

type flagValue struct {
	p       *string
	def     string
	boolean bool
}

// String is what flag.PrintDefaults shows as the default.
func (v *flagValue) String() string {
	if v == nil {
		return ""
	}
	return v.def
}

func (v *flagValue) Set(s string) error {
	*v.p = strings.TrimSpace(s)
	if *v.p == "" {
		*v.p = v.def
	}
	return nil
}

func (v *flagValue) IsBoolFlag() bool { return v.boolean }

// Config is the checked configuration.
type Config struct {
	APIKey string
	// AgentIDs are the agents to judge, each once, in the order given.
	// AgentID is the one this configuration is for: the first, or the one
	// For chose.
	AgentIDs       []string
	AgentID        string
	APIURL         string
	BatchID        string
	Batches        int
	Rules          gate.Rules
	OnInconclusive string // fail, warn or pass
	Wait           time.Duration
	Baseline       int
	WarnOnly       bool
	OnError        string // fail or warn
	Summary        bool
	Timeout        time.Duration
	Retries        int

	// RunAll starts a batch run of every test case of the agent; otherwise
	// RunTestCases, when not empty, are the test cases to start one with.
	RunAll       bool
	RunTestCases []string
	MaxRuns      int

	// JUnitFile and ReportFile are where to write the JUnit and the JSON
	// report, absolute paths inside the workspace; empty: nowhere.
	JUnitFile, ReportFile string

	// BatchURLTemplate links each batch run: an https URL with the
	// placeholders {agentId} and {batchId}; empty: no links.
	BatchURLTemplate string

	// PRComment is off, always or failures; GitHubToken is the token
	// that comments.
	PRComment   string
	GitHubToken string
}

// InputError is one invalid input.
type InputError struct {
	Input   string
	Problem string
}

func (e *InputError) Error() string { return "input " + e.Input + ": " + e.Problem }

// Parse checks every input and returns all problems at once, so that a
// workflow author fixes them in one round.
func Parse(r Raw) (Config, error) {
	p := parser{}
	// The required inputs first: with many problems, they are the ones the
	// annotations, capped at ten, must show.
	if r.APIKey == "" {
		p.add("api-key", "is required and was empty. Pass it from a secret: `api-key: ${{ secrets.SIGMAMIND_API_KEY }}` (on the command line: the SIGMAMIND_API_KEY environment variable). "+
			"Workflows triggered by pull requests from forks receive no secrets; see the README section \"Pull requests from forks\"")
	} else if problem := APIKeyProblem(r.APIKey); problem != "" {
		p.add("api-key", problem)
	}
	if r.AgentID == "" {
		p.add("agent-id", "is required and was empty: give the id of the agent to gate, e.g. agent_D5D0p7TUs66TTAEAx, from the agent's page in SigmaMind")
	}
	agents := p.agents("agent-id", r.AgentID)
	c := Config{
		APIKey:         r.APIKey,
		AgentIDs:       agents,
		APIURL:         p.url("api-url", r.APIURL),
		Batches:        int(p.count("batches", r.Batches, 1, 100)),
		OnInconclusive: p.oneOf("on-inconclusive", r.OnInconclusive, "fail", "warn", "pass"),
		MaxRuns:        int(p.count("max-runs", r.MaxRuns, 1, MaxRuns)),
		Baseline:       int(p.count("baseline-batches", r.BaselineBatches, 0, 100)),
		WarnOnly:       p.boolean("warn-only", r.WarnOnly),
		OnError:        p.oneOf("on-error", r.OnError, "fail", "warn"),
		Summary:        p.boolean("summary", r.Summary),
		Timeout:        p.duration("timeout", r.Timeout, time.Second),
		Retries:        int(p.count("retries", r.Retries, 0, 10)),
	}
	if r.BatchID != "" {
		c.BatchID = p.id("batch-id", r.BatchID)
	}
	if len(agents) > 0 {
		c.AgentID = agents[0]
	}
	c.RunAll, c.RunTestCases = p.testCases("run-test-cases", r.RunTestCases)
	starts := c.Starts()
	if len(agents) > 1 {
		// Test case ids belong to one agent; all means each agent's own.
		if len(c.RunTestCases) > 0 {
			p.add("run-test-cases", fmt.Sprintf("names test case ids, but agent-id names %d agents, and test cases belong to one agent: give all, or one agent per step (a matrix)", len(agents)))
		}
		if r.BatchID != "" {
			p.add("batch-id", fmt.Sprintf("is set, but agent-id names %d agents, and a batch run belongs to one agent: leave batch-id empty, or name one agent", len(agents)))
		}
	}
	switch {
	case r.Wait != "":
		c.Wait = p.duration("wait", r.Wait, 0)
	case starts:
		c.Wait = DefaultStartWait
	}
	if starts && r.BatchID != "" {
		p.add("batch-id", "cannot be combined with run-test-cases: the gate judges the batch runs it starts; leave batch-id empty, or run-test-cases to judge an existing batch run")
	}
	if c.MaxRuns > 1 && !starts {
		p.add("max-runs", fmt.Sprintf("is %d, but run-test-cases is empty: only batch runs the gate starts can be repeated; set run-test-cases, or max-runs to 1", c.MaxRuns))
	}
	c.Rules.MaxFailureRate = p.rate("max-failure-rate", r.MaxFailureRate)
	c.Rules.MinSuccessRate = p.rate("min-success-rate", r.MinSuccessRate)
	if r.MaxFailedAttempts != "" {
		n := p.count("max-failed-attempts", r.MaxFailedAttempts, 0, 1<<50)
		c.Rules.MaxFailedAttempts = &n
	}
	c.Rules.MinAttempts = p.count("min-attempts", r.MinAttempts, 0, 1<<50)
	if r.Confidence != "" {
		// A level is a rate, but the rate's own advice ("2%") would mislead.
		switch conf, err := gate.ParseRate(r.Confidence); {
		case err != nil:
			p.add("confidence", fmt.Sprintf("%q is not a confidence level: give one from 0.5 up to but not including 1, e.g. 0.95 or 95%%", r.Confidence))
		case conf.Float64() < 0.5 || conf.Float64() >= 1:
			p.add("confidence", fmt.Sprintf("%q is outside the accepted range: give a level from 0.5 up to but not including 1, e.g. 0.95 or 95%%", r.Confidence))
		default:
			c.Rules.Confidence = conf.Float64()
		}
	}
	if c.Rules.Confidence > 0 {
		// No number of attempts shows a rate of exactly 0 or 1 with
		// confidence: such a gate would be inconclusive forever.
		if l := c.Rules.MaxFailureRate; l != nil && l.Float64() == 0 {
			p.add("max-failure-rate", "is 0 (its default), which no number of attempts can show with confidence: set a positive limit such as 5%, or 100% to leave failures to the other rules")
		}
		if l := c.Rules.MinSuccessRate; l != nil && l.Float64() == 1 {
			p.add("min-success-rate", "is 100%, which no number of attempts can show with confidence: set a limit below 1 such as 95% to use confidence")
		}
	}
	if c.MaxRuns > 1 && c.Rules.Confidence == 0 {
		// Judged at the observed rate, every look would be another chance
		// of a wrong verdict, with nothing to bound them.
		p.add("max-runs", fmt.Sprintf("is %d, which needs confidence: runs judged one after another keep the chance of a wrong verdict bounded only with a confidence level; set confidence (e.g. 0.95), or max-runs to 1", c.MaxRuns))
	}
	if r.MaxAge != "" {
		c.Rules.MaxAge = p.duration("max-age", r.MaxAge, time.Minute)
	}
	if c.Baseline > 0 {
		c.Rules.MaxRegression = p.rate("max-regression", r.MaxRegression)
	} else if r.MaxRegression != "" {
		p.rate("max-regression", r.MaxRegression) // still report a malformed value
	}
	c.JUnitFile = p.file("junit-file", r.JUnitFile)
	c.ReportFile = p.file("report-file", r.ReportFile)
	if r.BatchURLTemplate != "" {
		c.BatchURLTemplate = p.template("batch-url-template", r.BatchURLTemplate)
	}
	c.PRComment = p.oneOf("pr-comment", r.PRComment, "off", "always", "failures")
	c.GitHubToken = r.GitHubToken
	if c.PRComment != "off" {
		switch {
		// An empty token is no input error: off pull requests no comment
		// is written anyway, and on one the comment step warns (act and
		// other local runners give no job token).
		case r.GitHubToken == "":
		case strings.ContainsFunc(r.GitHubToken, unicode.IsControl) || strings.ContainsRune(r.GitHubToken, ' '):
			p.add("github-token", "contains white space or a control character (a line break?): copy the token again without it")
		case utf8.RuneCountInString(r.GitHubToken) < MinAPIKeyLength:
			p.add("github-token", fmt.Sprintf("is shorter than %d characters, so it is not a whole token, and a value that short could not be kept out of the logs: give the whole token", MinAPIKeyLength))
		}
	}
	if c.JUnitFile != "" && c.JUnitFile == c.ReportFile {
		p.add("report-file", fmt.Sprintf("%q is also junit-file: give the reports different paths", r.ReportFile))
	}
	return c, errors.Join(p.errs...)
}

// Secrets are the values no output may show: the key, and the token when it
// is long enough to be one (a shorter one is refused when it would be used,
// and redacting it would garble every message).
func (c Config) Secrets() []string {
	out := []string{c.APIKey}
	if utf8.RuneCountInString(c.GitHubToken) >= MinAPIKeyLength {
		out = append(out, c.GitHubToken)
	}
	return out
}

// For returns the configuration for one of the agents.
func (c Config) For(agentID string) Config {
	c.AgentID = agentID
	return c
}

// MaxAgents bounds how many agents one step judges: each costs requests,
// and the job summary has room for a section each.
const MaxAgents = 50

// agents reads agent-id: ids separated by commas and line breaks, each
// kept once, in the order given.
func (p *parser) agents(input, s string) []string {
	var ids []string
	seen := map[string]string{} // by the id without its agent_ prefix
	bad := false
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !idPattern.MatchString(f) {
			p.add(input, fmt.Sprintf("%q is not an id: ids are up to 128 letters, digits, '_', '-', '.' or ':', and several are separated by commas or newlines", f))
			bad = true
			continue
		}
		// The API names an agent with and without its prefix: two
		// spellings of one agent would judge it twice, in one verdict.
		bare := strings.TrimPrefix(f, "agent_")
		switch prev, dup := seen[bare]; {
		case dup && prev == f:
			continue
		case dup:
			p.add(input, fmt.Sprintf("names one agent twice, as %q and %q: give each agent once", prev, f))
			bad = true
			continue
		}
		seen[bare] = f
		ids = append(ids, f)
	}
	if s != "" && len(ids) == 0 && !bad {
		p.add(input, fmt.Sprintf("%q names no agent: give an agent id, e.g. agent_D5D0p7TUs66TTAEAx, or several separated by commas", s))
	}
	if len(ids) > MaxAgents {
		p.add(input, fmt.Sprintf("names %d agents, more than %d: split them among steps or matrix jobs", len(ids), MaxAgents))
	}
	return ids
}

// MaxRuns bounds max-runs: each run costs simulated attempts, and planning
// the looks of a budget costs time.
const MaxRuns = 20

// DefaultStartWait is how long the gate waits for the batch runs it starts
// when wait is empty: long enough for a typical batch of simulations.
const DefaultStartWait = 30 * time.Minute

// Starts reports whether the gate starts batch runs rather than judging
// existing ones.
func (c Config) Starts() bool { return c.RunAll || len(c.RunTestCases) > 0 }

// testCases reads run-test-cases: empty, all, or ids separated by commas
// and white space, each kept once, in the order given.
func (p *parser) testCases(input, s string) (all bool, ids []string) {
	if s == "" {
		return false, nil
	}
	if s == "all" {
		return true, nil
	}
	seen, bad := map[string]bool{}, false
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if f == "all" {
			p.add(input, "mixes all with test case ids: give either all, or the ids")
			return false, nil
		}
		if !idPattern.MatchString(f) {
			p.add(input, fmt.Sprintf("%q is not a test case id: ids are up to 128 letters, digits, '_', '-', '.' or ':', separated by commas, spaces or newlines", f))
			bad = true
			continue
		}
		if !seen[f] {
			seen[f] = true
			ids = append(ids, f)
		}
	}
	if len(ids) == 0 && !bad {
		p.add(input, fmt.Sprintf("%q names no test case: give all, or test case ids separated by commas", s))
	}
	if len(ids) > MaxTestCases {
		p.add(input, fmt.Sprintf("names %d test cases, more than %d: use all, or fewer ids", len(ids), MaxTestCases))
	}
	return false, ids
}

// MaxTestCases bounds the ids run-test-cases may name.
const MaxTestCases = 1000

// MinAPIKeyLength is the fewest characters an API key may have. The key is
// redacted wherever it appears, and a key of a few characters would be found
// inside ordinary words and numbers: the outputs would read "pa***" for
// "pass" and "***0" for "10". No SigmaMind key is that short.
const MinAPIKeyLength = 8

// APIKeyProblem says what is wrong with a non-empty API key, never showing
// it, or returns "" when nothing is.
func APIKeyProblem(key string) string {
	switch {
	case strings.ContainsFunc(key, unicode.IsControl):
		return "contains a control character (a line break?); copy the key again without it"
	case utf8.RuneCountInString(key) < MinAPIKeyLength:
		return fmt.Sprintf("is shorter than %d characters, so it is not a whole SigmaMind API key, and a value that short could not be kept out of the logs and outputs: "+
			"copy the whole key again (SigmaMind Dashboard → API Keys)", MinAPIKeyLength)
	}
	return ""
}

type parser struct{ errs []error }

func (p *parser) add(input, problem string) {
	p.errs = append(p.errs, &InputError{Input: input, Problem: problem})
}

// idPattern accepts SigmaMind's opaque ids without validating a prefix
// (agent ids appear with and without "agent_").
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

func (p *parser) id(input, s string) string {
	if s == "" {
		return ""
	}
	if !idPattern.MatchString(s) {
		p.add(input, fmt.Sprintf("%q is not an id: ids are up to 128 letters, digits, '_', '-', '.' or ':'", s))
	}
	return s
}

func (p *parser) url(input, s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		p.add(input, fmt.Sprintf("%q is not a URL: give a base URL such as %s", s, "https://api.sigmamind.ai"))
	case u.User != nil:
		p.add(input, "must not contain credentials: pass the key in api-key")
	case u.RawQuery != "" || u.Fragment != "":
		p.add(input, fmt.Sprintf("%q has a query or fragment: give only scheme, host and optional path", s))
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	case u.Scheme == "http":
		p.add(input, fmt.Sprintf("%q uses http, which would send the API key unencrypted: use https (http is accepted only for loopback hosts: 127.0.0.0/8, ::1, localhost)", s))
	default:
		p.add(input, fmt.Sprintf("%q: the scheme must be https (or http for a loopback host)", s))
	}
	return strings.TrimRight(s, "/")
}

// template checks a batch-url-template. The link is shown to people, so
// https only, with no credentials; the placeholders are checked here so that
// a typo fails the step before any request rather than making dead links.
func (p *parser) template(input, s string) string {
	rest := strings.NewReplacer("{agentId}", "", "{batchId}", "").Replace(s)
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		bad := rest[i:]
		if j := strings.IndexByte(bad, '}'); bad[0] == '{' && j > 0 {
			bad = bad[:j+1]
		} else {
			bad = bad[:1]
		}
		p.add(input, fmt.Sprintf("%q has an unknown placeholder or an unbalanced brace near %q: the only placeholders are {agentId} and {batchId}", s, bad))
		return ""
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return r <= ' ' || r == 0x7f || !unicode.IsPrint(r) || strings.ContainsRune("\"<>`|\\^", r)
	}) >= 0 {
		p.add(input, fmt.Sprintf("%q holds white space, a control character or one of \" < > ` | \\ ^: percent-encode them", s))
		return ""
	}
	u, err := url.Parse(strings.NewReplacer("{agentId}", "agent_x", "{batchId}", "batch_x").Replace(s))
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		p.add(input, fmt.Sprintf("%q is not a URL once its placeholders are filled: give one such as https://app.example/agents/{agentId}/batches/{batchId}", s))
	case u.User != nil:
		p.add(input, fmt.Sprintf("%q must not contain credentials: links are shown to everyone who reads the report", s))
	case u.Scheme != "https":
		p.add(input, fmt.Sprintf("%q: the scheme must be https", s))
	default:
		return s
	}
	return ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (p *parser) count(input, s string, lo, hi int64) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || !untrusted.Digits(s) || n < lo || n > hi {
		if hi >= 1<<50 {
			p.add(input, fmt.Sprintf("%q is not a whole number of %d or more", s, lo))
		} else {
			p.add(input, fmt.Sprintf("%q is not a whole number from %d to %d", s, lo, hi))
		}
		return lo
	}
	return n
}

func (p *parser) rate(input, s string) *gate.Rate {
	if s == "" {
		return nil
	}
	r, err := gate.ParseRate(s)
	if err != nil {
		p.add(input, err.Error())
		return nil
	}
	return &r
}

func (p *parser) oneOf(input, s string, allowed ...string) string {
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.add(input, fmt.Sprintf("%q is not one of %s", s, strings.Join(allowed, ", ")))
	return allowed[0]
}

// boolean accepts what the official toolkit's getBooleanInput accepts.
func (p *parser) boolean(input, s string) bool {
	switch s {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	p.add(input, fmt.Sprintf("%q is not a boolean: write true or false", s))
	return false
}

// duration reads a Go duration (90s, 10m, 1h30m) or whole days (7d, 1d12h).
func (p *parser) duration(input, s string, atLeast time.Duration) time.Duration {
	d, err := ParseDuration(s)
	if err != nil {
		p.add(input, err.Error())
		return 0
	}
	if d < atLeast {
		p.add(input, fmt.Sprintf("%q is too short: give at least %v", s, atLeast))
	}
	return d
}

// ParseDuration reads a duration such as 90s, 10m, 1h30m, 7d or 1d12h. It
// rejects negative durations.
func ParseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration: write e.g. 90s, 10m, 2h or 7d", s)
	if s == "0" {
		return 0, nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || !untrusted.Digits(s[:i]) || n > 3650 {
			return 0, bad
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	if s == "" || s[0] < '0' || s[0] > '9' && s[0] != '.' {
		return 0, bad // no sign: a negative limit is a mistake
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || days+d < days {
		return 0, bad
	}
	return days + d, nil
}

// Usage writes the command-line help.
func Usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, `sigmagate judges an agent's newest SigmaMind simulation batch runs and fails
when they fail too often. It runs as a GitHub Action and as a command.

Usage:
  sigmagate --agent-id AGENT [flags]      (API key in SIGMAMIND_API_KEY)
  sigmagate --demo [flags]                (against a built-in fake API)

Exit status: 0 passed, 1 the gate failed (or was inconclusive), 2 invalid input,
3 API failure (with --on-error=warn, only what an outage does not explain).

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// Value returns the raw value of input in r.
func Value(r Raw, in Input) string { return *r.field(in) }
