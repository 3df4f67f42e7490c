package journal

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtureLines returns the lines of testdata/entries.json, journalctl's
// real output for the entries of live_test.go's fixtureEntries.
func fixtureLines(tb testing.TB) [][]byte {
	tb.Helper()
	data, err := os.ReadFile("testdata/entries.json")
	if err != nil {
		tb.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

func TestParseEntryFixture(t *testing.T) {
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	want := []struct {
		name, ident, comm, msg string
		pid                    int64
	}{
		{"syslog entry", "sshd", "sshd", "Accepted password for alice from 192.0.2.7 port 50000 ssh2", 123},
		{"SYSLOG_PID only", "sudo", "", "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id", 77},
		{"message not UTF-8 (array of bytes)", "sshd", "sshd", "Failed password for \xff\xfeuser from 192.0.2.9 port 1 ssh2", 124},
		{"multi-line message", "app", "app", "first line\nsecond line", 5},
		{"field with two values", "multi", "", "one", -1},
		{"no message", "empty", "", "", 9},
		{"kernel", "kernel", "", "usb 1-1: new high-speed USB device number 2", -1},
		{"_COMM only", "", "systemd-logind", "New session 7 of user alice.", 400},
		{"control character (array of bytes)", "ctl", "", "bell\x07 here", -1},
		{"two values, the first binary", "mixed", "", "\xffbinary first", -1},
		{"malformed _PID", "su", "", "(to root) alice on pts/0", 88},
	}
	lines := fixtureLines(t)
	if len(lines) != len(want) {
		t.Fatalf("%d lines in testdata/entries.json, want %d", len(lines), len(want))
	}
	cursors := map[string]bool{}
	for i, w := range want {
		t.Run(w.name, func(t *testing.T) {
			e, err := ParseEntry(lines[i])
			if err != nil {
				t.Fatal(err)
			}
			if at := base.Add(time.Duration(i) * time.Second); !e.Time.Equal(at) || e.Time.Location() != time.UTC {
				t.Errorf("time %v, want %v UTC", e.Time, at)
			}
			if e.Host != "web1" || e.Identifier != w.ident || e.Comm != w.comm || e.Message != w.msg || e.PID != w.pid {
				t.Errorf("got host %q ident %q comm %q pid %d msg %q\nwant ident %q comm %q pid %d msg %q",
					e.Host, e.Identifier, e.Comm, e.PID, e.Message, w.ident, w.comm, w.pid, w.msg)
			}
			if !ValidCursor(e.Cursor) || cursors[e.Cursor] {
				t.Errorf("cursor %q malformed or seen before", e.Cursor)
			}
			cursors[e.Cursor] = true
		})
	}
}

func TestProgram(t *testing.T) {
	if p := (Entry{Identifier: "sshd", Comm: "sshd-session"}).Program(); p != "sshd" {
		t.Errorf("identifier first: %q", p)
	}
	if p := (Entry{Comm: "systemd-logind"}).Program(); p != "systemd-logind" {
		t.Errorf("comm without identifier: %q", p)
	}
}

const goodCursor = "s=4d1b6d4ac0844417b25ebf4fd072e3c6;i=1;b=0123456789abcdef0123456789abcdef;m=3e8;t=6175fdf8aa000;x=83a9db8997ddfca2"

func TestParseEntryErrors(t *testing.T) {
	for _, line := range []string{
		``,
		`   `,
		`[]`,
		`"x"`,
		`{`,
		`{}`,
		`{"__REALTIME_TIMESTAMP":"1"}`,
		`{"__CURSOR":"` + goodCursor + `"}`,
		`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"0"}`,
		`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"-5"}`,
		`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"12x"}`,
		`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"99999999999999999999"}`,
		`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":1714550400000000}`,
		`{"__CURSOR":"--after-cursor","__REALTIME_TIMESTAMP":"1"}`,
		`{"__CURSOR":null,"__REALTIME_TIMESTAMP":"1"}`,
		`{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"1"} trailing`,
	} {
		if e, err := ParseEntry([]byte(line)); !errors.Is(err, ErrBadEntry) {
			t.Errorf("%q: got %+v, %v; want ErrBadEntry", line, e, err)
		}
	}
}

// TestParseEntryOddFields checks fields other than cursor and time: bad
// values are left empty, the entry is kept.
func TestParseEntryOddFields(t *testing.T) {
	head := `{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"1714550400000000",`
	for _, c := range []struct{ fields, msg string }{
		{`"MESSAGE":null`, ""},
		{`"MESSAGE":[]`, ""},
		{`"MESSAGE":[104,105]`, "hi"},
		{`"MESSAGE":[256]`, ""},
		{`"MESSAGE":[-1]`, ""},
		{`"MESSAGE":[1.5]`, ""},
		{`"MESSAGE":[["a"]]`, ""},
		{`"MESSAGE":[null,"b"]`, ""},
		{`"MESSAGE":12`, ""},
		{`"MESSAGE":{"a":1}`, ""},
		{`"MESSAGE":"\u00e9\n"`, "é\n"},
		{`"MESSAGE":["x",[1]]`, "x"},
	} {
		e, err := ParseEntry([]byte(head + c.fields + `}`))
		if err != nil {
			t.Errorf("%s: %v", c.fields, err)
			continue
		}
		if e.Message != c.msg || e.PID != -1 {
			t.Errorf("%s: message %q pid %d, want %q and -1", c.fields, e.Message, e.PID, c.msg)
		}
	}
	e, err := ParseEntry([]byte(head + `"_PID":"-3","SYSLOG_PID":"12"}`))
	if err != nil || e.PID != 12 {
		t.Errorf("negative _PID: pid %d, %v; want SYSLOG_PID 12", e.PID, err)
	}
}

// TestParseEntryUID checks _UID: a user ID, else -1.
func TestParseEntryUID(t *testing.T) {
	head := `{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"1714550400000000",`
	for fields, want := range map[string]int64{
		`"_UID":"0"`:          0,
		`"_UID":"1000"`:       1000,
		`"_UID":"4294967295"`: 4294967295,
		`"_UID":"4294967296"`: -1,
		`"_UID":"-1"`:         -1,
		`"_UID":"root"`:       -1,
		`"_UID":""`:           -1,
		`"_UID":null`:         -1,
		`"_UID":["0","1000"]`: 0,
		`"MESSAGE":"x"`:       -1,
	} {
		e, err := ParseEntry([]byte(head + fields + `}`))
		if err != nil {
			t.Errorf("%s: %v", fields, err)
			continue
		}
		if e.UID != want {
			t.Errorf("%s: uid %d, want %d", fields, e.UID, want)
		}
	}
}

func TestValidCursor(t *testing.T) {
	for _, c := range []string{goodCursor, "s=1", "s=abc;i=2"} {
		if !ValidCursor(c) {
			t.Errorf("%q refused", c)
		}
	}
	for _, c := range []string{"", "s=", "s", "=1", "S=1", "s=1;", ";s=1", "s=1;i=2 ", "s=xyz", "-s=1", "s=1\n",
		"s=" + strings.Repeat("a", MaxCursorBytes)} {
		if ValidCursor(c) {
			t.Errorf("%q accepted", c)
		}
	}
}

func TestArgs(t *testing.T) {
	auth := []Group{
		{{Field: "SYSLOG_FACILITY", Values: []string{"4", "10"}}, {Field: "_MACHINE_ID", Values: []string{"abc"}}},
		{{Field: "_COMM", Values: []string{"sshd"}}},
	}
	base := []string{"--output=json", "--output-fields=MESSAGE,SYSLOG_IDENTIFIER,_COMM,_PID,SYSLOG_PID,_UID,_HOSTNAME", "--all", "--no-pager", "--merge"}
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"everything from the start", Options{}, []string{"--no-tail"}},
		{"follow after a cursor in a directory", Options{Follow: true, AfterCursor: goodCursor, Directory: "/var/log/x"},
			[]string{"--follow", "--no-tail", "--after-cursor=" + goodCursor, "--directory=/var/log/x"}},
		{"last entry of files", Options{Last: 1, Files: []string{"/a/*.journal", "/b.journal"}},
			[]string{"--lines=1", "--file=/a/*.journal", "--file=/b.journal"}},
		{"root and matches", Options{Follow: true, Root: "/srv/tree", Match: auth},
			[]string{"--follow", "--no-tail", "--root=/srv/tree", "SYSLOG_FACILITY=4", "SYSLOG_FACILITY=10", "_MACHINE_ID=abc", "+", "_COMM=sshd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Args(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if want := append(slices.Clone(base), tt.want...); !slices.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
	for _, bad := range []Options{
		{Directory: "/a", Root: "/b"},
		{Directory: "/a", Files: []string{"/b"}},
		{AfterCursor: "--since=yesterday"},
		{Match: []Group{{}}},
		{Match: []Group{{{Field: "_comm", Values: []string{"x"}}}}},
		{Match: []Group{{{Field: "A=B", Values: []string{"x"}}}}},
		{Match: []Group{{{Field: "1X", Values: []string{"x"}}}}},
		{Match: []Group{{{Field: "X"}}}},
	} {
		if got, err := Args(bad); err == nil {
			t.Errorf("%+v accepted: %q", bad, got)
		}
	}
}

// TestReadEntries checks the bound on a line and that bad lines are handed
// over, not fatal.
func TestReadEntries(t *testing.T) {
	lines := fixtureLines(t)
	long := `{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"1","MESSAGE":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	input := string(lines[0]) + "\n" + long + "\nnot json\n\n" + string(lines[1]) // the last line has no newline
	var got []string
	err := readEntries(strings.NewReader(input), func(e Entry, err error) error {
		switch {
		case errors.Is(err, ErrLineTooLong):
			got = append(got, "too long")
		case errors.Is(err, ErrBadEntry):
			got = append(got, "bad")
		case err != nil:
			t.Fatalf("unexpected error %v", err)
		default:
			got = append(got, e.Identifier)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"sshd", "too long", "bad", "sudo"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// A line of exactly MaxLineBytes is read.
	exact := `{"__CURSOR":"` + goodCursor + `","__REALTIME_TIMESTAMP":"1","MESSAGE":"`
	exact += strings.Repeat("y", MaxLineBytes-len(exact)-2) + `"}`
	n := 0
	readEntries(strings.NewReader(exact+"\n"), func(e Entry, err error) error {
		if err != nil {
			t.Errorf("line of MaxLineBytes: %v", err)
		}
		n++
		return nil
	})
	if n != 1 {
		t.Errorf("%d entries from one line", n)
	}
	// fn's error stops reading.
	stop := errors.New("stop")
	calls := 0
	if err := readEntries(strings.NewReader(input), func(Entry, error) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("after fn's error: %v, %d calls", err, calls)
	}
}
