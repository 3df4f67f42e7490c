package authlog

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

var recordTime = time.Date(2024, 5, 1, 8, 0, 0, 123456000, time.UTC)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want []want
	}{
		{"accepted password", Header{Host: "web1", Program: "sshd", PID: 123, Msg: "Accepted password for alice from 192.0.2.7 port 50000 ssh2"},
			[]want{{action: "ssh_login", outcome: "success", user: "alice", ip: "192.0.2.7", port: "50000", method: "password", pid: 123}}},
		{"sshd-session failure", Header{Host: "web1", Program: "sshd-session", PID: 9, Msg: "Failed password for invalid user bob from 2001:db8::1 port 2 ssh2"},
			[]want{{action: "ssh_login", outcome: "failure", user: "bob", ip: "2001:db8::1", port: "2"}}},
		{"sudo", Header{Host: "web1", Program: "sudo", PID: -1, Msg: "   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u"},
			[]want{{action: "sudo", user: "alice", effective: "root", cmd: "/usr/bin/id -u", cwd: "/home/alice"}}},
		{"su", Header{Host: "web1", Program: "su", PID: 77, Msg: "(to root) alice on pts/0"},
			[]want{{action: "user_login", outcome: "success", user: "alice", effective: "root", tty: "pts/0"}}},
		{"useradd", Header{Host: "web1", Program: "useradd", PID: 5, Msg: "new user: name=carol, UID=1001, GID=1001, home=/home/carol, shell=/bin/sh, from=/dev/pts/0"},
			[]want{{action: "user_added"}}},
		{"logind", Header{Host: "web1", Program: "systemd-logind", PID: 400, Msg: "New session 7 of user alice."},
			[]want{{action: "user_login", user: "alice"}}},
		{"legacy pam tag", Header{Host: "web1", Program: "sshd(pam_unix)", PID: 3, Msg: "authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.8  user=root"},
			[]want{{action: "pam_auth_failure", outcome: "failure", user: "root", ip: "192.0.2.8"}}},
		{"repeated", Header{Host: "web1", Program: "sshd", PID: 1, Msg: "message repeated 2 times: [ Failed password for root from 198.51.100.4 port 6000 ssh2]"},
			[]want{{action: "ssh_login", outcome: "failure", user: "root"}, {action: "ssh_login", outcome: "failure"}}},
		{"kernel", Header{Host: "web1", Program: "kernel", PID: -1, Msg: "usb 1-1: new high-speed USB device"}, nil},
		{"cron", Header{Host: "web1", Program: "CRON", PID: 8, Msg: "(root) CMD (run-parts /etc/cron.hourly)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.h.Time = recordTime
			id := RecordID{Source: "journal", Key: "s=1;i=2"}
			evs := ParseRecord(tt.h, id)
			if len(evs) != len(tt.want) {
				t.Fatalf("%d events, want %d: %+v", len(evs), len(tt.want), evs)
			}
			seen := map[string]bool{}
			for i, e := range evs {
				check(t, e, tt.want[i])
				if !e.Timestamp.Equal(recordTime) {
					t.Errorf("@timestamp %v, want %v", e.Timestamp, recordTime)
				}
				if e.Message != tt.h.Line() {
					t.Errorf("message %q, want the record's line %q", e.Message, tt.h.Line())
				}
				if seen[e.Event.ID] {
					t.Errorf("two events share id %s", e.Event.ID)
				}
				seen[e.Event.ID] = true
			}
			// The same record gives the same IDs; another key gives others.
			again := ParseRecord(tt.h, id)
			other := ParseRecord(tt.h, RecordID{Source: "journal", Key: "s=1;i=3"})
			for i := range evs {
				if again[i].Event.ID != evs[i].Event.ID {
					t.Errorf("re-parse gave id %s, first %s", again[i].Event.ID, evs[i].Event.ID)
				}
				if other[i].Event.ID == evs[i].Event.ID {
					t.Errorf("another key gave the same id %s", evs[i].Event.ID)
				}
			}
		})
	}
}

