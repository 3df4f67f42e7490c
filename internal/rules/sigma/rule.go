// Package sigma reads Sigma rules (specification v2.1) and compiles their
// detections into matchers.
//
// Parse turns a YAML file (one or several documents) into Rule values with
// file:line errors; a Rule is either a detection rule (Detection set) or a
// correlation rule (Correlation set). Compile turns a detection rule into a
// Matcher over field values addressed by small integer ids from a FieldTable,
// with every value modifier of the specification, wildcards and escapes,
// case-insensitive matching by default, and the full condition grammar.
// Compile also derives the literal substrings a rule needs (Atoms) so that an
// index can skip rules that cannot match an event. The package knows nothing of
// vigil's events: a Mapper given to Compile translates field names.
package sigma

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error is a problem in a rule file, at a 1-based line (0 when unknown).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Logsource is a rule's logsource section.
type Logsource struct {
	Category   string
	Product    string
	Service    string
	Definition string
}

// Rule is one Sigma rule or correlation rule as written.
type Rule struct {
	File           string
	Line           int
	ID             string
	Name           string
	Title          string
	Status         string
	Description    string
	Author         string
	References     []string
	Tags           []string
	Level          string
	FalsePositives []string
	Logsource      Logsource
	Detection      *Detection   // nil for a correlation rule
	Correlation    *Correlation // nil for a detection rule
}

// Detection is a rule's detection section: named searches and the condition.
type Detection struct {
	Searches map[string]*Search
	// Order lists the search names as written.
	Order []string
	// Conditions are ORed (a list of conditions is deprecated but allowed).
	Conditions []Expr
	CondLine   int
}

// Search is one search identifier: a keyword list or a list of field maps
// (ORed), each map a list of field conditions (ANDed).
type Search struct {
	Name string
	Line int
	Maps [][]*FieldCond
}

// FieldCond is "field|mod|mod: values". Field is "" for keywords.
type FieldCond struct {
	Field     string
	Modifiers []string
	Values    []*node
	Line      int
}

// Correlation is a correlation rule's correlation section.
type Correlation struct {
	Type     string
	Rules    []string
	GroupBy  []string
	Timespan time.Duration
	// Conds are the count conditions (gt, gte, lt, lte, eq, neq), ANDed.
	Conds []CountCond
	// Field is the field whose distinct values value_count counts.
	Field    string
	Aliases  map[string]map[string]string
	Generate bool
	Line     int
}

// CountCond is one comparison of a correlation condition.
type CountCond struct {
	Op string
	N  float64
}

// Holds reports whether n satisfies every condition.
func (c *Correlation) Holds(n float64) bool {
	for _, cc := range c.Conds {
		if !compare(cc.Op, n, cc.N) {
			return false
		}
	}
	return true
}

// Tunables bounding one rule file.
const (
	MaxFileBytes = 1 << 20
	maxDocs      = 256
)

