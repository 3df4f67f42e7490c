// Package wazuhcompat reads the test cases of Wazuh's ruleset (the .ini files
// of ruleset/testing/tests: labelled log lines with the rule id and level
// Wazuh gives them) so that vigil's own detections can be compared with
// Wazuh's on the same lines. The comparison itself is the package's test;
// docs/wazuh-comparison.md holds its table.
package wazuhcompat

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// MaxLineBytes bounds one line of a test file; longer lines are skipped.
const MaxLineBytes = 64 << 10

// Line is one log line of a case.
type Line struct {
	// Text is the raw log line.
	Text string
	// Pass is true for "log N pass" (the line must give the case's rule) and
	// false for "log N fail" (the line must not give it).
	Pass bool
}

// Case is one section of a Wazuh test file.
type Case struct {
	// Name is the section name ("invalid user").
	Name string
	// File and Line say where the section starts.
	File string
	Line int
	// Lines are the log lines in file order.
	Lines []Line
	// Rule is the Wazuh rule id, Level the alert level (0-15, -1 if absent),
	// Decoder the decoder name.
	Rule    string
	Level   int
	Decoder string
}

// Parse reads a Wazuh ruleset test file. Lines it cannot read (keys outside
// a section, unknown keys, bad levels, lines over MaxLineBytes) are recorded
// in the returned list under name and skipped. Comments start with ';' or
// '#'.
func Parse(r io.Reader, name string) ([]Case, skipped.List) {
	var cases []Case
	var skip skipped.List
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		raw, long, err := readLine(br)
		if long {
			skip.Add(name, n, "line longer than %d bytes", MaxLineBytes)
		} else if raw != "" {
			cases = parseLine(cases, &skip, raw, name, n)
		}
		if err != nil {
			return cases, skip
		}
	}
}

func parseLine(cases []Case, skip *skipped.List, raw, name string, n int) []Case {
	s := strings.TrimSpace(raw)
	switch {
	case s == "" || s[0] == ';' || s[0] == '#':
		return cases
	case s[0] == '[':
		if !strings.HasSuffix(s, "]") {
			skip.Add(name, n, "unterminated section header")
			return cases
		}
		return append(cases, Case{Name: strings.TrimSpace(s[1 : len(s)-1]), File: name, Line: n, Level: -1})
	}
	key, val, ok := strings.Cut(s, "=")
	if !ok {
		skip.Add(name, n, "no '=' in line")
		return cases
	}
	if len(cases) == 0 {
		skip.Add(name, n, "key outside a section")
		return cases
	}
	c := &cases[len(cases)-1]
	key, val = strings.TrimSpace(key), strings.TrimSpace(val)
	f := strings.Fields(key)
	switch {
	case len(f) == 3 && f[0] == "log" && (f[2] == "pass" || f[2] == "fail"):
		c.Lines = append(c.Lines, Line{Text: val, Pass: f[2] == "pass"})
	case key == "rule":
		c.Rule = val
	case key == "alert":
		lvl, err := strconv.Atoi(val)
		if err != nil || lvl < 0 || lvl > 15 {
			skip.Add(name, n, "bad alert level %q", val)
			return cases
		}
		c.Level = lvl
	case key == "decoder":
		c.Decoder = val
	default:
		skip.Add(name, n, "unknown key %q", key)
	}
	return cases
}

// readLine returns the next line without its newline, and whether it was
// longer than MaxLineBytes (then its text is dropped).
func readLine(br *bufio.Reader) (string, bool, error) {
	var b []byte
	long := false
	for {
		frag, err := br.ReadSlice('\n')
		if len(b)+len(frag) > MaxLineBytes {
			long, b = true, b[:0]
		} else if !long {
			b = append(b, frag...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return strings.TrimRight(string(b), "\r\n"), long, err
	}
}
