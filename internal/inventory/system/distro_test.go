package system

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// distroRoot returns the shared fixture tree testdata/rootfs/<name> at the module
// root, skipping the test when it is absent.
func distroRoot(tb testing.TB, name string) hostfs.Root {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "testdata", "rootfs", name)
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("fixture tree %s: %v", name, err)
	}
	return mustRoot(tb, dir)
}

func TestDistroTrees(t *testing.T) {
	tests := []struct {
		tree, hostname, id, versionID, kernel string
		eth0                                  []string
	}{
		{"debian12", "web01", "debian", "12", "6.1.0-18-amd64", []string{"10.0.2.15/24", "fe80::5054:ff:fe12:3456/64"}},
		{"ubuntu2204", "cache02", "ubuntu", "22.04", "5.15.0-97-generic", []string{"172.31.20.15/20", "fe80::8ff:2aff:fe11:4c3d/64"}},
		{"alma9", "db03.example.com", "almalinux", "9.3", "5.14.0-362.8.1.el9_3.x86_64", []string{"10.20.4.13/24", "fe80::250:56ff:fe9a:1b2c/64"}},
		{"alpine3", "edge04", "alpine", "3.19.1", "6.6.14-0-lts", []string{"192.168.50.4/24", "fe80::5054:ff:fe7a:9b1c/64"}},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			root := distroRoot(t, tt.tree)
			h, skip, err := Collect(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			if len(skip) > 0 {
				t.Errorf("skipped: %v", skip)
			}
			if h.Hostname != tt.hostname || h.OS.ID != tt.id || h.OS.VersionID != tt.versionID || h.Kernel.Release != tt.kernel {
				t.Errorf("host %+v", h)
			}
			if h.CPUCount == 0 || h.MemoryTotalBytes == 0 || h.BootTime == "" || h.MachineID == "" {
				t.Errorf("incomplete host %+v", h)
			}
			ifs, skip, err := Interfaces(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			if len(skip) > 0 {
				t.Errorf("skipped: %v", skip)
			}
			got := make(map[string][]string)
			for _, i := range ifs {
				got[i.Name] = i.Addresses
			}
			if !slices.Equal(got["eth0"], tt.eth0) {
				t.Errorf("eth0 addresses %v, want %v", got["eth0"], tt.eth0)
			}
			if want := []string{"127.0.0.1/8", "::1/128"}; !slices.Equal(got["lo"], want) {
				t.Errorf("lo addresses %v, want %v", got["lo"], want)
			}
		})
	}
}
