package utmp

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleRecords() []Record {
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 250000000, time.UTC)
	return []Record{
		{Type: BootTime, Line: "~", ID: "~~", User: "reboot", Host: "6.1.0-18-amd64", Time: t0},
		{Type: UserProcess, PID: 812, Line: "pts/0", ID: "ts/0", User: "alice", Host: "192.0.2.10", Session: 812,
			Time: t0.Add(time.Minute), Addr: netip.MustParseAddr("192.0.2.10")},
		{Type: UserProcess, PID: 900, Line: "tty1", ID: "tty1", User: "root", Time: t0.Add(2 * time.Minute)},
		{Type: DeadProcess, PID: 812, Line: "pts/0", ID: "ts/0", Time: t0.Add(time.Hour)},
		{Type: UserProcess, PID: 950, Line: "pts/1", ID: "ts/1", User: "bob", Host: "2001:db8::5",
			Time: t0.Add(2 * time.Hour), Addr: netip.MustParseAddr("2001:db8::5")},
		{Type: RunLevel, PID: 0, Line: "~~", ID: "~~", User: "shutdown", Time: t0.Add(3 * time.Hour)},
		{Type: InitProcess, PID: 1, Line: "", ID: "si", Time: t0},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, r := range sampleRecords() {
		t.Run(r.User+r.Line, func(t *testing.T) {
			b := r.Marshal()
			if len(b) != RecordSize {
				t.Fatalf("size %d", len(b))
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if got != r {
				t.Errorf("got %+v\nwant %+v", got, r)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := Parse(make([]byte, 100)); !errors.Is(err, ErrShort) {
		t.Errorf("short: %v", err)
	}
	b := Record{Type: 42}.Marshal()
	if _, err := Parse(b); err == nil {
		t.Error("unknown type accepted")
	}
}

func TestEvents(t *testing.T) {
	recs := sampleRecords()
	tests := []struct {
		src                            Source
		rec                            Record
		ok                             bool
		action, outcome, user, ip, tty string
	}{
		{Wtmp, recs[0], true, ActionHostBoot, "", "", "", ""},
		{Wtmp, recs[1], true, "user_login", "success", "alice", "192.0.2.10", "pts/0"},
		{Wtmp, recs[2], true, "user_login", "success", "root", "", "tty1"},
		{Wtmp, recs[3], true, "user_logout", "", "", "", "pts/0"},
		{Wtmp, recs[4], true, "user_login", "success", "bob", "2001:db8::5", "pts/1"},
		{Wtmp, recs[5], true, ActionHostShutdown, "", "", "", ""},
		{Wtmp, recs[6], false, "", "", "", "", ""},
		{Btmp, Record{Type: LoginProcess, PID: 77, Line: "ssh:notty", User: "admin", Host: "198.51.100.3", Time: recs[0].Time},
			true, "user_login", "failure", "admin", "198.51.100.3", "ssh:notty"},
	}
	for i, tc := range tests {
		t.Run(tc.action+tc.user, func(t *testing.T) {
			e, ok := tc.rec.Event(tc.src, "/var/log/wtmp", int64(i*RecordSize))
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if err := e.Validate(); err != nil {
				t.Fatal(err)
			}
			if e.Event.Action == "ssh_login" {
				t.Fatal("utmp records must never be ssh_login")
			}
			get := func(p string) string { v, _ := e.Get(p); s, _ := v.(string); return s }
			for p, w := range map[string]string{"event.action": tc.action, "event.outcome": tc.outcome,
				"user.name": tc.user, "source.ip": tc.ip, "user.terminal": tc.tty} {
				if get(p) != w {
					t.Errorf("%s = %q, want %q", p, get(p), w)
				}
			}
			if !e.Timestamp.Equal(tc.rec.Time) {
				t.Errorf("time %v", e.Timestamp)
			}
		})
	}
}

func TestReadRecords(t *testing.T) {
	var buf bytes.Buffer
	for _, r := range sampleRecords() {
		buf.Write(r.Marshal())
	}
	buf.Write(Record{Type: 99}.Marshal())
	buf.Write(make([]byte, 100)) // a record being written
	data := buf.Bytes()
	entries, next, bad, err := ReadRecords(bytes.NewReader(data), 0, 3)
	if err != nil || len(entries) != 3 || next != 3*RecordSize || bad != 0 {
		t.Fatalf("first read: %d entries next %d bad %d err %v", len(entries), next, bad, err)
	}
	entries, next, bad, err = ReadRecords(bytes.NewReader(data), next, 1000)
	if err != nil || len(entries) != 4 || bad != 1 || next != 8*RecordSize {
		t.Fatalf("second read: %d entries next %d bad %d err %v", len(entries), next, bad, err)
	}
	if entries[0].Offset != 3*RecordSize || entries[0].Record.Type != DeadProcess {
		t.Errorf("entry %+v", entries[0])
	}
}

// TestUtmpdump checks the decoder against util-linux's utmpdump, which
// writes a binary file from its text form with -r.
func TestUtmpdump(t *testing.T) {
	if _, err := exec.LookPath("utmpdump"); err != nil {
		t.Skip("utmpdump not installed")
	}
	text := "[7] [04242] [ts/3] [carol   ] [pts/3       ] [203.0.113.7         ] [203.0.113.7    ] [2024-05-01T10:11:12,345678+00:00]\n" +
		"[8] [04242] [ts/3] [        ] [pts/3       ] [                    ] [0.0.0.0        ] [2024-05-01T11:00:00,000000+00:00]\n"
	out := filepath.Join(t.TempDir(), "wtmp")
	cmd := exec.Command("utmpdump", "-r", "-o", out)
	cmd.Stdin = strings.NewReader(text)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("utmpdump: %v: %s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, _, bad, err := ReadRecords(f, 0, 10)
	if err != nil || bad != 0 || len(entries) != 2 {
		t.Fatalf("%d entries, %d bad, %v", len(entries), bad, err)
	}
	r := entries[0].Record
	want := Record{Type: UserProcess, PID: 4242, Line: "pts/3", ID: "ts/3", User: "carol", Host: "203.0.113.7",
		Time: time.Date(2024, 5, 1, 10, 11, 12, 345678000, time.UTC), Addr: netip.MustParseAddr("203.0.113.7")}
	if r != want {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	if entries[1].Record.Type != DeadProcess || entries[1].Record.Addr.IsValid() {
		t.Errorf("logout record %+v", entries[1].Record)
	}
}

func FuzzParse(f *testing.F) {
	for _, r := range sampleRecords() {
		f.Add(r.Marshal())
	}
	f.Add(make([]byte, 10))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		if _, ok := r.Event(Wtmp, "f", 0); ok {
			e, _ := r.Event(Wtmp, "f", 0)
			if verr := e.Validate(); verr != nil {
				t.Fatalf("%+v: %v", r, verr)
			}
		}
		if e, ok := r.Event(Btmp, "f", 0); ok {
			if verr := e.Validate(); verr != nil {
				t.Fatalf("%+v: %v", r, verr)
			}
		}
	})
}
