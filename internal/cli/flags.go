// Package cli parses subcommand arguments the way people type them: flags before
// or after positional arguments, list flags given several times, and "--" ending
// flag parsing. It wraps the standard flag package rather than replacing it.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// ErrUsage marks errors caused by how vigil was invoked (unknown flag, missing
// argument). main maps it to exit status 2.
var ErrUsage = errors.New("usage error")

// UsageError wraps err so that errors.Is(err, ErrUsage) holds.
func UsageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// NewFlagSet returns a flag set that reports errors instead of exiting and
// writes its usage to w.
func NewFlagSet(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// Parse parses args with fs, allowing flags and positional arguments to be
// interleaved. It returns the positional arguments in order. "-h"/"--help"
// yields flag.ErrHelp; other parse errors are wrapped in ErrUsage.
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at "--" (consumed) or at the first non-flag argument.
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// StringList is a flag.Value collecting every occurrence of a repeated flag.
// A value holding commas is split, so "--x a,b --x c" gives [a b c] when Split is
// set.
type StringList struct {
	Values []string
	Split  bool
	set    bool
}

func (l *StringList) String() string { return strings.Join(l.Values, ",") }

// Set appends a value; the first Set replaces any default.
func (l *StringList) Set(v string) error {
	if !l.set {
		l.Values = nil
		l.set = true
	}
	if l.Split {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				l.Values = append(l.Values, p)
			}
		}
		return nil
	}
	l.Values = append(l.Values, v)
	return nil
}

// IsSet reports whether the flag was given on the command line.
func (l *StringList) IsSet() bool { return l.set }

// OneOf returns a usage error unless v is one of allowed.
func OneOf(flagName, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return UsageError("--%s must be one of %s, not %q", flagName, strings.Join(allowed, "|"), v)
}
