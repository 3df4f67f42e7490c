package scanrun

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/vigil-sec/vigil/internal/baseline"
	"github.com/vigil-sec/vigil/internal/fixturetree"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory"
	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/shareddata"
	"github.com/vigil-sec/vigil/internal/vuln"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
)

func rootfs(t *testing.T, name string) hostfs.Root {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root, err := hostfs.New(fixturetree.Copy(t, filepath.Join(filepath.Dir(file), "..", "..", "testdata", "rootfs", name)))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestRun(t *testing.T) {
	pols, err := Policies(false, nil)
	if err != nil || len(pols) != 1 || pols[0].ID != baseline.PolicyID {
		t.Fatalf("Policies = %v, %v; want the built-in one", pols, err)
	}
	tests := []struct {
		name, root, os string
	}{
		{"debian12", "debian12", "Debian GNU/Linux 12 (bookworm)"},
		{"debian10", "debian10-elts", "Debian GNU/Linux 10 (buster)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var said []string
			rep, err := Run(context.Background(), rootfs(t, tt.root), pols, Options{Version: "v-test", Progress: func(m string) { said = append(said, m) }})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Version != "v-test" || rep.Host.OS != tt.os || len(rep.Checks) != len(pols[0].Checks) {
				t.Errorf("report version %q os %q checks %d (policy has %d)", rep.Version, rep.Host.OS, len(rep.Checks), len(pols[0].Checks))
			}
			if rep.Summary.Total != len(rep.Checks) || rep.Summary.Pass+rep.Summary.Fail+rep.Summary.NotApplicable+rep.Summary.Error != rep.Summary.Total {
				t.Errorf("summary %+v does not add up", rep.Summary)
			}
			inv, ok := rep.Inventory.(*inventory.Inventory)
			if !ok || len(inv.Packages) == 0 {
				t.Fatalf("inventory %T without packages", rep.Inventory)
			}
			if rep.Vulnerabilities != nil {
				t.Error("vulnerabilities without advisories")
			}
			if len(said) < 2 {
				t.Errorf("progress %q", said)
			}
		})
	}
}

// TestRunAdvisories: with advisories the report carries the vulnerability
// section of the same host.
func TestRunAdvisories(t *testing.T) {
	dir := filepath.Join(shareddata.Dir(t, "osv_advisories"), "debian_elts")
	idx := vuln.NewIndex()
	if _, err := osv.Load(context.Background(), dir, func(a *osv.Advisory) error { idx.Add(a); return nil }); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), rootfs(t, "debian10-elts"), nil, Options{Advisories: idx, SCA: sca.Options{}})
	if err != nil {
		t.Fatal(err)
	}
	vr, ok := rep.Vulnerabilities.(*vuln.Report)
	if !ok || len(vr.Findings) == 0 || vr.Host.OS != rep.Host.OS {
		t.Fatalf("vulnerabilities %T %+v", rep.Vulnerabilities, rep.Vulnerabilities)
	}
}
