package sigma

import (
	"strconv"
	"strings"
	"time"
)

// Correlation types of the specification that vigil evaluates.
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
)

// maxTimespan bounds a correlation window.
const maxTimespan = 30 * 24 * time.Hour

func parseCorrelation(c *node) (*Correlation, error) {
	if c.kind != kindMap {
		return nil, errAt(c, "correlation must be a mapping")
	}
	co := &Correlation{Line: c.line, Generate: false}
	t := c.get("type")
	if t == nil || t.kind != kindScalar {
		return nil, errAt(c, "correlation type is missing")
	}
	co.Type = t.scalar
	switch co.Type {
	case EventCount, ValueCount, Temporal, TemporalOrdered:
	case "value_sum", "value_avg", "value_percentile":
		return nil, errAt(t, "correlation type %q is not supported", co.Type)
	default:
		return nil, errAt(t, "unknown correlation type %q", co.Type)
	}
	rules := c.get("rules")
	if rules == nil {
		return nil, errAt(c, "correlation rules are missing")
	}
	var err error
	if co.Rules, err = stringList(rules, "rules"); err != nil {
		return nil, err
	}
	if len(co.Rules) == 0 {
		return nil, errAt(rules, "correlation rules are empty")
	}
	if g := c.get("group-by"); g != nil && g.kind != kindNull {
		if co.GroupBy, err = stringList(g, "group-by"); err != nil {
			return nil, err
		}
	}
	ts := c.get("timespan")
	if ts == nil || ts.kind != kindScalar {
		return nil, errAt(c, "correlation timespan is missing")
	}
	if co.Timespan, err = parseTimespan(ts.scalar); err != nil {
		return nil, errAt(ts, "timespan: %v", err)
	}
	if g := c.get("generate"); g != nil && g.kind == kindScalar {
		co.Generate = g.scalar == "true"
	}
	if a := c.get("aliases"); a != nil && a.kind == kindMap {
		co.Aliases = map[string]map[string]string{}
		for i, alias := range a.keys {
			m := a.vals[i]
			if m.kind != kindMap {
				return nil, errAt(m, "alias %q must map rule names to fields", alias)
			}
			co.Aliases[alias] = map[string]string{}
			for j, rn := range m.keys {
				if m.vals[j].kind != kindScalar {
					return nil, errAt(m.vals[j], "alias %q: field must be a string", alias)
				}
				co.Aliases[alias][rn] = m.vals[j].scalar
			}
		}
	}
	if err := parseCountCond(co, c.get("condition")); err != nil {
		return nil, err
	}
	if co.Type == ValueCount && co.Field == "" {
		return nil, errAt(c, "value_count needs condition.field")
	}
	return co, nil
}

func parseCountCond(co *Correlation, cond *node) error {
	if cond == nil || cond.kind == kindNull {
		if co.Type == Temporal || co.Type == TemporalOrdered {
			return nil // all referenced rules must match
		}
		return errAt(cond, "correlation condition is missing")
	}
	if cond.kind != kindMap {
		return errAt(cond, "correlation condition must be a mapping")
	}
	for i, k := range cond.keys {
		v := cond.vals[i]
		switch k {
		case "field":
			fs, err := stringList(v, "field")
			if err != nil || len(fs) != 1 {
				return errAt(v, "condition field must be one field name")
			}
			co.Field = fs[0]
		case "gt", "gte", "lt", "lte", "eq", "neq":
			if v.kind != kindScalar || !v.isNum {
				return errAt(v, "condition %s needs a number", k)
			}
			co.Conds = append(co.Conds, CountCond{Op: k, N: v.num})
		default:
			return errAt(v, "unknown correlation condition %q", k)
		}
	}
	if len(co.Conds) == 0 && co.Type != Temporal && co.Type != TemporalOrdered {
		return errAt(cond, "correlation condition has no comparison")
	}
	return nil
}

// parseTimespan reads "30s", "5m", "1h", "2d" (and "1w", "1M" and "1y" as 7,
// 30 and 365 days).
func parseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, errString("expected a number and a unit, as 5m")
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n <= 0 {
		return 0, errString("expected a positive number before the unit")
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	case 'M':
		unit = 30 * 24 * time.Hour
	case 'y':
		unit = 365 * 24 * time.Hour
	default:
		return 0, errString("unknown unit (s, m, h, d)")
	}
	if n > int64(maxTimespan/unit) {
		return 0, errString("longer than 30 days")
	}
	return time.Duration(n) * unit, nil
}

type errString string

func (e errString) Error() string { return string(e) }

func compare(op string, a, b float64) bool {
	switch op {
	case "gt":
		return a > b
	case "gte":
		return a >= b
	case "lt":
		return a < b
	case "lte":
		return a <= b
	case "eq":
		return a == b
	case "neq":
		return a != b
	}
	return false
}
