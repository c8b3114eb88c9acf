// Package sigmamind is a client for the parts of SigmaMind's public API that a
// merge gate needs: listing an agent's simulation batch runs.
package sigmamind

import (
	"math"
	"time"
	"unsafe"
)

// Agent is the agent a batch run or test case belongs to.
type Agent struct {
	Name    string `json:"name,omitempty"`
	AgentID string `json:"agentId,omitempty"`
	Status  string `json:"status,omitempty"` // Live, Testing or Disabled
}

// MockData is one variable that a simulation substituted with a fixed value.
type MockData struct {
	VariableName string `json:"variableName"`
	Value        string `json:"value"`
}

// TestCase is a simulated conversation scenario within a batch run.
type TestCase struct {
	TestCaseID      string     `json:"testCaseId"`
	Label           string     `json:"label,omitempty"` // absent in older API versions
	Agent           *Agent     `json:"agent,omitempty"`
	WorkspaceID     string     `json:"workspaceId,omitempty"`
	LLMModel        string     `json:"llmModel,omitempty"`
	MockData        []MockData `json:"mockData,omitempty"`
	UserPrompt      string     `json:"userPrompt,omitempty"`
	Attempt         int64      `json:"attempt"` // configured attempts, not executed ones
	SuccessCriteria string     `json:"successCriteria,omitempty"`
}

// BatchRun is one execution of a set of test cases against an agent.
//
// TotalAttempts counts executed attempts; SuccessfulAttempts and
// FailedAttempts count those that were judged. An attempt can be executed and
// judged neither (it errored), so the two need not add up to the total.
type BatchRun struct {
	BatchID            string     `json:"batchId"`
	WorkspaceID        string     `json:"workspaceId,omitempty"`
	Agent              *Agent     `json:"agent,omitempty"`
	CreatedDate        time.Time  `json:"createdDate"`
	TestCases          []TestCase `json:"testCases"`
	SuccessfulAttempts int64      `json:"successfulAttempts"`
	FailedAttempts     int64      `json:"failedAttempts"`
	TotalAttempts      int64      `json:"totalAttempts"`

	// LeftOutTestCases counts the test cases the API listed beyond those
	// kept in TestCases (see MaxTestCases), and LeftOutAttempts sums their
	// configured attempts; it is 0 when any of them has none. They are not
	// part of the API's JSON.
	LeftOutTestCases int64 `json:"-"`
	LeftOutAttempts  int64 `json:"-"`
	// Invalid is why the batch run's JSON is not as documented (a key in
	// another case, a key given twice, a required field missing or null, a
	// value of the wrong type); empty when it is. Validate turns it into a
	// *DataError. Only this package sets it; it is exported because go-cmp
	// refuses to compare unexported fields, and tests everywhere compare
	// BatchRun values.
	Invalid string `json:"-"`
}

// ExpectedAttempts is the number of attempts the batch was configured to run:
// the sum of the attempt counts of all its test cases, those left out of
// TestCases included. Zero means unknown: no test case is listed, or one of
// them has a missing, null or non-positive attempt count. One test case of
// unknown size makes the whole unknown, so that a batch is never called
// finished while it may still have attempts to run.
func (b *BatchRun) ExpectedAttempts() int64 {
	var n int64
	if b.LeftOutTestCases > 0 {
		if b.LeftOutAttempts <= 0 {
			return 0
		}
		n = b.LeftOutAttempts
	}
	for _, tc := range b.TestCases {
		if tc.Attempt <= 0 {
			return 0
		}
		if tc.Attempt > math.MaxInt64-n {
			n = math.MaxInt64 // saturate: hostile data must not wrap around
		} else {
			n += tc.Attempt
		}
	}
	return n
}

// FoldTestCases keeps in TestCases only the test cases that keep accepts,
// in their order, and counts the others as left out (LeftOutTestCases,
// LeftOutAttempts), so that ExpectedAttempts says the same after as before.
// keep is called once per test case, in order. A batch run listed only to
// be compared with or drawn in the trend needs no test case kept: only
// their counts are judged. The texts of those folded can then be freed.
func (b *BatchRun) FoldTestCases(keep func(*TestCase) bool) {
	var kept []TestCase
	folded := false
	for i := range b.TestCases {
		if keep(&b.TestCases[i]) {
			kept = append(kept, b.TestCases[i])
			continue
		}
		folded = true
		b.leaveOut(b.TestCases[i].Attempt)
	}
	if folded {
		// A new array: the old one would keep every text alive.
		b.TestCases = kept
	}
}

// leaveOut counts one more test case left out of TestCases, configured for
// attempt attempts. Their sum stays 0, unknown, once one of them has none.
func (b *BatchRun) leaveOut(attempt int64) {
	if b.LeftOutTestCases == 0 {
		b.LeftOutAttempts = 0 // means nothing without a test case left out
	}
	unknown := b.LeftOutTestCases > 0 && b.LeftOutAttempts <= 0
	b.LeftOutTestCases++
	switch {
	case unknown || attempt <= 0:
		b.LeftOutAttempts = 0
	case attempt > math.MaxInt64-b.LeftOutAttempts:
		b.LeftOutAttempts = math.MaxInt64 // saturate: hostile data must not wrap around
	default:
		b.LeftOutAttempts += attempt
	}
}

// TestCaseCount is how many test cases the API listed for the batch run,
// kept in TestCases or not.
func (b *BatchRun) TestCaseCount() int64 {
	return int64(len(b.TestCases)) + b.LeftOutTestCases
}

// Bytes is about how much memory tc holds: its structures and its texts,
// each counted whole though equal ones may be shared.
func (tc *TestCase) Bytes() int64 {
	n := int64(unsafe.Sizeof(*tc)) + int64(cap(tc.MockData))*int64(unsafe.Sizeof(MockData{})) +
		int64(len(tc.TestCaseID)+len(tc.Label)+len(tc.WorkspaceID)+len(tc.LLMModel)+len(tc.UserPrompt)+len(tc.SuccessCriteria))
	if a := tc.Agent; a != nil {
		n += int64(unsafe.Sizeof(*a)) + int64(len(a.Name)+len(a.AgentID)+len(a.Status))
	}
	for _, md := range tc.MockData {
		n += int64(len(md.VariableName) + len(md.Value))
	}
	return n
}

// Page is SigmaMind's wrapper for paginated lists.
type Page[T any] struct {
	Data        []T   `json:"data"`
	Page        int   `json:"page"` // zero-based
	Size        int   `json:"size"`
	TotalCount  int64 `json:"totalCount"`
	TotalPages  int   `json:"totalPages"`
	HasNext     bool  `json:"hasNext"`
	HasPrevious bool  `json:"hasPrevious"`
}

// ErrorBody is SigmaMind's error response.
type ErrorBody struct {
	Timestamp        string         `json:"timestamp,omitempty"`
	Status           int            `json:"status,omitempty"`
	Error            string         `json:"error,omitempty"`
	Message          string         `json:"message,omitempty"`
	Path             string         `json:"path,omitempty"`
	ValidationErrors map[string]any `json:"validationErrors,omitempty"` // values are usually strings
}
