package vuln_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/shareddata"
	"github.com/vigil-sec/vigil/internal/vuln"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
	"github.com/vigil-sec/vigil/internal/vuln/vulndb"
)

const rootfs = "../../testdata/rootfs"

func memIndex(t *testing.T, dir string) *vuln.Index {
	t.Helper()
	idx := vuln.NewIndex()
	if _, err := osv.Load(context.Background(), dir, func(a *osv.Advisory) error {
		idx.Add(a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return idx
}

// Ubuntu1804Root assembles the ubuntu1804-sample tree with the shared real
// dpkg status (not stored in the repository) in a temporary directory.
func Ubuntu1804Root(tb testing.TB) string {
	tb.Helper()
	status := filepath.Join(shareddata.Dir(tb, "dpkg_status_samples"), "trivy", "ubuntu18.04_var_lib_dpkg_status")
	root := tb.TempDir()
	for _, c := range []struct{ from, to string }{
		{filepath.Join(rootfs, "ubuntu1804-sample", "etc", "os-release"), "etc/os-release"},
		{status, "var/lib/dpkg/status"},
	} {
		data, err := os.ReadFile(c.from)
		if err != nil {
			tb.Fatal(err)
		}
		dst := filepath.Join(root, c.to)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

func scanRoot(t *testing.T, dir string, src vuln.Source) *vuln.Report {
	t.Helper()
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	h, err := vuln.CollectHost(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := vuln.Scan(context.Background(), h, src)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestUbuntu1804Sample: the real 18.04 status lists libsystemd0
// 237-3ubuntu10.3 from source systemd; UBUNTU-CVE-2023-26604 lists that
// version for Ubuntu:Pro:18.04:LTS (range introduced 0 without a fix).
func TestUbuntu1804Sample(t *testing.T) {
	adv := shareddata.Dir(t, "osv_advisories")
	r := scanRoot(t, Ubuntu1804Root(t), memIndex(t, filepath.Join(adv, "ubuntu_osv")))
	if strings.Join(r.Ecosystems, ",") != "Ubuntu:18.04,Ubuntu:Pro:18.04" {
		t.Errorf("ecosystems %v", r.Ecosystems)
	}
	var found *vuln.Finding
	for i, f := range r.Findings {
		if f.Package == "libsystemd0" && f.ID == "UBUNTU-CVE-2023-26604" {
			found = &r.Findings[i]
		}
	}
	if found == nil {
		t.Fatalf("no UBUNTU-CVE-2023-26604 finding for libsystemd0 in %+v", r.Findings)
	}
	f := *found
	if f.Source != "systemd" || f.Version != "237-3ubuntu10.3" || f.Ecosystem != "Ubuntu:Pro:18.04:LTS" ||
		f.Fixed != "" || f.Severity != "high" || f.Score == nil || *f.Score != 7.8 ||
		!strings.Contains(f.Why, "versions[]") || !strings.Contains(f.Why, "no fixed version") ||
		len(f.Aliases) != 1 || f.Aliases[0] != "CVE-2023-26604" {
		t.Errorf("finding %+v", f)
	}
	for _, f := range r.Findings {
		t.Logf("%s %s %s %s fixed=%q %s", f.Package, f.Version, f.ID, f.Ecosystem, f.Fixed, f.Severity)
	}
}

// TestDebian10ELTS checks the findings on the debian10-elts fixture against
// expected-findings.txt (decided by dpkg --compare-versions), both with the
// advisories in memory and through an imported database.
func TestDebian10ELTS(t *testing.T) {
	adv := filepath.Join(shareddata.Dir(t, "osv_advisories"), "debian_elts")
	want, err := os.ReadFile(filepath.Join(rootfs, "debian10-elts", "expected-findings.txt"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(context.Background(), filepath.Join(t.TempDir(), "osv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Import(context.Background(), adv); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]vuln.Source{"memory": memIndex(t, adv), "database": db} {
		t.Run(name, func(t *testing.T) {
			r := scanRoot(t, filepath.Join(rootfs, "debian10-elts"), src)
			var got []string
			for _, f := range r.Findings {
				got = append(got, strings.Join([]string{f.Package, f.Version, f.ID, f.Fixed}, " "))
				if f.Ecosystem != "Debian:10" || !strings.Contains(f.Why, "fixed "+f.Fixed) ||
					f.Remediation != "apt-get install --only-upgrade "+f.Package {
					t.Errorf("finding %+v", f)
				}
			}
			if g, w := strings.Join(got, "\n")+"\n", string(want); g != w {
				t.Errorf("findings:\n%s\nwant:\n%s", g, w)
			}
		})
	}
}
