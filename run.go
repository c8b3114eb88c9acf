package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"
	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// Exit statuses, a contract with workflows and scripts.
const (
	exitPass  = 0
	exitFail  = 1 // the gate failed, or was inconclusive with on-inconclusive: fail
	exitUsage = 2 // invalid input, or a runner environment the step cannot write to
	exitError = 3 // the API could not be read
)

// exitErr carries the exit status of an outcome that run has already
// reported.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

func exitCode(err error) int {
	var e *exitErr
	switch {
	case err == nil:
		return exitPass
	case errors.As(err, &e):
		return e.code
	}
	return exitError
}

// env is everything run takes from the process, so that tests can run it
// whole without one.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	now            func() time.Time
	http           *http.Client
	// sleep replaces real waiting between retries and polls; nil sleeps.
	sleep func(ctx context.Context, d time.Duration) error
}

// Pauses between polls while waiting for running batch runs.
const (
	firstPoll  = 10 * time.Second
	maxPoll    = time.Minute
	stallPolls = 5
)

func run(ctx context.Context, args []string, e env) (err error) {
	inActions := e.getenv("GITHUB_ACTIONS") == "true"
	stdout, stderr := &ghio.Redactor{W: e.stdout}, &ghio.Redactor{W: e.stderr}
	log := ghio.Log{W: stdout}
	var action *githubactions.Action
	if inActions {
		action = githubactions.New(githubactions.WithGetenv(e.getenv), githubactions.WithWriter(stdout))
	}
	ann := &ghio.Annotator{Action: action, Log: ghio.Log{W: stderr}}
	defer func() {
		// A bug must still end as a clear failure, not a stack trace.
		if p := recover(); p != nil {
			ann.Error(fmt.Sprintf("internal error: %v; please report it", p))
			err = &exitErr{exitError, fmt.Errorf("internal error: %v", p)}
		}
	}()
	masked := map[string]bool{}
	secret := func(key string) {
		// A key too short to redact safely is refused below, before any
		// request: masking it would only garble every message.
		if utf8.RuneCountInString(key) < config.MinAPIKeyLength || masked[key] {
			return
		}
		masked[key] = true
		if action != nil {
			action.AddMask(key) // before anything else can print it
		}
		stdout.Add(key)
		stderr.Add(key)
	}

	raw, err := config.FromEnv(ctx, e.getenv)
	if err != nil {
		ann.Error(err.Error())
		return &exitErr{exitUsage, err}
	}
	secret(raw.APIKey)
	fs := flag.NewFlagSet("sigmagate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config.Flags(fs, &raw)
	demo := fs.Bool("demo", false, "run the gate against a built-in fake SigmaMind API with sample agents")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			config.Usage(stdout, fs)
			return nil
		}
		ann.Error(err.Error() + "; see sigmagate --help")
		return &exitErr{exitUsage, err}
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q: every setting is a flag; see sigmagate --help", fs.Arg(0))
		if a := fs.Arg(0); a == "true" || a == "false" {
			err = fmt.Errorf("unexpected argument %q: a true/false flag takes its value after =, as in --summary=false", a)
		}
		ann.Error(err.Error())
		return &exitErr{exitUsage, err}
	}
	if *showVersion {
		fmt.Fprintf(stdout, "sigmagate %s\n", version)
		return nil
	}
	secret(raw.APIKey)
	keyFromEnv := false
	if raw.APIKey == "" {
		raw.APIKey = strings.TrimSpace(e.getenv("SIGMAMIND_API_KEY"))
		keyFromEnv = raw.APIKey != ""
		secret(raw.APIKey)
	}
	stopFake, err := startTestFake(&e, ann.Warning)
	if err != nil {
		ann.Error(err.Error())
		return &exitErr{exitUsage, err}
	}
	defer stopFake()
	if *demo {
		fake := startDemo(&e)
		defer fake.Close()
		raw.APIURL, raw.APIKey, keyFromEnv = demoURL, sigmamindtest.DefaultAPIKey, false
		if raw.AgentID == "" {
			raw.AgentID = sigmamindtest.SampleAgentID
		}
		log.Printf("demo: a fake SigmaMind API inside sigmagate serves sample agents %s (failing), agent_demo_pass, agent_demo_fail, agent_demo_running and agent_demo_empty; choose one with --agent-id.\n", sigmamindtest.SampleAgentID)
	}

	cfg, err := config.Parse(raw)
	if err != nil {
		errs := unjoin(err)
		if keyFromEnv {
			// Say where the key came from: no input was given.
			for i, e := range errs {
				var in *config.InputError
				if errors.As(e, &in) && in.Input == "api-key" {
					errs[i] = fmt.Errorf("environment variable SIGMAMIND_API_KEY: %s", in.Problem)
				}
			}
			err = errors.Join(errs...)
		}
		if len(errs) >= ghio.Annotations {
			ann.Error(fmt.Sprintf("%d inputs are invalid; the first are annotated, and the log lists every one", len(errs)))
		}
		for _, e := range errs {
			ann.Error(e.Error())
		}
		return &exitErr{exitUsage, err}
	}
	g := gatekeeper{env: e, cfg: cfg, inActions: inActions, log: log, ann: ann, inputs: inputs(raw)}
	return g.run(ctx)
}

