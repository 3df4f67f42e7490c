package scanreport

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"categoryTitle": CategoryTitle,
	"barColor": func(score int) string {
		switch {
		case score >= 80:
			return "#2e7d32"
		case score >= 50:
			return "#f9a825"
		}
		return "#c62828"
	},
	"failed": func(r *Report) []Check {
		var out []Check
		for _, c := range r.Checks {
			if c.Status == Fail {
				out = append(out, c)
			}
		}
		return out
	},
	"errored": func(r *Report) []Check {
		var out []Check
		for _, c := range r.Checks {
			if c.Status == Error {
				out = append(out, c)
			}
		}
		return out
	},
	"lines": func(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") },
}).Parse(htmlTemplate))

// WriteHTML writes the report as one self-contained HTML page (inline styles, no
// scripts, no external resources) that can be attached to an e-mail.
func WriteHTML(w io.Writer, r *Report) error {
	return tmpl.Execute(w, r)
}
