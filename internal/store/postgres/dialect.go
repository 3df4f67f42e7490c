package postgres

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

// dialect writes PostgreSQL for query.Compile. When trigram is set, Like
// records there whether a condition can use a trigram index (on
// command_line or message).
type dialect struct{ trigram *bool }

func (dialect) Param(n int) string { return "$" + strconv.Itoa(n) }

// jsonPath is the text-array path of a field for #> and #>>. Field names
// were checked against the schema (letters, digits, _ . @ -); keys under
// labels. and auditd.data. are one element each.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for _, p := range []string{event.AuditDataPrefix, event.LabelsPrefix, event.CountersPrefix} {
		if strings.HasPrefix(field, p) && len(field) > len(p) {
			parts = append(strings.Split(strings.TrimSuffix(p, "."), "."), strings.TrimPrefix(field, p))
		}
	}
	clean := strings.NewReplacer(`"`, ``, `'`, ``, `{`, ``, `}`, ``, `,`, ``, `\`, ``)
	for i, p := range parts {
		parts[i] = `"` + clean.Replace(p) + `"`
	}
	return "'{" + strings.Join(parts, ",") + "}'"
}

func (dialect) Scalar(field string, kind event.FieldKind) string {
	// An indexed column, or else the document.
	if c, ok := store.Column(field); ok {
		return c
	}
	x := "(doc #>> " + jsonPath(field) + ")"
	switch kind {
	case event.FieldNumber:
		return "(" + x + ")::bigint"
	case event.FieldTime:
		return "(extract(epoch FROM (" + x + ")::timestamptz) * 1000000000)::bigint"
	}
	return x
}

func (dialect) AnyElement(field string, cond func(string) string) string {
	if field == "event.category" {
		return "((category IS NOT NULL AND " + cond("category") + ") OR EXISTS (SELECT 1 FROM unnest(categories) AS c(v) WHERE " + cond("c.v") + "))"
	}
	return "EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(doc #> " + jsonPath(field) +
		") = 'array' THEN doc #> " + jsonPath(field) + " END) AS a(v) WHERE " + cond("a.v") + ")"
}

func (dialect) TimeArg(t time.Time) any { return t.UnixNano() }

func (d dialect) Like(expr, p string, fold bool) string {
	if d.trigram != nil && (expr == "command_line" || expr == "message") {
		*d.trigram = true
	}
	if fold {
		return expr + " ILIKE " + p + ` ESCAPE '\'`
	}
	return expr + " LIKE " + p + ` ESCAPE '\'`
}
