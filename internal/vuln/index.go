// Package vuln finds known vulnerabilities in a host's installed packages by
// matching them against OSV advisories of the host's distribution, with the
// distribution's own version ordering (dpkg, rpm, apk), and explains every
// finding: which advisory, which affected range or version list, which
// ecosystem, and the command that installs the fix.
//
// Advisories are held in an Index keyed by (ecosystem, package name), so a
// host's packages are matched by map lookups, never by scanning all
// advisories. An Index is built in memory from OSV records (Index.Add) or
// loaded from an on-disk database (package vulndb) for just the host's
// ecosystems and package names.
package vuln

import (
	"encoding/json"
	"strings"

	"github.com/vigil-sec/vigil/internal/vuln/cvss"
	"github.com/vigil-sec/vigil/internal/vuln/osv"
	"github.com/vigil-sec/vigil/internal/vuln/version"
)

// Meta is what a finding reports about its advisory.
type Meta struct {
	ID string
	// Aliases holds the advisory's aliases followed by its related ids
	// (Ubuntu and Debian name the CVE there), without duplicates.
	Aliases []string
	Summary string
	// Severity is the advisory-level rating (critical, high, medium, low,
	// negligible, none, unknown) and Score the CVSS base score behind it,
	// nil when the rating does not come from a scored CVSS vector.
	Severity string
	Score    *float64
}

// Entry is one affected[] element of an advisory, indexed under its
// ecosystem and package name.
type Entry struct {
	Meta      *Meta
	Ecosystem osv.Ecosystem
	Affected  osv.Affected
	Severity  string   // entry-level rating (see Assess)
	Score     *float64 // entry-level CVSS base score
}

// Index maps (ecosystem key, package name) to the advisory entries naming
// them. The zero value is not usable; call NewIndex.
type Index struct {
	entries    map[indexKey][]Entry
	advisories int
	withdrawn  int
}

type indexKey struct{ ecosystem, name string }

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{entries: make(map[indexKey][]Entry)} }

// Add indexes every affected entry of a, except when the advisory is
// withdrawn (counted, never matched) or an entry names an ecosystem without a
// known version ordering.
func (x *Index) Add(a *osv.Advisory) {
	if a.IsWithdrawn() {
		x.withdrawn++
		return
	}
	m := MetaOf(a)
	x.advisories++
	for _, af := range a.Affected {
		x.AddEntry(m, af)
	}
}

// AddEntry indexes one affected entry of the advisory described by m.
func (x *Index) AddEntry(m *Meta, af osv.Affected) {
	eco := osv.ParseEcosystem(af.Package.Ecosystem)
	if eco.Scheme == version.SchemeUnknown || af.Package.Name == "" {
		return
	}
	e := Entry{Meta: m, Ecosystem: eco, Affected: af}
	e.Severity, e.Score = Assess(m, af)
	k := indexKey{eco.Key, af.Package.Name}
	x.entries[k] = append(x.entries[k], e)
}

// CountAdvisory records an advisory added entry by entry with AddEntry.
func (x *Index) CountAdvisory() { x.advisories++ }

// Lookup returns the entries for a package name under an ecosystem key
// (osv.Ecosystem.Key).
func (x *Index) Lookup(key, name string) []Entry { return x.entries[indexKey{key, name}] }

// Advisories is the number of advisories indexed; Withdrawn the number left
// out because they were withdrawn.
func (x *Index) Advisories() int { return x.advisories }

// Withdrawn is the number of withdrawn advisories seen by Add.
func (x *Index) Withdrawn() int { return x.withdrawn }

// MetaOf extracts what findings report about a: id, aliases and related ids,
// summary (the first line of details when there is none) and the
// advisory-level severity.
func MetaOf(a *osv.Advisory) *Meta {
	m := &Meta{ID: a.ID, Summary: a.Summary}
	if m.Summary == "" {
		m.Summary, _, _ = strings.Cut(strings.TrimSpace(a.Details), "\n")
		if len(m.Summary) > 200 {
			m.Summary = m.Summary[:197] + "..."
		}
	}
	seen := map[string]bool{a.ID: true}
	for _, id := range append(append([]string(nil), a.Aliases...), a.Related...) {
		if id != "" && !seen[id] {
			seen[id] = true
			m.Aliases = append(m.Aliases, id)
		}
	}
	m.Severity, m.Score = advisorySeverity(a)
	return m
}

