// Package skipped records input that a parser could not understand and left out.
//
// vigil's host-file parsers (passwd, shadow, dpkg status, sudoers, crontabs, ...)
// never fail a whole file because of one bad line: they skip the line, record it
// here with its place and reason, and go on. Reports show the count.
package skipped

import "fmt"

// Line is one skipped piece of input.
type Line struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

func (l Line) String() string {
	if l.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", l.File, l.Line, l.Reason)
	}
	return fmt.Sprintf("%s: %s", l.File, l.Reason)
}

// List collects skipped lines. The zero value is ready to use.
type List []Line

// Add records a skipped line.
func (l *List) Add(file string, line int, format string, args ...any) {
	*l = append(*l, Line{File: file, Line: line, Reason: fmt.Sprintf(format, args...)})
}
