package action

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// agentsAtOnce bounds how many agents are read at the same time: enough
// that ten agents take about the time of three, few enough that the API
// sees a handful of requests from one step, not a burst.
const agentsAtOnce = 4

// judgeAgents judges every agent of the configuration on its own,
// concurrently, and returns their judgements in the order the agents were
// given. One agent's error never keeps another from being judged.
func (s *step) judgeAgents(ctx context.Context, client *sigmamind.Client, cfg config.Config) []judged {
	js := make([]judged, len(cfg.AgentIDs))
	if !cfg.Starts() && cfg.Wait == 0 {
		// timeout bounds the step's talk with the API, not each agent's: an
		// agent that waited for a slot spends what is left, or nine hung
		// agents would hold the step three timeouts. A wait for running or
		// started runs stays each agent's own: cut by another's, it would
		// turn a verdict into an error.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	slots := make(chan struct{}, agentsAtOnce)
	var wg sync.WaitGroup
	for i, id := range cfg.AgentIDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			agentCfg := cfg.For(id)
			defer func() {
				// Main's recover does not reach this goroutine: a bug must
				// still end as an error of this agent, not a crash that
				// writes no outputs.
				if p := recover(); p != nil {
					js[i] = judged{cfg: agentCfg, err: fmt.Errorf("internal error: %v; please report it", p), outcome: policy.Outcome{Err: true}}
				}
			}()
			js[i] = s.forAgent(id, len(cfg.AgentIDs) > 1).judgeAgent(ctx, client, agentCfg)
		}()
	}
	wg.Wait()
	return js
}

// forAgent is the step as one agent's work sees it: with several agents,
// its log lines name the agent, as they come interleaved.
func (s *step) forAgent(id string, several bool) *step {
	if !several {
		return s
	}
	as := *s
	as.log = ghio.Log{W: s.log.W, Prefix: id + ": "}
	return &as
}

// judgeAgent reads one agent's batch runs, or starts them, and judges
// them.
func (s *step) judgeAgent(ctx context.Context, client *sigmamind.Client, cfg config.Config) judged {
	var j judged
	if cfg.Starts() {
		st, sel, err := s.start(ctx, client, cfg)
		j = judgeStarted(cfg, st, sel, err, s.env.Now())
		j.started = st
		if ids := st.ids(); len(ids) > 0 && st.stop != report.StopDecided && st.stop != report.StopBudget && st.stop != report.StopFutile {
			s.log.Printf("sigmagate: stopped (%s); the batch runs started keep running in SigmaMind: %s", st.stop, strings.Join(ids, ", "))
		}
	} else {
		sel, err := s.gather(ctx, client, cfg)
		j = judge(cfg, sel, err, s.env.Now())
	}
	j.cfg = cfg
	return j
}
