package vuln

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
)

// BenchmarkMatch matches a 3,000-package Debian 10 host against an index of
// 100,000 advisories (three affected entries each, two of them on the
// host's ecosystem).
func BenchmarkMatch(b *testing.B) {
	const nadv, npkg = 100000, 3000
	idx := NewIndex()
	for i := range nadv {
		a := &osv.Advisory{ID: fmt.Sprintf("SYN-%d", i), Modified: time.Unix(int64(i), 0),
			Severity: []osv.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}
		for j, eco := range []string{"Debian:10", "Debian:10", "Debian:9"} {
			a.Affected = append(a.Affected, osv.Affected{
				Package: osv.Package{Ecosystem: eco, Name: fmt.Sprintf("src%d", (i+j)%(2*npkg))},
				Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{
					{Introduced: "0"}, {Fixed: fmt.Sprintf("1.%d-1+deb10u%d", i%7, i%5)}}}},
			})
		}
		idx.Add(a)
	}
	pkgs := make([]packages.Package, npkg)
	for i := range pkgs {
		pkgs[i] = packages.Package{Name: fmt.Sprintf("bin%d", i), Source: fmt.Sprintf("src%d", i),
			Version: fmt.Sprintf("1.%d-1", i%9), SourceVersion: fmt.Sprintf("1.%d-1", i%9), Type: packages.TypeDeb}
	}
	keys := []string{"Debian:10"}
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(Match(idx, keys, pkgs))
	}
	b.ReportMetric(float64(n), "findings")
}
