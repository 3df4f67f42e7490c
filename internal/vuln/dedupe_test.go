package vuln

import (
	"fmt"
	"testing"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
)

// TestMatchOneFindingPerAdvisory: an advisory listed under both of a
// host's ecosystems and for both a package's binary and source names, or a
// package listed twice, yields one finding per (package, version,
// architecture, advisory), also for a package with many advisories (past
// the linear scan of Match's duplicate check, and past one buffer of why
// texts).
func TestMatchOneFindingPerAdvisory(t *testing.T) {
	for _, n := range []int{3, 40, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			idx := NewIndex()
			for i := range n {
				a := &osv.Advisory{ID: fmt.Sprintf("ADV-%03d", i)}
				for _, eco := range []string{"Ubuntu:22.04:LTS", "Ubuntu:22.04", "Ubuntu:Pro:22.04:LTS"} {
					a.Affected = append(a.Affected, osv.Affected{
						Package: osv.Package{Ecosystem: eco, Name: "tool"},
						Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{
							{Introduced: "0"}, {Fixed: "2.0-1"}}}},
					})
				}
				idx.Add(a)
			}
			pkg := packages.Package{Name: "tool", Version: "1.0-1", Type: packages.TypeDeb, Architecture: "amd64"}
			pkgs := []packages.Package{pkg, pkg}
			pkgs[1].Architecture = "i386"
			pkgs = append(pkgs, pkg) // listed twice
			fs := Match(idx, []string{"Ubuntu:22.04", "Ubuntu:Pro:22.04"}, pkgs)
			if len(fs) != 2*n {
				t.Fatalf("%d findings, want %d", len(fs), 2*n)
			}
			perID := map[string]int{} // one for amd64, one for i386
			for _, f := range fs {
				if perID[f.ID]++; perID[f.ID] > 2 {
					t.Errorf("%s: more than one finding per architecture", f.ID)
				}
				if f.Ecosystem != "Ubuntu:22.04:LTS" {
					t.Errorf("%s: ecosystem %s, want the first that matched", f.ID, f.Ecosystem)
				}
				want := "tool 1.0-1 is in range [introduced 0, fixed 2.0-1) of " + f.ID + " for Ubuntu:22.04:LTS (dpkg ordering)"
				if f.Why != want {
					t.Errorf("why %q, want %q", f.Why, want)
				}
				if f.Remediation != "apt-get install --only-upgrade tool" {
					t.Errorf("remediation %q", f.Remediation)
				}
			}
		})
	}
}
