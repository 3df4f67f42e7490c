package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// ftsColumns are the columns covered by the trigram index.
var ftsColumns = map[string]bool{"command_line": true, "message": true}

// ftsMarker brackets the index of a substring condition in compiled SQL; it
// is replaced per partition (see render). It cannot occur otherwise: the
// compiled SQL holds only this package's text and placeholders.
const ftsMarker = "\x00fts:"

// dialect compiles queries for one day table. It records the LIKE
// conditions on text columns so that render can add the trigram index.
type dialect struct {
	likes []int // the argument number of each LIKE pattern on a text column
}

func (*dialect) Param(n int) string { return "?" + strconv.Itoa(n) }

// jsonPath is the SQLite JSON path of a field. Field names were checked
// against the schema (letters, digits, _ . @ -), and labels and auditd.data
// keys become one quoted step each.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	for _, p := range []string{event.AuditDataPrefix, event.LabelsPrefix} {
		if strings.HasPrefix(field, p) && len(field) > len(p) {
			parts = append(strings.Split(strings.TrimSuffix(p, "."), "."), strings.TrimPrefix(field, p))
		}
	}
	var b strings.Builder
	b.WriteString("$")
	for _, p := range parts {
		b.WriteString(`."` + strings.NewReplacer(`"`, ``, `'`, ``).Replace(p) + `"`)
	}
	return b.String()
}

func (*dialect) Scalar(field string, kind event.FieldKind) string {
	// An indexed column, or else the document.
	if c, ok := store.Column(field); ok {
		return c
	}
	x := "json_extract(vigil_doc(doc), '" + jsonPath(field) + "')"
	if kind == event.FieldTime {
		return "CAST(unixepoch(" + x + ", 'subsec') * 1000000000 AS INTEGER)"
	}
	return x
}

func (*dialect) AnyElement(field string, cond func(string) string) string {
	if field == "event.category" {
		return "((category IS NOT NULL AND " + cond("category") + ") OR (categories IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(categories) WHERE " + cond("value") + ")))"
	}
	return "EXISTS (SELECT 1 FROM json_each(vigil_doc(doc), '" + jsonPath(field) + "') WHERE " + cond("value") + ")"
}

func (*dialect) TimeArg(t time.Time) any { return t.UnixNano() }

func (d *dialect) Like(expr, p string, fold bool) string {
	like := expr + " LIKE " + p + ` ESCAPE '\'`
	if fold {
		like = "lower(" + expr + ") LIKE lower(" + p + `) ESCAPE '\'`
	}
	if !fold || !ftsColumns[expr] {
		return like
	}
	n, err := strconv.Atoi(strings.TrimPrefix(p, "?"))
	if err != nil {
		return like
	}
	d.likes = append(d.likes, n)
	return "(" + ftsMarker + strconv.Itoa(len(d.likes)-1) + "\x00 AND " + like + ")"
}

// compiled is a query compiled once and rendered per partition.
type compiled struct {
	where   string
	args    []any
	matches []string // FTS5 query per substring condition; "" when unusable
	// few are the same with at most fewGrams trigrams, for the filter
	// shape: its candidate list is built in full, and each trigram's
	// posting list costs time, while the candidates are common anyway.
	few []string
}

func compile(n query.Node) (compiled, error) {
	d := &dialect{}
	c, err := query.Compile(n, d)
	if err != nil {
		return compiled{}, err
	}
	out := compiled{where: c.Where, args: c.Args}
	for _, argN := range d.likes {
		pat, _ := c.Args[argN-1].(string)
		out.matches = append(out.matches, ftsQuery(pat, 12))
		out.few = append(out.few, ftsQuery(pat, fewGrams))
	}
	if fixesID(n) {
		// At most one row a day can match: its substring conditions are
		// checked on that row, and the trigram index could only add work
		// (a common substring's candidates run to most of the day). Rendered
		// for a partition with nothing indexed, the index is left out.
		out.where, _ = out.render(partition{})
		out.matches, out.few = nil, nil
	}
	return out, nil
}

// fixesID reports whether n requires one exact event.id, which the unique
// index of each day table finds alone.
func fixesID(n query.Node) bool {
	switch n := n.(type) {
	case query.Match:
		return n.Field == "event.id" && !n.Wildcard
	case query.And:
		return fixesID(n.Left) || fixesID(n.Right)
	}
	return false
}

