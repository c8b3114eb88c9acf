package action

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"github.com/sigmagate/sigmagate/report"
)

// tell says what the verdict does to the step, through every channel that
// reports it, and returns the exit status. The policy decides; everything
// here asks it.
func (s *step) tell(l loaded, j judged) int {
	cfg := l.cfg
	d := policy.Decide(j.outcome, policy.Policy{WarnOnly: cfg.WarnOnly, OnInconclusive: cfg.OnInconclusive, OnError: cfg.OnError})
	r := redacted(result(l, j, d), untrusted.NewSecrets(cfg.APIKey))
	// The report first, the verdict last: on a terminal the last lines are
	// the ones read.
	werr := s.write(cfg, r, d)
	s.announce(r, d)
	if werr != nil {
		// A verdict that already fails the step keeps its status; a pass
		// whose outputs are lost must not look like one.
		s.ann.Error(werr.Error())
		if d.Code == policy.ExitPass {
			return policy.ExitUsage
		}
	}
	return d.Code
}

// result is what the report shows of the run.
func result(l loaded, j judged, d policy.Decision) report.Result {
	cfg := l.cfg
	r := report.Result{AgentID: cfg.AgentID, Inputs: l.inputs, Note: d.Note}
	var nf *batches.NotFoundError
	switch {
	case errors.As(j.err, &nf):
		r.Err = j.err // it says what it is; the listing itself worked
	case j.err != nil:
		r.Err, r.ErrHint = fmt.Errorf("could not list the batch runs of agent %s: %w", cfg.AgentID, j.err), hint(j.err, cfg)
	default:
		r.Gate = j.gate
		r.Gated, r.Baseline, r.Earlier, r.Notes = j.sel.Gated, j.sel.Baseline, j.sel.Earlier, j.sel.Notes
		if len(j.sel.Gated) > 0 && j.sel.Gated[0].Agent != nil {
			r.AgentName = j.sel.Gated[0].Agent.Name
		}
	}
	return r
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

// announce logs the verdict and the policy's note, and annotates why the
// gate did not pass, as the policy's severity says.
func (s *step) announce(r report.Result, d policy.Decision) {
	why := ""
	if d.Note != "" {
		why = " (" + d.Note + ")"
	}
	if r.Err != nil {
		msg := r.Err.Error()
		if r.ErrHint != "" {
			msg += "; " + r.ErrHint
		}
		s.annotate(d.Severity, msg+why)
		if d.Note != "" {
			s.log.Print("sigmagate: " + d.Note)
		}
		return
	}
	res := r.Gate
	name := r.AgentID
	if r.AgentName != "" {
		name = fmt.Sprintf("%s (%s)", r.AgentName, r.AgentID)
	}
	if c := res.Counts; c.Batches > 0 {
		s.log.Printf("sigmagate: %s: %s: %d of %d attempts did not succeed, in %d gated batch run(s)", name, res.Verdict, c.Failures(), c.Total, c.Batches)
	} else {
		s.log.Printf("sigmagate: %s: %s: no batch runs", name, res.Verdict)
	}
	if d.Note != "" {
		s.log.Print("sigmagate: " + d.Note)
	}
	for _, c := range res.Broken() {
		msg := c.Reason + why
		if c.Verdict == gate.Inconclusive {
			msg = "inconclusive: " + msg
		}
		s.annotate(d.Severity, msg)
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

// write leaves the job summary and the step outputs. A summary that cannot
// be written is only a warning, as it is to the runner: the outputs and the
// verdict still count. Outputs that cannot be written are an error.
func (s *step) write(cfg config.Config, r report.Result, d policy.Decision) error {
	if cfg.Summary {
		md := untrusted.Redact(report.Markdown([]report.Result{r}), cfg.APIKey)
		if path := s.env.Getenv("GITHUB_STEP_SUMMARY"); path != "" {
			if err := ghio.WriteSummary(path, md); err != nil {
				s.ann.Warning(fmt.Sprintf("could not write the job summary to GITHUB_STEP_SUMMARY (%s): %v; the verdict and outputs are not affected", path, err))
			}
		} else {
			s.log.Print(md)
		}
	}
	path := s.env.Getenv("GITHUB_OUTPUT")
	if path == "" {
		if s.inActions {
			return errors.New("GITHUB_OUTPUT is not set, so the step outputs cannot be written: run sigmagate as a step of a GitHub Actions job, or unset GITHUB_ACTIONS")
		}
		return nil
	}
	outs := outputs(r, d)
	for i := range outs {
		outs[i].Value = untrusted.Redact(outs[i].Value, cfg.APIKey)
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
