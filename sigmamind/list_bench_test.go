package sigmamind_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
)

// pageTransport answers every request with the same page, so that the
// benchmark measures the client rather than a network.
type pageTransport []byte

func (p pageTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(p)), Request: r}, nil
}

// benchPage is a page of 100 batch runs with 20 test cases each, with
// prompts of realistic length, created hourly before benchNow.
func benchPage(b *testing.B) []byte {
	page := sigmamind.Page[sigmamind.BatchRun]{Size: 100, TotalCount: 100, TotalPages: 1}
	for i := range 100 {
		run := sigmamind.BatchRun{BatchID: fmt.Sprintf("batch_%016d", i), WorkspaceID: "org_V6eZ2zg8ziDx5pft",
			Agent:              &sigmamind.Agent{Name: "Acme Support (voice)", AgentID: "agent_x", Status: "Live"},
			CreatedDate:        time.Date(2026, 11, 29, 10, 52, 45, 565e6, time.UTC).Add(-time.Duration(i) * time.Hour),
			SuccessfulAttempts: 95, FailedAttempts: 4, TotalAttempts: 100}
		for j := range 20 {
			run.TestCases = append(run.TestCases, sigmamind.TestCase{
				TestCaseID: fmt.Sprintf("tc_%016d", j), Label: "Angry customer - cancellation flow", LLMModel: "gpt-4o-mini", Attempt: 5,
				MockData:        []sigmamind.MockData{{VariableName: "customer_name", Value: "John Doe"}, {VariableName: "account_status", Value: "active"}},
				UserPrompt:      "You are an angry customer who was billed again a month after asking to cancel. You interrupt often and want the subscription cancelled today, with a refund for the last charge.",
				SuccessCriteria: "The agent acknowledges the frustration, offers at most one retention option, and confirms the cancellation with its effective date when the caller insists.",
			})
		}
		page.Data = append(page.Data, run)
	}
	body, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	return body
}

var benchNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// BenchmarkListBatchRuns lists a page of 100 batch runs with 20 test cases
// each through the client, as the gate reads one: decode, validate, scrub
// the key. BenchmarkDecodePage measures the decoder alone.
func BenchmarkListBatchRuns(b *testing.B) {
	body := benchPage(b)
	client, err := sigmamind.NewClient(&http.Client{Transport: pageTransport(body)}, "https://api.sigmamind.ai", "sk-bench-key")
	if err != nil {
		b.Fatal(err)
	}
	client.Now = func() time.Time { return benchNow } // the page's dates must not be in the future
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		page, err := client.ListBatchRuns(context.Background(), "agent_x", sigmamind.ListOptions{Size: 100})
		if err != nil || len(page.Data) != 100 {
			b.Fatalf("%d batch runs, %v; want 100", len(page.Data), err)
		}
	}
}
