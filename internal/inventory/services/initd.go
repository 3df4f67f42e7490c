package services

import (
	"bytes"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

const maxScript = 1 << 20

// isOpenRC reports an OpenRC host: it has /etc/runlevels or openrc-run.
func isOpenRC(root hostfs.Root) bool {
	for _, p := range []string{"/etc/runlevels", "/sbin/openrc-run", "/usr/sbin/openrc-run"} {
		if _, err := root.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// initScripts lists the regular executable files of /etc/init.d.
func initScripts(root hostfs.Root) []string {
	ents, err := root.ReadDir("/etc/init.d")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || strings.HasSuffix(n, "~") || n == "README" || n == "skeleton" {
			continue
		}
		fi, err := root.Stat(path.Join("/etc/init.d", n))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
			continue
		}
		out = append(out, n)
	}
	return out
}

// collectOpenRC lists /etc/init.d services with the runlevels that link them.
// A service is active when /run/openrc/started/<name> exists, inactive when
// /run/openrc exists without it, unknown otherwise.
func collectOpenRC(root hostfs.Root, sk *skipped.List) []Service {
	levels := map[string][]string{}
	if ents, err := root.ReadDir("/etc/runlevels"); err == nil {
		for _, lv := range ents {
			links, err := root.ReadDir(path.Join("/etc/runlevels", lv.Name()))
			if err != nil {
				continue
			}
			for _, l := range links {
				levels[l.Name()] = append(levels[l.Name()], lv.Name())
			}
		}
	}
	_, errRun := root.Stat("/run/openrc")
	var out []Service
	for _, n := range initScripts(root) {
		s := Service{Name: n, Manager: ManagerOpenRC, State: StateDisabled, Active: ActiveUnknown,
			UnitFile: path.Join("/etc/init.d", n), EnabledBy: levels[n]}
		if len(s.EnabledBy) > 0 {
			s.State = StateEnabled
		}
		if errRun == nil {
			s.Active = ActiveInactive
			if _, err := root.Lstat(path.Join("/run/openrc/started", n)); err == nil {
				s.Active = ActiveActive
			}
		}
		s.Description = scriptDescription(root, s.UnitFile, sk)
		out = append(out, s)
	}
	return out
}

var (
	openrcDesc = regexp.MustCompile(`(?m)^\s*description=["']?([^"'\n]*)`)
	lsbDesc    = regexp.MustCompile(`(?m)^#\s*Short-Description:\s*(.*)$`)
)

func scriptDescription(root hostfs.Root, file string, sk *skipped.List) string {
	data, err := root.ReadFile(file, maxScript)
	if err != nil {
		sk.Add(file, 0, "unreadable init script: %v", err)
		return ""
	}
	return ScriptDescription(data)
}

// ScriptDescription returns an init script's description: OpenRC's
// description= variable or the LSB header's Short-Description.
func ScriptDescription(data []byte) string {
	for _, re := range []*regexp.Regexp{openrcDesc, lsbDesc} {
		if m := re.FindSubmatch(data); m != nil {
			return string(bytes.TrimSpace(m[1]))
		}
	}
	return ""
}

// rcLink matches SysV start links such as S01ssh or S20nginx.
var rcLink = regexp.MustCompile(`^S[0-9]{2}(.+)$`)

// collectSysV lists /etc/init.d scripts with the runlevels whose /etc/rc?.d
// directory has a start link to them.
func collectSysV(root hostfs.Root, sk *skipped.List) []Service {
	scripts := initScripts(root)
	if len(scripts) == 0 {
		return nil
	}
	levels := map[string][]string{}
	dirs, _ := root.Glob("/etc/rc?.d")
	for _, d := range dirs {
		ents, err := root.ReadDir(d)
		if err != nil {
			continue
		}
		lv := strings.TrimSuffix(strings.TrimPrefix(d, "/etc/rc"), ".d")
		for _, e := range ents {
			m := rcLink.FindStringSubmatch(e.Name())
			if m == nil || e.Type()&fs.ModeSymlink == 0 && !e.Type().IsRegular() {
				continue
			}
			name := m[1]
			if t, err := root.Readlink(path.Join(d, e.Name())); err == nil {
				name = path.Base(t)
			}
			if !contains(levels[name], lv) {
				levels[name] = append(levels[name], lv)
			}
		}
	}
	var out []Service
	for _, n := range scripts {
		s := Service{Name: n, Manager: ManagerSysV, State: StateDisabled, Active: ActiveUnknown,
			UnitFile: path.Join("/etc/init.d", n), EnabledBy: levels[n]}
		sort.Strings(s.EnabledBy)
		if len(s.EnabledBy) > 0 {
			s.State = StateEnabled
		}
		s.Description = scriptDescription(root, s.UnitFile, sk)
		out = append(out, s)
	}
	return out
}
