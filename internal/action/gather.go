package action

import (
	"context"
	"time"

	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// Pauses between polls while waiting for running batch runs.
const (
	firstPoll  = 10 * time.Second
	maxPoll    = time.Minute
	stallPolls = 5
	// The demo's pauses: its fake runs progress at every read.
	demoFirstPoll = 100 * time.Millisecond
	demoMaxPoll   = 400 * time.Millisecond
)

// client is the API client the configuration asks for.
func (s *step) client(cfg config.Config) (*sigmamind.Client, error) {
	client, err := sigmamind.NewClient(s.env.HTTP, cfg.APIURL, cfg.APIKey)
	if err != nil {
		return nil, err
	}
	client.UserAgent = "sigmagate/" + s.env.Version + " (+https://github.com/sigmagate/sigmagate)"
	client.MaxRetries = cfg.Retries
	client.RequestTimeout = requestTimeout(cfg.Timeout, cfg.Retries)
	client.Now = s.env.Now
	client.Sleep = s.sleep
	return client, nil
}

// gather lists the batch runs the configuration asks for, and waits for
// gated ones that are still running when it asks to.
func (s *step) gather(ctx context.Context, client *sigmamind.Client, cfg config.Config) (batches.Selection, error) {
	// The timeout bounds the talk with the API; waiting for running batch
	// runs is on top of it.
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout+cfg.Wait)
	defer cancel()
	// The trend's rows are read even without a summary: they witness that
	// the listing is newest first, and the same answers must give the same
	// verdict whether or not a summary is written.
	req := batches.Request{AgentID: cfg.AgentID, BatchID: cfg.BatchID, Count: cfg.Batches, Baseline: cfg.Baseline, Trend: config.TrendRows,
		KeepBytes: batches.KeepBytes(len(cfg.AgentIDs))}
	sel, err := batches.Select(ctx, client, req)
	if err == nil && cfg.Wait > 0 && batches.Running(sel.Gated) {
		w := batches.Waiter{Sleep: s.sleep, Now: s.env.Now, Progress: s.log.Print,
			FirstPoll: firstPoll, MaxPoll: maxPoll, StallPolls: stallPolls}
		sel, err = w.Wait(ctx, client, req, sel, cfg.Wait)
	}
	return sel, err
}

// sleep waits between retries and between polls: as Env.Sleep says, or for
// real.
func (s *step) sleep(ctx context.Context, d time.Duration) error {
	if s.env.Sleep != nil {
		return s.env.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// requestTimeout shares the timeout among the tries, so that one hung
// connection leaves time for the retries: 2m with 3 retries gives each
// request 30s.
func requestTimeout(timeout time.Duration, retries int) time.Duration {
	return max(timeout/time.Duration(retries+1), time.Second)
}
