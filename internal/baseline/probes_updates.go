package baseline

import (
	"github.com/pierrec/lz4/v4"

	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/skipped"
	"github.com/vigil-sec/vigil/internal/vuln/version"
)

func init() {
	sca.RegisterProbe("updates.security", probeUpdatesSecurity)
}

// aptListsDir holds apt's downloaded package indexes.
const aptListsDir = "/var/lib/apt/lists"

// maxIndexSize bounds one decompressed Packages index (Debian main is ~100 MiB
// uncompressed; a security archive far less).
const maxIndexSize = 256 << 20

// aptCandidate is one package version offered by an index.
type aptCandidate struct {
	Name, Version, Arch string
}

// parseAptPackages reads a Packages index (deb822 stanzas) and returns each
// stanza's Package, Version and Architecture. Stanzas without Package or
// Version are recorded as skipped.
func parseAptPackages(file string, r io.Reader, skip *skipped.List) ([]aptCandidate, error) {
	var out []aptCandidate
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var cur aptCandidate
	n, start, fields := 0, 0, 0
	flush := func() {
		if fields > 0 {
			if cur.Name == "" || cur.Version == "" {
				skip.Add(file, start, "stanza without Package or Version")
			} else {
				out = append(out, cur)
			}
		}
		cur, fields = aptCandidate{}, 0
	}
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if fields == 0 {
			start = n
		}
		fields++
		if line[0] == ' ' || line[0] == '\t' {
			continue // continuation of a multi-line field
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			skip.Add(file, n, "line without a field name")
			continue
		}
		val := string(bytes.TrimSpace(v))
		switch string(k) {
		case "Package":
			cur.Name = val
		case "Version":
			cur.Version = val
		case "Architecture":
			cur.Arch = val
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read %s: %w", file, err)
	}
	return out, nil
}

// aptOrigin names the archive an index comes from by its suite, as apt shows it:
// ..._dists_bookworm-security_main_binary-amd64_Packages -> bookworm-security.
func aptOrigin(file string) string {
	base := path.Base(file)
	if _, rest, ok := strings.Cut(base, "_dists_"); ok {
		suite, _, _ := strings.Cut(rest, "_")
		return strings.ReplaceAll(suite, "%5f", "_")
	}
	return base
}

// securityIndexes finds the security archives' Packages indexes; compressed
// indexes in formats vigil cannot read are returned apart.
func securityIndexes(env *sca.Env) (readable, unreadable []string) {
	names, _ := env.Root.Glob(aptListsDir + "/*security*_Packages*")
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, "_Packages"), strings.HasSuffix(n, "_Packages.gz"), strings.HasSuffix(n, "_Packages.lz4"):
			readable = append(readable, n)
		default:
			unreadable = append(unreadable, n)
		}
	}
	return readable, unreadable
}

func readIndex(env *sca.Env, name string, skip *skipped.List) ([]aptCandidate, error) {
	f, err := env.Root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		defer zr.Close()
		r = zr
	}
	if strings.HasSuffix(name, ".lz4") {
		// apt stores its lists lz4-compressed when Acquire::GzipIndexes or
		// the Docker images' apt configuration asks for it.
		r = lz4.NewReader(f)
	}
	return parseAptPackages(name, io.LimitReader(r, maxIndexSize), skip)
}

// installedPackages lists the installed packages once per scan.
func installedPackages(ctx context.Context, env *sca.Env) ([]packages.Package, error) {
	v, err := env.Shared("packages", func() (any, error) {
		p, _, err := packages.Collect(ctx, env.Root)
		if err != nil && len(p) == 0 {
			return nil, err
		}
		return p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list packages: %w", err)
	}
	return v.([]packages.Package), nil
}

// probeUpdatesSecurity: NAME INSTALLED -> CANDIDATE (ORIGIN) per installed deb
// with a newer version in a security archive.
func probeUpdatesSecurity(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("updates.security", args); err != nil {
		return nil, err
	}
	if _, err := env.Root.Stat(packages.DpkgStatusPath); err != nil {
		return nil, notApplicable("not a dpkg system")
	}
	files, other := securityIndexes(env)
	if len(files) == 0 {
		if len(other) > 0 {
			return nil, notApplicable("security indexes are compressed in a format vigil does not read (%s)", path.Base(other[0]))
		}
		return nil, notApplicable("no security archive indexes in %s", aptListsDir)
	}
	type best struct{ version, origin string }
	cand := map[string]best{} // name/arch
	var skip skipped.List
	for _, f := range files {
		list, err := readIndex(env, f, &skip)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			k := c.Name + "/" + c.Arch
			if b, ok := cand[k]; !ok || version.CompareDpkg(c.Version, b.version) > 0 {
				cand[k] = best{c.Version, aptOrigin(f)}
			}
		}
	}
	pkgs, err := installedPackages(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pkgs {
		if p.Type != packages.TypeDeb {
			continue
		}
		b, ok := cand[p.Name+"/"+p.Architecture]
		if ok && version.CompareDpkg(b.version, p.Version) > 0 {
			out = append(out, fmt.Sprintf("%s %s -> %s (%s)", p.Name, p.Version, b.version, b.origin))
		}
	}
	return sorted(out), nil
}
