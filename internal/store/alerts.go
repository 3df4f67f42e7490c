package store

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/detect"
)

// What both stores' implementations of detect.AlertStore share: the alerts
// table has the same columns in each (status, level_rank, last_seen_ns,
// host_name, rule_id beside the JSON document), only the SQL around them
// differs.

// ListAlertsQuery returns the statement that lists the alerts passing the
// validated filter f, in ListAlerts' order, and its arguments; param(n) is
// the store's placeholder for the nth argument.
func ListAlertsQuery(f detect.Filter, param func(n int) string) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" "+param(len(args)))
	}
	if f.Status != "" {
		add("status =", f.Status)
	}
	if f.MinLevel != "" {
		add("level_rank >=", detect.LevelRank(f.MinLevel))
	}
	if !f.Since.IsZero() {
		add("last_seen_ns >=", f.Since.UnixNano())
	}
	if f.Host != "" {
		add("host_name =", f.Host)
	}
	if f.RuleID != "" {
		add("rule_id =", f.RuleID)
	}
	q := "SELECT doc FROM alerts"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY last_seen_ns DESC, id"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += " LIMIT " + param(len(args))
	}
	return q, args
}
