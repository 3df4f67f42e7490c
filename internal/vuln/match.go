package vuln

import (
	"cmp"
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
//
// Findings are built with few allocations: the why texts of one call are
// written into one buffer and cut from it, and a package's remediation
// without a Pro note is built once and shared by its findings.
func Match(idx *Index, keys []string, pkgs []packages.Package) []Finding {
	m := matcher{out: make([]Finding, 0, candidates(idx, keys, pkgs))}
	type pkgKey struct{ name, ver, arch string }
	done := make(map[pkgKey][2]int, len(pkgs)) // where a package's findings are in m.out
	for i := range pkgs {
		p := &pkgs[i]
		pk := pkgKey{p.Name, p.Version, p.Architecture}
		prev, dup := done[pk]
		start := len(m.out)
		m.rem, m.noFix = "", ""
		names, ver := lookupNames(p)
		for _, key := range keys {
			for _, name := range names {
				for _, e := range idx.Lookup(key, name) {
					if !schemeFits(e.Ecosystem.Scheme, p.Type) || m.has(start, e.Meta.ID) ||
						(dup && m.hasIn(prev, e.Meta.ID)) {
						continue
					}
					m.match(e, p, name, ver)
				}
			}
		}
		if !dup {
			done[pk] = [2]int{start, len(m.out)}
		}
	}
	m.cutWhys()
	slices.SortFunc(m.out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.Version, b.Version), cmp.Compare(a.ID, b.ID))
	})
	return m.out
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

// candidates counts the index entries Match will look at, an upper bound
// of the number of findings, so that the findings are allocated once.
func candidates(idx *Index, keys []string, pkgs []packages.Package) int {
	n := 0
	for i := range pkgs {
		names, _ := lookupNames(&pkgs[i])
		for _, key := range keys {
			for _, name := range names {
				n += len(idx.Lookup(key, name))
			}
		}
	}
	return n
}

// whyChunk is the size of the buffers the why texts are cut from.
const whyChunk = 64 << 10

// matcher accumulates the findings of one Match call.
type matcher struct {
	out []Finding
	// whys holds the why texts of out[whyFrom:], one after the other;
	// whyEnd[i] is where out[whyFrom+i]'s ends. When whys is nearly full
	// they are cut from it (cutWhys) and a new buffer started, so that each
	// buffer is allocated once.
	whys    strings.Builder
	whyFrom int
	whyEnd  []int
	// rem and noFix are the current package's remediations with a fix (no
	// Pro note) and without one, "" until needed.
	rem, noFix string
	// ids indexes the advisory ids of the current package's findings when
	// it has many (see has); idsFrom is the start of the package they index.
	ids     map[string]struct{}
	idsFrom int
}

// has tells whether the findings from start on (the current package's)
// include advisory id: by a scan while they are few, by a set beyond.
func (m *matcher) has(start int, id string) bool {
	const scanMax = 32
	n := len(m.out) - start
	if n <= scanMax {
		return m.hasIn([2]int{start, len(m.out)}, id)
	}
	if m.ids == nil || m.idsFrom != start {
		m.ids, m.idsFrom = make(map[string]struct{}, 2*n), start
	}
	for _, f := range m.out[start+len(m.ids):] {
		m.ids[f.ID] = struct{}{}
	}
	_, ok := m.ids[id]
	return ok
}

func (m *matcher) hasIn(span [2]int, id string) bool {
	for _, f := range m.out[span[0]:span[1]] {
		if f.ID == id {
			return true
		}
	}
	return false
}

// match appends the finding of p (looked up as name, at version ver) for e
// when e affects it.
func (m *matcher) match(e Entry, p *packages.Package, name, ver string) {
	r, ok := matchEntry(e, ver)
	if !ok {
		return
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
		Fixed:     r.fixed,
		Ecosystem: e.Ecosystem.Raw,
	}
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	switch {
	case r.fixed == "":
		if m.noFix == "" {
			m.noFix = remediation(p, e.Ecosystem, "")
		}
		f.Remediation = m.noFix
	case strings.HasPrefix(e.Ecosystem.Key, "Ubuntu:Pro:"):
		f.Remediation = remediation(p, e.Ecosystem, r.fixed)
	default:
		if m.rem == "" {
			m.rem = remediation(p, e.Ecosystem, r.fixed)
		}
		f.Remediation = m.rem
	}
	if m.whys.Cap()-m.whys.Len() < 1024 {
		m.cutWhys()
		m.whys.Grow(whyChunk)
	}
	m.out = append(m.out, f)
	r.writeWhy(&m.whys, e, name, ver)
	m.whyEnd = append(m.whyEnd, m.whys.Len())
}

