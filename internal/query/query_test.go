package query

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vigil-sec/vigil/internal/event"
)

// jsonDialect queries events kept as JSON documents in SQLite, with the time
// in an integer column. It is the narrowest real store for testing the
// compiler end to end.
type jsonDialect struct{}

func (jsonDialect) Param(n int) string { return fmt.Sprintf("?%d", n) }

func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	// auditd.data.<key> and labels.<key>: the key may hold dots.
	for _, p := range []string{event.AuditDataPrefix, event.LabelsPrefix} {
		if strings.HasPrefix(field, p) {
			parts = append(strings.Split(strings.TrimSuffix(p, "."), "."), strings.TrimPrefix(field, p))
		}
	}
	var b strings.Builder
	b.WriteString("$")
	for _, p := range parts {
		b.WriteString(`."` + strings.ReplaceAll(p, `"`, ``) + `"`)
	}
	return b.String()
}

func (jsonDialect) Scalar(field string, kind event.FieldKind) string {
	if field == "@timestamp" {
		return "ts"
	}
	return "json_extract(doc, '" + jsonPath(field) + "')"
}

func (jsonDialect) AnyElement(field string, cond func(string) string) string {
	return "EXISTS (SELECT 1 FROM json_each(doc, '" + jsonPath(field) + "') WHERE " + cond("value") + ")"
}

func (jsonDialect) TimeArg(t time.Time) any { return t.UnixNano() }

func (jsonDialect) Like(expr, p string, fold bool) string {
	if fold {
		return "lower(" + expr + ") LIKE lower(" + p + `) ESCAPE '\'`
	}
	return expr + " LIKE " + p + ` ESCAPE '\'`
}

