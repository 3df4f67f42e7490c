package sca

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/shareddata"
)

func TestLoadWazuhPolicies(t *testing.T) {
	dir := shareddata.Dir(t, "wazuh_sca")
	tests := []struct {
		file, id string
		checks   int
		vars     int
	}{
		{"cis_debian12.yml", "cis_debian12", 207, 0},
		{"cis_debian13.yml", "cis_debian13", 207, 0},
		{"cis_ubuntu22-04.yml", "cis_ubuntu22-04", 207, 0},
		{"cis_ubuntu24-04.yml", "cis_ubuntu24-04", 279, 0},
		{"sca_distro_independent_linux.yml", "sca_distro_independent_linux", 190, 0},
		{"sca_unix_audit.yml", "unix_audit", 23, 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := LoadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if p.ID != tt.id || len(p.Checks) != tt.checks || len(p.Variables) != tt.vars {
				t.Errorf("id %q, %d checks, %d variables; want %q, %d, %d", p.ID, len(p.Checks), len(p.Variables), tt.id, tt.checks, tt.vars)
			}
			if p.Requirements == nil || len(p.Requirements.Rules) == 0 {
				t.Error("requirements not loaded")
			}
			for _, c := range p.Checks {
				if c.Title == "" || len(c.Rules) == 0 || c.Line == 0 || c.Severity != SeverityMedium ||
					c.VigilID != p.ID+":"+strconv.Itoa(c.ID) || c.Category == "" {
					t.Errorf("check %d incomplete: %+v", c.ID, c)
				}
				for _, r := range c.Rules {
					if r.Line <= c.Line {
						t.Errorf("check %d (line %d): rule %q at line %d", c.ID, c.Line, r.Raw, r.Line)
					}
				}
			}
		})
	}
}

func TestUnixAuditVariables(t *testing.T) {
	p := mustLoad(t, filepath.Join(shareddata.Dir(t, "wazuh_sca"), "sca_unix_audit.yml"))
	r := p.Checks[0].Rules[0]
	if r.Target != "/etc/ssh/sshd_config" || !strings.Contains(r.Raw, "$sshd_file") {
		t.Errorf("variable not substituted: raw %q target %q", r.Raw, r.Target)
	}
	for _, c := range p.Checks {
		for _, r := range c.Rules {
			if strings.Contains(r.Raw, "$pam_d_files") && len(r.Targets) != 5 {
				t.Errorf("check %d: $pam_d_files gave %d targets %q", c.ID, len(r.Targets), r.Targets)
			}
		}
	}
}

