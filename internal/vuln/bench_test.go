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
// host's ecosystem): a worst case of 15 findings per package.
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
	benchMatch(b, idx, []string{"Debian:10"}, pkgs)
}

// BenchmarkMatchRealistic matches a 3,000-package Debian 10 host (binaries
// from 1,200 source packages, as on a real server where a source builds
// about 2.5 binaries) against 100,000 advisories with the density of the
// real Debian ELTS records: per (ecosystem, source) 1 to 9 advisories, 3.3 on
// average (the shared ELTS set has 3.1, median 2), about half of them fixed
// below the installed version; the other advisories are about other
// releases and packages the host does not have. About 1.5 findings per
// package (the bench/vuln program, built from the real ELTS records, finds
// 1.7).
func BenchmarkMatchRealistic(b *testing.B) {
	const nadv, npkg, nsrc = 100000, 3000, 1200
	perSrc := [...]int{1, 1, 2, 2, 2, 3, 4, 6, 9}
	idx := NewIndex()
	i := 0
	add := func(eco, name, fixed string) {
		idx.Add(&osv.Advisory{ID: fmt.Sprintf("SYN-%d", i), Modified: time.Unix(int64(i), 0),
			Severity: []osv.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}},
			Affected: []osv.Affected{{
				Package: osv.Package{Ecosystem: eco, Name: name},
				Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{
					{Introduced: "0"}, {Fixed: fixed}}}},
			}}})
		i++
	}
	for s := range nsrc {
		for k := range perSrc[s%len(perSrc)] {
			add("Debian:10", fmt.Sprintf("src%d", s), fmt.Sprintf("1.%d-1+deb10u1", 4+(s+k)%2*4)) // 1.4 or 1.8
		}
	}
	for i < nadv {
		add([]string{"Debian:9", "Debian:11", "Debian:10"}[i%3], fmt.Sprintf("other%d", i%20000), "1.0-1")
	}
	pkgs := make([]packages.Package, npkg)
	for i := range pkgs {
		v := fmt.Sprintf("1.%d-1", 5+i%2) // 1.5 or 1.6: below 1.8, above 1.4
		pkgs[i] = packages.Package{Name: fmt.Sprintf("bin%d", i), Source: fmt.Sprintf("src%d", i%nsrc),
			Version: v + "+b1", SourceVersion: v, Type: packages.TypeDeb}
	}
	benchMatch(b, idx, []string{"Debian:10"}, pkgs)
}

func benchMatch(b *testing.B, idx *Index, keys []string, pkgs []packages.Package) {
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for b.Loop() {
		n = len(Match(idx, keys, pkgs))
	}
	b.ReportMetric(float64(n), "findings")
	b.ReportMetric(float64(n)/float64(len(pkgs)), "findings/pkg")
}