// render returns the WHERE clause for one partition and its arguments:
// each substring condition is narrowed by the trigram index for the rows it
// has indexed (rowid <= ftsRowid); later rows are checked by LIKE alone.
func (c compiled) render(p partition) (string, []any) {
	args := c.args
	if len(c.matches) == 0 {
		return c.where, args
	}
	args = append([]any(nil), c.args...)
	var b strings.Builder
	rest := c.where
	for {
		i := strings.Index(rest, ftsMarker)
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i+len(ftsMarker):]
		j := strings.IndexByte(rest, 0)
		k, _ := strconv.Atoi(rest[:j])
		rest = rest[j+1:]
		if k >= len(c.matches) || c.matches[k] == "" || p.ftsRowid == 0 {
			b.WriteString("1=1") // the index cannot help, or has nothing yet
			continue
		}
		if p.drive {
			args = append(args, c.matches[k])
		} else {
			args = append(args, c.few[k])
		}
		mark, match := strconv.FormatInt(p.ftsRowid, 10), "SELECT rowid FROM "+p.fts()+" WHERE "+ftsTable(p.day)+" MATCH ?"+strconv.Itoa(len(args))
		if p.drive {
			// The same rows as a single rowid IN, which SQLite can use to
			// look the candidates up instead of filtering every row.
			b.WriteString("rowid IN (" + match + " UNION ALL SELECT rowid FROM " + p.table() + " WHERE rowid > " + mark + ")")
			continue
		}
		b.WriteString("(rowid > " + mark + " OR rowid IN (" + match + "))")
	}
	return b.String(), args
}

// drives reports whether the trigram candidates of every substring
// condition in a partition number fewer than limit(rows), rows being the
// partition's highest rowid (about its row count). Counting stops at the
// limit, so a common substring costs no more than the limit's rows.
func (c compiled) drives(ctx context.Context, tx *sql.Tx, p partition, limit func(rows int64) int64) (bool, error) {
	if p.ftsRowid == 0 {
		return false, nil // nothing indexed: LIKE alone
	}
	var top sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT max(rowid) FROM "+p.table()).Scan(&top); err != nil {
		return false, fmt.Errorf("partition %d: %w", p.day, err)
	}
	lim := limit(top.Int64)
	seen := map[string]bool{}
	for _, m := range c.matches {
		if m == "" || seen[m] {
			continue // a bare word tests message and command line alike
		}
		seen[m] = true
		var n int64
		err := tx.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM "+p.fts()+" WHERE "+ftsTable(p.day)+" MATCH ? LIMIT ?)", m, lim).Scan(&n)
		if err != nil {
			return false, fmt.Errorf("partition %d: trigram candidates: %w", p.day, err)
		}
		if n >= lim {
			return false, nil
		}
	}
	return true, nil
}

// fewGrams bounds the trigrams of the filter shape's index query.
const fewGrams = 3

// ftsQuery turns a LIKE pattern (backslash escapes) into an FTS5 query that
// every matching text satisfies: the AND of the trigrams of its literal runs
// (the index keeps no positions, so this is a superset that the LIKE beside
// it narrows). It returns "" when the pattern has no run of three
// characters (the trigram index cannot help).
func ftsQuery(pattern string, most int) string {
	var grams []string
	seen := map[string]bool{}
	var cur []rune
	flush := func() {
		for i := 0; i+3 <= len(cur); i++ {
			g := strings.ToLower(string(cur[i : i+3]))
			if !seen[g] {
				seen[g] = true
				grams = append(grams, `"`+strings.ReplaceAll(g, `"`, `""`)+`"`)
			}
		}
		cur = cur[:0]
	}
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch {
		case r == '\\' && i+size < len(pattern):
			i += size
			r, size = utf8.DecodeRuneInString(pattern[i:])
			cur = append(cur, r)
		case r == '%' || r == '_' || r == 0:
			// NUL ends FTS5's query string: leave it to the LIKE.
			flush()
		default:
			cur = append(cur, r)
		}
		i += size
	}
	flush()
	// A few trigrams select as well as all of them; each costs a lookup.
	if len(grams) > most {
		step := float64(len(grams)-1) / float64(max(most-1, 1))
		picked := make([]string, most)
		for i := range picked {
			picked[i] = grams[int(float64(i)*step)]
		}
		grams = picked
	}
	return strings.Join(grams, " AND ")
}
