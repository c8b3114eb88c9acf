// Package action is sigmagate's application. A run reads as the data flows,
// one file a step:
//
//   - load: the step's inputs, the flags and --demo, checked into a
//     config.Config, the API key masked before anything else;
//   - gather: the batch runs the configuration asks for, from the API, and
//     waiting for running ones;
//   - judge: the gate's verdict on what gather chose, or the error that kept
//     it from judging, classified;
//   - tell: what the verdict does to the step (package policy), said through
//     the exit status, the outputs, the annotations, the log and the job
//     summary.
//
// Main runs it whole, with everything it takes from the process in an Env,
// so that tests can run it in process.
package action

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
)

// Env is everything the application takes from the process, so that tests
// can run it whole without one.
type Env struct {
	Getenv         func(string) string
	Stdout, Stderr io.Writer
	Now            func() time.Time
	HTTP           *http.Client
	// Sleep waits between retries and between polls; nil waits for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// Version is the program's version, for --version and the User-Agent.
	Version string
	// IsTerminal reports whether Stdout is a terminal, where the text
	// report may be coloured; nil: it is not.
	IsTerminal func() bool
}

// Main runs the gate with the command-line arguments args (without the
// program's name) and returns the exit status.
func Main(ctx context.Context, args []string, env Env) (code int) {
	s := newStep(env)
	defer func() {
		// A bug must still end as a clear failure, not a stack trace.
		if p := recover(); p != nil {
			s.ann.Error(fmt.Sprintf("internal error: %v; please report it", p))
			code = policy.ExitError
		}
	}()
	l, code, done := s.load(ctx, args)
	if done {
		return code
	}
	defer l.stop()
	client, err := s.client(l.cfg)
	if err != nil {
		s.ann.Error("input api-url: " + err.Error())
		return policy.ExitUsage
	}
	return s.tell(ctx, l, s.judgeAgents(ctx, client, l.cfg))
}

// step is where a run reports: the GitHub Actions step, or a terminal.
type step struct {
	env       Env
	inActions bool
	action    *githubactions.Action // nil outside GitHub Actions
	// The streams redact every secret given to secret, in every encoding.
	stdout, stderr *ghio.Redactor
	log            ghio.Log
	ann            *ghio.Annotator
	masked         map[string]bool
	// Pauses between polls of the batch runs the step started.
	firstPoll, maxPoll time.Duration
}

func newStep(env Env) *step {
	s := &step{env: env, inActions: env.Getenv("GITHUB_ACTIONS") == "true", masked: map[string]bool{},
		firstPoll: firstPoll, maxPoll: maxPoll,
		stdout: &ghio.Redactor{W: env.Stdout}, stderr: &ghio.Redactor{W: env.Stderr}}
	s.log = ghio.Log{W: s.stdout}
	if s.inActions {
		s.action = githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(s.stdout))
	}
	s.ann = &ghio.Annotator{Action: s.action, Log: ghio.Log{W: s.stderr}}
	return s
}

// secret masks key in the log GitHub shows and redacts it from both streams
// from now on.
func (s *step) secret(key string) {
	// A key too short to redact safely is refused before any request:
	// masking it would only garble every message.
	if utf8.RuneCountInString(key) < config.MinAPIKeyLength || s.masked[key] {
		return
	}
	s.masked[key] = true
	if s.action != nil {
		s.action.AddMask(key) // before anything else can print it
	}
	s.stdout.Add(key)
	s.stderr.Add(key)
}
