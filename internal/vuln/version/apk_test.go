package version

import (
	"errors"
	"testing"
)

func TestParseAPK(t *testing.T) {
	tests := []struct {
		in    string
		valid bool
	}{
		{"1.2.3", true},
		{"1.2.3-r0", true},
		{"1.2.3a", true},
		{"1.2.3_rc1", true},
		{"1.2.3_alpha_p4-r2", true},
		{"1.0_git20240101~0abc12-r1", true},
		{"3.0.15-r0", true},
		{"1.36.1-r29", true},
		{"", false},
		{"a1", false},
		{"1.0_foo", false},
		{"1.0-1", false},
		{"1.0-r", false},
		{"1.0ab", false},
		{"1.0~", false},
		{"1..0", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseAPK(tt.in)
			if (err == nil) != tt.valid || v.Valid() != tt.valid {
				t.Fatalf("ParseAPK(%q) error %v, want valid=%v", tt.in, err, tt.valid)
			}
			if err != nil && !errors.Is(err, ErrAPKSyntax) {
				t.Errorf("error %v does not wrap ErrAPKSyntax", err)
			}
		})
	}
}

// TestCompareAPK holds cases written from apk-tools' documented rules: the
// version is digits{.digits}[letter]{_suffix[N]}[~hash][-rN]; _alpha < _beta
// < _pre < _rc < release < _cvs < _svn < _git < _hg < _p; a dotted number with
// a leading zero compares as a fraction.
func TestCompareAPK(t *testing.T) {
	ascending := [][]string{
		{"1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_beta3", "1.0_pre1", "1.0_rc1", "1.0_rc2",
			"1.0", "1.0-r0", "1.0-r1", "1.0-r10", "1.0_cvs", "1.0_svn", "1.0_git", "1.0_hg", "1.0_p1", "1.0_p2",
			"1.0a", "1.0b", "1.0.0", "1.0.1", "1.1", "2"},
		{"1.001", "1.01", "1.09", "1.1", "1.2", "1.10", "1.100"},
		{"2.0_rc1-r3", "2.0-r0", "2.0_p1-r0"},
		{"1.2.3_p1", "1.2.4"},
		{"3.0.7-r0", "3.0.8-r0", "3.0.10-r0", "3.1.0-r0"},
		{"9.6_p1-r0", "9.6_p1-r1", "9.7_p1-r0"},
		{"1.36.1-r2", "1.36.1-r29"},
	}
	for _, list := range ascending {
		for i := range list {
			for j := range list {
				want := sign(i - j)
				if got := CompareAPK(list[i], list[j]); got != want {
					t.Errorf("CompareAPK(%q, %q) = %d, want %d", list[i], list[j], got, want)
				}
			}
		}
	}
	equal := [][2]string{{"1.0-r01", "1.0-r1"}, {"01.0", "1.0"}, {"1.0_p01", "1.0_p1"}}
	for _, e := range equal {
		t.Run(e[0]+"="+e[1], func(t *testing.T) {
			if got := CompareAPK(e[0], e[1]); got != 0 {
				t.Errorf("CompareAPK(%q, %q) = %d, want 0", e[0], e[1], got)
			}
		})
	}
}

func FuzzCompareAPK(f *testing.F) {
	for _, s := range [][3]string{
		{"1.0_alpha1", "1.0-r1", "1.0_p1"},
		{"1.01", "1.1", "1.001"},
		{"1.0a", "1.0.1", "1.0_git~abc"},
		{"1.0-x", "", "x"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, CompareAPK, a, b, c)
	})
}
