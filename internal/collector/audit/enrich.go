package audit

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// ContainerID returns the container ID in the contents of /proc/<pid>/cgroup,
// or "" for a process outside containers: the last 64-hex-digit path
// component (docker-<id>.scope, cri-containerd-<id>.scope, /docker/<id>,
// /kubepods/.../<id>, libpod-<id>).
func ContainerID(cgroup []byte) string {
	if len(cgroup) > 64<<10 {
		cgroup = cgroup[:64<<10]
	}
	id := ""
	for _, line := range bytes.Split(cgroup, []byte("\n")) {
		// hierarchy-ID:controllers:path
		parts := bytes.SplitN(line, []byte(":"), 3)
		if len(parts) != 3 {
			continue
		}
		for _, comp := range strings.Split(string(parts[2]), "/") {
			comp = strings.TrimSuffix(comp, ".scope")
			if i := strings.LastIndexAny(comp, "-"); i >= 0 {
				comp = comp[i+1:]
			}
			if isHex64(comp) {
				id = comp
			}
		}
	}
	return id
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// procInfo is what /proc says about a parent process.
type procInfo struct {
	exe       string
	container string
	at        time.Time
}

// enricher adds what audit records lack from /proc, with a short-lived cache
// per parent pid.
type enricher struct {
	root  hostfs.Root
	now   func() time.Time
	cache map[int64]procInfo
}

const (
	enrichTTL      = 5 * time.Second
	enrichCacheMax = 4096
	cgroupLimit    = 64 << 10
)

func newEnricher(root hostfs.Root, now func() time.Time) *enricher {
	return &enricher{root: root, now: now, cache: map[int64]procInfo{}}
}

// parent returns the cached or freshly read information of pid.
func (e *enricher) parent(pid int64) procInfo {
	now := e.now()
	if pi, ok := e.cache[pid]; ok && now.Sub(pi.at) < enrichTTL {
		return pi
	}
	pi := procInfo{at: now}
	base := "/proc/" + strconv.FormatInt(pid, 10)
	pi.exe, _ = e.root.Readlink(base + "/exe")
	pi.exe = strings.TrimSuffix(pi.exe, " (deleted)")
	if b, err := e.root.ReadFile(base+"/cgroup", cgroupLimit); err == nil {
		pi.container = ContainerID(b)
	}
	if len(e.cache) >= enrichCacheMax {
		clear(e.cache)
	}
	e.cache[pid] = pi
	return pi
}

// enrich sets the parent's executable and container.id of an event whose
// acting process is pid.
func (e *enricher) enrich(ev *event.Event, pid int64) {
	p := ev.Process
	if p == nil {
		return
	}
	container := ""
	if pid > 0 {
		if b, err := e.root.ReadFile("/proc/"+strconv.FormatInt(pid, 10)+"/cgroup", cgroupLimit); err == nil {
			container = ContainerID(b)
		} else if p.PPID != nil {
			container = e.parent(*p.PPID).container
		}
	}
	if p.PPID != nil && *p.PPID > 0 && (p.Parent == nil || p.Parent.Executable == "") {
		if pi := e.parent(*p.PPID); pi.exe != "" {
			if p.Parent == nil {
				p.Parent = &event.ProcessRef{PID: p.PPID}
			}
			p.Parent.Executable = pi.exe
			p.Parent.Name = pi.exe[strings.LastIndexByte(pi.exe, '/')+1:]
		}
	}
	if container != "" {
		if ev.Container == nil {
			ev.Container = &event.Container{}
		}
		ev.Container.ID = container
	}
}
