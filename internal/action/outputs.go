package action

import (
	"math"
	"strconv"
	"strings"

	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/report"
)

// outputs are the step outputs, all single lines, every one set on every
// run. passed is the policy's.
func outputs(r report.Result, d policy.Decision) []ghio.Output {
	ids := []string{}
	for _, row := range r.Rows {
		if row.Role == report.Gated {
			ids = append(ids, row.Batch.ID)
		}
	}
	started := []string{}
	if r.Started != nil {
		started = r.Started.BatchIDs
	}
	failed := r.Err != ""
	c := r.Gate.Counts
	count := func(n int64) string {
		if failed {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	return []ghio.Output{
		{Name: "result", Value: r.Outcome()},
		{Name: "passed", Value: strconv.FormatBool(d.Passed)},
		{Name: "failure-rate", Value: fraction(c.FailureRate(), failed)},
		{Name: "success-rate", Value: fraction(c.SuccessRate(), failed)},
		{Name: "failed-attempts", Value: count(c.Failed)},
		{Name: "successful-attempts", Value: count(c.Successful)},
		{Name: "undecided-attempts", Value: count(c.Undecided)},
		{Name: "total-attempts", Value: count(c.Total)},
		{Name: "batch-ids", Value: jsonStrings(ids)},
		{Name: "started-batch-ids", Value: jsonStrings(started)},
		{Name: "report", Value: report.JSON(r)},
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

func jsonStrings(ss []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.QuoteToASCII(s))
	}
	b.WriteByte(']')
	return b.String()
}
