package baseline

import (
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigil-sec/vigil/internal/sca"
)

func init() {
	sca.RegisterProbe("file.perms", probeFilePerms)
	sca.RegisterProbe("file.stat", probeFileStat)
}

// unixMode returns the permission and special bits of fi as the kernel stores
// them (04000 setuid, 02000 setgid, 01000 sticky).
func unixMode(fi fs.FileInfo) uint32 {
	m := uint32(fi.Mode().Perm())
	if fi.Mode()&fs.ModeSetuid != 0 {
		m |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		m |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		m |= 0o1000
	}
	return m
}

// owner returns the numeric owner of fi.
func owner(fi fs.FileInfo) (uid, gid uint32, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return st.Uid, st.Gid, true
}

// typeName names a file type as file.stat prints it.
func typeName(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "chardev"
	case m&fs.ModeDevice != 0:
		return "blockdev"
	}
	return "other"
}

// idAllowed reports whether an owner (by name or number) is in a comma list of
// names and numeric IDs; "-" allows anyone.
func idAllowed(list string, id uint32, name string) bool {
	if list == "-" || list == "" {
		return true
	}
	num := strconv.FormatUint(uint64(id), 10)
	for _, a := range strings.Split(list, ",") {
		if a == name || a == num {
			return true
		}
	}
	return false
}

// probeFilePerms: PATH MAXMODE [OWNERS [GROUPS]]; one line per violation.
func probeFilePerms(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if len(args) < 2 || len(args) > 4 {
		return nil, fmt.Errorf("file.perms takes PATH MAXMODE [OWNERS [GROUPS]], got %q", args)
	}
	maxMode, err := strconv.ParseUint(args[1], 8, 32)
	if err != nil || maxMode > 0o7777 {
		return nil, fmt.Errorf("file.perms: bad mode %q", args[1])
	}
	owners, groups := "-", "-"
	if len(args) > 2 {
		owners = args[2]
	}
	if len(args) > 3 {
		groups = args[3]
	}
	paths, err := env.Root.Glob(args[0])
	if err != nil {
		return nil, fmt.Errorf("file.perms: bad path pattern %q: %w", args[0], err)
	}
	var names idNames
	if owners != "-" || groups != "-" {
		a, err := loadAccounts(ctx, env)
		if err != nil && !isNotApplicable(err) {
			return nil, err
		}
		names = namesOf(a)
	}
	var out []string
	matched := 0
	for _, p := range paths {
		fi, err := env.Root.Stat(p)
		if err != nil {
			continue // dangling link: nothing to check
		}
		matched++
		if m := unixMode(fi); m&^uint32(maxMode) != 0 {
			out = append(out, fmt.Sprintf("%s mode %04o is more permissive than %04o", p, m, maxMode))
		}
		uid, gid, ok := owner(fi)
		if !ok {
			continue
		}
		if u := names.user(uid); !idAllowed(owners, uid, u) {
			out = append(out, fmt.Sprintf("%s owner %s not in %s", p, u, owners))
		}
		if g := names.group(gid); !idAllowed(groups, gid, g) {
			out = append(out, fmt.Sprintf("%s group %s not in %s", p, g, groups))
		}
	}
	if matched == 0 {
		return nil, notApplicable("nothing matches %s", args[0])
	}
	return out, nil
}

// probeFileStat: PATH...; one line per path (or per glob match).
func probeFileStat(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("file.stat needs at least one path")
	}
	a, err := loadAccounts(ctx, env)
	if err != nil && !isNotApplicable(err) {
		return nil, err
	}
	names := namesOf(a)
	var out []string
	for _, arg := range args {
		paths, err := env.Root.Glob(arg)
		if err != nil {
			return nil, fmt.Errorf("file.stat: bad path pattern %q: %w", arg, err)
		}
		if len(paths) == 0 {
			out = append(out, arg+" missing")
			continue
		}
		for _, p := range paths {
			fi, err := env.Root.Lstat(p)
			if err != nil {
				out = append(out, p+" missing")
				continue
			}
			uid, gid, _ := owner(fi)
			out = append(out, fmt.Sprintf("%s mode=%04o uid=%d gid=%d owner=%s group=%s type=%s",
				p, unixMode(fi), uid, gid, names.user(uid), names.group(gid), typeName(fi.Mode())))
		}
	}
	return out, nil
}
