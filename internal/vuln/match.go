package vuln

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
	"github.com/vigil-sec/vigil/internal/vuln/version"
)

// Finding is one installed package affected by one advisory.
type Finding struct {
	Package  string   `json:"package"` // binary package name
	Source   string   `json:"source"`  // source package name
	Version  string   `json:"version"` // installed version compared
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary"`
	Severity string   `json:"severity"`
	Score    *float64 `json:"score"`
	// Fixed is the version that fixes the package in the matched
	// ecosystem, "" when the advisory names no fix.
	Fixed     string `json:"fixed"`
	Ecosystem string `json:"ecosystem"` // as the advisory spells it
	// Why says which range or version list matched and how.
	Why string `json:"why"`
	// Remediation is the command that installs the fixed version, or what
	// to do when there is none.
	Remediation string `json:"remediation"`
}

// Match returns the findings for pkgs against the entries of idx under the
// given ecosystem keys (see Ecosystems), sorted by package, version and
// advisory id. A package affected by one advisory in several of the keys
// yields one finding, for the first key in order that matched.
func Match(idx *Index, keys []string, pkgs []packages.Package) []Finding {
	var out []Finding
	type seenKey struct{ pkg, ver, arch, id string }
	seen := make(map[seenKey]bool)
	for i := range pkgs {
		p := &pkgs[i]
		names, ver := lookupNames(p)
		for _, key := range keys {
			for _, name := range names {
				for _, e := range idx.Lookup(key, name) {
					if !schemeFits(e.Ecosystem.Scheme, p.Type) {
						continue
					}
					sk := seenKey{p.Name, p.Version, p.Architecture, e.Meta.ID}
					if seen[sk] {
						continue
					}
					f, ok := matchEntry(e, p, name, ver)
					if !ok {
						continue
					}
					seen[sk] = true
					out = append(out, f)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.Version, b.Version), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// lookupNames gives the names an installed package is looked up by and the
// version compared: dpkg and apk advisories name source packages, so the
// source name and source version; RPM advisories name binary or source
// RPMs, so both names with the package's EVR.
func lookupNames(p *packages.Package) ([]string, string) {
	src := cmp.Or(p.Source, p.Name)
	switch p.Type {
	case packages.TypeRPM:
		if src != p.Name {
			return []string{p.Name, src}, p.Version
		}
		return []string{p.Name}, p.Version
	case packages.TypeDeb:
		return []string{src}, cmp.Or(p.SourceVersion, p.Version)
	}
	return []string{src}, p.Version
}

func schemeFits(s version.Scheme, pkgType string) bool {
	switch pkgType {
	case packages.TypeDeb:
		return s == version.SchemeDpkg
	case packages.TypeRPM:
		return s == version.SchemeRPM
	case packages.TypeAPK:
		return s == version.SchemeAPK
	}
	return false
}

// matchEntry decides whether version ver of p (looked up as name) is
// affected by e: listed in versions[], or inside an ECOSYSTEM range. SEMVER
// and GIT ranges do not apply to distribution packages and are ignored.
func matchEntry(e Entry, p *packages.Package, name, ver string) (Finding, bool) {
	compare := e.Ecosystem.Scheme.Compare
	var why []string
	listed := false
	for _, v := range e.Affected.Versions {
		if compare(v, ver) == 0 {
			listed = true
			why = append(why, fmt.Sprintf("%s %s is listed in versions[]", name, ver))
			break
		}
	}
	fixed := ""
	inRange := false
	for _, r := range e.Affected.Ranges {
		if r.Type != osv.RangeEcosystem {
			continue
		}
		if res, ok := evalRange(compare, ver, r.Events); ok {
			inRange = true
			fixed = res.fixed
			why = append(why, fmt.Sprintf("%s %s is in range %s", name, ver, res))
			break
		}
	}
	if !listed && !inRange {
		return Finding{}, false
	}
	if listed && !inRange {
		// Listed versions outside every range: report the range's fix, if
		// the ranges name one above the installed version.
		fixed = fixAbove(compare, ver, e.Affected.Ranges)
	}
	f := Finding{
		Package:   p.Name,
		Source:    cmp.Or(p.Source, p.Name),
		Version:   ver,
		ID:        e.Meta.ID,
		Aliases:   e.Meta.Aliases,
		Summary:   e.Meta.Summary,
		Severity:  e.Severity,
		Score:     e.Score,
		Fixed:     fixed,
		Ecosystem: e.Ecosystem.Raw,
		Why: fmt.Sprintf("%s of %s for %s (%s ordering)", strings.Join(why, " and "), e.Meta.ID,
			e.Ecosystem.Raw, e.Ecosystem.Scheme),
	}
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	f.Remediation = remediation(p, e.Ecosystem, fixed)
	return f, true
}

// rangeResult explains a matching range.
type rangeResult struct {
	introduced   string // "0" for the start
	fixed        string
	lastAffected string
	limit        string
}

func (r rangeResult) String() string {
	switch {
	case r.fixed != "":
		return fmt.Sprintf("[introduced %s, fixed %s)", r.introduced, r.fixed)
	case r.lastAffected != "":
		return fmt.Sprintf("[introduced %s, last_affected %s]", r.introduced, r.lastAffected)
	case r.limit != "":
		return fmt.Sprintf("[introduced %s, limit %s) with no fixed version", r.introduced, r.limit)
	}
	return fmt.Sprintf("[introduced %s, no fixed version]", r.introduced)
}

type event struct {
	kind, ver string
}

// evalRange applies the OSV evaluation of one range's events to ver: the
// events sorted by version ("introduced 0" first), a version is affected
// after the last introduced event at or below it unless a fixed event at or
// below it, or a last_affected event below it, came later; and, when limit
// events exist, only below one of them.
func evalRange(compare func(a, b string) int, ver string, events []osv.Event) (rangeResult, bool) {
	var evs, limits []event
	for _, e := range events {
		switch {
		case e.Introduced != "":
			evs = append(evs, event{"introduced", e.Introduced})
		case e.Fixed != "":
			evs = append(evs, event{"fixed", e.Fixed})
		case e.LastAffected != "":
			evs = append(evs, event{"last_affected", e.LastAffected})
		case e.Limit != "":
			limits = append(limits, event{"limit", e.Limit})
		}
	}
	vcmp := func(a, b string) int {
		switch {
		case a == "0" && b == "0":
			return 0
		case a == "0":
			return -1
		case b == "0":
			return 1
		}
		return compare(a, b)
	}
	slices.SortStableFunc(evs, func(a, b event) int { return vcmp(a.ver, b.ver) })
	var res rangeResult
	affected := false
	next := -1
	for i, e := range evs {
		c := vcmp(e.ver, ver)
		if e.kind == "introduced" && c <= 0 {
			affected, res.introduced = true, e.ver
		} else if e.kind == "fixed" && c <= 0 {
			affected = false
		} else if e.kind == "last_affected" && c < 0 {
			affected = false
		} else if c > 0 || e.kind == "last_affected" {
			next = i
			break
		}
	}
	if !affected {
		return res, false
	}
	if len(limits) > 0 {
		below := false
		for _, l := range limits {
			if vcmp(ver, l.ver) < 0 {
				below, res.limit = true, l.ver
				break
			}
		}
		if !below {
			return res, false
		}
	}
	for i := next; i >= 0 && i < len(evs); i++ {
		if evs[i].kind == "fixed" {
			res.fixed = evs[i].ver
			break
		}
		if evs[i].kind == "last_affected" {
			res.lastAffected = evs[i].ver
			break
		}
	}
	return res, true
}

// fixAbove returns the lowest fixed event above ver in any ECOSYSTEM range.
func fixAbove(compare func(a, b string) int, ver string, ranges []osv.Range) string {
	best := ""
	for _, r := range ranges {
		if r.Type != osv.RangeEcosystem {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && compare(e.Fixed, ver) > 0 && (best == "" || compare(e.Fixed, best) < 0) {
				best = e.Fixed
			}
		}
	}
	return best
}

// remediation names the command that installs the fix, or says there is
// none yet.
func remediation(p *packages.Package, eco osv.Ecosystem, fixed string) string {
	if fixed == "" {
		return "no fixed version published yet; mitigate or remove " + p.Name
	}
	var cmd string
	switch p.Type {
	case packages.TypeDeb:
		cmd = "apt-get install --only-upgrade " + p.Name
	case packages.TypeRPM:
		cmd = "dnf upgrade " + p.Name
	case packages.TypeAPK:
		cmd = "apk upgrade " + p.Name
	}
	if strings.HasPrefix(eco.Key, "Ubuntu:Pro:") {
		cmd += " (the fix " + fixed + " is published in Ubuntu Pro: attach the host with 'pro attach' first)"
	}
	return cmd
}
