package gate

import "math"

// negligible is where a binomial's tails are cut: terms below it times the
// largest term are left out. The tails fall off faster than geometrically, so
// what is left out of a run of n attempts is below n·1e-18: the operating
// characteristics are exact to far better than the 1e-9 anyone could read.
const negligible = 1e-18

// binomial returns the probabilities of lo, lo+1, … events in n trials at
// rate p, cut where they become negligible. It walks out from the mode with
// the ratio of neighbouring terms, so only the mode needs a logarithm of a
// factorial; n of several thousand costs a few microseconds.
func binomial(n int64, p float64) (lo int64, pmf []float64) {
	switch {
	case p <= 0:
		return 0, []float64{1}
	case p >= 1:
		return n, []float64{1}
	}
	mode := min(int64(float64(n+1)*p), n)
	lgn, _ := math.Lgamma(float64(n + 1))
	lgm, _ := math.Lgamma(float64(mode + 1))
	lgr, _ := math.Lgamma(float64(n - mode + 1))
	top := math.Exp(lgn - lgm - lgr + float64(mode)*math.Log(p) + float64(n-mode)*math.Log1p(-p))
	odds := p / (1 - p)
	var down []float64 // mode-1, mode-2, …
	for j, v := mode, top; j > 0; j-- {
		v *= float64(j) / float64(n-j+1) / odds // term j-1 from term j
		if v < negligible*top {
			break
		}
		down = append(down, v)
	}
	lo = mode - int64(len(down))
	pmf = make([]float64, 0, len(down)+1)
	for i := len(down) - 1; i >= 0; i-- {
		pmf = append(pmf, down[i])
	}
	pmf = append(pmf, top)
	for j, v := mode, top; j < n; j++ {
		v *= float64(n-j) / float64(j+1) * odds // term j+1 from term j
		if v < negligible*top {
			break
		}
		pmf = append(pmf, v)
	}
	// The terms are exact up to rounding; normalising removes the common
	// error of the mode's factorials.
	sum := 0.0
	for _, v := range pmf {
		sum += v
	}
	for i := range pmf {
		pmf[i] /= sum
	}
	return lo, pmf
}

// boundaries are the thresholds of a design on the pooled failure count at
// each look k (index k-1), for runs of n attempts: the look passes at most
// pass[k-1] failures and fails at least fail[k-1]. Between them the walk
// goes on only within [keepMin, keepMax]; outside it stops with neither
// verdict (a count from which the verdict sought can no longer be reached).
type boundaries struct {
	n                int64
	pass, fail       []int64
	keepMin, keepMax []int64
}

// walk computes exactly, over the binomial, the chance that the design
// passes, fails, or stops with neither verdict when every attempt fails
// independently with probability p, and the expected number of runs it
// starts. It carries the distribution of the pooled failure count of the
// runs still going from look to look: a convolution with one run's binomial
// per look, over the narrow band of counts that neither decide nor stop.
func (b boundaries) walk(p float64) (pass, fail, stop, runs float64) {
	lo, pmf := binomial(b.n, p)
	dist, off := []float64{1}, int64(0) // dist[i]: P(still going with off+i failures)
	for k := range b.pass {
		mass := 0.0
		for _, v := range dist {
			mass += v
		}
		if mass == 0 {
			break
		}
		runs += mass
		next := make([]float64, len(dist)+len(pmf)-1)
		for i, d := range dist {
			if d == 0 {
				continue
			}
			for j, q := range pmf {
				next[i+j] += d * q
			}
		}
		off += lo
		first, last := -1, -1
		for i, v := range next {
			x := off + int64(i)
			switch {
			case x >= b.fail[k]: // fail first, as a look does
				fail += v
			case x <= b.pass[k]:
				pass += v
			case k == len(b.pass)-1 || x < b.keepMin[k] || x > b.keepMax[k]:
				stop += v
			default:
				if first < 0 {
					first = i
				}
				last = i
				continue
			}
			next[i] = 0
		}
		if first < 0 {
			break
		}
		dist, off = next[first:last+1], off+int64(first)
	}
	return pass, fail, stop, runs
}
