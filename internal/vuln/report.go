package vuln

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Report is the result of matching one host.
type Report struct {
	Host       ReportHost   `json:"host"`
	Ecosystems []string     `json:"ecosystems"`
	Findings   []Finding    `json:"findings"`
	Summary    Summary      `json:"summary"`
	Notes      []string     `json:"notes,omitempty"`
	Skipped    skipped.List `json:"skipped,omitempty"`
}

// ReportHost identifies the host matched.
type ReportHost struct {
	Hostname  string `json:"hostname,omitempty"`
	OS        string `json:"os"`
	ID        string `json:"id"`
	VersionID string `json:"version_id"`
	Root      string `json:"root"`
	Packages  int    `json:"packages"`
}

// Summary counts the findings.
type Summary struct {
	Packages           int            `json:"packages"`
	VulnerablePackages int            `json:"vulnerable_packages"`
	Findings           int            `json:"findings"`
	Unfixed            int            `json:"unfixed"`
	BySeverity         map[string]int `json:"by_severity"`
	Advisories         int            `json:"advisories"` // advisories consulted
}

func (r *Report) summarize(advisories int) {
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	s := Summary{Packages: r.Host.Packages, Findings: len(r.Findings), BySeverity: map[string]int{}, Advisories: advisories}
	pkgs := map[string]bool{}
	for _, f := range r.Findings {
		pkgs[f.Package+" "+f.Version] = true
		s.BySeverity[f.Severity]++
		if f.Fixed == "" {
			s.Unfixed++
		}
	}
	s.VulnerablePackages = len(pkgs)
	r.Summary = s
}

// WriteText writes the report for people: one block per finding, most
// severe first.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Host: %s (%s)  root %s\n", r.Host.OS, strings.Join(r.Ecosystems, ", "), r.Host.Root)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note: %s\n", n)
	}
	fs := slices.Clone(r.Findings)
	slices.SortStableFunc(fs, func(a, b Finding) int { return severityRank(b.Severity) - severityRank(a.Severity) })
	for _, f := range fs {
		score := ""
		if f.Score != nil {
			score = fmt.Sprintf(" %.1f", *f.Score)
		}
		fmt.Fprintf(&b, "\n%s%s  %s  %s %s", strings.ToUpper(f.Severity), score, f.ID, f.Package, f.Version)
		if len(f.Aliases) > 0 {
			fmt.Fprintf(&b, "  (%s)", strings.Join(f.Aliases, ", "))
		}
		fmt.Fprintf(&b, "\n  %s\n  why: %s\n", f.Summary, f.Why)
		if f.Fixed != "" {
			fmt.Fprintf(&b, "  fixed in %s: %s\n", f.Fixed, f.Remediation)
		} else {
			fmt.Fprintf(&b, "  %s\n", f.Remediation)
		}
	}
	s := r.Summary
	fmt.Fprintf(&b, "\n%d finding(s) in %d of %d package(s), %d without a fix; %d advisories consulted\n",
		s.Findings, s.VulnerablePackages, s.Packages, s.Unfixed, s.Advisories)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "%d input record(s) skipped\n", len(r.Skipped))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
