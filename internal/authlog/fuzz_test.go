package authlog

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func FuzzParseLine(f *testing.F) {
	data, err := os.ReadFile("testdata/auth.log")
	if err != nil {
		f.Fatal(err)
	}
	for l := range bytes.SplitSeq(data, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte("<13>1 - - - - - -"))
	f.Add([]byte("Feb 29 00:00:00 h sshd[1]: message repeated 999999 times: [ Failed none for x from 1.2.3.4 port 1 ssh2]"))
	f.Fuzz(func(t *testing.T, line []byte) {
		evs, err := ParseLine(line, 7, testOpts())
		if err != nil && len(evs) != 0 {
			t.Fatal("events with an error")
		}
		if len(evs) > MaxRepeat {
			t.Fatalf("%d events", len(evs))
		}
		for _, e := range evs {
			if verr := e.Validate(); verr != nil {
				t.Fatalf("%q: %v", line, verr)
			}
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	data, err := os.ReadFile("testdata/auth.log")
	if err != nil {
		f.Fatal(err)
	}
	for l := range bytes.SplitSeq(data, []byte("\n")) {
		if h, ok := ParseHeader(l, testOpts()); ok {
			f.Add(h.Time.UnixMicro(), h.Host, h.Program, h.PID, h.Msg, "s=1;i=2")
		}
	}
	f.Add(int64(-1), "", "sshd(", int64(-5), "message repeated 999999 times: [ Failed none for x from 1.2.3.4 port 1 ssh2]", "")
	f.Fuzz(func(t *testing.T, usec int64, host, program string, pid int64, msg, key string) {
		h := Header{Time: time.UnixMicro(usec), Host: host, Program: program, PID: pid, Msg: msg}
		if h.Time.IsZero() {
			return // a record's time is the caller's to give (the journal always has one)
		}
		evs := ParseRecord(h, RecordID{Source: "journal", Key: key})
		if len(evs) > MaxRepeat {
			t.Fatalf("%d events", len(evs))
		}
		ids := map[string]bool{}
		for _, e := range evs {
			if verr := e.Validate(); verr != nil {
				t.Fatalf("%+v: %v", h, verr)
			}
			if ids[e.Event.ID] {
				t.Fatalf("%+v: two events share id %s", h, e.Event.ID)
			}
			ids[e.Event.ID] = true
		}
	})
}
