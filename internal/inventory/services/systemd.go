package services

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// unitDirs are the system unit directories in systemd's order of precedence.
// /lib/systemd/system is the pre-merged-/usr location.
var unitDirs = []string{
	"/etc/systemd/system",
	"/run/systemd/system",
	"/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system",
	"/lib/systemd/system",
}

// configDirs hold administrator enablement links (runtime ones in /run).
var configDirs = []string{"/etc/systemd/system", "/run/systemd/system"}

var unitSuffixes = []string{
	".service", ".socket", ".timer", ".path", ".target", ".mount", ".automount",
	".swap", ".slice", ".scope", ".device",
}

func isUnitName(n string) bool {
	for _, s := range unitSuffixes {
		if len(n) > len(s) && strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

const maxUnitFile = 1 << 20

// templateOf returns "getty@.service" for "getty@tty1.service".
func templateOf(name string) (string, bool) {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at || at+1 == dot {
		return "", false
	}
	return name[:at+1] + name[dot:], true
}

// enablement maps unit names to the targets whose .wants/.requires/.upholds
// directories link them; persistent marks those linked from /etc (the rest are
// linked from /run only, for this boot).
type enablement struct {
	by         map[string][]string
	persistent map[string]bool
}

func findEnablement(root hostfs.Root) enablement {
	e := enablement{by: map[string][]string{}, persistent: map[string]bool{}}
	for _, dir := range configDirs {
		ents, err := root.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, d := range ents {
			target, kind := "", ""
			for _, k := range []string{".wants", ".requires", ".upholds"} {
				if t, ok := cutSuffix(d.Name(), k); ok {
					target, kind = t, k
				}
			}
			if kind == "" {
				continue
			}
			links, err := root.ReadDir(path.Join(dir, d.Name()))
			if err != nil {
				continue
			}
			for _, l := range links {
				names := []string{l.Name()}
				if t, err := root.Readlink(path.Join(dir, d.Name(), l.Name())); err == nil {
					names = append(names, path.Base(t))
				}
				for _, n := range names {
					if tmpl, ok := templateOf(n); ok {
						names = append(names, tmpl)
					}
				}
				for _, n := range names {
					if !contains(e.by[n], target) {
						e.by[n] = append(e.by[n], target)
					}
					if dir == "/etc/systemd/system" {
						e.persistent[n] = true
					}
				}
			}
		}
	}
	return e
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// collectSystemd lists unit files. A unit name is taken from the first
// directory that has it.
func collectSystemd(ctx context.Context, root hostfs.Root, sk *skipped.List) ([]Service, error) {
	en := findEnablement(root)
	act := newActivity(root)
	seen := map[string]bool{}
	var out []Service
	for _, dir := range unitDirs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ents, err := root.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, d := range ents {
			name := d.Name()
			if !isUnitName(name) || seen[name] {
				continue
			}
			seen[name] = true
			s := unitService(root, dir, name, en, sk)
			if s.State == StateAlias {
				s.Active = act.of(s.Target, "")
			} else {
				s.Active = act.of(name, s.State)
			}
			out = append(out, s)
		}
	}
	return out, nil
}

func unitService(root hostfs.Root, dir, name string, en enablement, sk *skipped.List) Service {
	s := Service{Name: name, Manager: ManagerSystemd, UnitFile: path.Join(dir, name)}
	file := s.UnitFile
	if fi, err := root.Lstat(file); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		t, err := root.Readlink(file)
		if err != nil {
			s.State = StateBad
			return s
		}
		if !path.IsAbs(t) {
			t = path.Join(dir, t)
		}
		switch {
		case t == "/dev/null":
			s.State = StateMasked
			return s
		case path.Base(t) != name:
			s.State, s.Target = StateAlias, path.Base(t)
			return s
		case !inUnitDir(t):
			s.Target = t
		}
		file = t
	}
	data, err := root.ReadFile(file, maxUnitFile)
	if err != nil {
		sk.Add(file, 0, "unreadable unit: %v", err)
		s.State = StateBad
		return s
	}
	u := ParseUnit(file, data, sk)
	s.Description = u.Description
	if by := en.by[name]; len(by) > 0 {
		s.EnabledBy = by
		s.State = StateEnabled
		if !en.persistent[name] {
			s.State = StateEnabledRuntime
		}
		return s
	}
	if s.Target != "" {
		s.State = StateLinked
		return s
	}
	s.State = u.installState()
	return s
}

func inUnitDir(p string) bool {
	d := path.Dir(p)
	for _, u := range unitDirs {
		if d == u {
			return true
		}
	}
	return false
}
