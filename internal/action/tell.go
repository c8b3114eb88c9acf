package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"github.com/sigmagate/sigmagate/report"
)

// tell says what the verdicts do to the step, through every channel that
// reports them, and returns the exit status. The policy decides, for each
// agent and for the step; everything here asks it.
func (s *step) tell(ctx context.Context, l loaded, js []judged) int {
	cfg := l.cfg
	pol := policy.Policy{WarnOnly: cfg.WarnOnly, OnInconclusive: cfg.OnInconclusive, OnError: cfg.OnError}
	secrets := untrusted.NewSecrets(cfg.Secrets()...)
	results := make([]report.Result, len(js))
	decisions := make([]policy.Decision, len(js))
	for i, j := range js {
		decisions[i] = policy.Decide(j.outcome, pol)
		// Links are built of the redacted ids, and redacted once more: the
		// template is the user's text.
		results[i] = link(redacted(result(l, j, decisions[i]), secrets), cfg.BatchURLTemplate, secrets.Redact)
	}
	d := policy.Combine(decisions)
	// The report first, the verdict last: on a terminal the last lines are
	// the ones read.
	werr := s.write(l, results, d)
	s.comment(ctx, l, results)
	for i, r := range results {
		s.announce(r, decisions[i], len(results) > 1)
	}
	if len(results) > 1 {
		s.log.Printf("sigmagate: %d agents: %s (the worst of theirs)", len(results), report.Worst(results))
	}
	if werr != nil {
		// A verdict that already fails the step keeps its status; a pass
		// whose outputs or report files are lost must not look like one.
		for _, e := range unjoin(werr) {
			s.ann.Error(e.Error())
		}
		if d.Code == policy.ExitPass {
			return policy.ExitUsage
		}
	}
	return d.Code
}

// result is what the report shows of one agent's run. What the error is,
// and what to do about it, are read from the error itself, before redacted
// turns everything into text without the key.
func result(l loaded, j judged, d policy.Decision) report.Result {
	cfg := j.cfg
	r := report.Result{AgentID: cfg.AgentID, Inputs: l.inputs, Note: d.Note, TrendRows: config.TrendRows}
	r.Started = startedReport(j.started, l.getenv)
	var nf *batches.NotFoundError
	switch {
	case j.started != nil && j.err != nil:
		r.Err, r.Hint = j.err.Error(), hint(j.err, cfg)
	case errors.As(j.err, &nf):
		r.Err = j.err.Error() // it says what it is; the listing itself worked
	case j.err != nil:
		r.Err, r.Hint = fmt.Sprintf("could not list the batch runs of agent %s: %v", cfg.AgentID, j.err), hint(j.err, cfg)
	default:
		r.Gate, r.Rows, r.Notes = j.gate, rows(j.sel), j.sel.Notes
		r.TestCases, r.TestCasesNotKept = testCases(j.sel.Gated)
		if len(j.sel.Gated) > 0 && j.sel.Gated[0].Agent != nil {
			r.AgentName = j.sel.Gated[0].Agent.Name
		}
	}
	return r
}

// redacted returns r with the key removed from every text, before any
// formatter escapes it: the report's markdown escaping turns "sk_live" into
// "sk\_live", which reads as the key and which no search for the key finds.
// The client redacts what the API sends where it enters; this covers
// whatever else reaches a result (an error from elsewhere, an input). The
// step's outputs and summary are redacted again once written.
func redacted(r report.Result, found *untrusted.Secrets) report.Result {
	red := found.Redact
	r.AgentID, r.AgentName, r.Err, r.Hint, r.Note = red(r.AgentID), red(r.AgentName), red(r.Err), red(r.Hint), red(r.Note)
	inputs := make(map[string]string, len(r.Inputs))
	for k, v := range r.Inputs {
		inputs[k] = red(v)
	}
	r.Inputs = inputs
	r.Notes = redactAll(found, r.Notes)
	r.Gate.Notes = redactAll(found, r.Gate.Notes)
	checks := make([]gate.Check, len(r.Gate.Checks))
	for i, c := range r.Gate.Checks {
		c.Reason, c.LimitText, c.ActualText = red(c.Reason), red(c.LimitText), red(c.ActualText)
		checks[i] = c
	}
	r.Gate.Checks = checks
	if st := r.Started; st != nil {
		c := *st
		c.BatchIDs, c.TestCases = redactAll(found, c.BatchIDs), redactAll(found, c.TestCases)
		r.Started = &c
	}
	rows := make([]report.Row, len(r.Rows))
	for i, row := range r.Rows {
		row.Batch.ID = red(row.Batch.ID)
		rows[i] = row
	}
	r.Rows = rows
	cases := make([]report.TestCase, len(r.TestCases))
	for i, tc := range r.TestCases {
		tc.ID, tc.Label, tc.Model, tc.Prompt, tc.Criteria = red(tc.ID), red(tc.Label), red(tc.Model), red(tc.Prompt), red(tc.Criteria)
		mock := make([]report.MockData, len(tc.MockData))
		for j, m := range tc.MockData {
			mock[j] = report.MockData{Name: red(m.Name), Value: red(m.Value)}
		}
		tc.MockData = mock
		cases[i] = tc
	}
	r.TestCases = cases
	return r
}