// gatekeeper runs one gate once its configuration is valid.
type gatekeeper struct {
	env       env
	cfg       config.Config
	inActions bool
	log       ghio.Log
	ann       *ghio.Annotator
	inputs    map[string]string
}

func (g *gatekeeper) run(ctx context.Context) error {
	cfg := g.cfg
	client, err := sigmamind.NewClient(g.env.http, cfg.APIURL, cfg.APIKey)
	if err != nil {
		g.ann.Error("input api-url: " + err.Error())
		return &exitErr{exitUsage, err}
	}
	client.UserAgent = "sigmagate/" + version + " (+https://github.com/sigmagate/sigmagate)"
	client.MaxRetries = cfg.Retries
	client.RequestTimeout = requestTimeout(cfg.Timeout, cfg.Retries)
	client.Now = g.env.now
	if g.env.sleep != nil {
		client.Sleep = g.env.sleep
	}
	// The timeout bounds the talk with the API; waiting for running batch
	// runs is on top of it.
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout+cfg.Wait)
	defer cancel()

	// The trend's rows are read even without a summary: they witness that
	// the listing is newest first, and the same answers must give the same
	// verdict whether or not a summary is written.
	req := batches.Request{AgentID: cfg.AgentID, BatchID: cfg.BatchID, Count: cfg.Batches, Baseline: cfg.Baseline, Trend: report.TrendRows}
	sel, err := batches.Select(ctx, client, req)
	if err == nil && cfg.Wait > 0 && batches.Running(sel.Gated) {
		w := batches.Waiter{Sleep: client.Sleep, Now: g.env.now, Progress: g.log.Print,
			FirstPoll: firstPoll, MaxPoll: maxPoll, StallPolls: stallPolls}
		sel, err = w.Wait(ctx, client, req, sel, cfg.Wait)
	}
	r := report.Result{AgentID: cfg.AgentID, Inputs: g.inputs, WarnOnly: cfg.WarnOnly, PassInconclusive: cfg.OnInconclusive == "pass"}
	var nf *batches.NotFoundError
	switch {
	case errors.As(err, &nf):
		r.Err = err // it says what it is; the listing itself worked
	case err != nil:
		r.Err, r.ErrHint = fmt.Errorf("could not list the batch runs of agent %s: %w", cfg.AgentID, err), hint(err, cfg)
	default:
		r.Gated, r.Baseline, r.Earlier, r.Notes = sel.Gated, sel.Baseline, sel.Earlier, sel.Notes
		if len(sel.Gated) > 0 && sel.Gated[0].Agent != nil {
			r.AgentName = sel.Gated[0].Agent.Name
		}
		r.Gate = gate.Evaluate(gate.Input{
			AgentID: cfg.AgentID, Gated: batches.ForGate(sel.Gated), Baseline: batches.ForGate(sel.Baseline),
			Requested: cfg.Batches, Rules: cfg.Rules, Now: g.env.now(),
		})
	}
	r = redacted(r, untrusted.NewSecrets(cfg.APIKey))
	// The report first, the verdict last: on a terminal the last lines are
	// the ones read.
	werr := g.write(r)
	code := g.announce(r)
	if werr != nil {
		// A verdict that already fails the step keeps its status; a pass
		// whose outputs are lost must not look like one.
		g.ann.Error(werr.Error())
		if code == exitPass {
			code = exitUsage
		}
		return &exitErr{code, werr}
	}
	if code == exitPass {
		return nil
	}
	return &exitErr{code, fmt.Errorf("gate %s", r.Outcome())}
}

