package cvss

import (
	"fmt"
	"strings"
)

// CVSS 4.0 scoring, as FIRST's specification (section 8, "CVSS v4.0
// Scoring") and its reference calculator (github.com/FIRSTdotorg/
// cvss-v4-calculator, cvss40.js) define it: the vector's effective metric
// values fall into one macro vector (equivalence classes EQ1 to EQ6) whose
// score is looked up in the specification's table; the score is then lowered
// by the mean, over the EQs that have a next lower macro vector, of the
// proportion of the vector's severity distance from the macro vector's
// highest-severity vectors times the score gap to that lower macro vector.
//
// The arithmetic is done in float64 in the same order as the reference
// calculator (which computes in IEEE doubles too), so that the rounding to
// one decimal agrees with it in the cases that fall near a half.

// v4 metric indexes. The first eleven are the base metrics, all required.
const (
	mAV = iota
	mAC
	mAT
	mPR
	mUI
	mVC
	mVI
	mVA
	mSC
	mSI
	mSA
	mE // threat
	mCR
	mIR
	mAR
	mMAV
	mMAC
	mMAT
	mMPR
	mMUI
	mMVC
	mMVI
	mMVA
	mMSC
	mMSI
	mMSA
	mS // supplemental: validated, never scored
	mAU
	mR
	mV
	mRE
	mU
	nV4Metrics
	nV4Base = mE
)

// v4Metric names a metric and its allowed values ("X" is Not Defined, the
// default of every non-base metric).
type v4Metric struct {
	name   string
	values []string
}

var v4Metrics = [nV4Metrics]v4Metric{
	mAV: {"AV", []string{"N", "A", "L", "P"}},
	mAC: {"AC", []string{"L", "H"}},
	mAT: {"AT", []string{"N", "P"}},
	mPR: {"PR", []string{"N", "L", "H"}},
	mUI: {"UI", []string{"N", "P", "A"}},
	mVC: {"VC", []string{"H", "L", "N"}},
	mVI: {"VI", []string{"H", "L", "N"}},
	mVA: {"VA", []string{"H", "L", "N"}},
	mSC: {"SC", []string{"H", "L", "N"}},
	mSI: {"SI", []string{"H", "L", "N"}},
	mSA: {"SA", []string{"H", "L", "N"}},

	mE: {"E", []string{"X", "A", "P", "U"}},

	mCR:  {"CR", []string{"X", "H", "M", "L"}},
	mIR:  {"IR", []string{"X", "H", "M", "L"}},
	mAR:  {"AR", []string{"X", "H", "M", "L"}},
	mMAV: {"MAV", []string{"X", "N", "A", "L", "P"}},
	mMAC: {"MAC", []string{"X", "L", "H"}},
	mMAT: {"MAT", []string{"X", "N", "P"}},
	mMPR: {"MPR", []string{"X", "N", "L", "H"}},
	mMUI: {"MUI", []string{"X", "N", "P", "A"}},
	mMVC: {"MVC", []string{"X", "H", "L", "N"}},
	mMVI: {"MVI", []string{"X", "H", "L", "N"}},
	mMVA: {"MVA", []string{"X", "H", "L", "N"}},
	mMSC: {"MSC", []string{"X", "H", "L", "N"}},
	mMSI: {"MSI", []string{"X", "S", "H", "L", "N"}},
	mMSA: {"MSA", []string{"X", "S", "H", "L", "N"}},

	mS:  {"S", []string{"X", "N", "P"}},
	mAU: {"AU", []string{"X", "N", "Y"}},
	mR:  {"R", []string{"X", "A", "U", "I"}},
	mV:  {"V", []string{"X", "D", "C"}},
	mRE: {"RE", []string{"X", "L", "M", "H"}},
	mU:  {"U", []string{"X", "Clear", "Green", "Amber", "Red"}},
}

// maxV4Len bounds the vector string: the longest valid one, every metric
// present, is about 200 bytes.
const maxV4Len = 512

