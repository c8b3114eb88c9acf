package action

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// BenchmarkTenAgents is the wall time of a step of ten agents whose API
// answers every request in 0.4 s: one listing request an agent, four agents
// at a time, so about three waves (1.2 s), not ten (4 s).
func BenchmarkTenAgents(b *testing.B) {
	const hold = 400 * time.Millisecond
	fake := sigmamindtest.NewHandler(sigmamindtest.WithAPIKey(steptest.Key))
	var ids []string
	for i := range 10 {
		id := fmt.Sprintf("agent_%d", i)
		run := steptest.Run5("batch_"+id, steptest.Now.Add(-time.Hour), 5, 0)
		run.Agent = &sigmamind.Agent{AgentID: id, Name: "Bot"}
		fake.AddBatchRuns(id, run)
		ids = append(ids, id)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
			return
		}
		fake.Handler().ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	b.Cleanup(fake.Close)
	vars, _, _ := steptest.Env(b, map[string]string{"api-key": steptest.Key, "agent-id": strings.Join(ids, ","), "api-url": srv.URL})
	b.ResetTimer()
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), nil, Env{
			Getenv: func(k string) string { return vars[k] },
			Stdout: &stdout, Stderr: &stderr,
			Now:     time.Now,
			HTTP:    &http.Client{},
			Version: "test",
		})
		if code != 0 {
			b.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
		}
	}
}