func TestLoadMalformed(t *testing.T) {
	const head = "policy:\n  id: bad\n  file: bad.yml\n  name: bad\n  description: bad\n"
	tests := []struct {
		name, src, want string
	}{
		{"yaml syntax", head + "checks:\n  - id: 1\n    title: \"unterminated\n", "bad.yml:8:"},
		{"tab indentation", head + "checks:\n\t- id: 1\n", "bad.yml:7:"},
		{"unknown rule type", head + "checks:\n  - id: 1\n    title: t\n    condition: all\n    rules:\n      - 'f:/etc/passwd'\n      - 'x:/etc/passwd'\n", "bad.yml:12: check 1: rule \"x:/etc/passwd\": unknown rule type"},
		{"bad regex", head + "checks:\n  - id: 1\n    title: t\n    condition: all\n    rules:\n      - 'f:/etc/passwd -> r:(unclosed'\n", "bad.yml:11: check 1: "},
		{"bad compare", head + "checks:\n  - id: 7\n    title: t\n    condition: all\n    rules:\n      - 'f:/a -> n:^x(\\d+) compare ~ 3'\n", "bad.yml:11: check 7: "},
		{"bad condition", head + "checks:\n  - id: 2\n    title: t\n    condition: most\n    rules: ['f:/a']\n", "bad.yml:9: check 2: condition \"most\""},
		{"id not a number", head + "checks:\n  - id: abc\n    title: t\n    condition: all\n    rules: ['f:/a']\n", "bad.yml:7: check #1: id must be"},
		{"duplicate id", head + "checks:\n  - id: 1\n    title: t\n    condition: all\n    rules: ['f:/a']\n  - id: 1\n    title: u\n    condition: all\n    rules: ['f:/a']\n", "bad.yml:11: check 1: duplicate id"},
		{"no rules", head + "checks:\n  - id: 1\n    title: t\n    condition: all\n", "check 1: no rules"},
		{"bad severity", head + "checks:\n  - id: 1\n    title: t\n    severity: urgent\n    condition: all\n    rules: ['f:/a']\n", "bad.yml:9: check 1: severity"},
		{"requirements rule", head + "requirements:\n  title: r\n  description: r\n  condition: all\n  rules:\n    - 'q:/x'\ncheck: []\n", "bad.yml:11: requirements:"},
		{"no checks", head, "has no checks"},
		{"missing policy id", "policy:\n  name: x\nchecks: []\n", "bad.yml:1: policy: missing id"},
		{"bad regex_type", "policy:\n  id: x\n  regex_type: posix\nchecks: []\n", "regex_type \"posix\""},
		{"not a mapping", "- a\n- b\n", "bad.yml"},
		{"empty", "", "bad.yml: empty policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load("bad.yml", []byte(tt.src))
			if err == nil {
				t.Fatalf("loaded %+v, want error %q", p, tt.want)
			}
			if p != nil {
				t.Error("a policy with an error must load nothing")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadComplianceShapes(t *testing.T) {
	p, err := Load("c.yml", []byte(`
policy: {id: c, file: c.yml, name: c, description: c}
checks:
  - id: 1
    name: "Ensure sshd MaxAuthTries is configured."
    condition: all
    rules: ['f:/a']
    compliance:
      - pci_dss: ["2.2.4"]
      - nist_800_53: ["CM.1", "CM.2"]
  - id: 2
    title: "Ensure /tmp is a separate partition."
    condition: all
    rules: ['f:/a']
    compliance:
      cis: ["1.1.2.1.1"]
      pci_dss: [2.2]
    mitre:
      technique:
        id: ["T1036"]
        name: ["Masquerading"]
`))
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := p.Checks[0], p.Checks[1]
	if got := c1.Compliance["nist_800_53"]; len(got) != 2 || c1.Compliance["pci_dss"][0] != "2.2.4" {
		t.Errorf("list-of-maps compliance: %v", c1.Compliance)
	}
	if c2.Compliance["cis"][0] != "1.1.2.1.1" || c2.Compliance["pci_dss"][0] != "2.2" || c2.Compliance["mitre_technique"][0] != "T1036" {
		t.Errorf("map compliance: %v", c2.Compliance)
	}
	if c1.Category != "ssh" || c2.Category != "filesystem" {
		t.Errorf("categories %q, %q", c1.Category, c2.Category)
	}
}

// TestCISDebian12Live runs the Debian 12 CIS policy on this host with command
// rules allowed and requires most checks to reach a verdict.
func TestCISDebian12Live(t *testing.T) {
	if testing.Short() {
		t.Skip("runs about 200 host commands")
	}
	osr := ParseOSRelease(mustRead(t, "/etc/os-release"))
	if osr.ID != "debian" || osr.VersionID != "12" {
		t.Skipf("host is %s, not debian 12", osr)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the policy reads /etc/shadow and runs auditctl")
	}
	p := mustLoad(t, filepath.Join(shareddata.Dir(t, "wazuh_sca"), "cis_debian12.yml"))
	res, err := p.Evaluate(context.Background(), &Env{Root: hostfs.Live()}, Options{AllowCommands: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != "" {
		t.Fatalf("skipped: %s", res.Skipped)
	}
	s := res.Summary
	t.Logf("cis_debian12 on this host: %+v in %s", s, res.Duration)
	if s.Pass+s.Fail < 150 {
		t.Errorf("%d of %d checks reached pass or fail, want at least 150", s.Pass+s.Fail, s.Total())
	}
	// sshd is installed: its checks run "sshd -T" and must reach a verdict.
	for _, c := range res.Checks {
		if c.Check.Category == "ssh" && strings.Contains(strings.Join(c.Check.RuleStrings(), " "), "sshd -T") &&
			c.Status != StatusPass && c.Status != StatusFail {
			t.Errorf("check %d %q: %s %s", c.Check.ID, c.Check.Title, c.Status, c.Reason)
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("cannot read %s: %v", path, err)
	}
	return b
}

func BenchmarkCISDebian12(b *testing.B) {
	p := mustLoad(b, filepath.Join(shareddata.Dir(b, "wazuh_sca"), "cis_debian12.yml"))
	for _, bc := range []struct {
		name    string
		cmds    bool
		workers int
	}{
		{"files_only", false, 0},
		{"with_commands", true, 0},
		{"with_commands_1_worker", true, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				// A fresh Env per run: nothing is shared between scans.
				opts := Options{AllowCommands: bc.cmds, Workers: bc.workers}
				if _, err := p.Evaluate(context.Background(), &Env{Root: hostfs.Live()}, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLoadCISDebian12(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(shareddata.Dir(b, "wazuh_sca"), "cis_debian12.yml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load("cis_debian12.yml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzLoadPolicy(f *testing.F) {
	for _, p := range []string{"testdata/fixture_policy.yml", "testdata/unmet_policy.yml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("policy: {id: x}\nchecks:\n  - id: 1\n    title: t\n    condition: any\n    rules: ['f:/a -> r:b']\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load("fuzz.yml", data)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			return
		}
		if len(p.Checks) == 0 || p.ID == "" {
			t.Fatalf("loaded a policy without id or checks: %+v", p)
		}
	})
}