// v4Vector holds one value per metric; "" for an absent non-base metric.
type v4Vector [nV4Metrics]string

// parseV4Metrics validates the metrics of a CVSS 4.0 vector (the part after
// "CVSS:4.0/"): known names, allowed values, no repeats, all eleven base
// metrics. The specification lists the metrics in a fixed order; vigil
// accepts any order, as FIRST's own examples page does not keep it.
func parseV4Metrics(rest string) (v4Vector, error) {
	var v v4Vector
	if len(rest) > maxV4Len {
		return v, fmt.Errorf("vector longer than %d bytes", maxV4Len)
	}
	for part := range strings.SplitSeq(rest, "/") {
		k, val, ok := strings.Cut(part, ":")
		if !ok || val == "" {
			return v, fmt.Errorf("metric %q has no value", part)
		}
		i := v4Index(k)
		if i < 0 {
			return v, fmt.Errorf("unknown metric %s", k)
		}
		if v[i] != "" {
			return v, fmt.Errorf("metric %s repeated", k)
		}
		if !contains(v4Metrics[i].values, val) {
			return v, fmt.Errorf("%s:%s", k, val)
		}
		v[i] = val
	}
	for i := range nV4Base {
		if v[i] == "" {
			return v, fmt.Errorf("base metric %s missing", v4Metrics[i].name)
		}
	}
	return v, nil
}

func v4Index(name string) int {
	for i := range v4Metrics {
		if v4Metrics[i].name == name {
			return i
		}
	}
	return -1
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// nomenclature names what the score covers: CVSS-B for base metrics only,
// T when a threat metric is defined, E when an environmental one is.
func (v *v4Vector) nomenclature() string {
	n := "CVSS-B"
	if defined(v[mE]) {
		n += "T"
	}
	for i := mCR; i <= mMSA; i++ {
		if defined(v[i]) {
			return n + "E"
		}
	}
	return n
}

func defined(s string) bool { return s != "" && s != "X" }

// eff is the effective value of a metric: E undefined counts as A (Attacked)
// and CR, IR, AR undefined as H, the worst cases; a base metric is replaced
// by its defined modified (M) metric.
func (v *v4Vector) eff(i int) string {
	switch i {
	case mE:
		if !defined(v[i]) {
			return "A"
		}
	case mCR, mIR, mAR:
		if !defined(v[i]) {
			return "H"
		}
	}
	if i < nV4Base {
		if m := v[i+mMAV-mAV]; defined(m) { // MAV..MSA follow AV..SA's order
			return m
		}
	}
	return v[i]
}

// macroVector computes the six equivalence classes of the effective values.
func (v *v4Vector) macroVector() [6]int {
	e := func(i int) string { return v.eff(i) }
	var eq [6]int
	av, pr, ui := e(mAV), e(mPR), e(mUI)
	switch {
	case av == "N" && pr == "N" && ui == "N":
		eq[0] = 0
	case (av == "N" || pr == "N" || ui == "N") && av != "P":
		eq[0] = 1
	default:
		eq[0] = 2
	}
	if !(e(mAC) == "L" && e(mAT) == "N") {
		eq[1] = 1
	}
	vc, vi, va := e(mVC), e(mVI), e(mVA)
	switch {
	case vc == "H" && vi == "H":
		eq[2] = 0
	case vc == "H" || vi == "H" || va == "H":
		eq[2] = 1
	default:
		eq[2] = 2
	}
	switch {
	case e(mMSI) == "S" || e(mMSA) == "S":
		eq[3] = 0
	case e(mSC) == "H" || e(mSI) == "H" || e(mSA) == "H":
		eq[3] = 1
	default:
		eq[3] = 2
	}
	switch e(mE) {
	case "P":
		eq[4] = 1
	case "U":
		eq[4] = 2
	}
	if !((e(mCR) == "H" && vc == "H") || (e(mIR) == "H" && vi == "H") || (e(mAR) == "H" && va == "H")) {
		eq[5] = 1
	}
	return eq
}