// TestParseRecordMatchesParseLine checks that a record gives what its line
// gives in an auth log (apart from IDs, which name the source): one parser
// for both sources.
func TestParseRecordMatchesParseLine(t *testing.T) {
	data, err := os.ReadFile("testdata/auth.log")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOpts()
	n := 0
	for i, line := range bytes.Split(data, []byte("\n")) {
		h, ok := ParseHeader(line, opts)
		if !ok {
			continue
		}
		fromLine, err := ParseLine(line, int64(i), opts)
		if err != nil {
			t.Fatal(err)
		}
		fromRecord := ParseRecord(h, RecordID{Source: "journal", Key: "k"})
		if len(fromLine) != len(fromRecord) {
			t.Errorf("%s: %d events from the line, %d from the record", line, len(fromLine), len(fromRecord))
			continue
		}
		for j := range fromLine {
			a, b := fromLine[j], fromRecord[j]
			a.Event.ID, b.Event.ID, a.Message, b.Message = "", "", "", ""
			if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
				t.Errorf("%s:\n line   %s\n record %s", line, ja, jb)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no events compared")
	}
}

func mustJSON(t *testing.T, e event.Event) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHeaderLine checks that Line writes what ParseHeader reads back (which
// drops the blanks that start a message, as syslog does).
func TestHeaderLine(t *testing.T) {
	for _, h := range []Header{
		{Time: recordTime, Host: "web1", Program: "sshd", PID: 123, Msg: "Accepted password for a from 192.0.2.1 port 1 ssh2"},
		{Time: recordTime, Host: "web1", Program: "sudo", PID: -1, Msg: "   alice : TTY=pts/0 ; COMMAND=/bin/true"},
		{Time: recordTime, Host: "web1", Program: "sshd", Module: "pam_unix", PID: 4, Msg: "session opened for user a"},
		{Time: recordTime.In(time.FixedZone("x", 7200)), Host: "h", Program: "su", PID: 0, Msg: "x"},
	} {
		line := h.Line()
		if !strings.HasPrefix(line, "2024-05-01T08:00:00.123456+00:00 ") {
			t.Errorf("%q: timestamp is not RFC 3339 UTC with microseconds", line)
		}
		got, ok := ParseHeader([]byte(line), Options{Loc: time.UTC})
		if !ok {
			t.Errorf("%q: ParseHeader refused it", line)
			continue
		}
		if !got.Time.Equal(h.Time) || got.Host != h.Host || got.Program != h.Program || got.Module != h.Module || got.PID != h.PID || got.Msg != strings.TrimLeft(h.Msg, " ") {
			t.Errorf("%q read back as %+v, want %+v", line, got, h)
		}
	}
	if got := (Header{Time: recordTime, PID: -1, Msg: "m"}).Line(); got != "2024-05-01T08:00:00.123456+00:00 - m" {
		t.Errorf("no host, no program: %q", got)
	}
}

func TestParseRecordLongMessage(t *testing.T) {
	h := Header{Time: recordTime, Host: "h", Program: "sshd", PID: 1,
		Msg: "Accepted password for " + strings.Repeat("x", 2*MaxLineBytes) + " from 192.0.2.1 port 1 ssh2"}
	evs := ParseRecord(h, RecordID{Source: "journal", Key: "k"})
	// The cut message lost its " from ..." part and is no attempt.
	if len(evs) != 0 {
		t.Errorf("%d events from a cut message", len(evs))
	}
}

func TestClaims(t *testing.T) {
	for _, c := range []struct {
		h    Header
		want []string
	}{
		{Header{Program: "sshd", Msg: "Accepted password for a from 192.0.2.1 port 1 ssh2"}, []string{"sshd"}},
		{Header{Program: "sshd(pam_unix)", Msg: "session opened for user root by (uid=0)"}, []string{"sshd"}},
		{Header{Program: "Backup", Msg: "pam_unix(su-l:session): session opened for user root(uid=0) by a(uid=1000)"}, []string{"backup", "su-l"}},
		{Header{Program: "x", Msg: "pam_ x (sshd: y"}, []string{"x"}},
	} {
		if got := Claims(c.h); !slices.Equal(got, c.want) {
			t.Errorf("Claims(%+v) = %q, want %q", c.h, got, c.want)
		}
	}
}
