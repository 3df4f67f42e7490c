package baseline

import (
	"bufio"
	"bytes"
	"context"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func init() {
	sca.RegisterProbe("mounts", probeMounts)
	sca.RegisterProbe("fstab", probeFstab)
}

// mountEntry is one line of /proc/mounts or /etc/fstab.
type mountEntry struct {
	Source  string
	Point   string // decoded ("\040" -> " ")
	RawPt   string // as written in the file (one word)
	FSType  string
	Options string
}

// parseMountTable reads the fstab(5) format shared by /proc/mounts: six fields
// separated by white space, the last two optional, octal escapes for spaces.
// Comments and blank lines are ignored, short lines recorded as skipped.
func parseMountTable(file string, data []byte, skip *skipped.List) []mountEntry {
	var out []mountEntry
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 {
			skip.Add(file, n, "fewer than 3 fields")
			continue
		}
		opts := "defaults"
		if len(f) > 3 {
			opts = f[3]
		}
		out = append(out, mountEntry{Source: unescapeOctal(f[0]), Point: unescapeOctal(f[1]), RawPt: f[1], FSType: f[2], Options: opts})
	}
	if sc.Err() != nil {
		skip.Add(file, n+1, "line too long; rest of file ignored")
	}
	return out
}

// unescapeOctal decodes the \NNN escapes the kernel and fstab use for white space.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountTable returns the live mount table, or nil when the root has none (a
// fixture without /proc).
func mountTable(ctx context.Context, env *sca.Env) ([]mountEntry, error) {
	v, err := env.Shared("mounts", func() (any, error) {
		var skip skipped.List
		for _, p := range []string{"/proc/self/mounts", "/proc/mounts"} {
			b, err := env.Root.ReadFile(p, 16<<20)
			if err == nil {
				return parseMountTable(p, b, &skip), nil
			}
		}
		return []mountEntry(nil), nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]mountEntry), nil
}

func fstabEntries(env *sca.Env) ([]mountEntry, error) {
	b, err := env.Root.ReadFile("/etc/fstab", 4<<20)
	if err != nil {
		return nil, err
	}
	var skip skipped.List
	return parseMountTable("/etc/fstab", b, &skip), nil
}

func mountLines(es []mountEntry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.RawPt+" "+e.FSType+" "+e.Options)
	}
	return out
}

// probeMounts: MOUNTPOINT FSTYPE OPTIONS per mounted file system; /etc/fstab
// on a root without a mount table.
func probeMounts(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("mounts", args); err != nil {
		return nil, err
	}
	es, err := mountTable(ctx, env)
	if err != nil {
		return nil, err
	}
	if es == nil {
		if es, err = fstabEntries(env); err != nil {
			return nil, notApplicable("no mount table and no /etc/fstab")
		}
	}
	return mountLines(es), nil
}

// probeFstab: MOUNTPOINT FSTYPE OPTIONS per /etc/fstab entry.
func probeFstab(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("fstab", args); err != nil {
		return nil, err
	}
	es, err := fstabEntries(env)
	if err != nil {
		return nil, notApplicable("no /etc/fstab")
	}
	return mountLines(es), nil
}