func openDB(t *testing.T, events []event.Event) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, s := range []string{"PRAGMA case_sensitive_like = ON", "CREATE TABLE events (id TEXT, ts INTEGER, doc TEXT)"} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range events {
		b, _ := json.Marshal(e)
		if _, err := db.Exec("INSERT INTO events VALUES (?, ?, ?)", e.Event.ID, e.Timestamp.UnixNano(), string(b)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func sampleEvents() []event.Event {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	mk := func(id string, min int, f func(*event.Event)) event.Event {
		e := event.Event{Timestamp: t0.Add(time.Duration(min) * time.Minute), Event: event.Meta{ID: id}}
		f(&e)
		return e
	}
	return []event.Event{
		mk("e1", 0, func(e *event.Event) {
			e.Event.Action = "exec"
			e.Process = &event.Process{Name: "curl", PID: new(int64(100)), Args: []string{"curl", "-s", "http://x/a.sh"}, CommandLine: "curl -s http://x/a.sh"}
			e.User = &event.User{Name: "alice"}
		}),
		mk("e2", 1, func(e *event.Event) {
			e.Event.Action = "exec"
			e.Process = &event.Process{Name: "bash", PID: new(int64(2000)), Args: []string{"bash", "-c", "history -c"}, CommandLine: "bash -c 'history -c'"}
			e.User = &event.User{Name: "root"}
		}),
		mk("e3", 2, func(e *event.Event) {
			e.Event.Action = "ssh_login"
			e.Event.Outcome = "failure"
			e.Message = "Failed password for invalid user admin from 10.0.0.5 port 2222 ssh2"
			e.Source = &event.Endpoint{IP: "10.0.0.5", Port: new(int64(2222))}
		}),
		mk("e4", 3, func(e *event.Event) {
			e.Event.Action = "ssh_login"
			e.Event.Outcome = "success"
			e.Source = &event.Endpoint{IP: "192.168.1.9"}
			e.User = &event.User{Name: "alice_w"}
			e.Auditd = &event.Auditd{Data: map[string]string{"exe": "/usr/sbin/sshd", "a.b": "dotted"}}
		}),
	}
}

func TestQueries(t *testing.T) {
	db := openDB(t, sampleEvents())
	tests := []struct {
		q    string
		want []string
	}{
		{"", []string{"e1", "e2", "e3", "e4"}},
		{"process.name:curl", []string{"e1"}},
		{"process.name:CURL", nil}, // keywords are exact
		{"process.name:cu*", []string{"e1"}},
		{"process.name:b?sh", []string{"e2"}},
		{"process.args:-c", []string{"e2"}},
		{"process.args:http*", []string{"e1"}},
		{`process.command_line:"HISTORY -C"`, []string{"e2"}},
		{"history", []string{"e2"}},
		{`"invalid user admin"`, []string{"e3"}},
		{"event.action:ssh_login and not event.outcome:success", []string{"e3"}},
		{"event.action:(exec or ssh_login) and user.name:alice", []string{"e1"}},
		{"not user.name:alice", []string{"e2", "e3", "e4"}}, // events without the field count as not matching
		{"user.name:alice_w", []string{"e4"}},
		{`user.name:alice\_w`, []string{"e4"}},
		{"user.name:alice?w", []string{"e4"}},
		{"user.name:alice*", []string{"e1", "e4"}},
		{"process.pid >= 1000", []string{"e2"}},
		{"process.pid:100", []string{"e1"}},
		{"source.port:*", []string{"e3"}},
		{"process.args:*", []string{"e1", "e2"}},
		{"source.ip:10.* or source.ip:192.168.*", []string{"e3", "e4"}},
		{"@timestamp >= 2026-11-01T10:02:00Z", []string{"e3", "e4"}},
		{"@timestamp < 2026-11-01T10:01:00Z", []string{"e1"}},
		{"auditd.data.exe:/usr/sbin/sshd", []string{"e4"}},
		{"auditd.data.a.b:dotted", []string{"e4"}},
		{"event.action:exec user.name:root", []string{"e2"}},
		{"(process.name:curl or process.name:bash) and not (user.name:root)", []string{"e1"}},
		{`message:"100%"`, nil}, // % is literal, not a wildcard
		{"source.ip:10.0.0.5 and source.port:2222", []string{"e3"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := run(t, db, tt.q)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%q: got %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func run(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	n, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(n, jsonDialect{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT id FROM events WHERE "+c.Where+" ORDER BY id", c.Args...)
	if err != nil {
		t.Fatalf("%s: %v", c.Where, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

func TestErrors(t *testing.T) {
	tests := []struct {
		q      string
		col    int
		substr string
	}{
		{"process.name:", 14, "needs a value"},
		{"(process.name:x", 16, "missing )"},
		{"nosuch.field:x", 1, "unknown field"},
		{`message:"open`, 9, "unterminated"},
		{"a and", 6, "end of query"},
		{"process.pid >", 14, "needs a value"},
		{")", 1, "unexpected"},
		{"process.name:(a or )", 20, "expected a value"},
		{strings.Repeat("(", 100) + "x" + strings.Repeat(")", 100), 65, "nested deeper"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.q)
		var qe *Error
		if !errors.As(err, &qe) || qe.Column != tt.col || !strings.Contains(qe.Msg, tt.substr) {
			t.Errorf("%q: err = %v, want column %d containing %q", tt.q, err, tt.col, tt.substr)
		}
	}
	for _, q := range []string{"process.pid:abc", "process.pid > x", "@timestamp > yesterday"} {
		n, err := Parse(q)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if _, err := Compile(n, jsonDialect{}); err == nil {
			t.Errorf("%q: compiled", q)
		}
	}
}

// FuzzQuery: any input either fails to parse or compiles to SQL that SQLite
// accepts, and the input never appears in the SQL text (values are bound).
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"process.name:curl", `"a b" or not c`, "process.pid >= 3", "x:(a or b)", `user.name:a\*b*`, "source.port:*"} {
		f.Add(s)
	}
	if b, err := os.ReadFile("testdata/queries.txt"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(l)
		}
	}
	db, _ := sql.Open("sqlite", ":memory:")
	db.Exec("CREATE TABLE events (id TEXT, ts INTEGER, doc TEXT)")
	f.Fuzz(func(t *testing.T, q string) {
		n, err := Parse(q)
		if err != nil {
			return
		}
		c, err := Compile(n, jsonDialect{})
		if err != nil {
			return
		}
		if _, err := db.Exec("SELECT id FROM events WHERE "+c.Where, c.Args...); err != nil {
			t.Fatalf("%q compiled to invalid SQL %s: %v", q, c.Where, err)
		}
		for _, a := range c.Args {
			if s, ok := a.(string); ok && len(s) > 3 && strings.Contains(c.Where, s) {
				t.Fatalf("value %q pasted into SQL %s", s, c.Where)
			}
		}
	})
}

func ExampleParse() {
	n, _ := Parse(`event.action:(ssh_login or sudo) and not user.name:root`)
	fmt.Printf("%+v\n", n)
	// Output: {Left:{Left:{Field:event.action Value:ssh_login Wildcard:false Quoted:false} Right:{Field:event.action Value:sudo Wildcard:false Quoted:false}} Right:{Node:{Field:user.name Value:root Wildcard:false Quoted:false}}}
}
