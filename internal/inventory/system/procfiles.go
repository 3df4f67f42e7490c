package system

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxCPUs bounds CPU lists so that a corrupt "0-4294967295" cannot make a caller
// loop for ever; no Linux build supports more.
const maxCPUs = 1 << 16

// ParseCPUList counts the CPUs in a kernel CPU list such as
// /sys/devices/system/cpu/online ("0-3,8,10-11").
func ParseCPUList(data []byte) (int, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return 0, errors.New("empty cpu list")
	}
	n := 0
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, fmt.Errorf("cpu list %q: bad cpu number", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("cpu list %q: bad range", part)
			}
		}
		n += b - a + 1
		if n > maxCPUs || b >= maxCPUs {
			return 0, fmt.Errorf("cpu list %q: more than %d cpus", part, maxCPUs)
		}
	}
	return n, nil
}

// CPUInfo is what the inventory takes from /proc/cpuinfo.
type CPUInfo struct {
	Processors int    // "processor" entries
	Model      string // first model name
}

// ParseCPUInfo reads /proc/cpuinfo. The model comes from "model name" (x86),
// falling back to the names other architectures use ("cpu model", "Processor",
// "cpu", "uarch").
func ParseCPUInfo(data []byte) CPUInfo {
	var ci CPUInfo
	rank := len(modelKeys)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "processor" {
			ci.Processors++
			continue
		}
		for i, mk := range modelKeys[:rank] {
			if k == mk && v != "" {
				ci.Model, rank = v, i
				break
			}
		}
	}
	return ci
}

var modelKeys = []string{"model name", "cpu model", "Processor", "cpu", "uarch"}

// ParseMemTotal returns MemTotal from /proc/meminfo, in bytes.
func ParseMemTotal(data []byte) (uint64, error) {
	for line := range strings.SplitSeq(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 || len(f) > 2 {
			return 0, fmt.Errorf("meminfo: bad MemTotal line %q", line)
		}
		v, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("meminfo: MemTotal: %w", err)
		}
		mult := uint64(1)
		if len(f) == 2 {
			if f[1] != "kB" {
				return 0, fmt.Errorf("meminfo: unknown unit %q", f[1])
			}
			mult = 1024
		}
		if v > ^uint64(0)/mult {
			return 0, errors.New("meminfo: MemTotal overflows")
		}
		return v * mult, nil
	}
	return 0, errors.New("meminfo: no MemTotal")
}

// ParseUptime returns the first field of /proc/uptime, in whole seconds.
func ParseUptime(data []byte) (int64, error) {
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, errors.New("uptime: empty")
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || !(v >= 0 && v <= 1e12) { // also rejects NaN
		return 0, fmt.Errorf("uptime: bad value %q", f[0])
	}
	return int64(v), nil
}

// ParseBootTime returns the "btime" line of /proc/stat: the boot time in seconds
// since the epoch.
func ParseBootTime(data []byte) (time.Time, error) {
	for line := range strings.SplitSeq(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "btime ")
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		if err != nil || v < 0 || v > 1<<40 {
			return time.Time{}, fmt.Errorf("stat: bad btime %q", rest)
		}
		return time.Unix(v, 0).UTC(), nil
	}
	return time.Time{}, errors.New("stat: no btime")
}
