package action

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// loaded is a checked configuration, with what the report records of it.
type loaded struct {
	cfg    config.Config
	inputs map[string]string // every input but the key
	stop   func()            // stops the built-in fake API; never nil
	// getenv reads the workflow's context: the commit and pull request
	// that started batch runs are for.
	getenv func(string) string
	// format is how the report is printed to standard output (text,
	// markdown or json); explicit when --format was given, which prints it
	// even beside a job summary file. colour is for text on a terminal.
	format         string
	explicitFormat bool
	colour         bool
}

// load reads the configuration: the step's inputs, then the flags, then
// --demo, all checked at once. The key is masked as soon as it is known. It
// returns done, with the exit status, when the run ends here: after --help
// or --version, or on invalid input.
func (s *step) load(ctx context.Context, args []string) (l loaded, code int, done bool) {
	l.stop, l.getenv = func() {}, s.env.Getenv
	raw, err := config.FromEnv(ctx, s.env.Getenv)
	if err != nil {
		s.ann.Error(err.Error())
		return l, policy.ExitUsage, true
	}
	s.secret(raw.APIKey)
	s.secret(raw.GitHubToken)
	flags := flag.NewFlagSet("sigmagate", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	config.Flags(flags, &raw)
	demo := flags.Bool("demo", false, "Run the gate against a built-in fake SigmaMind API with sample agents.")
	showVersion := flags.Bool("version", false, "Print the version and exit.")
	// A flag, not an input: in GitHub Actions the report is the job
	// summary, which is markdown.
	format := flags.String("format", "", "How the report is printed to standard output: text, markdown or json (the JSON report alone). Default: text outside GitHub Actions, markdown inside, where the job summary is always markdown.")
	if err = flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			config.Usage(s.stdout, flags)
			return l, policy.ExitPass, true
		}
		s.ann.Error(err.Error() + "; see sigmagate --help")
		return l, policy.ExitUsage, true
	}
	if flags.NArg() > 0 {
		problem := fmt.Sprintf("unexpected argument %q: every setting is a flag; see sigmagate --help", flags.Arg(0))
		if a := flags.Arg(0); a == "true" || a == "false" {
			problem = fmt.Sprintf("unexpected argument %q: a true/false flag takes its value after =, as in --summary=false", a)
		}
		s.ann.Error(problem)
		return l, policy.ExitUsage, true
	}
	switch *format {
	case "":
		l.format = "text"
		if s.inActions {
			l.format = "markdown"
		}
	case "text", "markdown", "json":
		l.format, l.explicitFormat = *format, true
	default:
		s.ann.Error(fmt.Sprintf("flag --format: %q is not one of text, markdown, json", *format))
		return l, policy.ExitUsage, true
	}
	if l.format == "json" {
		// Standard output holds the JSON report alone; the log goes with
		// the annotations.
		s.log = ghio.Log{W: s.stderr}
	}
	l.colour = l.format == "text" && s.env.IsTerminal != nil && s.env.IsTerminal() && s.env.Getenv("NO_COLOR") == ""
	if *showVersion {
		fmt.Fprintf(s.stdout, "sigmagate %s\n", s.env.Version)
		return l, policy.ExitPass, true
	}
	s.secret(raw.APIKey)
	keyFromEnv := false
	if raw.APIKey == "" {
		raw.APIKey = strings.TrimSpace(s.env.Getenv("SIGMAMIND_API_KEY"))
		keyFromEnv = raw.APIKey != ""
		s.secret(raw.APIKey)
	}
	if raw.GitHubToken == "" {
		raw.GitHubToken = strings.TrimSpace(s.env.Getenv("GITHUB_TOKEN"))
	}
	s.secret(raw.GitHubToken)
	stopTestFake, err := startTestFake(&s.env, s.ann.Warning)
	if err != nil {
		s.ann.Error(err.Error())
		return l, policy.ExitUsage, true
	}
	l.stop = stopTestFake
	if *demo {
		fake := startDemo(&s.env)
		// The demo's simulated runs move on when read: short pauses show
		// the whole loop in seconds. Real runs keep the real pauses.
		s.firstPoll, s.maxPoll = demoFirstPoll, demoMaxPoll
		l.stop = func() { fake.Close(); stopTestFake() }
		raw.APIURL, raw.APIKey, keyFromEnv = demoURL, sigmamindtest.DefaultAPIKey, false
		if raw.AgentID == "" {
			raw.AgentID = sigmamindtest.SampleAgentID
		}
		s.log.Printf("demo: a fake SigmaMind API inside sigmagate serves sample agents %s (failing), agent_demo_pass, agent_demo_fail, agent_demo_running and agent_demo_empty; choose one with --agent-id.\n", sigmamindtest.SampleAgentID)
	}

	l.cfg, err = config.Parse(raw)
	if err != nil {
		l.stop()
		s.invalid(err, keyFromEnv)
		return l, policy.ExitUsage, true
	}
	if err := makeFolders(l.cfg); err != nil {
		l.stop()
		s.ann.Error(err.Error())
		return l, policy.ExitUsage, true
	}
	l.inputs = inputs(raw)
	return l, 0, false
}

// makeFolders creates the missing folders of the report files, before any
// request: a path that cannot be written is an input error, found before
// the simulations cost anything.
func makeFolders(cfg config.Config) error {
	for _, f := range []struct{ input, path string }{{"junit-file", cfg.JUnitFile}, {"report-file", cfg.ReportFile}} {
		if f.path == "" {
			continue
		}
		dir := filepath.Dir(f.path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return &config.InputError{Input: f.input, Problem: fmt.Sprintf("%q: could not create the folder %s: %v", f.path, dir, err)}
		}
		// The folder was checked before it existed: check again now that
		// links in it resolve.
		wd, err := os.Getwd()
		if err != nil {
			return &config.InputError{Input: f.input, Problem: fmt.Sprintf("%q cannot be checked: %v", f.path, err)}
		}
		if _, problem := config.InWorkspace(wd, f.path); problem != "" {
			return &config.InputError{Input: f.input, Problem: problem}
		}
	}
	return nil
}

// invalid annotates every problem of a configuration that config.Parse
// refused.
func (s *step) invalid(err error, keyFromEnv bool) {
	problems := unjoin(err)
	if keyFromEnv {
		// Say where the key came from: no input was given.
		for i, p := range problems {
			var in *config.InputError
			if errors.As(p, &in) && in.Input == "api-key" {
				problems[i] = fmt.Errorf("environment variable SIGMAMIND_API_KEY: %s", in.Problem)
			}
		}
	}
	if len(problems) >= ghio.Annotations {
		s.ann.Error(fmt.Sprintf("%d inputs are invalid; the first are annotated, and the log lists every one", len(problems)))
	}
	for _, p := range problems {
		s.ann.Error(p.Error())
	}
}

// inputs are the settings recorded in the report: every input but the key.
func inputs(raw config.Raw) map[string]string {
	m := map[string]string{}
	for _, in := range config.Inputs() {
		if !in.Secret {
			m[in.Name] = config.Value(raw, in)
		}
	}
	return m
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
