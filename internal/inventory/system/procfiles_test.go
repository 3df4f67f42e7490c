package system

import (
	"testing"
	"time"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0\n", 1, true},
		{"0-3\n", 4, true},
		{"0-3,8,10-11", 7, true},
		{"", 0, false},
		{"3-1", 0, false},
		{"a", 0, false},
		{"0-", 0, false},
		{"-1", 0, false},
		{"0-4294967295", 0, false},
		{"0,,1", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCPUList([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %d, %v; want %d, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseCPUInfo(t *testing.T) {
	tests := []struct {
		name, in string
		want     CPUInfo
	}{
		{"x86", "processor\t: 0\nmodel name\t: Xeon\nprocessor\t: 1\nmodel name\t: Xeon\n", CPUInfo{2, "Xeon"}},
		{"arm prefers model name", "processor\t: 0\nProcessor\t: ARMv7\nmodel name\t: ARMv7 rev 4\n", CPUInfo{1, "ARMv7 rev 4"}},
		{"power", "processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\n", CPUInfo{1, "POWER9 (raw), altivec supported"}},
		{"empty", "", CPUInfo{}},
		{"garbage", "no colon here\n:\n", CPUInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseCPUInfo([]byte(tt.in)); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMemTotal(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"MemTotal:        8128356 kB\nMemFree: 1 kB\n", 8128356 * 1024, true},
		{"MemFree: 1 kB\nMemTotal: 42\n", 42, true},
		{"MemTotal: x kB", 0, false},
		{"MemTotal: 1 MB", 0, false},
		{"MemTotal:", 0, false},
		{"MemTotal: 18446744073709551615 kB", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseMemTotal([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %d, %v; want %d, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseUptimeAndBootTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
		ok   bool
	}{{"350.96 690.02\n", 350, true}, {"", 0, false}, {"-1 0", 0, false}, {"NaN 1", 0, false}, {"1e300 1", 0, false}} {
		t.Run("uptime "+tt.in, func(t *testing.T) {
			got, err := ParseUptime([]byte(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %d, %v; want %d, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
	for _, tt := range []struct {
		in   string
		want string
		ok   bool
	}{{"cpu 1 2\nbtime 1706000000\nprocesses 3\n", "2024-01-23T08:53:20Z", true}, {"cpu 1\n", "", false}, {"btime x\n", "", false}, {"btime -5\n", "", false}} {
		t.Run("btime "+tt.in, func(t *testing.T) {
			got, err := ParseBootTime([]byte(tt.in))
			if (err == nil) != tt.ok || (tt.ok && got.Format(time.RFC3339) != tt.want) {
				t.Errorf("got %v, %v; want %s, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}

func FuzzProcFiles(f *testing.F) {
	for _, p := range []string{"meminfo", "cpuinfo", "stat", "uptime"} {
		seedFiles(f, "testdata/rootfs/*/proc/"+p)
	}
	seedFiles(f, "testdata/rootfs/*/sys/devices/system/cpu/online")
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := ParseCPUList(b); err == nil && (n < 1 || n > maxCPUs) {
			t.Fatalf("cpu count %d", n)
		}
		ParseCPUInfo(b)
		ParseMemTotal(b)
		if v, err := ParseUptime(b); err == nil && v < 0 {
			t.Fatalf("negative uptime %d", v)
		}
		ParseBootTime(b)
	})
}
