package services

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// activity tells running units from stopped ones when systemd's runtime state
// is visible below the root: /run/systemd/system exists (systemd is the running
// manager) and the unified cgroup hierarchy is mounted.
type activity struct {
	root  hostfs.Root
	known bool
}

func newActivity(root hostfs.Root) activity {
	_, errRun := root.Stat("/run/systemd/system")
	_, errCG := root.Stat("/sys/fs/cgroup/system.slice")
	return activity{root: root, known: errRun == nil && errCG == nil}
}

// of returns the activity of a unit. Only services are judged: a service is
// active when its cgroup exists in a slice (system.slice, or one or two levels
// of other slices). Oneshot services that stay active after their process
// exited have no cgroup and are reported inactive; other unit types are
// "unknown".
func (a activity) of(name, state string) string {
	if !a.known || !strings.HasSuffix(name, ".service") || strings.HasSuffix(name, "@.service") {
		return ActiveUnknown
	}
	if state == StateMasked {
		return ActiveInactive
	}
	for _, pat := range []string{"/sys/fs/cgroup/*.slice/", "/sys/fs/cgroup/*.slice/*.slice/"} {
		if m, _ := a.root.Glob(pat + globEscape(name)); len(m) > 0 {
			return ActiveActive
		}
	}
	return ActiveInactive
}

// globEscape quotes the pattern characters of a unit name ("\x2d" escapes).
func globEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
