package vuln

import (
	"encoding/json"
	"testing"

	"github.com/vigil-sec/vigil/internal/vuln/osv"
)

func TestAssessSeverity(t *testing.T) {
	const (
		v31Crit = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"                        // 9.8
		v31Med  = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"                        // 6.1
		v40High = "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"     // 7.3
		v40Med  = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N"     // 5.1
		v40BT   = "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U" // 5.2
	)
	sev := func(kv ...string) []osv.Severity {
		var out []osv.Severity
		for i := 0; i < len(kv); i += 2 {
			out = append(out, osv.Severity{Type: kv[i], Score: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name   string
		adv    *osv.Advisory
		entry  osv.Affected
		rating string
		score  float64 // -1: no score
	}{
		{"v3 only", &osv.Advisory{Severity: sev("CVSS_V3", v31Crit)}, osv.Affected{}, "critical", 9.8},
		{"v4 only", &osv.Advisory{Severity: sev("CVSS_V4", v40High)}, osv.Affected{}, "high", 7.3},
		{"v4 threat metrics applied", &osv.Advisory{Severity: sev("CVSS_V4", v40BT)}, osv.Affected{}, "medium", 5.2},
		{"v4 preferred over a higher v3", &osv.Advisory{Severity: sev("CVSS_V3", v31Crit, "CVSS_V4", v40Med)}, osv.Affected{}, "medium", 5.1},
		{"highest of two v4", &osv.Advisory{Severity: sev("CVSS_V4", v40Med, "CVSS_V4", v40High)}, osv.Affected{}, "high", 7.3},
		{"highest of two v3", &osv.Advisory{Severity: sev("CVSS_V3", v31Med, "CVSS_V3", v31Crit)}, osv.Affected{}, "critical", 9.8},
		{"invalid v4 falls back to v3", &osv.Advisory{Severity: sev("CVSS_V4", "CVSS:4.0/AV:N", "CVSS_V3", v31Med)}, osv.Affected{}, "medium", 6.1},
		{"entry v4 before advisory v3", &osv.Advisory{Severity: sev("CVSS_V3", v31Crit)},
			osv.Affected{Severity: sev("CVSS_V4", v40High)}, "high", 7.3},
		{"invalid v4 only, own rating", &osv.Advisory{Severity: sev("CVSS_V4", "CVSS:4.0/AV:N", "Ubuntu", "low")}, osv.Affected{}, "low", -1},
		{"ubuntu priority", &osv.Advisory{}, osv.Affected{EcosystemSpecific: json.RawMessage(`{"ubuntu_priority":"medium"}`)}, "medium", -1},
		{"nothing", &osv.Advisory{}, osv.Affected{}, "unknown", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, s := Assess(MetaOf(tt.adv), tt.entry)
			switch {
			case r != tt.rating:
				t.Errorf("rating %q, want %q", r, tt.rating)
			case tt.score < 0 && s != nil:
				t.Errorf("score %v, want none", *s)
			case tt.score >= 0 && (s == nil || *s != tt.score):
				t.Errorf("score %v, want %.1f", s, tt.score)
			}
		})
	}
}
