package cvss

import (
	"errors"
	"testing"
)

// The expected scores are those the FIRST CVSS 3.1 calculator shows for the
// vectors (and the published NVD base scores of the named CVEs).
func TestParse(t *testing.T) {
	tests := []struct {
		vector string
		base   float64
		rating string
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"},  // CVE-2021-44228-like
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "high"},      // CVE-2021-4034 PwnKit
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1, "high"},      // CVE-2024-6387 regreSSHion
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical"}, // scope changed cap
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"},    // typical XSS
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:N/A:N", 5.0, "medium"},    // PR:L under S:C
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "low"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, "none"},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "high"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N/E:P/RL:O", 7.5, "high"}, // temporal ignored
		{"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.8, "high"},
		{"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1, "critical"},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			s, err := Parse(tt.vector)
			if err != nil {
				t.Fatal(err)
			}
			if s.Base != tt.base || s.Rating != tt.rating {
				t.Errorf("Parse = %+v, want %.1f %s", s, tt.base, tt.rating)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, v := range []string{
		"", "CVSS:3.1", "AV:N/AC:L", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
		"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "CVSS:2.0/AV:N",
	} {
		t.Run(v, func(t *testing.T) {
			if _, err := Parse(v); !errors.Is(err, ErrVector) {
				t.Errorf("Parse(%q) error %v, want ErrVector", v, err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	f.Add("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:C/C:L/I:L/A:L")
	f.Add("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := Parse(v)
		if err != nil && !errors.Is(err, ErrVector) {
			t.Fatalf("Parse(%q) error %v does not wrap ErrVector", v, err)
		}
		if err == nil && (s.Base < 0 || s.Base > 10 || s.Rating == "") {
			t.Fatalf("Parse(%q) = %+v", v, s)
		}
	})
}
