package journal_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/journal"
	"github.com/vigil-sec/vigil/internal/journal/journaltest"
)

var update = flag.Bool("update", false, "rewrite testdata/entries.json from journalctl's output")

var t0 = time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

// fixtureEntries are the entries of testdata/entries.json: the shapes
// journalctl's JSON gives a field.
func fixtureEntries() []journaltest.Entry {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	return []journaltest.Entry{
		journaltest.Syslog(at(0), "web1", "sshd", 123, 4, "Accepted password for alice from 192.0.2.7 port 50000 ssh2"),
		{Time: at(1), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "SYSLOG_IDENTIFIER", Value: "sudo"}, {Name: "SYSLOG_PID", Value: "77"},
			{Name: "MESSAGE", Value: "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"}}},
		journaltest.Syslog(at(2), "web1", "sshd", 124, 10, "Failed password for \xff\xfeuser from 192.0.2.9 port 1 ssh2"),
		journaltest.Syslog(at(3), "web1", "app", 5, 1, "first line\nsecond line"),
		{Time: at(4), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "SYSLOG_IDENTIFIER", Value: "multi"}, {Name: "MESSAGE", Value: "one"}, {Name: "MESSAGE", Value: "two"}}},
		{Time: at(5), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "SYSLOG_IDENTIFIER", Value: "empty"}, {Name: "_PID", Value: "9"}}},
		{Time: at(6), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "_TRANSPORT", Value: "kernel"}, {Name: "SYSLOG_IDENTIFIER", Value: "kernel"},
			{Name: "SYSLOG_FACILITY", Value: "0"}, {Name: "MESSAGE", Value: "usb 1-1: new high-speed USB device number 2"}}},
		{Time: at(7), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "_COMM", Value: "systemd-logind"}, {Name: "_PID", Value: "400"},
			{Name: "MESSAGE", Value: "New session 7 of user alice."}}},
		{Time: at(8), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "SYSLOG_IDENTIFIER", Value: "ctl"}, {Name: "MESSAGE", Value: "bell\x07 here"}}},
		{Time: at(9), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "SYSLOG_IDENTIFIER", Value: "mixed"}, {Name: "MESSAGE", Value: "\xffbinary first"}, {Name: "MESSAGE", Value: "text"}}},
		{Time: at(10), Fields: []journaltest.Field{{Name: "_HOSTNAME", Value: "web1"}, {Name: "SYSLOG_IDENTIFIER", Value: "su"}, {Name: "_PID", Value: "bogus"}, {Name: "SYSLOG_PID", Value: "88"},
			{Name: "MESSAGE", Value: "(to root) alice on pts/0"}}},
	}
}

