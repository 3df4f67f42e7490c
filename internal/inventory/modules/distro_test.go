package modules

import (
	"context"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// TestDistroFixtures checks the module findings of the shared fixture trees
// (testdata/rootfs/README.md).
func TestDistroFixtures(t *testing.T) {
	tests := []struct {
		distro   string
		disabled []string
		enabled  []string // can still be loaded
		loaded   []string
	}{
		{"debian12", []string{"dccp", "sctp", "rds", "tipc", "cramfs"}, []string{"usb-storage", "squashfs"}, []string{"usb_storage"}},
		{"ubuntu2204", nil, []string{"dccp", "cramfs"}, []string{"dccp", "squashfs", "overlay", "bridge"}},
		{"alma9", []string{"cramfs", "squashfs", "udf", "usb-storage", "dccp", "sctp"}, []string{"tipc"}, nil},
		{"alpine3", nil, []string{"cramfs", "dccp"}, []string{"usb-storage"}},
	}
	for _, tt := range tests {
		t.Run(tt.distro, func(t *testing.T) {
			root, err := hostfs.New("../../../testdata/rootfs/" + tt.distro)
			if err != nil {
				t.Fatal(err)
			}
			inv, sk, err := Collect(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			if len(sk) != 0 {
				t.Errorf("skipped %v", sk)
			}
			if !inv.LoadedKnown || len(inv.Loaded) == 0 {
				t.Errorf("no loaded modules read")
			}
			for _, m := range tt.disabled {
				if ok, why := inv.Config.Disabled(m); !ok {
					t.Errorf("%s not disabled: %s", m, why)
				}
			}
			for _, m := range tt.enabled {
				if ok, why := inv.Config.Disabled(m); ok {
					t.Errorf("%s disabled: %s", m, why)
				}
			}
			for _, m := range tt.loaded {
				if !inv.IsLoaded(m) {
					t.Errorf("%s not loaded", m)
				}
			}
		})
	}
}
