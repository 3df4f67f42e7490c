// Package skipped records input that a parser could not understand and left out.
//
// vigil's host-file parsers (passwd, shadow, dpkg status, sudoers, crontabs, ...)
// never fail a whole file because of one bad line: they skip the line, record it
// here with its place and reason, and go on. Reports show the count.
package skipped

import "fmt"

// MaxLines bounds the lines one List records; further ones are counted in a
// final summary entry, so hostile input cannot grow memory without bound.
const MaxLines = 10000

// Line is one skipped piece of input.
type Line struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
	// Count is set on the summary entry that stands for lines beyond
	// MaxLines.
	Count int `json:"count,omitempty"`
}

func (l Line) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", l.File, l.Line, l.Reason)
	}
	return fmt.Sprintf("%s: %s", l.File, l.Reason)
}

// List collects skipped lines. The zero value is ready to use.
type List []Line

// Add records a skipped line. Beyond MaxLines it only counts.
func (l *List) Add(file string, line int, format string, args ...any) {
	if n := len(*l); n >= MaxLines {
		if last := &(*l)[n-1]; last.Count > 0 {
			last.Count++
			last.Reason = fmt.Sprintf("%d more skipped lines not listed", last.Count)
			return
		}
		*l = append(*l, Line{File: file, Reason: "1 more skipped line not listed", Count: 1})
		return
	}
	*l = append(*l, Line{File: file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// Total is the number of skipped lines, including those only counted.
func (l List) Total() int {
	n := 0
	for _, e := range l {
		if e.Count > 0 {
			n += e.Count
		} else {
			n++
		}
	}
	return n
}
