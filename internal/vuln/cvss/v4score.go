package cvss

import (
	"math"
	"strings"
)

// v4DistMetrics are the metrics whose severity distance from a macro
// vector's highest-severity vectors is measured, in the reference
// calculator's order (the order of the floating-point sums below).
var v4DistMetrics = [...]int{mAV, mPR, mUI, mAC, mAT, mVC, mVI, mVA, mSC, mSI, mSA, mCR, mIR, mAR}

// v4Level is the severity level of a metric value, 0 the most severe, in
// steps of 0.1 (the reference calculator's METRIC_LEVELS).
func v4Level(m int, val string) float64 {
	var order string
	switch m {
	case mAV:
		order = "NALP"
	case mPR:
		order = "NLH"
	case mUI:
		order = "NPA"
	case mAC:
		order = "LH"
	case mAT:
		order = "NP"
	case mVC, mVI, mVA:
		order = "HLN"
	case mSC:
		order = "_HLN" // SC has no Safety value: H is one step down
	case mSI, mSA:
		order = "SHLN"
	case mCR, mIR, mAR:
		order = "HML"
	}
	return [...]float64{0.0, 0.1, 0.2, 0.3}[strings.Index(order, val)&3]
}

// v4MaxParts are, per EQ and class, the metric values of the macro
// vector's highest-severity vectors (the reference calculator's
// MAX_COMPOSED); EQ3 and EQ6 are taken together, indexed [eq3][eq6].
var (
	v4MaxEQ1 = [3][]string{
		{"AV:N/PR:N/UI:N"},
		{"AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"},
		{"AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"},
	}
	v4MaxEQ2  = [2][]string{{"AC:L/AT:N"}, {"AC:H/AT:N", "AC:L/AT:P"}}
	v4MaxEQ36 = [3][2][]string{
		{
			{"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"},
			{"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"},
		},
		{
			{"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"},
			{"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
				"VC:H/VI:L/VA:L/CR:M/IR:H/AR:H", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"},
		},
		{nil, {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"}},
	}
	v4MaxEQ4 = [3][]string{{"SC:H/SI:S/SA:S"}, {"SC:H/SI:H/SA:H"}, {"SC:L/SI:L/SA:L"}}
)

// v4MaxSeverity is, per EQ and class, the depth of the macro vector in
// steps of 0.1 (the reference calculator's MAX_SEVERITY).
var (
	v4DepthEQ1  = [3]float64{1, 4, 5}
	v4DepthEQ2  = [2]float64{1, 2}
	v4DepthEQ36 = [3][2]float64{{7, 6}, {8, 8}, {0, 10}}
	v4DepthEQ4  = [3]float64{6, 5, 4}
)

const v4Step = 0.1

// lookupV4 returns the score of a macro vector and whether it exists.
func lookupV4(eq [6]int) (float64, bool) {
	var k [6]byte
	for i, d := range eq {
		if d < 0 || d > 9 {
			return 0, false
		}
		k[i] = byte('0' + d)
	}
	s, ok := v4Lookup[string(k[:])]
	return s, ok
}

// scoreV4 computes the score of a validated vector.
func scoreV4(v *v4Vector) float64 {
	none := true
	for _, m := range []int{mVC, mVI, mVA, mSC, mSI, mSA} {
		none = none && v.eff(m) == "N"
	}
	if none {
		return 0
	}
	eq := v.macroVector()
	value, ok := lookupV4(eq)
	if !ok {
		return 0 // unreachable for a validated vector
	}
	lowers := v4Lowers(eq)
	dist := v4Distances(v, eq)
	sums := [4]float64{
		dist[0] + dist[1] + dist[2],
		dist[3] + dist[4],
		dist[5] + dist[6] + dist[7] + dist[11] + dist[12] + dist[13],
		dist[8] + dist[9] + dist[10],
	}
	depths := [4]float64{v4DepthEQ1[eq[0]], v4DepthEQ2[eq[1]], v4DepthEQ36[eq[2]][eq[5]], v4DepthEQ4[eq[3]]}
	n := 0
	var normalized [5]float64
	for i := range 4 {
		if lower, ok := lowers[i](); ok {
			n++
			available := value - lower
			maxSeverity := float64(depths[i] * v4Step)
			normalized[i] = float64(available * float64(sums[i]/maxSeverity))
		}
	}
	if _, ok := lowers[4](); ok {
		n++ // EQ5's proportion is always 0: it counts in the mean only
	}
	mean := 0.0
	if n > 0 {
		mean = (normalized[0] + normalized[1] + normalized[2] + normalized[3] + normalized[4]) / float64(n)
	}
	return math.Round(float64(math.Max(0, math.Min(10, value-mean))*10)) / 10
}

// v4Lowers returns, per EQ1, EQ2, EQ3+EQ6, EQ4 and EQ5, the score of the
// next lower macro vector, if there is one. EQ3 and EQ6 step down together:
// 00 to the higher of 01 and 10, 01 and 11 to 11 and 21, 10 to 11.
func v4Lowers(eq [6]int) [5]func() (float64, bool) {
	step := func(deltas ...int) func() (float64, bool) {
		return func() (float64, bool) {
			e := eq
			for i := 0; i < len(deltas); i += 2 {
				e[deltas[i]] += deltas[i+1]
			}
			return lookupV4(e)
		}
	}
	var eq36 func() (float64, bool)
	switch {
	case eq[2] == 0 && eq[5] == 0:
		eq36 = func() (float64, bool) {
			l, lok := step(5, 1)()
			r, rok := step(2, 1)()
			if !lok || !rok {
				return 0, false
			}
			return math.Max(l, r), true
		}
	case eq[2] == 1 && eq[5] == 0:
		eq36 = step(5, 1)
	case eq[2] == 2:
		eq36 = step(2, 1, 5, 1) // 21 to 32: never exists
	default:
		eq36 = step(2, 1)
	}
	return [5]func() (float64, bool){step(0, 1), step(1, 1), eq36, step(3, 1), step(4, 1)}
}

// v4Distances returns the severity distances of v's effective values from
// the first of the macro vector's highest-severity vectors that is at least
// as severe in every metric (from the last one when none is, as the
// reference calculator does), in v4DistMetrics order.
func v4Distances(v *v4Vector, eq [6]int) [len(v4DistMetrics)]float64 {
	var dist [len(v4DistMetrics)]float64
	for _, p1 := range v4MaxEQ1[eq[0]] {
		for _, p2 := range v4MaxEQ2[eq[1]] {
			for _, p36 := range v4MaxEQ36[eq[2]][eq[5]] {
				for _, p4 := range v4MaxEQ4[eq[3]] {
					var max v4Vector
					for _, p := range []string{p1, p2, p36, p4} {
						for kv := range strings.SplitSeq(p, "/") {
							k, val, _ := strings.Cut(kv, ":")
							max[v4Index(k)] = val
						}
					}
					fits := true
					for i, m := range v4DistMetrics {
						dist[i] = v4Level(m, v.eff(m)) - v4Level(m, max[m])
						fits = fits && dist[i] >= 0
					}
					if fits {
						return dist
					}
				}
			}
		}
	}
	return dist
}