// redacted returns r with the key removed from its texts before any
// formatter escapes them: the report's markdown escaping turns "sk_live"
// into "sk\_live", which reads as the key and which no search for the key
// finds. The client redacts what the API sends where it enters; this covers
// whatever else reaches a result (an error from elsewhere, an input). The
// step's outputs and summary are redacted again once written.
func redacted(r report.Result, found *untrusted.Secrets) report.Result {
	r.AgentID, r.AgentName, r.ErrHint = found.Redact(r.AgentID), found.Redact(r.AgentName), found.Redact(r.ErrHint)
	if r.Err != nil {
		if text := found.Redact(r.Err.Error()); text != r.Err.Error() {
			r.Err = &redactedError{text: text, err: r.Err}
		}
	}
	inputs := make(map[string]string, len(r.Inputs))
	for k, v := range r.Inputs {
		inputs[k] = found.Redact(v)
	}
	r.Inputs = inputs
	checks := make([]gate.Check, len(r.Gate.Checks))
	for i, c := range r.Gate.Checks {
		c.Reason, c.LimitText, c.ActualText = found.Redact(c.Reason), found.Redact(c.LimitText), found.Redact(c.ActualText)
		checks[i] = c
	}
	r.Gate.Checks = checks
	notes := make([]string, len(r.Gate.Notes))
	for i, n := range r.Gate.Notes {
		notes[i] = found.Redact(n)
	}
	r.Gate.Notes = notes
	return r
}

// redactedError is an error whose text lost the key; errors.Is and
// errors.As still see what it wraps.
type redactedError struct {
	text string
	err  error
}

func (e *redactedError) Error() string { return e.text }
func (e *redactedError) Unwrap() error { return e.err }

// requestTimeout shares the timeout among the tries, so that one hung
// connection leaves time for the retries: 2m with 3 retries gives each
// request 30s.
func requestTimeout(timeout time.Duration, retries int) time.Duration {
	return max(timeout/time.Duration(retries+1), time.Second)
}

// announce logs the verdict, annotates why the gate did not pass, and
// returns the exit status the verdict calls for.
func (g *gatekeeper) announce(r report.Result) int {
	cfg := g.cfg
	if r.Err != nil {
		msg := r.Err.Error()
		if r.ErrHint != "" {
			msg += "; " + r.ErrHint
		}
		if cfg.OnError == "warn" {
			if outage(r.Err) {
				g.ann.Warning(msg + " (on-error: warn, and an outage may explain this, so this step passes)")
				return exitPass
			}
			// A refused key or a wrong api-url would otherwise pass every
			// run with a warning nobody reads.
			msg += " (on-error: warn lets only outages pass, and this is not one)"
		}
		g.ann.Error(msg)
		return exitError
	}
	res := r.Gate
	name := cfg.AgentID
	if r.AgentName != "" {
		name = fmt.Sprintf("%s (%s)", r.AgentName, cfg.AgentID)
	}
	if c := res.Counts; c.Batches > 0 {
		g.log.Printf("sigmagate: %s: %s: %d of %d attempts did not succeed, in %d gated batch run(s)", name, res.Verdict, c.Failures(), c.Total, c.Batches)
	} else {
		g.log.Printf("sigmagate: %s: %s: no batch runs", name, res.Verdict)
	}

	// What the verdict does to the step, and why.
	code, warn, why := exitPass, false, ""
	switch {
	case res.Verdict == gate.Pass:
		return exitPass
	case res.Verdict == gate.Inconclusive && cfg.OnInconclusive == "pass":
		g.log.Print("sigmagate: the verdict is inconclusive; on-inconclusive: pass lets the step pass")
		return exitPass
	case cfg.WarnOnly:
		warn, why = true, " (warn-only, so this step passes)"
	case res.Verdict == gate.Inconclusive && cfg.OnInconclusive == "warn":
		warn, why = true, " (on-inconclusive: warn, so this step passes)"
	default:
		code = exitFail
	}
	for _, c := range res.Broken() {
		msg := c.Reason + why
		if c.Verdict == gate.Inconclusive {
			msg = "inconclusive: " + msg
		}
		if warn {
			g.ann.Warning(msg)
		} else {
			g.ann.Error(msg)
		}
	}
	return code
}

