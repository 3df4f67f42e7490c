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

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/shareddata"
)

// TestVulnScanUbuntu1804 is the acceptance case: the Ubuntu 18.04 sample
// tree (assembled from the shared dpkg status) reports UBUNTU-CVE-2023-26604
// for libsystemd0 with a why.
func TestVulnScanUbuntu1804(t *testing.T) {
	status := filepath.Join(shareddata.Dir(t, "dpkg_status_samples"), "trivy", "ubuntu18.04_var_lib_dpkg_status")
	advisories := filepath.Join(shareddata.Dir(t, "osv_advisories"), "ubuntu_osv")
	root := t.TempDir()
	for from, to := range map[string]string{
		"../../testdata/rootfs/ubuntu1804-sample/etc/os-release": "etc/os-release",
		status: "var/lib/dpkg/status",
	} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, filepath.Dir(to)), 0o755)
		if err := os.WriteFile(filepath.Join(root, to), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"vuln", "scan", "--root", root, "--db", advisories, "--format", "json"}, &out, &errb); err != nil {
		t.Fatalf("vuln scan: %v\n%s", err, errb.String())
	}
	var rep struct {
		Ecosystems []string          `json:"ecosystems"`
		Findings   []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	keys := []string{"package", "source", "version", "id", "aliases", "summary", "severity", "score", "fixed", "ecosystem", "why", "remediation"}
	found := false
	for _, raw := range rep.Findings {
		var f map[string]any
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %s", k, raw)
			}
		}
		if len(f) != len(keys) {
			t.Errorf("finding has %d keys, want %d: %s", len(f), len(keys), raw)
		}
		if f["package"] == "libsystemd0" && f["id"] == "UBUNTU-CVE-2023-26604" && f["why"] != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no UBUNTU-CVE-2023-26604 finding for libsystemd0:\n%s", out.String())
	}
}

func TestVulnDBCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "osv.db")
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"vuln", "db", "import", "../../internal/vuln/osv/testdata/advisories", "--db", db}, &out, &errb); err != nil {
		t.Fatalf("import: %v %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "5 added") || !strings.Contains(out.String(), "2 skipped") {
		t.Errorf("import output %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"vuln", "db", "status", "--db", db}, &out, &errb); err != nil {
		t.Fatalf("status: %v", err)
	}
	if !strings.Contains(out.String(), "5 advisories (1 withdrawn)") || !strings.Contains(out.String(), "Alpine:v3.19") {
		t.Errorf("status output %q", out.String())
	}
	out.Reset()
	// No network here (or an unreachable address): a clear message, fast.
	err := run(ctx, []string{"vuln", "db", "update", "--db", db, "--ecosystem", "Debian", "--url", "http://127.0.0.1:9", "--timeout", "3s"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "cannot download advisories") || !strings.Contains(err.Error(), "no network connection") {
		t.Errorf("update error %v", err)
	}
	if err := run(ctx, []string{"vuln", "scan", "--root", "../../testdata/rootfs/debian10-elts"}, &out, &errb); !errors.Is(err, cli.ErrUsage) {
		t.Errorf("scan without --db: %v", err)
	}
}

// TestVulnDBData: --data DIR works on the server's DIR/vuln.db.
func TestVulnDBData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"vuln", "db", "import", "../../internal/vuln/osv/testdata/advisories", "--data", dir}, &out, &errb); err != nil {
		t.Fatalf("import: %v %s", err, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "vuln.db")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"vuln", "db", "status", "--data", dir}, &out, &errb); err != nil || !strings.Contains(out.String(), filepath.Join(dir, "vuln.db")) {
		t.Fatalf("status: %v %q", err, out.String())
	}
	for _, args := range [][]string{
		{"vuln", "db", "import", "x", "--data", filepath.Join(dir, "missing")},
		{"vuln", "db", "update", "--data", dir, "--db", "other.db"},
	} {
		if err := run(ctx, args, &out, &errb); !errors.Is(err, cli.ErrUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}
