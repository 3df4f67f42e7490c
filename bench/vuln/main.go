// Command vuln measures vigil's vulnerability matching at scale: it builds
// N synthetic OSV advisories from real templates (the shared Debian ELTS and
// AlmaLinux records, or the repository's test advisories), packs them like
// osv.dev's all.zip, imports them into a fresh database, and matches a host
// of P installed packages against them, from the database and in memory.
//
//	go run ./bench/vuln [-n 100000] [-packages 3000] [-templates DIR]
package main

import (
	"archive/zip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/shareddata"
	"github.com/vigil-sec/vigil/internal/vuln"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
	"github.com/vigil-sec/vigil/internal/vuln/vulndb"
)

func main() {
	n := flag.Int("n", 100000, "synthetic advisories")
	npkg := flag.Int("packages", 3000, "installed packages of the host")
	tdir := flag.String("templates", "", "directory of OSV templates (default: shared debian_elts)")
	flag.Parse()
	if err := run(context.Background(), *n, *npkg, *tdir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n, npkg int, tdir string) error {
	if tdir == "" {
		if d := shareddata.Find(); d != "" {
			tdir = filepath.Join(d, "osv_advisories", "debian_elts")
		} else {
			tdir = "internal/vuln/osv/testdata/advisories"
		}
	}
	var templates []*osv.Advisory
	if _, err := osv.Load(ctx, tdir, func(a *osv.Advisory) error {
		templates = append(templates, a)
		return nil
	}); err != nil {
		return err
	}
	if len(templates) == 0 {
		return fmt.Errorf("no templates in %s", tdir)
	}
	tmp, err := os.MkdirTemp("", "vigil-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	zpath := filepath.Join(tmp, "all.zip")
	start := time.Now()
	if err := writeZip(zpath, templates, n, npkg); err != nil {
		return err
	}
	fmt.Printf("generated %d advisories from %d templates in %s\n", n, len(templates), time.Since(start).Round(time.Millisecond))

	db, err := vulndb.Open(ctx, filepath.Join(tmp, "osv.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	start = time.Now()
	st, err := db.Import(ctx, zpath)
	if err != nil {
		return err
	}
	fmt.Printf("import: %d added, %d skipped in %s\n", st.Added, len(st.Skipped), time.Since(start).Round(time.Millisecond))

	host := &vuln.Host{Packages: hostPackages(npkg)}
	host.OS.ID, host.OS.VersionID = "debian", "10"
	start = time.Now()
	r, err := vuln.Scan(ctx, host, db)
	if err != nil {
		return err
	}
	fmt.Printf("match from database (%d packages): %d findings in %s\n", npkg, len(r.Findings), time.Since(start).Round(time.Microsecond))

	idx := vuln.NewIndex()
	start = time.Now()
	if _, err := osv.Load(ctx, zpath, func(a *osv.Advisory) error { idx.Add(a); return nil }); err != nil {
		return err
	}
	fmt.Printf("in-memory index of %d advisories built in %s\n", idx.Advisories(), time.Since(start).Round(time.Millisecond))
	keys := vuln.Ecosystems(host.OS)
	const rounds = 20
	start = time.Now()
	var fs []vuln.Finding
	for range rounds {
		fs = vuln.Match(idx, keys, host.Packages)
	}
	fmt.Printf("match in memory (%d packages): %d findings in %s per host\n", npkg, len(fs), (time.Since(start) / rounds).Round(time.Microsecond))
	return nil
}

// writeZip writes n advisories: template i%len, id made unique, every
// Debian:10 package renamed to one of the host's npkg sources (so matching
// has real work to do) or left as is, modified dates spread over a year.
func writeZip(path string, templates []*osv.Advisory, n, npkg int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		a := *templates[i%len(templates)]
		a.ID = fmt.Sprintf("SYN-%d-%s", i, a.ID)
		a.Modified = base.Add(time.Duration(i) * time.Minute)
		a.Affected = append([]osv.Affected(nil), a.Affected...)
		for j := range a.Affected {
			if i%3 != 0 {
				a.Affected[j].Package.Name = fmt.Sprintf("src%d", (i+j)%(npkg*2))
			}
		}
		w, err := zw.Create(a.ID + ".json")
		if err != nil {
			return err
		}
		if err := json.NewEncoder(w).Encode(&a); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

// hostPackages is a Debian 10 host: binaries bin<i> from sources src<i>, at
// versions both below and above the templates' typical fixes.
func hostPackages(n int) []packages.Package {
	out := make([]packages.Package, n)
	for i := range out {
		v := "1.0-1"
		if i%2 == 0 {
			v = "99:1.0-1"
		}
		out[i] = packages.Package{Name: fmt.Sprintf("bin%d", i), Source: fmt.Sprintf("src%d", i),
			Version: v, SourceVersion: v, Type: packages.TypeDeb}
	}
	return out
}
