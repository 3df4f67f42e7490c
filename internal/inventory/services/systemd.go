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
// linked from /run only, for this boot). Template names ("getty@.service") are
// keyed by the instances linked ("getty@tty1.service") in instances.
// aliased marks units that an alias link in a configuration directory points to.
type enablement struct {
	by         map[string][]string
	persistent map[string]bool
	instances  map[string][]string
	aliased    map[string]bool
}

func findEnablement(root hostfs.Root) enablement {
	e := enablement{by: map[string][]string{}, persistent: map[string]bool{},
		instances: map[string][]string{}, aliased: map[string]bool{}}
	for _, dir := range configDirs {
		ents, err := root.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, d := range ents {
			if d.Type()&fs.ModeSymlink != 0 && isUnitName(d.Name()) {
				if t, err := root.Readlink(path.Join(dir, d.Name())); err == nil && t != "/dev/null" && path.Base(t) != d.Name() {
					e.aliased[path.Base(t)] = true
				}
				continue
			}
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
				tmpl, isInstance := templateOf(l.Name())
				if isInstance && !contains(e.instances[tmpl], l.Name()) {
					e.instances[tmpl] = append(e.instances[tmpl], l.Name())
				}
				// A link under another name enables its target, except an
				// instance link to its own template.
				if t, err := root.Readlink(path.Join(dir, d.Name(), l.Name())); err == nil &&
					path.Base(t) != l.Name() && !(isInstance && path.Base(t) == tmpl) {
					names = append(names, path.Base(t))
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
	// An alias of a masked unit is masked too, as systemctl reports it.
	masked := map[string]bool{}
	for _, s := range out {
		if s.State == StateMasked {
			masked[s.Name] = true
		}
	}
	for i := range out {
		if out[i].State == StateAlias && masked[out[i].Target] {
			out[i].State = StateMasked
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
	if u.Invalid {
		s.State = StateBad
		return s
	}
	enabledAs := name
	if inst := en.instances[name]; len(inst) > 0 && len(en.by[name]) == 0 {
		// A template is enabled when its DefaultInstance is; other enabled
		// instances make it "indirect".
		enabledAs = ""
		if d := u.Install["DefaultInstance"]; len(d) > 0 {
			if n := strings.Replace(name, "@.", "@"+d[len(d)-1]+".", 1); contains(inst, n) {
				enabledAs = n
			}
		}
		if enabledAs == "" {
			s.State = StateIndirect
			return s
		}
	}
	if by := en.by[enabledAs]; len(by) > 0 {
		s.EnabledBy = by
		s.State = StateEnabled
		if !en.persistent[enabledAs] {
			s.State = StateEnabledRuntime
		}
		return s
	}
	switch {
	case s.Target != "":
		s.State = StateLinked
	case en.aliased[name]:
		s.State = StateIndirect
	default:
		s.State = u.installState()
	}
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
