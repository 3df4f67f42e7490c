package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/shareddata"
)

func runT(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestUsage(t *testing.T) {
	if _, _, code := runT(t, "nope"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if out, _, code := runT(t); code != 0 || !strings.Contains(out, "scan") {
		t.Errorf("no args: exit %d, out %q", code, out)
	}
	if _, _, code := runT(t, "scan", "--format", "xml"); code != 2 {
		t.Errorf("bad format: exit %d, want 2", code)
	}
	if _, _, code := runT(t, "scan", "--fail-on", "severe"); code != 2 {
		t.Errorf("bad --fail-on: exit %d, want 2", code)
	}
	if _, _, code := runT(t, "inventory", "--root", "/nonexistent"); code != 2 {
		t.Errorf("missing root: exit %d, want 2", code)
	}
}

func TestInventoryFixture(t *testing.T) {
	for _, tree := range []string{"debian12", "ubuntu2204", "alma9", "alpine3"} {
		t.Run(tree, func(t *testing.T) {
			out, errs, code := runT(t, "inventory", "--format", "json", "--root", filepath.Join("..", "..", "testdata", "rootfs", tree))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var inv map[string]json.RawMessage
			if err := json.Unmarshal([]byte(out), &inv); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"host", "interfaces", "packages", "users", "groups", "sudoers", "ssh_keys", "processes", "listening", "modules", "services", "cron"} {
				v, ok := inv[k]
				if !ok || string(v) == "null" {
					t.Errorf("inventory lacks %q", k)
				}
			}
			var host struct {
				Hostname string              `json:"hostname"`
				OS       struct{ ID string } `json:"os"`
			}
			json.Unmarshal(inv["host"], &host)
			if host.Hostname == "" || host.OS.ID == "" {
				t.Errorf("host = %+v", host)
			}
		})
	}
}

func TestScanFixtureJSON(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "rootfs", "debian12")
	out, errs, code := runT(t, "scan", "--root", root, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Score   *int
		Summary struct{ Total, Pass, Fail int }
		Checks  []struct {
			ID, Status, Remediation, Severity, Category string
		}
		Inventory map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Score == nil || *rep.Score < 0 || *rep.Score > 100 {
		t.Fatalf("score = %v", rep.Score)
	}
	if rep.Summary.Total < 250 || len(rep.Checks) != rep.Summary.Total {
		t.Errorf("checks: summary %d, listed %d; want >= 250", rep.Summary.Total, len(rep.Checks))
	}
	if rep.Summary.Fail == 0 || rep.Summary.Pass == 0 {
		t.Errorf("a fixture with deliberate findings: %+v", rep.Summary)
	}
	for _, c := range rep.Checks {
		if c.Status == "fail" && strings.TrimSpace(c.Remediation) == "" {
			t.Errorf("failed check %s has no remediation", c.ID)
		}
	}
	if _, ok := rep.Inventory["packages"]; !ok {
		t.Error("scan report lacks the inventory")
	}
}

func TestScanFailOnAndOutput(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "rootfs", "debian12")
	dir := t.TempDir()
	html := filepath.Join(dir, "r.html")
	_, errs, code := runT(t, "scan", "--root", root, "--format", "html", "--output", html, "--fail-on", "low")
	if code != 1 {
		t.Errorf("--fail-on low on a tree with findings: exit %d, want 1 (%s)", code, errs)
	}
	fi, err := os.Stat(html)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(html)
	if !strings.Contains(string(b), "<html") || !strings.Contains(string(b), "Failed checks") {
		t.Error("html report incomplete")
	}
}

func TestScanMalformedPolicy(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(bad, []byte("policy:\n  id: x\nchecks:\n  - id: 1\n    title: t\n    condition: all\n    rules:\n      - 'q:/etc/passwd'\n"), 0o644)
	_, errs, code := runT(t, "scan", "--no-builtin", "--policy", bad, "--root", filepath.Join("..", "..", "testdata", "rootfs", "debian12"))
	if code != 2 {
		t.Errorf("malformed policy: exit %d, want 2", code)
	}
	if !strings.Contains(errs, "bad.yml:") {
		t.Errorf("error should name file:line: %q", errs)
	}
}

// TestScanWazuhCISDebian12 is the acceptance check of the external policy path:
// all 207 checks reported, none with a parse error.
func TestScanWazuhCISDebian12(t *testing.T) {
	dir := shareddata.Dir(t, "wazuh_sca")
	out, errs, code := runT(t, "scan", "--no-builtin", "--policy", filepath.Join(dir, "cis_debian12.yml"),
		"--root", filepath.Join("..", "..", "testdata", "rootfs", "debian12"), "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep struct {
		Summary struct{ Total, Error int }
	}
	json.Unmarshal([]byte(out), &rep)
	if rep.Summary.Total != 207 {
		t.Errorf("checks = %d, want 207", rep.Summary.Total)
	}
}

func TestExitCode(t *testing.T) {
	var b bytes.Buffer
	if exitCode(exitError{code: 1}, &b) != 1 || exitCode(nil, &b) != 0 || exitCode(errors.New("x"), &b) != 2 {
		t.Error("exit codes")
	}
}
