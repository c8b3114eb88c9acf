package action

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/report"
)

// outputs are the step outputs, all single lines, every one set on every
// run. passed is the policy's. With several agents, result is the worst
// agent's, the counts are every agent's added up, and the ids every
// agent's, in the order the agents were given.
func outputs(results []report.Result, d policy.Decision) []ghio.Output {
	ids, started := []string{}, []string{}
	for _, r := range results {
		for _, row := range r.Rows {
			if row.Role == report.Gated {
				ids = append(ids, row.Batch.ID)
			}
		}
		if r.Started != nil {
			started = append(started, r.Started.BatchIDs...)
		}
	}
	// One agent's error leaves its counts unknown: totals without them
	// would read as the whole.
	c, known := report.Totals(results)
	failed := !known
	count := func(n int64) string {
		if failed {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	return []ghio.Output{
		{Name: "result", Value: report.Worst(results)},
		{Name: "passed", Value: strconv.FormatBool(d.Passed)},
		{Name: "failure-rate", Value: fraction(c.FailureRate(), failed)},
		{Name: "success-rate", Value: fraction(c.SuccessRate(), failed)},
		{Name: "failed-attempts", Value: count(c.Failed)},
		{Name: "successful-attempts", Value: count(c.Successful)},
		{Name: "undecided-attempts", Value: count(c.Undecided)},
		{Name: "total-attempts", Value: count(c.Total)},
		{Name: "batch-ids", Value: jsonStrings(ids)},
		{Name: "started-batch-ids", Value: jsonStrings(started)},
		{Name: "report", Value: report.JSON(results)},
	}
}

// fraction writes a rate with at most 4 decimals: "0.2", "0.0333". A rate
// that is not 0 never reads 0, nor one below 1 as 1: a script comparing the
// output with 0 must not see a failing run as clean. It is empty when the
// result is an error, and when nothing was executed.
func fraction(f float64, failed bool) string {
	if failed || math.IsNaN(f) {
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

// jsonStrings writes ids as a JSON array on one line, in ASCII: every other
// character is escaped (\uXXXX, a surrogate pair beyond the BMP), so that an
// invisible or line-separating character from the API cannot hide in a
// script's variable, and JSON.parse, jq and encoding/json all read the ids
// back exactly.
func jsonStrings(ss []string) string {
	if ss == nil {
		ss = []string{}
	}
	j, err := json.Marshal(ss)
	if err != nil {
		// Strings always encode; answer with JSON all the same.
		return "[]"
	}
	var b strings.Builder
	b.Grow(len(j))
	for _, r := range string(j) {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}
