package scanreport

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// TextOptions control the terminal report.
type TextOptions struct {
	Color   bool // ANSI colours (only when writing to a terminal)
	Verbose bool // also list passed and not applicable checks one per line
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiDim    = "\x1b[2m"
)

// WriteText writes the human report: a header with the score, then one section
// per category (worst score first) listing failed checks with their evidence and
// remediation, then errors; passed and not applicable checks are counted (and
// listed with Verbose).
func WriteText(w io.Writer, r *Report, opt TextOptions) error {
	bw := bufio.NewWriter(w)
	paint := func(code, s string) string {
		if !opt.Color {
			return s
		}
		return code + s + ansiReset
	}
	fmt.Fprintf(bw, "%s %s — security audit of %s (%s)\n", r.Tool, r.Version, r.Host.Hostname, r.Host.OS)
	if r.Host.Root != "/" {
		fmt.Fprintf(bw, "host root: %s\n", r.Host.Root)
	}
	fmt.Fprintf(bw, "score: %s   checks: %d   passed: %d   failed: %d   not applicable: %d   errors: %d   (%s)\n\n",
		paint(ansiBold+scoreColor(r.Score), fmt.Sprintf("%d/100", r.Score)),
		r.Summary.Total, r.Summary.Pass, r.Summary.Fail, r.Summary.NotApplicable, r.Summary.Error, r.Duration)
	for _, p := range r.Policies {
		if p.Skipped {
			fmt.Fprintf(bw, "policy %s skipped: %s\n", p.ID, p.SkipReason)
		}
	}

	byCat := map[string][]Check{}
	for _, c := range r.Checks {
		byCat[c.Category] = append(byCat[c.Category], c)
	}
	cats := append([]Category(nil), r.Categories...)
	sort.SliceStable(cats, func(i, j int) bool {
		if cats[i].Summary.Fail != 0 && cats[j].Summary.Fail != 0 && cats[i].Score != cats[j].Score {
			return cats[i].Score < cats[j].Score
		}
		return cats[i].Summary.Fail > cats[j].Summary.Fail
	})
	for _, cat := range cats {
		fmt.Fprintf(bw, "%s  %s  (%d passed, %d failed",
			paint(ansiBold, CategoryTitle(cat.Name)), paint(scoreColor(cat.Score), fmt.Sprintf("%d/100", cat.Score)),
			cat.Summary.Pass, cat.Summary.Fail)
		if cat.Summary.NotApplicable > 0 {
			fmt.Fprintf(bw, ", %d not applicable", cat.Summary.NotApplicable)
		}
		if cat.Summary.Error > 0 {
			fmt.Fprintf(bw, ", %s", plural(cat.Summary.Error, "error"))
		}
		fmt.Fprintln(bw, ")")
		for _, c := range byCat[cat.Name] {
			switch c.Status {
			case Fail:
				fmt.Fprintf(bw, "  %s [%s] %s  %s\n", paint(ansiRed, "FAIL"), c.Severity, c.Title, paint(ansiDim, c.ID))
				writeIndented(bw, "evidence", c.Evidence)
				writeIndented(bw, "fix", c.Remediation)
				if c.RemediationCommand != "" {
					writeIndented(bw, "command", c.RemediationCommand)
				}
			case Error:
				fmt.Fprintf(bw, "  %s %s  %s\n", paint(ansiYellow, "ERROR"), c.Title, paint(ansiDim, c.ID))
				writeIndented(bw, "reason", firstNonEmpty(c.Reason, c.Evidence))
			default:
				if opt.Verbose {
					label := paint(ansiGreen, "pass")
					if c.Status == NotApplicable {
						label = paint(ansiDim, "n/a ")
					}
					fmt.Fprintf(bw, "  %s %s  %s\n", label, c.Title, paint(ansiDim, c.ID))
					if c.Status == NotApplicable && c.Reason != "" {
						writeIndented(bw, "reason", c.Reason)
					}
				}
			}
		}
		fmt.Fprintln(bw)
	}
	if !opt.Verbose && (r.Summary.Pass > 0 || r.Summary.NotApplicable > 0) {
		fmt.Fprintf(bw, "%s and %s not listed (use --verbose to list them).\n",
			plural(r.Summary.Pass, "passed check"), plural(r.Summary.NotApplicable, "not applicable check"))
	}
	return bw.Flush()
}

func writeIndented(w io.Writer, label, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	lines := strings.Split(text, "\n")
	fmt.Fprintf(w, "      %-9s %s\n", label+":", strings.TrimSpace(lines[0]))
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			fmt.Fprintf(w, "      %-9s %s\n", "", l)
		}
	}
}

func scoreColor(score int) string {
	switch {
	case score >= 80:
		return ansiGreen
	case score >= 50:
		return ansiYellow
	}
	return ansiRed
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