// write leaves the job summary and the step outputs. A summary that cannot
// be written is only a warning, as it is to the runner: the outputs and the
// verdict still count. Outputs that cannot be written are an error.
func (g *gatekeeper) write(r report.Result) error {
	key := g.cfg.APIKey
	if g.cfg.Summary {
		md := ghio.Redact(report.Markdown([]report.Result{r})+footer(), key)
		if path := g.env.getenv("GITHUB_STEP_SUMMARY"); path != "" {
			if err := ghio.WriteSummary(path, md); err != nil {
				g.ann.Warning(fmt.Sprintf("could not write the job summary to GITHUB_STEP_SUMMARY (%s): %v; the verdict and outputs are not affected", path, err))
			}
		} else {
			g.log.Print(md)
		}
	}
	path := g.env.getenv("GITHUB_OUTPUT")
	if path == "" {
		if g.inActions {
			return errors.New("GITHUB_OUTPUT is not set, so the step outputs cannot be written: run sigmagate as a step of a GitHub Actions job, or unset GITHUB_ACTIONS")
		}
		return nil
	}
	outs := outputs(r, g.cfg)
	for i := range outs {
		outs[i].Value = ghio.Redact(outs[i].Value, key)
	}
	if err := ghio.WriteOutputs(path, outs); err != nil {
		err = fmt.Errorf("could not write the step outputs to GITHUB_OUTPUT (%s): %w", path, err)
		if errors.Is(err, fs.ErrPermission) {
			err = fmt.Errorf("%w; the image must run as root (no USER in the Dockerfile)", err)
		}
		return err
	}
	return nil
}

