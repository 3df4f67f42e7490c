package authlog

import (
	"bytes"
	"os"
	"testing"
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
