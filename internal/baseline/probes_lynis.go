package baseline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Probes added to close gaps found by comparing the baseline with Lynis (see
// docs/lynis-comparison.md):
//
//	processes.deleted_libraries   PID COMM PATH per process that still maps a
//	                              program or shared library deleted from a
//	                              system directory (upgraded but not restarted)
//	accounts.home_readable        NAME HOME MODE per human account whose home
//	                              directory other users can read or enter
func init() {
	sca.RegisterProbe("processes.deleted_libraries", probeDeletedLibraries)
	sca.RegisterProbe("accounts.home_readable", probeHomeReadable)
}

// maxMapsSize bounds one /proc/PID/maps file; a large JVM has a few thousand
// mappings (well under 1 MiB).
const maxMapsSize = 4 << 20

// maxMapsLine bounds one maps line; paths are at most PATH_MAX (4096) bytes.
const maxMapsLine = 8 << 10

// deletedSuffix is what the kernel appends to the path of an unlinked mapping.
const deletedSuffix = " (deleted)"

// systemDirs are where packages install programs and libraries. A deleted
// mapping elsewhere (memfd, /dev/shm, /tmp) is a program's own business, not a
// pending restart.
var systemDirs = []string{"/usr/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/", "/sbin/", "/opt/"}

// deletedMappings parses a /proc/PID/maps file and returns, sorted and without
// duplicates, the paths (without " (deleted)") of mapped files that were
// deleted from a system directory. Lines that are not maps lines are recorded
// in skip and ignored.
func deletedMappings(file string, data []byte, skip *skipped.List) []string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxMapsLine)
	seen := map[string]bool{}
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		p, ok := mapsPath(line)
		if !ok {
			skip.Add(file, n, "not a maps line")
			continue
		}
		if !strings.HasSuffix(p, deletedSuffix) {
			continue
		}
		p = strings.TrimSuffix(p, deletedSuffix)
		if inSystemDir(p) {
			seen[p] = true
		}
	}
	if err := sc.Err(); err != nil {
		skip.Add(file, n+1, "unreadable rest: %v", err)
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// mapsPath returns the path column of a maps line ("" for anonymous memory).
// The line is "ADDR PERMS OFFSET DEV INODE [PATH]"; the path may hold spaces.
func mapsPath(line string) (string, bool) {
	rest := line
	for i := range 5 {
		rest = strings.TrimLeft(rest, " \t")
		f, r, _ := strings.Cut(rest, " ")
		if f == "" || !validMapsField(i, f) {
			return "", false
		}
		rest = r
	}
	return strings.TrimLeft(rest, " \t"), true
}

func validMapsField(i int, f string) bool {
	switch i {
	case 0: // address range
		lo, hi, ok := strings.Cut(f, "-")
		return ok && isHex(lo) && isHex(hi)
	case 1: // permissions, e.g. r-xp
		return len(f) == 4
	case 2: // offset
		return isHex(f)
	case 3: // device major:minor
		ma, mi, ok := strings.Cut(f, ":")
		return ok && isHex(ma) && isHex(mi)
	default: // inode
		_, err := strconv.ParseUint(f, 10, 64)
		return err == nil
	}
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	_, err := strconv.ParseUint(s, 16, 64)
	return err == nil
}

func inSystemDir(p string) bool {
	for _, d := range systemDirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

// probeDeletedLibraries reads /proc/PID/maps of every process. It is
// NotApplicable when the root has no process table or no readable maps file (a
// fixture tree or an image).
func probeDeletedLibraries(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("processes.deleted_libraries", args); err != nil {
		return nil, err
	}
	ents, err := env.Root.ReadDir("/proc")
	if err != nil {
		return nil, notApplicable("no process table: %v", err)
	}
	var out []string
	var skip skipped.List
	read := 0
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("processes.deleted_libraries: %w", err)
		}
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 || !e.IsDir() {
			continue
		}
		dir := "/proc/" + e.Name()
		data, err := env.Root.ReadFile(dir+"/maps", maxMapsSize)
		if err != nil {
			continue // exited, or a fixture without maps
		}
		read++
		comm := "-"
		if b, err := env.Root.ReadFile(dir+"/comm", 256); err == nil && len(bytes.TrimSpace(b)) > 0 {
			comm = strings.Join(strings.Fields(string(b)), "_")
		}
		for _, p := range deletedMappings(dir+"/maps", data, &skip) {
			out = append(out, fmt.Sprintf("%d %s %s", pid, comm, p))
		}
	}
	if read == 0 {
		return nil, notApplicable("no readable /proc/PID/maps")
	}
	return capLines(out), nil
}

// probeHomeReadable lists the home directories of human accounts with a login
// shell that other users may read or enter (any "other" permission bit): CIS
// asks for 0750 or stricter. Missing and writable homes are reported by
// accounts.home_problems.
func probeHomeReadable(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("accounts.home_readable", args); err != nil {
		return nil, err
	}
	a, err := loadAccounts(ctx, env)
	if err != nil {
		return nil, err
	}
	d := readLoginDefs(env)
	var out []string
	for _, u := range a.Users {
		if !isHuman(u, d) || !u.LoginShell || u.Home == "" || u.Home == "/" {
			continue
		}
		fi, err := env.Root.Stat(u.Home)
		if err != nil {
			continue
		}
		if m := unixMode(fi); m&0o007 != 0 {
			out = append(out, fmt.Sprintf("%s %s %04o", u.Name, u.Home, m&0o7777))
		}
	}
	return sorted(out), nil
}