// outputs are the step outputs, all single lines, every one set on every run.
func outputs(r report.Result, cfg config.Config) []ghio.Output {
	passed := r.Err == nil && (r.Gate.Verdict == gate.Pass || r.Gate.Verdict == gate.Inconclusive && cfg.OnInconclusive == "pass")
	ids := make([]string, 0, len(r.Gated))
	for _, b := range r.Gated {
		ids = append(ids, b.BatchID)
	}
	c := r.Gate.Counts
	count := func(n int64) string {
		if r.Err != nil {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	return []ghio.Output{
		{Name: "result", Value: r.Outcome()},
		{Name: "passed", Value: strconv.FormatBool(passed)},
		{Name: "failure-rate", Value: fraction(c.FailureRate(), r.Err)},
		{Name: "success-rate", Value: fraction(c.SuccessRate(), r.Err)},
		{Name: "failed-attempts", Value: count(c.Failed)},
		{Name: "successful-attempts", Value: count(c.Successful)},
		{Name: "undecided-attempts", Value: count(c.Undecided)},
		{Name: "total-attempts", Value: count(c.Total)},
		{Name: "batch-ids", Value: jsonStrings(ids)},
		{Name: "report", Value: report.JSON(r)},
	}
}

// fraction writes a rate with at most 4 decimals: "0.2", "0.0333". A rate
// that is not 0 never reads 0, nor one below 1 as 1: a script comparing the
// output with 0 must not see a failing run as clean.
func fraction(f float64, err error) string {
	if err != nil || math.IsNaN(f) {
		return ""
	}
	r := math.Round(f*1e4) / 1e4
	switch {
	case f > 0 && r == 0:
		r = 0.0001
	case f < 1 && r == 1:
		r = 0.9999
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func jsonStrings(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.QuoteToASCII(s))
	}
	b.WriteByte(']')
	return b.String()
}

// inputs are the settings recorded in the report: every input but the key.
func inputs(raw config.Raw) map[string]string {
	m := map[string]string{}
	for _, in := range config.Inputs() {
		if in.Name != "api-key" {
			m[in.Name] = config.Value(raw, in)
		}
	}
	return m
}

// outage reports whether err is what an outage explains and re-running may
// cure: the network failed or timed out, or SigmaMind limited the rate or
// failed (429, 5xx) through every retry. It is the one rule for on-error:
// warn. Everything else fails the step whatever on-error says, since
// re-running will not change it: a refused key, an unknown agent or
// batch-id, a redirect, an answer that is not the API's, impossible data, a
// certificate the runner does not trust, an answer that is no HTTP, an
// api-url whose host does not exist or does not speak https. An error it
// does not know is no outage.
func outage(err error) bool {
	ok, _ := classify(err)
	return ok
}

// classify walks err, through wrapping and joining, down to the errors that
// say what failed. It reports whether every one of them is an outage, and the
// first that is not: what is wrong anywhere in err is wrong, whatever else
// failed with it.
func classify(err error) (outage bool, culprit error) {
	switch e := err.(type) {
	case nil:
		return false, nil
	case *batches.NotFoundError, *sigmamind.ResponseError, *sigmamind.DataError:
		return false, err
	case *sigmamind.APIError:
		return e.StatusCode == http.StatusTooManyRequests || serverFailure(e.StatusCode), err
	case *sigmamind.TransportError:
		// Canceled is the gate stopped from outside, not the network.
		return !errors.Is(e, context.Canceled) && !e.Certificate() && !e.Malformed() && !notTLS(e) && !noSuchHost(e), err
	case interface{ Unwrap() []error }:
		errs := e.Unwrap()
		for _, sub := range errs {
			if ok, c := classify(sub); !ok {
				return false, c
			}
		}
		return len(errs) > 0, nil
	case interface{ Unwrap() error }:
		return classify(e.Unwrap())
	}
	return errors.Is(err, context.DeadlineExceeded), err
}

// serverFailure reports a 5xx status that says the server failed, not that
// the request or the network in between is wrong: 501 (not implemented),
// 505 (HTTP version) and 511 (a proxy asks to sign in) stay as they are
// however often the job is re-run.
func serverFailure(code int) bool {
	switch code {
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported, http.StatusNetworkAuthenticationRequired:
		return false
	}
	return code >= 500 && code <= 599
}

// notTLS reports an https api-url whose server does not speak TLS.
func notTLS(err error) bool {
	var rec tls.RecordHeaderError
	return errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &rec)
}

// noSuchHost reports a host that DNS says does not exist: a typo in api-url,
// not a resolver that is down.
func noSuchHost(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// hint says what to do about an error reading the API. It never advises
// re-running for what outage says re-running will not cure.
func hint(err error, cfg config.Config) string {
	if ok, culprit := classify(err); !ok && culprit != nil {
		err = culprit // the reason the step fails
	}
	var api *sigmamind.APIError
	var data *sigmamind.DataError
	var resp *sigmamind.ResponseError
	var tr *sigmamind.TransportError
	switch {
	case errors.As(err, &data):
		return "the gate does not judge data that cannot be true: report the batch run to SigmaMind; the gate fails on it until its data is fixed"
	case errors.As(err, &resp):
		return "what answered is not SigmaMind's API as expected: check api-url (a proxy or a login page answering?), and report it to SigmaMind if api-url is right"
	case errors.As(err, &api):
		switch code := api.StatusCode; {
		case code == http.StatusUnauthorized:
			return "SigmaMind rejected the API key: check the api-key secret (SigmaMind Dashboard → API Keys)"
		case code == http.StatusForbidden:
			return "the API key may not read this agent: check that api-key belongs to the workspace of agent-id"
		case code == http.StatusNotFound:
			return "check agent-id against the agent's page in SigmaMind, and that api-url is the API's base URL (" + sigmamind.DefaultBaseURL + ", without /v1)"
		case code == http.StatusBadRequest:
			return "SigmaMind rejected the request: check agent-id"
		case code >= 300 && code < 400:
			return "the API answered with a redirect; the gate follows none away from api-url's host, where the key would go along: set api-url to the API's base URL, " + sigmamind.DefaultBaseURL
		case code == http.StatusTooManyRequests:
			return "SigmaMind is limiting the rate of requests: re-run the job later, or raise retries and timeout"
		case code == http.StatusNetworkAuthenticationRequired:
			return "a proxy on the runner's network asks to sign in: let the runner reach api-url without it"
		case serverFailure(code) && api.Retryable():
			return "SigmaMind failed to answer: re-run the job later; raising retries rides out short outages"
		case serverFailure(code):
			return "SigmaMind failed to answer: re-run the job later"
		case code >= 400 && code < 500:
			return "SigmaMind refused the request: check agent-id, and that api-url is the API's base URL (" + sigmamind.DefaultBaseURL + ")"
		}
		return "SigmaMind's API documents no such answer: check that api-url is the API's base URL, " + sigmamind.DefaultBaseURL
	case errors.Is(err, context.Canceled):
		return "the gate was stopped before the API answered"
	case errors.As(err, &tr) && tr.Certificate():
		return "the certificate of api-url's host could not be verified: check api-url; behind a proxy that inspects TLS, the runner must trust the proxy's certificate authority"
	case notTLS(err):
		return "the server at api-url does not speak https: check the scheme and port of api-url"
	case noSuchHost(err):
		return "the host of api-url does not exist: check api-url for a typo (the API is " + sigmamind.DefaultBaseURL + ")"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no complete answer within timeout %v (each of the %d tries may take %v): re-run the job later, or raise timeout",
			cfg.Timeout, cfg.Retries+1, requestTimeout(cfg.Timeout, cfg.Retries))
	case errors.As(err, &tr) && tr.Malformed():
		return "the server at api-url answered, but not with HTTP the gate can read: check api-url (its scheme and port), and any proxy between the runner and it"
	case errors.As(err, &tr) && (tr.Answered || tr.Status != 0):
		return "SigmaMind answered, but the response broke off before its end: re-run the job later; raising retries rides out short outages"
	case errors.As(err, &tr):
		return "could not reach " + cfg.APIURL + ": check api-url and the runner's network, or re-run the job later"
	}
	return ""
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
