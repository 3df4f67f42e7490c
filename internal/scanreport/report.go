// Package scanreport holds the result of a local security audit (vigil scan):
// the checks with their outcome, the score, and the inventory; and writes it as
// text for a terminal, as JSON for programs, and as one self-contained HTML page
// for people.
//
// The score weights each decided check by its severity (low 1, medium 3, high 6,
// critical 10): score = round(100 × passed weight ÷ (passed + failed weight)).
// Checks that are not applicable or ended in an error carry no weight. A
// category's score uses the same formula over its own checks. A report with no
// decided check scores 100 (nothing was found wrong) and says so in Summary.
package scanreport

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Check statuses.
const (
	Pass          = "pass"
	Fail          = "fail"
	NotApplicable = "not_applicable"
	Error         = "error"
)

// Severities, in rising order.
var severities = []string{"info", "low", "medium", "high", "critical"}

// SeverityWeight is a severity's weight in the score.
func SeverityWeight(sev string) int {
	switch sev {
	case "low":
		return 1
	case "medium":
		return 3
	case "high":
		return 6
	case "critical":
		return 10
	}
	return 0
}

// SeverityRank orders severities (info 0 ... critical 4); -1 for unknown ones.
func SeverityRank(sev string) int {
	for i, s := range severities {
		if s == sev {
			return i
		}
	}
	return -1
}

// Check is the outcome of one check.
type Check struct {
	ID                 string   `json:"id"`
	Title              string   `json:"title"`
	Status             string   `json:"status"`
	Severity           string   `json:"severity"`
	Category           string   `json:"category"`
	Policy             string   `json:"policy"`
	Description        string   `json:"description,omitempty"`
	Rationale          string   `json:"rationale,omitempty"`
	Remediation        string   `json:"remediation,omitempty"`
	RemediationCommand string   `json:"remediation_command,omitempty"`
	References         []string `json:"references,omitempty"`
	Evidence           string   `json:"evidence,omitempty"`
	Reason             string   `json:"reason,omitempty"`
}

// Summary counts checks by status.
type Summary struct {
	Total         int `json:"total"`
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	NotApplicable int `json:"not_applicable"`
	Error         int `json:"error"`
}

// Category is the score of one check category.
type Category struct {
	Name    string  `json:"name"`
	Score   int     `json:"score"`
	Summary Summary `json:"summary"`
}

// Policy says which policies ran and, when one was skipped, why.
type Policy struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	File        string `json:"file,omitempty"`
	Checks      int    `json:"checks"`
	Skipped     bool   `json:"skipped,omitempty"`
	SkipReason  string `json:"skip_reason,omitempty"`
	Requirement string `json:"requirement,omitempty"`
}

// Fact is one labelled value of a summary.
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Host identifies the audited host in the report header.
type Host struct {
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Kernel   string `json:"kernel,omitempty"`
	Root     string `json:"root"`
}

// Report is a whole scan.
type Report struct {
	Tool       string     `json:"tool"`
	Version    string     `json:"version"`
	Host       Host       `json:"host"`
	StartedAt  time.Time  `json:"started_at"`
	Duration   string     `json:"duration"`
	Score      int        `json:"score"`
	Categories []Category `json:"categories"`
	Summary    Summary    `json:"summary"`
	Policies   []Policy   `json:"policies"`
	Checks     []Check    `json:"checks"`
	Inventory  any        `json:"inventory,omitempty"`
	// InventorySummary is a few headline facts of the inventory for the
	// human reports (packages, users, listening ports, ...).
	InventorySummary []Fact `json:"inventory_summary,omitempty"`
	// Vulnerabilities is filled by vigil scan --db.
	Vulnerabilities any `json:"vulnerabilities,omitempty"`
}

// Finalize computes the summary, the score and the per-category scores, and
// orders the checks: failures first by severity, then errors, passes and not
// applicable, each by category and id.
func (r *Report) Finalize() {
	sort.SliceStable(r.Checks, func(i, j int) bool { return less(r.Checks[i], r.Checks[j]) })
	r.Summary = summarize(r.Checks)
	r.Score = score(r.Checks)
	byCat := map[string][]Check{}
	for _, c := range r.Checks {
		byCat[c.Category] = append(byCat[c.Category], c)
	}
	r.Categories = r.Categories[:0]
	for name, cs := range byCat {
		r.Categories = append(r.Categories, Category{Name: name, Score: score(cs), Summary: summarize(cs)})
	}
	sort.Slice(r.Categories, func(i, j int) bool { return r.Categories[i].Name < r.Categories[j].Name })
}

var statusOrder = map[string]int{Fail: 0, Error: 1, Pass: 2, NotApplicable: 3}

func less(a, b Check) bool {
	if statusOrder[a.Status] != statusOrder[b.Status] {
		return statusOrder[a.Status] < statusOrder[b.Status]
	}
	if a.Status == Fail && a.Severity != b.Severity {
		return SeverityRank(a.Severity) > SeverityRank(b.Severity)
	}
	if a.Category != b.Category {
		return a.Category < b.Category
	}
	return a.ID < b.ID
}

func summarize(cs []Check) Summary {
	s := Summary{Total: len(cs)}
	for _, c := range cs {
		switch c.Status {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case NotApplicable:
			s.NotApplicable++
		default:
			s.Error++
		}
	}
	return s
}

func score(cs []Check) int {
	var passed, decided int
	for _, c := range cs {
		w := SeverityWeight(c.Severity)
		switch c.Status {
		case Pass:
			passed += w
			decided += w
		case Fail:
			decided += w
		}
	}
	if decided == 0 {
		return 100
	}
	return int(math.Round(100 * float64(passed) / float64(decided)))
}

// FailedAtOrAbove reports the failed checks whose severity is at least sev.
func (r *Report) FailedAtOrAbove(sev string) []Check {
	min := SeverityRank(sev)
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail && SeverityRank(c.Severity) >= min {
			out = append(out, c)
		}
	}
	return out
}

// CategoryTitle is the human name of a category ("access_control" → "User access control").
func CategoryTitle(name string) string {
	if t, ok := categoryTitles[name]; ok {
		return t
	}
	if name == "" {
		return "Other"
	}
	return strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ")
}

var categoryTitles = map[string]string{
	"ssh":              "SSH server",
	"authentication":   "Authentication and password policy",
	"access_control":   "User access control",
	"file_permissions": "File permissions",
	"filesystem":       "File systems",
	"kernel":           "Kernel hardening",
	"kernel_modules":   "Kernel modules",
	"services":         "Services",
	"network":          "Network",
	"audit":            "Audit",
	"logging":          "Logging",
	"time":             "Time synchronisation",
	"firewall":         "Firewall",
	"cron":             "Cron and at",
	"banners":          "Login banners",
	"updates":          "Updates",
	"boot":             "Boot and mandatory access control",
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
