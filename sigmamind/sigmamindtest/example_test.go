package sigmamindtest_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

func Example() {
	srv := sigmamindtest.NewServer()
	defer srv.Close()
	now := time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC)
	srv.AddBatchRuns(sigmamindtest.SampleAgentID, sigmamindtest.SampleRuns(now, sigmamindtest.SampleAgentID, sigmamindtest.ScenarioFailing)...)
	// The first attempt is throttled; a client should wait and retry.
	srv.Fail(sigmamindtest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})

	get := func() *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/batch-runs?size=3&agentId="+sigmamindtest.SampleAgentID, nil)
		req.Header.Set("X-API-Key", sigmamindtest.DefaultAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		return resp
	}
	resp := get()
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))

	resp = get()
	defer resp.Body.Close()
	var page sigmamind.Page[sigmamind.BatchRun]
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		log.Fatal(err)
	}
	b := page.Data[0]
	fmt.Println(resp.StatusCode, len(page.Data), page.TotalCount, page.HasNext)
	fmt.Println(b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts)
	// Output:
	// 429 1
	// 200 3 12 true
	// 25 4 30
}
