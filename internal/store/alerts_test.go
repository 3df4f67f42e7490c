package store_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/store"
)

func TestListAlertsQuery(t *testing.T) {
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dollar := func(n int) string { return "$" + strconv.Itoa(n) }
	question := func(int) string { return "?" }
	for _, tc := range []struct {
		name  string
		f     detect.Filter
		param func(int) string
		sql   string
		args  []any
	}{
		{"everything", detect.Filter{}, dollar, "SELECT doc FROM alerts ORDER BY last_seen_ns DESC, id", nil},
		{"all filters", detect.Filter{Status: detect.StatusOpen, MinLevel: "high", Since: since, Host: "web1", RuleID: "r1", Limit: 50}, dollar,
			"SELECT doc FROM alerts WHERE status = $1 AND level_rank >= $2 AND last_seen_ns >= $3 AND host_name = $4 AND rule_id = $5" +
				" ORDER BY last_seen_ns DESC, id LIMIT $6",
			[]any{detect.StatusOpen, 3, since.UnixNano(), "web1", "r1", 50}},
		{"some filters", detect.Filter{Host: "web1", Limit: 5}, question,
			"SELECT doc FROM alerts WHERE host_name = ? ORDER BY last_seen_ns DESC, id LIMIT ?", []any{"web1", 5}},
		{"a level", detect.Filter{MinLevel: "LOW"}, dollar,
			"SELECT doc FROM alerts WHERE level_rank >= $1 ORDER BY last_seen_ns DESC, id", []any{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, args := store.ListAlertsQuery(tc.f, tc.param)
			if q != tc.sql {
				t.Errorf("sql:\n got %s\nwant %s", q, tc.sql)
			}
			if !reflect.DeepEqual(args, tc.args) {
				t.Errorf("args = %#v, want %#v", args, tc.args)
			}
		})
	}
}