// TestUpdateFixture rewrites testdata/entries.json with -update.
func TestUpdateFixture(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/entries.json")
	}
	prog := journaltest.Need(t)
	dir := t.TempDir()
	journaltest.Write(t, filepath.Join(dir, "f.journal"), fixtureEntries()...)
	args, err := journal.Args(journal.Options{Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(prog, args...).Output()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/entries.json", out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// collect runs journalctl with opts until it exits or n entries came (20 s
// at most), and returns the entries and Run's error.
func collect(t *testing.T, prog string, opts journal.Options, n int) ([]journal.Entry, error) {
	t.Helper()
	args, err := journal.Args(opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []journal.Entry
	enough := errors.New("enough")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = journal.Run(ctx, prog, args, func(e journal.Entry, err error) error {
		if err != nil {
			t.Errorf("journalctl printed a bad line: %v", err)
			return nil
		}
		got = append(got, e)
		if len(got) == n {
			return enough
		}
		return nil
	})
	if err == enough {
		err = nil
	}
	return got, err
}

func messages(es []journal.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Message)
	}
	return out
}

// TestRunJournalFile reads a real journal file written by
// systemd-journal-remote: all of it, the last entry, after a cursor, and
// only the entries that the match groups select.
func TestRunJournalFile(t *testing.T) {
	prog := journaltest.Need(t)
	dir := t.TempDir()
	entries := fixtureEntries()
	journaltest.Write(t, filepath.Join(dir, "f.journal"), entries...)

	all, err := collect(t, prog, journal.Options{Directory: dir}, 0)
	var exit *journal.ExitError
	if !errors.As(err, &exit) || exit.Err != nil {
		t.Fatalf("journalctl without --follow: %v, want a clean exit", err)
	}
	if len(all) != len(entries) {
		t.Fatalf("%d entries, want %d", len(all), len(entries))
	}
	if all[2].Message != "Failed password for \xff\xfeuser from 192.0.2.9 port 1 ssh2" || all[2].PID != 124 {
		t.Errorf("binary message: %+v", all[2])
	}

	last, _ := collect(t, prog, journal.Options{Directory: dir, Last: 1}, 0)
	if len(last) != 1 || last[0].Cursor != all[len(all)-1].Cursor {
		t.Errorf("last entry: %+v", last)
	}
	after, _ := collect(t, prog, journal.Options{Directory: dir, AfterCursor: all[7].Cursor}, 0)
	if len(after) != 3 || after[0].Cursor != all[8].Cursor {
		t.Errorf("after entry 8: %q", messages(after))
	}
	// Facility auth or authpriv, or identifier sudo, or comm systemd-logind.
	match := []journal.Group{
		{{Field: "SYSLOG_FACILITY", Values: []string{"4", "10"}}},
		{{Field: "SYSLOG_IDENTIFIER", Values: []string{"sudo", "su"}}},
		{{Field: "_COMM", Values: []string{"systemd-logind"}}},
	}
	auth, _ := collect(t, prog, journal.Options{Files: []string{filepath.Join(dir, "*.journal")}, Match: match}, 0)
	want := []string{all[0].Message, all[1].Message, all[2].Message, all[7].Message, all[10].Message}
	if got := messages(auth); !slices.Equal(got, want) {
		t.Errorf("matched %q\nwant %q", got, want)
	}
	// Two fields in one group must both match.
	match[0] = append(match[0], journal.Term{Field: "_PID", Values: []string{"124"}})
	auth, _ = collect(t, prog, journal.Options{Directory: dir, Match: match[:1]}, 0)
	if got := messages(auth); !slices.Equal(got, []string{all[2].Message}) {
		t.Errorf("facility and pid: %q", got)
	}
}

// TestRunFollow follows a journal directory while entries are appended to
// its file and a second file appears, resumes after a cursor of an earlier
// boot, and checks that cancelling stops journalctl.
func TestRunFollow(t *testing.T) {
	prog := journaltest.Need(t)
	dir := t.TempDir()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	old := journaltest.Syslog(at(0), "web1", "sshd", 1, 4, "old boot")
	old.Boot = "1111111111111111111111111111111a"
	journaltest.Write(t, filepath.Join(dir, "a.journal"), old, journaltest.Syslog(at(1), "web1", "sshd", 2, 4, "first"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args, err := journal.Args(journal.Options{Directory: dir, Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan journal.Entry, 16)
	done := make(chan error, 1)
	go func() {
		done <- journal.Run(ctx, prog, args, func(e journal.Entry, err error) error {
			if err != nil {
				t.Errorf("bad line: %v", err)
			}
			got <- e
			return nil
		})
	}()
	next := func(want string) journal.Entry {
		t.Helper()
		select {
		case e := <-got:
			if e.Message != want {
				t.Fatalf("got %q, want %q", e.Message, want)
			}
			return e
		case err := <-done:
			t.Fatalf("journalctl ended waiting for %q: %v", want, err)
		case <-time.After(20 * time.Second):
			t.Fatalf("no entry %q in 20 s", want)
		}
		return journal.Entry{}
	}
	// The entry of the earlier boot is followed too (--merge).
	oldEntry := next("old boot")
	next("first")
	journaltest.Write(t, filepath.Join(dir, "a.journal"), journaltest.Syslog(at(2), "web1", "sshd", 3, 4, "appended"))
	next("appended")
	journaltest.Write(t, filepath.Join(dir, "b.journal"), journaltest.Syslog(at(3), "web1", "sshd", 4, 4, "second file"))
	next("second file")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: %v", err)
	}
	if pids := journalctlOf(t, dir); len(pids) > 0 {
		t.Errorf("journalctl still running after Run returned: pids %v", pids)
	}

	// Following again after the old boot's entry gives every later entry,
	// the first of the next boot included (journalctl 252 without --merge
	// gives none).
	rest, err := collect(t, prog, journal.Options{Directory: dir, Follow: true, AfterCursor: oldEntry.Cursor}, 3)
	if want := []string{"first", "appended", "second file"}; err != nil || !slices.Equal(messages(rest), want) {
		t.Errorf("after the old boot's cursor: %q (%v), want %q", messages(rest), err, want)
	}
}

// journalctlOf returns the pids of processes whose command line names dir.
func journalctlOf(t *testing.T, dir string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "--directory="+dir) {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	return pids
}

// TestRunFailure checks that a journalctl that cannot start reading ends
// with an ExitError carrying its message.
func TestRunFailure(t *testing.T) {
	prog := journaltest.Need(t)
	missing := filepath.Join(t.TempDir(), "missing")
	_, err := collect(t, prog, journal.Options{Directory: missing, Follow: true}, 0)
	var exit *journal.ExitError
	if !errors.As(err, &exit) || exit.Err == nil || !strings.Contains(exit.Stderr, missing) {
		t.Fatalf("journalctl on a missing directory: %v, want an ExitError naming it", err)
	}
	// A program that cannot start is an error of its own, not an exit.
	err = journal.Run(context.Background(), filepath.Join(missing, "journalctl"), nil, nil)
	if err == nil || errors.As(err, &exit) {
		t.Errorf("missing program: %v", err)
	}
}
