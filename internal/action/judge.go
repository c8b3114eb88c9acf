package action

import (
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/policy"
)

// judged is what the gate made of what gather chose.
type judged struct {
	// cfg is the configuration of the agent judged.
	cfg config.Config
	sel batches.Selection
	// gate is the gate's judgement of sel; empty when err is set.
	gate gate.Result
	// err is why the gate could not judge.
	err     error
	outcome policy.Outcome
	// started is what the step started with run-test-cases; nil without.
	started *starts
}

// judge has the gate judge the batch runs gather chose, or classifies the
// error that kept gather from choosing any: outage is the one rule for
// whether re-running may cure it.
func judge(cfg config.Config, sel batches.Selection, err error, now time.Time) judged {
	if err != nil {
		return judged{err: err, outcome: policy.Outcome{Err: true, Outage: outage(err)}}
	}
	res := gate.Evaluate(gate.Input{
		AgentID: cfg.AgentID, Gated: batches.ForGate(sel.Gated), Baseline: batches.ForGate(sel.Baseline),
		Requested: cfg.Batches, Rules: cfg.Rules, Now: now,
	})
	return judged{sel: sel, gate: res, outcome: policy.Outcome{Verdict: res.Verdict}}
}
