package journal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Options say which journal journalctl reads, which entries and from where.
// Every value comes from configuration or from a cursor journalctl printed
// earlier (ValidCursor), never from the entries' content.
type Options struct {
	// Directory reads the journal files of one directory (--directory).
	Directory string
	// Files reads these journal files (--file, each a path or a glob that
	// journalctl expands).
	Files []string
	// Root reads the system journal of the host tree under this directory
	// (--root) instead of the running host's.
	Root string
	// Match selects the entries of any of its groups; none selects all.
	Match []Group
	// AfterCursor starts after this entry (--after-cursor); empty starts at
	// the beginning of the journal.
	AfterCursor string
	// Follow keeps journalctl running, printing entries as they are written.
	Follow bool
	// Last, when positive, prints only the last Last entries (--lines);
	// otherwise every entry from the start point (--no-tail).
	Last int
}

// A Group matches the entries that match every one of its terms.
type Group []Term

// A Term matches the entries whose Field has one of Values.
type Term struct {
	Field  string
	Values []string
}

// Args returns journalctl's arguments (without the program name) for opts:
//
//	--output=json --output-fields=<Fields> --all --no-pager --merge
//	[--follow] (--no-tail | --lines=N) [--after-cursor=C]
//	[--directory=D | --file=F... | --root=R] [MATCHES]
//
// MATCHES are journalctl's: FIELD=VALUE terms, the values of one field
// ORed, different fields ANDed, groups separated by "+" ORed.
//
// --merge is there because journalctl 251 and later make --follow show the
// current boot only unless --merge (or an explicit --boot) is given; without
// it, a restart after a reboot would skip the entries of the previous boot
// after the saved cursor. --merge also opens the journals of other machines
// kept on this host (systemd-journal-remote's, containers'); a reader of the
// host's own system journal restricts its groups to the host's _MACHINE_ID.
func Args(opts Options) ([]string, error) {
	var errs []error
	sources := 0
	for _, set := range []bool{opts.Directory != "", len(opts.Files) > 0, opts.Root != ""} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		errs = append(errs, errors.New("at most one of a directory, files and a root"))
	}
	if opts.AfterCursor != "" && !ValidCursor(opts.AfterCursor) {
		errs = append(errs, fmt.Errorf("malformed cursor %q", opts.AfterCursor))
	}
	args := []string{"--output=json", "--output-fields=" + strings.Join(Fields, ","), "--all", "--no-pager", "--merge"}
	if opts.Follow {
		args = append(args, "--follow")
	}
	if opts.Last > 0 {
		args = append(args, "--lines="+strconv.Itoa(opts.Last))
	} else {
		// --follow alone would start 10 entries before the end, also after a
		// cursor.
		args = append(args, "--no-tail")
	}
	if opts.AfterCursor != "" {
		args = append(args, "--after-cursor="+opts.AfterCursor)
	}
	switch {
	case opts.Directory != "":
		args = append(args, "--directory="+opts.Directory)
	case opts.Root != "":
		args = append(args, "--root="+opts.Root)
	}
	for _, f := range opts.Files {
		args = append(args, "--file="+f)
	}
	for i, g := range opts.Match {
		if len(g) == 0 {
			errs = append(errs, fmt.Errorf("match group %d is empty", i+1))
			continue
		}
		if i > 0 {
			args = append(args, "+")
		}
		for _, t := range g {
			if !validField(t.Field) {
				errs = append(errs, fmt.Errorf("bad journal field name %q", t.Field))
			}
			if len(t.Values) == 0 {
				errs = append(errs, fmt.Errorf("field %s has no value to match", t.Field))
			}
			for _, v := range t.Values {
				args = append(args, t.Field+"="+v)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("journalctl arguments: %w", err)
	}
	return args, nil
}

// validField reports whether s is a journal field name journalctl accepts
// in a match: uppercase letters, digits and underscores, not starting with
// a digit.
func validField(s string) bool {
	if s == "" || len(s) > 64 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
