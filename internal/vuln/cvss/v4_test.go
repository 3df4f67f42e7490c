package cvss

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// v4Cases are CVSS 4.0 vectors with their published scores, read from:
//
//   - first: FIRST's "CVSS v4.0 Examples" page
//     (https://www.first.org/cvss/v4.0/examples), the score shown for each
//     example (CVSS-B, -BT, -BE or -BTE as the vector has it);
//   - rh-simple, rh-threat, rh-security: the files tests/vectors_simple4,
//     vectors_threat4 and vectors_security4 of the cvss Python library
//     (github.com/RedHatProductSecurity/cvss), scores generated with FIRST's
//     reference calculator.
var v4Cases = []struct {
	src    string
	vector string
	score  float64
}{
	{"first", "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.3},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.7},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 5.2},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N", 8.3},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L", 8.1},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 4.6},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.1},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 6.9},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N", 5.9},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 9.4},
	{"first", "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:H/SA:N/S:P/V:D", 8.3},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:A", 8.7},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A", 10},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A", 9.3},
	{"first", "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H", 6.4},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I", 9.3},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/R:I", 8.7},
	{"first", "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 8.6},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 7.1},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.2},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L", 8.7},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L/E:U", 6.6},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.1},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.7},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N", 8.3},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:U", 5.6},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A", 9.2},
	{"first", "CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 5.4},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.7},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 6.9},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N", 6.9},
	{"first", "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P", 8.5},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/S:P/AU:Y/V:C/RE:L", 9.4},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:L/IR:H/AR:L/MAV:L/MAC:H/MAT:N/MPR:N/MUI:N/MVC:N/MVI:H/MVA:L/MSC:N/MSI:S/MSA:L", 7.0},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:A/MAC:H/MAT:N/MPR:L/MUI:N/MVC:L/MVI:H/MVA:H/MSC:L/MSI:S/MSA:S/CR:L/IR:H/AR:H/E:P", 7.4},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MAV:N/MAC:H/MAT:N/MPR:L/MUI:N/MVC:H/MVI:H/MVA:H/MSC:H/MSI:S/MSA:H/CR:M/IR:H/AR:M/E:P", 8.7},
	{"first", "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/S:P", 8.6},
	{"first", "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P", 9.7},
	{"first", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/V:C", 8.7},

	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L", 9.2},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L", 7.8},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H", 7.9},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:N/VA:L/SC:N/SI:H/SA:N", 8.3},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:N/SC:N/SI:L/SA:L", 8.5},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N", 5.1},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:L/VI:L/VA:N/SC:H/SI:L/SA:L", 6.4},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H", 9.3},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N", 4.8},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:A/VC:L/VI:N/VA:N/SC:H/SI:N/SA:H", 6.0},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H", 9.5},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N", 2.1},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:N/VI:N/VA:N/SC:N/SI:L/SA:N", 2.3},
	{"rh-simple", "CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N", 1.8},
	{"rh-simple", "CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:H/SA:L", 9.4},
	{"rh-simple", "CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:P/VC:H/VI:H/VA:H/SC:H/SI:L/SA:H", 8.8},
	{"rh-simple", "CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N", 4.0},
	{"rh-simple", "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:L/SA:N", 9.5},
	{"rh-simple", "CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:N/VI:L/VA:N/SC:L/SI:H/SA:L", 7.0},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:P/VC:L/VI:N/VA:L/SC:N/SI:N/SA:H", 4.3},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:N/VC:H/VI:H/VA:L/SC:N/SI:H/SA:L", 8.5},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:P/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:A/VC:L/VI:L/VA:N/SC:H/SI:N/SA:H", 2.1},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:N/PR:H/UI:P/VC:H/VI:N/VA:H/SC:L/SI:L/SA:N", 4.4},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:A/VC:H/VI:H/VA:H/SC:L/SI:L/SA:H", 8.6},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 1.0},
	{"rh-simple", "CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:N/VC:N/VI:N/VA:L/SC:H/SI:H/SA:L", 4.7},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:N/SC:H/SI:N/SA:N", 6.7},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:H/SA:N", 4.2},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:N/SC:N/SI:L/SA:N", 2.4},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N", 4.1},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:A/VC:N/VI:L/VA:N/SC:H/SI:L/SA:L", 4.4},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:L/SC:L/SI:N/SA:H", 2.0},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:A/VC:L/VI:N/VA:L/SC:H/SI:N/SA:N", 1.8},
	{"rh-simple", "CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:P/VC:H/VI:N/VA:N/SC:N/SI:N/SA:L", 4.1},

	{"rh-threat", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A", 7.3},
	{"rh-threat", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P", 5.9},
	{"rh-threat", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U", 4.1},
	{"rh-threat", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/E:U", 0},

	{"rh-security", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/CR:H/IR:H/AR:H", 0},
	{"rh-security", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:H/AR:H", 7.3},
	{"rh-security", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:H/AR:M", 7.2},
	{"rh-security", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:H/IR:M/AR:L", 7.1},
	{"rh-security", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:M/IR:M/AR:M", 5.5},
	{"rh-security", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:M/IR:L/AR:H", 7.1},
	{"rh-security", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:L/IR:H/AR:M", 7.1},
	{"rh-security", "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L", 5.4},
}

func TestParseV4(t *testing.T) {
	for _, tt := range v4Cases {
		t.Run(tt.src+"/"+strings.TrimPrefix(tt.vector, "CVSS:4.0/"), func(t *testing.T) {
			s, err := Parse(tt.vector)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != "4.0" || s.Base != tt.score || s.Rating != Rating(tt.score) {
				t.Errorf("Parse = %+v, want 4.0 %.1f %s", s, tt.score, Rating(tt.score))
			}
		})
	}
}

// TestV4CasesCoverEQs checks that the published cases reach every class of
// every equivalence set, so each part of the lookup and interpolation is
// exercised by a score someone else computed.
func TestV4CasesCoverEQs(t *testing.T) {
	var seen [6]map[int]bool
	for i := range seen {
		seen[i] = map[int]bool{}
	}
	for _, tt := range v4Cases {
		v, err := parseV4Metrics(strings.TrimPrefix(tt.vector, "CVSS:4.0/"))
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range v.macroVector() {
			seen[i][c] = true
		}
	}
	for i, want := range []int{3, 2, 3, 3, 3, 2} {
		if len(seen[i]) != want {
			t.Errorf("EQ%d: cases reach classes %v, want all %d", i+1, seen[i], want)
		}
	}
}

// TestV4LookupTable checks the transcribed table's shape and that each
// macro vector's highest-severity vector scores exactly its table value.
func TestV4LookupTable(t *testing.T) {
	if len(v4Lookup) != 270 {
		t.Fatalf("lookup table has %d entries, want 270", len(v4Lookup))
	}
	for key, want := range v4Lookup {
		var eq [6]int
		for i := range key {
			eq[i] = int(key[i] - '0')
		}
		parts := []string{v4MaxEQ1[eq[0]][0], v4MaxEQ2[eq[1]][0], v4MaxEQ36[eq[2]][eq[5]][0], v4MaxEQ4[eq[3]][0]}
		vec := strings.Join(parts, "/") + "/E:" + [...]string{"A", "P", "U"}[eq[4]]
		// Safety (S) exists only as a modified value.
		vec = strings.Replace(vec, "SI:S/SA:S", "SI:H/SA:H/MSI:S/MSA:S", 1)
		t.Run(key, func(t *testing.T) {
			v, err := parseV4Metrics(vec)
			if err != nil {
				t.Fatalf("%s: %v", vec, err)
			}
			if got := v.macroVector(); got != eq {
				t.Fatalf("%s: macro vector %v", vec, got)
			}
			if got := scoreV4(&v); got != want {
				t.Errorf("%s: score %.1f, want %.1f", vec, got, want)
			}
		})
	}
}

func TestParseV4Nomenclature(t *testing.T) {
	base := "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
	for suffix, want := range map[string]string{
		"": "CVSS-B", "/E:X": "CVSS-B", "/S:P/U:Red": "CVSS-B", "/E:P": "CVSS-BT",
		"/CR:L": "CVSS-BE", "/E:U/MAV:L": "CVSS-BTE", "/MSI:X": "CVSS-B",
	} {
		s, err := Parse(base + suffix)
		if err != nil || s.Nomenclature != want {
			t.Errorf("Parse(%q) = %+v, %v; want %s", base+suffix, s, err, want)
		}
	}
}

func TestParseV4Invalid(t *testing.T) {
	base := "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
	for _, v := range []string{
		"CVSS:4.0/AV:N/AC:L",
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",      // SA missing
		"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", // S only as MSI
		base + "/AV:N",  // repeated
		base + "/E:Z",   // bad value
		base + "/MSC:S", // MSC has no Safety
		base + "/ZZ:1",  // unknown metric
		base + "/E",     // no value
		base + "/E:",    // empty value
		base + "/",      // empty metric
		base + "/U:red", // values are case-sensitive
		base + "/CR:" + strings.Repeat("H", 600),
	} {
		t.Run(v, func(t *testing.T) {
			if _, err := Parse(v); !errors.Is(err, ErrVector) {
				t.Errorf("Parse(%q) error %v, want ErrVector", v, err)
			}
		})
	}
}

func FuzzParseV4(f *testing.F) {
	for _, tt := range v4Cases {
		f.Add(tt.vector)
	}
	f.Add("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S/MSA:S/E:X/CR:X")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := Parse(v)
		if err != nil {
			if !errors.Is(err, ErrVector) {
				t.Fatalf("Parse(%q) error %v does not wrap ErrVector", v, err)
			}
			return
		}
		if s.Base < 0 || s.Base > 10 || s.Rating != Rating(s.Base) || fmt.Sprintf("%.1f", s.Base) != trimScore(s.Base) {
			t.Fatalf("Parse(%q) = %+v", v, s)
		}
	})
}

// trimScore formats a score that should already have one decimal.
func trimScore(f float64) string { return fmt.Sprintf("%.1f", float64(int(f*10+0.5))/10) }