// Parse reads every rule in one YAML file. Documents that are neither a
// detection nor a correlation rule (for example an action: global document)
// are errors. All problems of the file are returned joined, each an *Error;
// rules that parsed are returned even when others failed.
func Parse(file string, data []byte) ([]*Rule, error) {
	if len(data) > MaxFileBytes {
		return nil, &Error{File: file, Msg: fmt.Sprintf("file larger than %d bytes", MaxFileBytes)}
	}
	docs, err := parseDocs(data)
	if err != nil {
		var se *Error
		if errors.As(err, &se) {
			se.File = file
		}
		return nil, err
	}
	if len(docs) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "no rule in file"}
	}
	if len(docs) > maxDocs {
		return nil, &Error{File: file, Msg: fmt.Sprintf("more than %d documents", maxDocs)}
	}
	var rules []*Rule
	var errs []error
	for _, d := range docs {
		r, err := parseRule(d)
		if err != nil {
			var se *Error
			if errors.As(err, &se) {
				se.File = file
			}
			errs = append(errs, err)
			continue
		}
		r.File = file
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

func errAt(n *node, format string, args ...any) *Error {
	line := 0
	if n != nil {
		line = n.line
	}
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func parseRule(d *node) (*Rule, error) {
	if d.kind != kindMap {
		return nil, errAt(d, "a rule must be a YAML mapping")
	}
	r := &Rule{Line: d.line}
	var err error
	str := func(key string) string {
		n := d.get(key)
		if err != nil || n == nil || n.kind == kindNull {
			return ""
		}
		if n.kind != kindScalar {
			err = errAt(n, "%s must be a string", key)
			return ""
		}
		return n.scalar
	}
	list := func(key string) []string {
		n := d.get(key)
		if err != nil || n == nil || n.kind == kindNull {
			return nil
		}
		var out []string
		out, err = stringList(n, key)
		return out
	}
	r.ID, r.Name, r.Title, r.Status = str("id"), str("name"), str("title"), str("status")
	r.Description, r.Level = str("description"), strings.ToLower(str("level"))
	if a := d.get("author"); a != nil && a.kind == kindList {
		r.Author = strings.Join(list("author"), ", ")
	} else {
		r.Author = str("author")
	}
	r.References, r.Tags, r.FalsePositives = list("references"), list("tags"), list("falsepositives")
	if err != nil {
		return nil, err
	}
	if r.Title == "" {
		return nil, errAt(d, "title is missing")
	}
	switch r.Level {
	case "", "informational", "low", "medium", "high", "critical":
	default:
		return nil, errAt(d.get("level"), "unknown level %q", r.Level)
	}
	if c := d.get("correlation"); c != nil {
		r.Correlation, err = parseCorrelation(c)
		return r, err
	}
	ls := d.get("logsource")
	if ls == nil || ls.kind != kindMap {
		return nil, errAt(d, "logsource is missing")
	}
	for i, k := range ls.keys {
		v := ls.vals[i]
		if v.kind != kindScalar && v.kind != kindNull {
			return nil, errAt(v, "logsource %s must be a string", k)
		}
		switch k {
		case "category":
			r.Logsource.Category = strings.ToLower(v.scalar)
		case "product":
			r.Logsource.Product = strings.ToLower(v.scalar)
		case "service":
			r.Logsource.Service = strings.ToLower(v.scalar)
		case "definition":
			r.Logsource.Definition = v.scalar
		}
	}
	det := d.get("detection")
	if det == nil {
		return nil, errAt(d, "detection is missing")
	}
	r.Detection, err = parseDetection(det)
	return r, err
}

func stringList(n *node, key string) ([]string, error) {
	switch n.kind {
	case kindScalar:
		return []string{n.scalar}, nil
	case kindList:
		out := make([]string, 0, len(n.list))
		for _, e := range n.list {
			if e.kind == kindNull {
				continue
			}
			if e.kind != kindScalar {
				return nil, errAt(e, "%s must be a list of strings", key)
			}
			out = append(out, e.scalar)
		}
		return out, nil
	}
	return nil, errAt(n, "%s must be a list of strings", key)
}

func parseDetection(det *node) (*Detection, error) {
	if det.kind != kindMap {
		return nil, errAt(det, "detection must be a mapping")
	}
	d := &Detection{Searches: map[string]*Search{}}
	var cond *node
	for i, k := range det.keys {
		v := det.vals[i]
		if k == "condition" {
			cond = v
			continue
		}
		if k == "timeframe" {
			continue // Sigma 1.x aggregation window; meaningless without aggregations
		}
		s, err := parseSearch(k, det.klines[i], v)
		if err != nil {
			return nil, err
		}
		d.Searches[k] = s
		d.Order = append(d.Order, k)
	}
	if cond == nil {
		return nil, errAt(det, "detection has no condition")
	}
	d.CondLine = cond.line
	var conds []*node
	switch cond.kind {
	case kindScalar:
		conds = []*node{cond}
	case kindList:
		conds = cond.list
	default:
		return nil, errAt(cond, "condition must be a string or a list of strings")
	}
	if len(conds) == 0 {
		return nil, errAt(cond, "condition is empty")
	}
	for _, c := range conds {
		if c.kind != kindScalar {
			return nil, errAt(c, "condition must be a string")
		}
		e, err := ParseCondition(c.scalar)
		if err != nil {
			return nil, errAt(c, "%v", err)
		}
		if err := checkIdents(e, d); err != nil {
			return nil, errAt(c, "%v", err)
		}
		d.Conditions = append(d.Conditions, e)
	}
	return d, nil
}

// checkIdents verifies that every identifier of a condition names a search
// and every pattern matches at least one.
func checkIdents(e Expr, d *Detection) error {
	switch x := e.(type) {
	case *AndExpr:
		if err := checkIdents(x.L, d); err != nil {
			return err
		}
		return checkIdents(x.R, d)
	case *OrExpr:
		if err := checkIdents(x.L, d); err != nil {
			return err
		}
		return checkIdents(x.R, d)
	case *NotExpr:
		return checkIdents(x.X, d)
	case *IdentExpr:
		if _, ok := d.Searches[x.Name]; !ok {
			return &ConditionError{x.Pos, fmt.Sprintf("unknown search identifier %q", x.Name)}
		}
	case *OfExpr:
		for _, n := range d.Order {
			if matchPattern(x.Pattern, n) {
				return nil
			}
		}
		return &ConditionError{x.Pos, fmt.Sprintf("%q matches no search identifier", x.Pattern)}
	}
	return nil
}

func parseSearch(name string, line int, v *node) (*Search, error) {
	s := &Search{Name: name, Line: line}
	switch v.kind {
	case kindMap:
		m, err := parseFieldMap(v)
		if err != nil {
			return nil, err
		}
		s.Maps = [][]*FieldCond{m}
	case kindList:
		if len(v.list) == 0 {
			return nil, errAt(v, "search %q is an empty list", name)
		}
		if v.list[0].kind == kindMap {
			for _, e := range v.list {
				if e.kind != kindMap {
					return nil, errAt(e, "search %q mixes maps and values", name)
				}
				m, err := parseFieldMap(e)
				if err != nil {
					return nil, err
				}
				s.Maps = append(s.Maps, m)
			}
			break
		}
		for _, e := range v.list {
			if e.kind != kindScalar && e.kind != kindNull {
				return nil, errAt(e, "search %q mixes maps and values", name)
			}
		}
		s.Maps = [][]*FieldCond{{{Values: v.list, Line: v.line}}}
	case kindScalar:
		s.Maps = [][]*FieldCond{{{Values: []*node{v}, Line: v.line}}}
	default:
		return nil, errAt(v, "search %q is empty", name)
	}
	return s, nil
}

func parseFieldMap(m *node) ([]*FieldCond, error) {
	if len(m.keys) == 0 {
		return nil, errAt(m, "empty field map")
	}
	out := make([]*FieldCond, 0, len(m.keys))
	for i, k := range m.keys {
		parts := strings.Split(k, "|")
		fc := &FieldCond{Field: parts[0], Line: m.klines[i]}
		for _, p := range parts[1:] {
			fc.Modifiers = append(fc.Modifiers, strings.ToLower(strings.TrimSpace(p)))
		}
		v := m.vals[i]
		switch v.kind {
		case kindList:
			if len(v.list) == 0 {
				return nil, errAt(v, "field %q has an empty value list", k)
			}
			for _, e := range v.list {
				if e.kind == kindMap || e.kind == kindList {
					return nil, errAt(e, "field %q: values must be scalars", k)
				}
			}
			fc.Values = v.list
		case kindMap:
			return nil, errAt(v, "field %q: value must be a scalar or a list", k)
		default:
			fc.Values = []*node{v}
		}
		out = append(out, fc)
	}
	return out, nil
}