func redactAll(found *untrusted.Secrets, texts []string) []string {
	if texts == nil {
		return nil
	}
	out := make([]string, len(texts))
	for i, s := range texts {
		out[i] = found.Redact(s)
	}
	return out
}

// announce logs the verdict, annotates why the gate did not pass as the
// policy's severity says, and logs the policy's note, which every
// annotation repeats.
//
// With several agents, each annotation starts with the agent it is about.
func (s *step) announce(r report.Result, d policy.Decision, several bool) {
	why := ""
	if d.Note != "" {
		why = " (" + d.Note + ")"
	}
	name := r.AgentID
	if r.AgentName != "" {
		name = fmt.Sprintf("%s (%s)", r.AgentName, r.AgentID)
	}
	about := ""
	if several {
		about = name + ": "
	}
	if r.Err != "" {
		msg := r.Err
		if r.Hint != "" {
			msg += "; " + r.Hint
		}
		s.annotate(d.Severity, about+msg+why)
	} else {
		res := r.Gate
		if c := res.Counts; c.Batches > 0 {
			s.log.Printf("sigmagate: %s: %s: %d of %d attempts did not succeed, in %d gated batch run(s)", name, res.Verdict, c.Failures(), c.Total, c.Batches)
		} else {
			s.log.Printf("sigmagate: %s: %s: no batch runs", name, res.Verdict)
		}
		where := gatedURLs(r)
		for _, c := range res.Broken() {
			msg := c.Reason + why + where
			if c.Verdict == gate.Inconclusive {
				msg = "inconclusive: " + msg
			}
			s.annotate(d.Severity, about+msg)
		}
	}
	if d.Note != "" {
		s.log.Print("sigmagate: " + about + d.Note)
	}
}

// annotate makes an annotation of the severity, or none.
func (s *step) annotate(sev policy.Severity, msg string) {
	switch sev {
	case policy.Error:
		s.ann.Error(msg)
	case policy.Warning:
		s.ann.Warning(msg)
	}
}

// footer closes the job summary with the version that wrote it, so that a
// reader of an old run can tell which release judged it.
func footer(version string) string {
	return "\n<sub>sigmagate " + version + "</sub>\n"
}

// write leaves the job summary (or the report on standard output), the
// report files and the step outputs. A summary that cannot be written is
// only a warning, as it is to the runner: the outputs and the verdict still
// count. Outputs and report files that cannot be written are errors.
func (s *step) write(l loaded, results []report.Result, d policy.Decision) error {
	cfg := l.cfg
	if cfg.Summary {
		path := s.env.Getenv("GITHUB_STEP_SUMMARY")
		if path != "" {
			md := untrusted.Redact(report.Markdown(results)+footer(s.env.Version), cfg.Secrets()...)
			if err := ghio.WriteSummary(path, md); err != nil {
				s.ann.Warning(fmt.Sprintf("could not write the job summary to GITHUB_STEP_SUMMARY (%s): %v; the verdict and outputs are not affected", path, err))
			}
		}
		if path == "" || l.explicitFormat {
			s.print(l, results)
		}
	}
	var errs []error
	for _, f := range []struct {
		input, path string
		render      func() string
	}{
		{"junit-file", cfg.JUnitFile, func() string { return report.JUnit(results) }},
		{"report-file", cfg.ReportFile, func() string { return report.FullJSON(results) + "\n" }},
	} {
		if f.path == "" {
			continue
		}
		if err := replaceFile(f.path, untrusted.Redact(f.render(), cfg.Secrets()...)); err != nil {
			errs = append(errs, fmt.Errorf("could not write the %s %s: %w; a pass without it is not one: make the path a file the step may write", f.input, f.path, err))
		}
	}
	if err := s.writeOutputs(cfg, results, d); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// print writes the report to standard output in the chosen format. Markdown
// goes through the log, which neutralizes every line; text and JSON hold
// nothing the log would change (text is made safe by the renderer, JSON
// escapes every control character), and coloured text must keep its
// escapes.
func (s *step) print(l loaded, results []report.Result) {
	key := l.cfg.Secrets()
	switch l.format {
	case "json":
		io.WriteString(s.stdout, untrusted.Redact(report.FullJSON(results), key...)+"\n")
	case "text":
		io.WriteString(s.stdout, untrusted.Redact(report.Text(results, l.colour), key...))
	default:
		s.log.Print(untrusted.Redact(report.Markdown(results)+footer(s.env.Version), key...))
	}
}

// replaceFile replaces the file at path with text: written beside it, then
// renamed over it, so that a reader never sees half a report, and a link
// put at path after the check is replaced, not followed.
func replaceFile(path, text string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".sigmagate-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.WriteString(text)
	err = errors.Join(err, f.Chmod(0o644), f.Close())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// writeOutputs sets the step outputs.
func (s *step) writeOutputs(cfg config.Config, results []report.Result, d policy.Decision) error {
	path := s.env.Getenv("GITHUB_OUTPUT")
	if path == "" {
		if s.inActions {
			return errors.New("GITHUB_OUTPUT is not set, so the step outputs cannot be written: run sigmagate as a step of a GitHub Actions job, or unset GITHUB_ACTIONS")
		}
		return nil
	}
	outs := outputs(results, d)
	for i := range outs {
		outs[i].Value = untrusted.Redact(outs[i].Value, cfg.Secrets()...)
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