// cutWhys sets the Why of the findings written into the current buffer to
// their parts of it, and empties it.
func (m *matcher) cutWhys() {
	all := m.whys.String()
	from := 0
	for i, end := range m.whyEnd {
		m.out[m.whyFrom+i].Why = all[from:end]
		from = end
	}
	m.whys = strings.Builder{}
	m.whyFrom, m.whyEnd = len(m.out), m.whyEnd[:0]
}

// entryMatch is how an entry matched an installed version.
type entryMatch struct {
	listed  bool // the version is in versions[]
	inRange bool // an ECOSYSTEM range covers it (res)
	res     rangeResult
	fixed   string
}

// matchEntry decides whether version ver is affected by e: listed in
// versions[], or inside an ECOSYSTEM range. SEMVER and GIT ranges do not
// apply to distribution packages and are ignored.
func matchEntry(e Entry, ver string) (entryMatch, bool) {
	compare := e.Ecosystem.Scheme.Compare
	var r entryMatch
	for _, v := range e.Affected.Versions {
		if compare(v, ver) == 0 {
			r.listed = true
			break
		}
	}
	for _, rg := range e.Affected.Ranges {
		if rg.Type != osv.RangeEcosystem {
			continue
		}
		if res, ok := evalRange(compare, ver, rg.Events); ok {
			r.inRange, r.res, r.fixed = true, res, res.fixed
			break
		}
	}
	if !r.listed && !r.inRange {
		return r, false
	}
	if r.listed && !r.inRange {
		// Listed versions outside every range: report the range's fix, if
		// the ranges name one above the installed version.
		r.fixed = fixAbove(compare, ver, e.Affected.Ranges)
	}
	return r, true
}

// writeWhy writes which list or range matched, e.g. "systemd 237-3 is
// listed in versions[] and systemd 237-3 is in range [introduced 0, no
// fixed version] of ID for ECOSYSTEM (dpkg ordering)".
func (r *entryMatch) writeWhy(b *strings.Builder, e Entry, name, ver string) {
	if r.listed {
		b.WriteString(name + " " + ver + " is listed in versions[]")
		if r.inRange {
			b.WriteString(" and ")
		}
	}
	if r.inRange {
		b.WriteString(name)
		b.WriteString(" ")
		b.WriteString(ver)
		b.WriteString(" is in range ")
		r.res.writeTo(b)
	}
	b.WriteString(" of ")
	b.WriteString(e.Meta.ID)
	b.WriteString(" for ")
	b.WriteString(e.Ecosystem.Raw)
	b.WriteString(" (")
	b.WriteString(e.Ecosystem.Scheme.String())
	b.WriteString(" ordering)")
}

// rangeResult explains a matching range.
type rangeResult struct {
	introduced   string // "0" for the start
	fixed        string
	lastAffected string
	limit        string
}

func (r rangeResult) String() string {
	var b strings.Builder
	r.writeTo(&b)
	return b.String()
}

func (r *rangeResult) writeTo(b *strings.Builder) {
	b.WriteString("[introduced ")
	b.WriteString(r.introduced)
	switch {
	case r.fixed != "":
		b.WriteString(", fixed " + r.fixed + ")")
	case r.lastAffected != "":
		b.WriteString(", last_affected " + r.lastAffected + "]")
	case r.limit != "":
		b.WriteString(", limit " + r.limit + ") with no fixed version")
	default:
		b.WriteString(", no fixed version]")
	}
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
	var evBuf, limBuf [4]event
	evs, limits := evBuf[:0], limBuf[:0]
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