// advisorySeverity rates an advisory: its preferred CVSS vector (see
// cvssRating); otherwise the distribution's own rating (an "Ubuntu"
// severity entry, database_specific severity or urgency, or the Red Hat
// style "Important:" prefix of AlmaLinux and Rocky summaries); otherwise
// unknown.
func advisorySeverity(a *osv.Advisory) (string, *float64) {
	if r, s := cvssRating(a.Severity); s != nil {
		return r, s
	}
	for _, s := range a.Severity {
		if r := normRating(s.Score); s.Type != "" && !strings.HasPrefix(s.Type, "CVSS") && r != "" {
			return r, nil
		}
	}
	var ds struct {
		Severity string `json:"severity"`
		Urgency  string `json:"urgency"`
	}
	if len(a.DatabaseSpecific) > 0 && json.Unmarshal(a.DatabaseSpecific, &ds) == nil {
		for _, v := range []string{ds.Severity, ds.Urgency} {
			if r := normRating(v); r != "" {
				return r, nil
			}
		}
	}
	if word, _, ok := strings.Cut(a.Summary, ":"); ok {
		if r := normRating(word); r != "" {
			return r, nil
		}
	}
	return "unknown", nil
}

// Assess rates one affected entry: its own CVSS vector first, then the
// advisory's CVSS rating, then the entry's ecosystem_specific or
// database_specific priority (Ubuntu's ubuntu_priority), then the advisory's
// own rating.
func Assess(m *Meta, af osv.Affected) (string, *float64) {
	if r, s := cvssRating(af.Severity); s != nil {
		return r, s
	}
	if m.Score != nil {
		return m.Severity, m.Score
	}
	var es struct {
		UbuntuPriority string `json:"ubuntu_priority"`
		Severity       string `json:"severity"`
		Urgency        string `json:"urgency"`
	}
	for _, raw := range []json.RawMessage{af.EcosystemSpecific, af.DatabaseSpecific} {
		if len(raw) == 0 || json.Unmarshal(raw, &es) != nil {
			continue
		}
		for _, v := range []string{es.UbuntuPriority, es.Severity, es.Urgency} {
			if r := normRating(v); r != "" {
				return r, nil
			}
		}
	}
	return m.Severity, nil
}

// cvssRating returns the rating and score of the preferred scored CVSS
// vector in list: the newest CVSS version present (4.0, then 3.1, then 3.0),
// and the highest score among that version's vectors. A source that
// publishes both a 3.x and a 4.0 vector has assessed the vulnerability again
// with 4.0, whose score also covers the threat and environmental metrics the
// vector carries. It returns "" and nil when no vector can be scored.
func cvssRating(list []osv.Severity) (string, *float64) {
	var best *cvss.Score
	for _, s := range list {
		if !strings.HasPrefix(s.Type, "CVSS_V") {
			continue
		}
		sc, err := cvss.Parse(s.Score)
		if err != nil {
			continue
		}
		if best == nil || sc.Version > best.Version || (sc.Version == best.Version && sc.Base > best.Base) {
			best = &sc
		}
	}
	if best == nil {
		return "", nil
	}
	b := best.Base
	return best.Rating, &b
}

// normRating maps the distributions' severity words to vigil's ratings.
func normRating(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return "critical"
	case "high", "important":
		return "high"
	case "medium", "moderate":
		return "medium"
	case "low", "unimportant":
		return "low"
	case "negligible":
		return "negligible"
	}
	return ""
}

// severityRank orders ratings for sorting and summaries.
func severityRank(s string) int {
	switch s {
	case "critical":
		return 5
	case "high":
		return 4
	case "medium":
		return 3
	case "low":
		return 2
	case "negligible", "none":
		return 1
	}
	return 0
}
