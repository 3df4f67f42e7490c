// Package cvss computes scores from CVSS vectors and rates them as None,
// Low, Medium, High or Critical: version 3.0 and 3.1 base scores (the
// specification's base formula, with each version's rounding), and version
// 4.0 scores (the macro-vector lookup and interpolation of FIRST's
// specification and reference calculator), which cover the threat and
// environmental metrics a 4.0 vector carries (CVSS-BT, -BE, -BTE).
package cvss

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrVector reports a vector string that is not a valid CVSS base vector.
var ErrVector = errors.New("invalid CVSS vector")

// Score is a score with its version and rating.
type Score struct {
	Version string // "3.0", "3.1", "4.0"
	// Base is the score, 0.0 to 10.0: the base score for 3.x (temporal and
	// environmental metrics are validated but not applied); for 4.0 the
	// score of all the metrics the vector carries, named by Nomenclature.
	Base   float64
	Rating string // none, low, medium, high, critical
	// Nomenclature is CVSS-B, CVSS-BT, CVSS-BE or CVSS-BTE for 4.0 vectors
	// (base, threat, environmental metrics defined), "" for 3.x.
	Nomenclature string
}

var v3Metrics = map[string]map[string]float64{
	"AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
	"AC": {"L": 0.77, "H": 0.44},
	"PR": {"N": 0.85, "L": 0.62, "H": 0.27},
	"UI": {"N": 0.85, "R": 0.62},
	"S":  {"U": 0, "C": 1},
	"C":  {"H": 0.56, "L": 0.22, "N": 0},
	"I":  {"H": 0.56, "L": 0.22, "N": 0},
	"A":  {"H": 0.56, "L": 0.22, "N": 0},
}

// v3Optional are the temporal and environmental metrics a vector may carry;
// they do not change the base score.
var v3Optional = map[string]bool{
	"E": true, "RL": true, "RC": true, "CR": true, "IR": true, "AR": true,
	"MAV": true, "MAC": true, "MPR": true, "MUI": true, "MS": true, "MC": true, "MI": true, "MA": true,
}

// Parse validates a vector and computes its score. Invalid vectors return
// an error wrapping ErrVector.
func Parse(vector string) (Score, error) {
	vector = strings.TrimSpace(vector)
	prefix, rest, ok := strings.Cut(vector, "/")
	if !ok {
		return Score{}, fmt.Errorf("%w: %q: no metrics", ErrVector, vector)
	}
	switch prefix {
	case "CVSS:3.0", "CVSS:3.1":
		return parseV3(prefix[5:], rest, vector)
	case "CVSS:4.0":
		v, err := parseV4Metrics(rest)
		if err != nil {
			return Score{}, fmt.Errorf("%w: %q: %v", ErrVector, vector, err)
		}
		base := scoreV4(&v)
		return Score{Version: "4.0", Base: base, Rating: Rating(base), Nomenclature: v.nomenclature()}, nil
	}
	return Score{}, fmt.Errorf("%w: %q: unknown version prefix", ErrVector, vector)
}

func parseV3(ver, rest, vector string) (Score, error) {
	vals := make(map[string]string, 8)
	for _, part := range strings.Split(rest, "/") {
		k, v, ok := strings.Cut(part, ":")
		if !ok {
			return Score{}, fmt.Errorf("%w: %q: metric %q has no value", ErrVector, vector, part)
		}
		if _, dup := vals[k]; dup {
			return Score{}, fmt.Errorf("%w: %q: metric %s repeated", ErrVector, vector, k)
		}
		if m, base := v3Metrics[k]; base {
			if _, known := m[v]; !known {
				return Score{}, fmt.Errorf("%w: %q: %s:%s", ErrVector, vector, k, v)
			}
		} else if !v3Optional[k] {
			return Score{}, fmt.Errorf("%w: %q: unknown metric %s", ErrVector, vector, k)
		}
		vals[k] = v
	}
	for k := range v3Metrics {
		if _, ok := vals[k]; !ok {
			return Score{}, fmt.Errorf("%w: %q: base metric %s missing", ErrVector, vector, k)
		}
	}
	w := func(k string) float64 { return v3Metrics[k][vals[k]] }
	changed := vals["S"] == "C"
	pr := w("PR")
	if changed {
		switch vals["PR"] {
		case "L":
			pr = 0.68
		case "H":
			pr = 0.5
		}
	}
	iss := 1 - (1-w("C"))*(1-w("I"))*(1-w("A"))
	impact := 6.42 * iss
	if changed {
		impact = 7.52*(iss-0.029) - 3.25*math.Pow(iss-0.02, 15)
	}
	exploit := 8.22 * w("AV") * w("AC") * pr * w("UI")
	round := roundUp31
	if ver == "3.0" {
		round = roundUp30
	}
	var base float64
	switch {
	case impact <= 0:
		base = 0
	case changed:
		base = round(math.Min(1.08*(impact+exploit), 10))
	default:
		base = round(math.Min(impact+exploit, 10))
	}
	return Score{Version: ver, Base: base, Rating: Rating(base)}, nil
}

// roundUp31 is CVSS 3.1's Roundup: the smallest number with one decimal
// that is not below x, computed on integers to avoid floating-point noise.
func roundUp31(x float64) float64 {
	n := int64(math.Round(x * 100000))
	if n%10000 == 0 {
		return float64(n) / 100000
	}
	return float64(n/10000+1) / 10
}

// roundUp30 is CVSS 3.0's round up to one decimal.
func roundUp30(x float64) float64 { return math.Ceil(x*10) / 10 }

// Rating names the qualitative severity of a base score.
func Rating(base float64) string {
	switch {
	case base == 0:
		return "none"
	case base < 4:
		return "low"
	case base < 7:
		return "medium"
	case base < 9:
		return "high"
	}
	return "critical"
}
