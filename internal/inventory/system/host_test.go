package system

import (
	"context"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func mustRoot(tb testing.TB, dir string) hostfs.Root {
	tb.Helper()
	r, err := hostfs.New(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func TestCollectFixture(t *testing.T) {
	tests := []struct {
		name     string
		dir      string
		want     Host
		nSkipped int
	}{
		{
			name: "web1",
			dir:  "testdata/rootfs/web1",
			want: Host{
				Hostname: "web1.example.net",
				OS: OS{Name: "Debian GNU/Linux", Version: "12 (bookworm)", VersionID: "12", ID: "debian",
					PrettyName: "Debian GNU/Linux 12 (bookworm)", Codename: "bookworm"},
				Kernel:           Kernel{Release: "6.1.0-18-amd64", Version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"},
				Arch:             "x86_64",
				CPUCount:         4,
				CPUModel:         "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
				MemoryTotalBytes: 8128356 * 1024,
				UptimeSeconds:    12345,
				BootTime:         "2024-01-23T08:53:20Z",
				MachineID:        "4c4c4544003957108052b4c04f384b32",
				Timezone:         "Europe/Berlin",
			},
		},
		{
			// os-release only in /usr/lib, no arch file (must not fall back to
			// the live host's uname), CPU count from cpuinfo, bad uptime.
			name: "minimal",
			dir:  "testdata/rootfs/minimal",
			want: Host{
				OS:             OS{Name: "Alpine Linux", VersionID: "3.19.1", ID: "alpine", PrettyName: "Alpine Linux v3.19"},
				CPUCount:       2,
				CPUModel:       "ARMv7 Processor rev 4 (v7l)",
				Timezone:       "Etc/UTC",
				Virtualization: "docker",
			},
			nSkipped: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skip, err := Collect(context.Background(), mustRoot(t, tt.dir))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if len(skip) != tt.nSkipped {
				t.Errorf("skipped = %v, want %d entries", skip, tt.nSkipped)
			}
		})
	}
}

func TestCollectCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Collect(ctx, mustRoot(t, "testdata/rootfs/web1")); err == nil {
		t.Fatal("no error for a cancelled context")
	}
}

func TestCollectLive(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	h, skip, err := Collect(context.Background(), hostfs.Live())
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) > 0 {
		t.Errorf("skipped on the live host: %v", skip)
	}
	if want, _ := os.Hostname(); h.Hostname != want {
		t.Errorf("hostname %q, want %q", h.Hostname, want)
	}
	if out, err := exec.Command("uname", "-r").Output(); err == nil && h.Kernel.Release != strings.TrimSpace(string(out)) {
		t.Errorf("kernel release %q, uname -r %q", h.Kernel.Release, out)
	}
	if out, err := exec.Command("uname", "-m").Output(); err == nil && h.Arch != strings.TrimSpace(string(out)) {
		t.Errorf("arch %q, uname -m %q", h.Arch, out)
	}
	if h.CPUCount < 1 || h.MemoryTotalBytes == 0 || h.OS.ID == "" {
		t.Errorf("incomplete host: %+v", h)
	}
	boot, err := time.Parse(time.RFC3339, h.BootTime)
	if err != nil {
		t.Fatalf("boot time %q: %v", h.BootTime, err)
	}
	// boot time + uptime is now, give or take the rounding of both.
	if d := time.Since(boot.Add(time.Duration(h.UptimeSeconds) * time.Second)); d < -5*time.Second || d > 5*time.Second {
		t.Errorf("boot time %s + uptime %ds is %s away from now", h.BootTime, h.UptimeSeconds, d)
	}
}

func BenchmarkCollectLive(b *testing.B) {
	for b.Loop() {
		if _, _, err := Collect(context.Background(), hostfs.Live()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCollectFixture(b *testing.B) {
	root := mustRoot(b, "testdata/rootfs/web1")
	for b.Loop() {
		if _, _, err := Collect(context.Background(), root); err != nil {
			b.Fatal(err)
		}
	}
}
