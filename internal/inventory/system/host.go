// Package system collects a host's basic facts: operating system (os-release),
// kernel, architecture, CPUs, memory, uptime, boot time, machine ID, timezone,
// virtualisation, and its network interfaces with their addresses.
//
// Everything is read through a hostfs.Root from /etc, /proc and /sys, so Collect
// and Interfaces run the same on the live host and on a fixture tree. Only the
// architecture falls back to uname(2), and only on the live host. The parsers
// (ParseOSRelease, ParseFibTrie, ...) are pure and exported for other packages.
package system

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Host is the basic information about one host.
type Host struct {
	Hostname         string `json:"hostname"`
	OS               OS     `json:"os"`
	Kernel           Kernel `json:"kernel"`
	Arch             string `json:"arch,omitempty"`
	CPUCount         int    `json:"cpu_count,omitempty"`
	CPUModel         string `json:"cpu_model,omitempty"`
	MemoryTotalBytes uint64 `json:"memory_total_bytes,omitempty"`
	UptimeSeconds    int64  `json:"uptime_seconds,omitempty"`
	BootTime         string `json:"boot_time,omitempty"` // RFC 3339, UTC
	MachineID        string `json:"machine_id,omitempty"`
	Virtualization   string `json:"virtualization,omitempty"`
	Timezone         string `json:"timezone,omitempty"`
}

// Kernel is the running kernel.
type Kernel struct {
	Release string `json:"release,omitempty"` // /proc/sys/kernel/osrelease
	Version string `json:"version,omitempty"` // /proc/sys/kernel/version
}

// smallFile bounds the one-line and small files read here; cpuinfo is larger.
const (
	smallFile   = 64 << 10
	cpuinfoFile = 4 << 20
)

// Collect reads the host's basic facts. Missing files leave their fields empty;
// files that exist but cannot be read or parsed are recorded in the skipped list.
// The error is non-nil only when ctx is done.
func Collect(ctx context.Context, root hostfs.Root) (Host, skipped.List, error) {
	c := collector{root: root}
	var h Host
	if err := ctx.Err(); err != nil {
		return h, nil, err
	}
	h.OS = c.os()
	h.Hostname = c.first("/proc/sys/kernel/hostname", "/etc/hostname")
	h.Kernel.Release = c.first("/proc/sys/kernel/osrelease")
	h.Kernel.Version = c.first("/proc/sys/kernel/version")
	h.Arch = c.first("/proc/sys/kernel/arch")
	if h.Arch == "" && root.IsLive() {
		h.Arch = unameMachine()
	}
	c.cpus(&h)
	if b, ok := c.read("/proc/meminfo", smallFile); ok {
		v, err := ParseMemTotal(b)
		h.MemoryTotalBytes = parsed(&c, "/proc/meminfo", v, err)
	}
	if b, ok := c.read("/proc/uptime", smallFile); ok {
		v, err := ParseUptime(b)
		h.UptimeSeconds = parsed(&c, "/proc/uptime", v, err)
	}
	if b, ok := c.read("/proc/stat", smallFile*4); ok {
		if t, err := ParseBootTime(b); c.ok("/proc/stat", err) {
			h.BootTime = t.Format(time.RFC3339)
		}
	}
	h.MachineID = c.first("/etc/machine-id", "/var/lib/dbus/machine-id")
	h.Timezone = c.timezone()
	h.Virtualization = c.virtualization()
	return h, c.skip, ctx.Err()
}

// collector carries the root and the skipped list through one Collect.
type collector struct {
	root hostfs.Root
	skip skipped.List
}

// read returns a file's content; false when it is missing or unreadable (the
// latter recorded).
func (c *collector) read(name string, limit int64) ([]byte, bool) {
	b, err := c.root.ReadFile(name, limit)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.skip.Add(name, 0, "read: %v", err)
		}
		return nil, false
	}
	return b, true
}

// first returns the trimmed first line of the first of names that exists and is
// not empty.
func (c *collector) first(names ...string) string {
	for _, n := range names {
		if b, ok := c.read(n, smallFile); ok {
			line, _, _ := strings.Cut(string(b), "\n")
			if s := strings.TrimSpace(line); s != "" {
				return s
			}
		}
	}
	return ""
}

func (c *collector) ok(name string, err error) bool {
	if err != nil {
		c.skip.Add(name, 0, "%v", err)
		return false
	}
	return true
}

// parsed returns v, or the zero value with err recorded against name.
func parsed[T any](c *collector, name string, v T, err error) T {
	if !c.ok(name, err) {
		var zero T
		return zero
	}
	return v
}

// os reads /etc/os-release, falling back to /usr/lib/os-release.
func (c *collector) os() OS {
	for _, name := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		b, ok := c.read(name, smallFile)
		if !ok {
			continue
		}
		rel, skip := ParseOSRelease(b)
		for _, s := range skip {
			s.File = name
			c.skip = append(c.skip, s)
		}
		return rel.OS
	}
	return osFromFields(nil)
}

// cpus sets the CPU count (online CPUs, else cpuinfo processors) and model.
func (c *collector) cpus(h *Host) {
	if b, ok := c.read("/sys/devices/system/cpu/online", smallFile); ok {
		n, err := ParseCPUList(b)
		if c.ok("/sys/devices/system/cpu/online", err) {
			h.CPUCount = n
		}
	}
	if b, ok := c.read("/proc/cpuinfo", cpuinfoFile); ok {
		ci := ParseCPUInfo(b)
		h.CPUModel = ci.Model
		if h.CPUCount == 0 {
			h.CPUCount = ci.Processors
		}
	}
}

// timezone is /etc/timezone, else the zone name /etc/localtime links to.
func (c *collector) timezone() string {
	if tz := c.first("/etc/timezone"); tz != "" {
		return tz
	}
	target, err := c.root.Readlink("/etc/localtime")
	if err != nil {
		return ""
	}
	if _, zone, ok := strings.Cut(target, "zoneinfo/"); ok {
		return path.Clean(zone)
	}
	return ""
}

// virtualization names the container or hypervisor when a well-known marker file
// says so; it does not probe CPUID or DMI tables beyond sys_vendor.
func (c *collector) virtualization() string {
	if v := c.first("/run/systemd/container"); v != "" {
		return v
	}
	for _, m := range []struct{ file, name string }{
		{"/.dockerenv", "docker"},
		{"/run/.containerenv", "podman"},
	} {
		if _, err := c.root.Lstat(m.file); err == nil {
			return m.name
		}
	}
	if v := c.first("/sys/hypervisor/type"); v != "" {
		return v
	}
	vendor := c.first("/sys/class/dmi/id/sys_vendor")
	for _, m := range dmiVendors {
		if strings.Contains(vendor, m.vendor) {
			return m.name
		}
	}
	return ""
}

var dmiVendors = []struct{ vendor, name string }{
	{"QEMU", "qemu"},
	{"VMware", "vmware"},
	{"innotek GmbH", "oracle"},
	{"Microsoft Corporation", "microsoft"},
	{"Xen", "xen"},
	{"Amazon EC2", "amazon"},
	{"Google", "google"},
	{"Parallels", "parallels"},
	{"Bochs", "bochs"},
}
