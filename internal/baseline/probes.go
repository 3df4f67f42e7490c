// Package baseline holds vigil's built-in baseline policy and the "v:" probes its
// checks use: typed Go functions, registered with sca.RegisterProbe, that read
// the host through the scan's hostfs.Root and return lines for the policy's
// content tests.
package baseline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/sca"
)

// maxLines bounds what one probe returns; a host with a million world-writable
// files needs no more to fail its check.
const maxLines = 10000

// notApplicable wraps sca.ErrNotApplicable with a reason.
func notApplicable(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), sca.ErrNotApplicable)
}

// noArgs rejects arguments for probes that take none.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", name, args)
	}
	return nil
}

// capLines cuts a long result and says how much was left out.
func capLines(lines []string) []string {
	if len(lines) <= maxLines {
		return lines
	}
	n := len(lines) - maxLines
	return append(lines[:maxLines:maxLines], fmt.Sprintf("(%d more not listed)", n))
}

// optionalRegexp compiles the optional single argument of a filtering probe.
func optionalRegexp(name string, args []string) (*regexp.Regexp, error) {
	switch len(args) {
	case 0:
		return nil, nil
	case 1:
		re, err := regexp.Compile(args[0])
		if err != nil {
			return nil, fmt.Errorf("%s: bad pattern: %w", name, err)
		}
		return re, nil
	}
	return nil, fmt.Errorf("%s takes at most one pattern, got %q", name, args)
}

// loadAccounts returns the host's accounts, parsed once per scan. It is
// NotApplicable when the host has no passwd or group file.
func loadAccounts(ctx context.Context, env *sca.Env) (accounts.Accounts, error) {
	v, err := env.Shared("accounts", func() (any, error) {
		a, _, err := accounts.Collect(ctx, env.Root)
		return a, err
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return accounts.Accounts{}, notApplicable("no local accounts: %v", err)
		}
		return accounts.Accounts{}, fmt.Errorf("load accounts: %w", err)
	}
	return v.(accounts.Accounts), nil
}

func isNotApplicable(err error) bool { return errors.Is(err, sca.ErrNotApplicable) }

// idNames maps user and group IDs to names (the first entry wins, as getpwuid).
type idNames struct {
	users, groups map[uint32]string
}

func namesOf(a accounts.Accounts) idNames {
	n := idNames{users: map[uint32]string{}, groups: map[uint32]string{}}
	for _, u := range a.Users {
		if _, ok := n.users[u.UID]; !ok {
			n.users[u.UID] = u.Name
		}
	}
	for _, g := range a.Groups {
		if _, ok := n.groups[g.GID]; !ok {
			n.groups[g.GID] = g.Name
		}
	}
	return n
}

func (n idNames) user(uid uint32) string {
	if s, ok := n.users[uid]; ok {
		return s
	}
	return strconv.FormatUint(uint64(uid), 10)
}

func (n idNames) group(gid uint32) string {
	if s, ok := n.groups[gid]; ok {
		return s
	}
	return strconv.FormatUint(uint64(gid), 10)
}

// sorted returns lines sorted, for stable output.
func sorted(lines []string) []string {
	sort.Strings(lines)
	return lines
}
