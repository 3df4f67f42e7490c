package scanreport

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sample() *Report {
	r := &Report{
		Tool: "vigil", Version: "test", StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Duration: "1s",
		Host: Host{Hostname: "web1", OS: "Debian GNU/Linux 12 (bookworm)", Root: "/"},
		Checks: []Check{
			{ID: "VGL-SSH-001", Title: "Root login disabled", Status: Fail, Severity: "high", Category: "ssh",
				Remediation: "Set PermitRootLogin no.", Evidence: "permitrootlogin yes <script>alert(1)</script>"},
			{ID: "VGL-SSH-002", Title: "Empty passwords refused", Status: Pass, Severity: "critical", Category: "ssh"},
			{ID: "VGL-KRN-001", Title: "ASLR", Status: Pass, Severity: "medium", Category: "kernel"},
			{ID: "VGL-KRN-002", Title: "kptr", Status: Fail, Severity: "low", Category: "kernel", Remediation: "sysctl"},
			{ID: "VGL-SVC-001", Title: "telnet", Status: NotApplicable, Severity: "high", Category: "services", Reason: "no such unit"},
			{ID: "VGL-LOG-001", Title: "journald", Status: Error, Severity: "high", Category: "logging", Reason: "permission denied"},
		},
	}
	r.Finalize()
	return r
}

func TestScore(t *testing.T) {
	tests := []struct {
		name   string
		checks []Check
		want   int
	}{
		{"nothing decided", []Check{{Status: NotApplicable, Severity: "high"}}, 100},
		{"all pass", []Check{{Status: Pass, Severity: "low"}, {Status: Pass, Severity: "critical"}}, 100},
		{"all fail", []Check{{Status: Fail, Severity: "low"}}, 0},
		// passed 10, failed 6 -> 10/16 = 62.5 -> 63
		{"weighted", []Check{{Status: Pass, Severity: "critical"}, {Status: Fail, Severity: "high"}}, 63},
		{"errors carry no weight", []Check{{Status: Pass, Severity: "low"}, {Status: Error, Severity: "critical"}}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := score(tt.checks); got != tt.want {
				t.Errorf("score = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFinalize(t *testing.T) {
	r := sample()
	// passed: critical 10 + medium 3 = 13; failed: high 6 + low 1 = 7 -> 13/20 = 65
	if r.Score != 65 {
		t.Errorf("score = %d, want 65", r.Score)
	}
	if r.Summary != (Summary{Total: 6, Pass: 2, Fail: 2, NotApplicable: 1, Error: 1}) {
		t.Errorf("summary = %+v", r.Summary)
	}
	if r.Checks[0].ID != "VGL-SSH-001" || r.Checks[1].ID != "VGL-KRN-002" || r.Checks[2].Status != Error {
		t.Errorf("order: failures by severity, then errors; got %s %s %s", r.Checks[0].ID, r.Checks[1].ID, r.Checks[2].ID)
	}
	cats := map[string]Category{}
	for _, c := range r.Categories {
		cats[c.Name] = c
	}
	if cats["ssh"].Score != 63 || cats["kernel"].Score != 75 || cats["services"].Score != 100 {
		t.Errorf("category scores = %+v", r.Categories)
	}
	if got := r.FailedAtOrAbove("high"); len(got) != 1 || got[0].ID != "VGL-SSH-001" {
		t.Errorf("FailedAtOrAbove(high) = %+v", got)
	}
	if got := r.FailedAtOrAbove("low"); len(got) != 2 {
		t.Errorf("FailedAtOrAbove(low) = %d checks, want 2", len(got))
	}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, sample(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"score: 65/100", "FAIL [high] Root login disabled", "fix:      Set PermitRootLogin no.", "ERROR journald", "permission denied"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colours without Color option")
	}
	buf.Reset()
	WriteText(&buf, sample(), TextOptions{Color: true, Verbose: true})
	if !strings.Contains(buf.String(), "\x1b[31mFAIL") || !strings.Contains(buf.String(), "no such unit") {
		t.Error("colour/verbose output missing")
	}
}

func TestWriteHTMLEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>") {
		t.Error("evidence not escaped")
	}
	for _, want := range []string{"<title>Security audit of web1 — score 65/100</title>", "Root login disabled", "Set PermitRootLogin no.", "Failed checks (2)"} {
		if !strings.Contains(out, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(out, "src=") || strings.Contains(out, "href=") {
		t.Error("html must be self-contained")
	}
}

func TestJSONShape(t *testing.T) {
	b, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"score", "categories", "summary", "checks"} {
		if _, ok := m[k]; !ok {
			t.Errorf("json lacks %q", k)
		}
	}
	c := m["checks"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "title", "status", "severity", "category", "policy", "remediation", "evidence"} {
		if _, ok := c[k]; !ok {
			t.Errorf("check json lacks %q", k)
		}
	}
}
