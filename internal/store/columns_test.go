package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/store"
)

var at = time.Date(2026, 11, 7, 23, 30, 0, 123, time.FixedZone("EST", -5*3600))

// fullEvent has every indexed field set, each to a value of its own.
func fullEvent() event.Event {
	return event.Event{
		Timestamp: at,
		Event: event.Meta{ID: "ev1", Category: []string{"process", "network"}, Action: "exec", Outcome: "success",
			Kind: "event", Dataset: "vigil.audit"},
		Message:     "the record",
		Host:        &event.Host{ID: "h-1", Name: "web1", Hostname: "web1.example"},
		User:        &event.User{ID: "1000", Name: "alice"},
		Process:     &event.Process{Name: "curl", Executable: "/usr/bin/curl", CommandLine: "curl -s http://x"},
		Source:      &event.Endpoint{IP: "10.0.0.1"},
		Destination: &event.Endpoint{IP: "10.0.0.2"},
		File:        &event.File{Path: "/etc/passwd"},
	}
}

func TestColumnsOf(t *testing.T) {
	full := fullEvent()
	one := event.Event{Timestamp: at, Event: event.Meta{ID: "ev2", Category: []string{"authentication"}}}
	none := event.Event{Timestamp: at, Event: event.Meta{ID: "ev3"}, Host: &event.Host{Hostname: "only-hostname"}}
	for _, tc := range []struct {
		name string
		e    event.Event
		want store.Columns
	}{
		{"full", full, store.Columns{
			ID: "ev1", TS: at.UnixNano(), Category: "process", Categories: `["process","network"]`,
			Action: "exec", Outcome: "success", Kind: "event", Dataset: "vigil.audit",
			HostID: "h-1", HostName: "web1", UserName: "alice",
			ProcessName: "curl", ProcessExecutable: "/usr/bin/curl", CommandLine: "curl -s http://x",
			Message: "the record", SourceIP: "10.0.0.1", DestinationIP: "10.0.0.2", FilePath: "/etc/passwd",
		}},
		// One category needs no array.
		{"one category", one, store.Columns{ID: "ev2", TS: at.UnixNano(), Category: "authentication"}},
		// Absent fieldsets and fields are empty strings (NULL in the stores).
		{"sparse", none, store.Columns{ID: "ev3", TS: at.UnixNano()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.ColumnsOf(&tc.e); got != tc.want {
				t.Errorf("ColumnsOf:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestColumnMatchesColumnsOf checks that every field Column names a column
// for is the field ColumnsOf puts in that column, by the event's own
// accessor.
func TestColumnMatchesColumnsOf(t *testing.T) {
	e := fullEvent()
	c := store.ColumnsOf(&e)
	byColumn := map[string]any{
		"id": c.ID, "ts": c.TS, "action": c.Action, "outcome": c.Outcome, "kind": c.Kind, "dataset": c.Dataset,
		"host_id": c.HostID, "host_name": c.HostName, "user_name": c.UserName,
		"process_name": c.ProcessName, "process_executable": c.ProcessExecutable, "command_line": c.CommandLine,
		"message": c.Message, "source_ip": c.SourceIP, "destination_ip": c.DestinationIP, "file_path": c.FilePath,
	}
	seen := map[string]bool{}
	for _, f := range event.FieldNames() {
		col, ok := store.Column(f)
		if !ok {
			continue
		}
		seen[col] = true
		want, ok := e.Get(f)
		if !ok {
			t.Errorf("%s: the test event lacks it", f)
			continue
		}
		if ts, isTime := want.(time.Time); isTime {
			want = ts.UnixNano()
		}
		got, known := byColumn[col]
		if !known {
			t.Errorf("%s: column %q is not one of Columns", f, col)
			continue
		}
		if got != want {
			t.Errorf("%s: column %s holds %v, the event has %v", f, col, got, want)
		}
	}
	for col := range byColumn {
		if !seen[col] {
			t.Errorf("column %s: no field maps to it", col)
		}
	}
	for _, f := range []string{"event.category", "process.args", "host.hostname", "labels.env", "nope"} {
		if col, ok := store.Column(f); ok {
			t.Errorf("Column(%q) = %q, want none", f, col)
		}
	}
}

func TestEncodeEvent(t *testing.T) {
	t.Run("keeps an ID", func(t *testing.T) {
		e := fullEvent()
		doc, err := store.EncodeEvent(&e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := event.Decode(doc)
		if err != nil {
			t.Fatalf("decode %s: %v", doc, err)
		}
		if back.Event.ID != "ev1" || !back.Timestamp.Equal(at) || back.Process.CommandLine != e.Process.CommandLine {
			t.Errorf("round trip: %+v", back)
		}
	})
	t.Run("gives an ID", func(t *testing.T) {
		e := event.Event{Timestamp: at, Event: event.Meta{Action: "exec"}}
		doc, err := store.EncodeEvent(&e)
		if err != nil {
			t.Fatal(err)
		}
		if e.Event.ID == "" {
			t.Fatal("no ID given")
		}
		if ts, ok := event.IDTime(e.Event.ID); !ok || ts.Unix() != at.Unix() {
			t.Errorf("ID %s: time %v, %v; want the event's, %v", e.Event.ID, ts, ok, at)
		}
		var m struct {
			Event struct{ ID string } `json:"event"`
		}
		if err := json.Unmarshal(doc, &m); err != nil || m.Event.ID != e.Event.ID {
			t.Errorf("document %s does not carry ID %s (%v)", doc, e.Event.ID, err)
		}
		f := event.Event{Timestamp: at}
		if _, err := store.EncodeEvent(&f); err != nil || f.Event.ID == e.Event.ID {
			t.Errorf("second event: ID %q, the first's %q (%v)", f.Event.ID, e.Event.ID, err)
		}
	})
}
