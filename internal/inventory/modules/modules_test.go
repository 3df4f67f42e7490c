package modules

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func collectFixture(t *testing.T) (Inventory, skipped.List) {
	t.Helper()
	root, err := hostfs.New("testdata/rootfs")
	if err != nil {
		t.Fatal(err)
	}
	inv, sk, err := Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	return inv, sk
}

func TestLoaded(t *testing.T) {
	inv, sk := collectFixture(t)
	if !inv.LoadedKnown || len(inv.Loaded) != 5 {
		t.Fatalf("loaded = %+v", inv.Loaded)
	}
	want := Module{Name: "vboxdrv", Size: 585728, RefCount: 2, UsedBy: []string{"vboxnetadp", "vboxnetflt"}, State: "Live", Taint: "OE"}
	if !reflect.DeepEqual(inv.Loaded[3], want) {
		t.Errorf("vboxdrv = %+v", inv.Loaded[3])
	}
	if inv.Loaded[2].UsedBy != nil || inv.Loaded[4].State != "Loading" {
		t.Errorf("uas/dccp = %+v %+v", inv.Loaded[2], inv.Loaded[4])
	}
	if !inv.IsLoaded("usb-storage") || inv.IsLoaded("cramfs") {
		t.Error("IsLoaded wrong")
	}
	var lines []string
	for _, l := range sk {
		lines = append(lines, l.String())
	}
	want2 := []string{
		"/proc/modules:6: expected at least 5 fields, got 2",
		"/proc/modules:7: bad size or reference count",
		`/etc/modprobe.d/CIS.conf:13: unknown command "frobnicate"`,
		"/etc/modprobe.d/CIS.conf:14: install: missing arguments",
	}
	if !reflect.DeepEqual(lines, want2) {
		t.Errorf("skipped:\n%s", strings.Join(lines, "\n"))
	}
}

func TestDisabled(t *testing.T) {
	inv, _ := collectFixture(t)
	c := &inv.Config
	if want := []string{"/usr/lib/modprobe.d/00-vendor.conf", "/etc/modprobe.d/CIS.conf", "/lib/modprobe.d/tipc.conf"}; !reflect.DeepEqual(c.Files, want) {
		t.Errorf("Files = %v, want %v", c.Files, want)
	}
	tests := []struct {
		name     string
		disabled bool
		why      string
	}{
		// 00-vendor.conf sorts first, so its install line wins, as in kmod.
		{"cramfs", false, "install command does not refuse"},
		{"freevxfs", true, "/etc/modprobe.d/CIS.conf:4: install freevxfs /bin/true"},
		{"udf", true, "install udf /usr/bin/false --quiet"},
		{"hfs", true, "CIS.conf:6"},
		{"dccp", false, "only blacklisted"},
		{"sctp", false, "does not refuse"},
		{"rds", false, "no install or blacklist"}, // hidden by /etc/modprobe.d/CIS.conf
		{"tipc", true, "/lib/modprobe.d/tipc.conf:1"},
		{"squashfs", false, "no install"}, // not a .conf file
		{"usb-storage", true, "module_blacklist=usb-storage"},
		{"firewire_core", true, "kernel command line"},
		{"bluetooth", false, "only blacklisted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := c.Disabled(tt.name)
			if got != tt.disabled || !strings.Contains(why, tt.why) {
				t.Errorf("Disabled(%s) = %v, %q; want %v, ~%q", tt.name, got, why, tt.disabled, tt.why)
			}
		})
	}
	if got := c.Options("snd_hda_intel"); !reflect.DeepEqual(got, []string{"power_save=1", "model=auto"}) {
		t.Errorf("Options = %v", got)
	}
	if ok, _ := c.Blacklisted("cramfs"); !ok {
		t.Error("cramfs not blacklisted")
	}
}

func TestParseCmdline(t *testing.T) {
	k, m := ParseCmdline([]byte("a module_blacklist=x,y, modprobe.blacklist=z b=c -- module_blacklist=q\n"))
	if !reflect.DeepEqual(k, []string{"x", "y"}) || !reflect.DeepEqual(m, []string{"z"}) {
		t.Errorf("got %v %v", k, m)
	}
}

func TestParseModprobeTable(t *testing.T) {
	tests := []struct {
		in      string
		cmd     string
		module  string
		args    string
		skipped int
	}{
		{"install usb-storage /bin/true", "install", "usb_storage", "/bin/true", 0},
		{"  install\tin   /bin/false  ", "install", "in", "/bin/false", 0},
		{"blacklist firewire-ohci", "blacklist", "firewire_ohci", "", 0},
		{"alias char-major-10-* off-mod", "alias", "char-major-10-*", "off_mod", 0},
		{"options a b=1 c=2", "options", "a", "b=1|c=2", 0},
		{"# install cramfs /bin/false", "", "", "", 0},
		{"blacklist", "", "", "", 1},
		{"include /etc/x", "", "", "", 1},
		{"remove x \\\n /bin/y", "remove", "x", "/bin/y", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var sk skipped.List
			ds := ParseModprobe("f", []byte(tt.in), &sk)
			if len(sk) != tt.skipped {
				t.Fatalf("skipped %v", sk)
			}
			if tt.cmd == "" {
				if len(ds) != 0 {
					t.Errorf("got %+v", ds)
				}
				return
			}
			if len(ds) != 1 || ds[0].Command != tt.cmd || ds[0].Module != tt.module || strings.Join(ds[0].Args, "|") != tt.args {
				t.Errorf("got %+v", ds)
			}
		})
	}
}

// TestLiveHost reads this machine's modprobe configuration and modules.
func TestLiveHost(t *testing.T) {
	inv, sk, err := Collect(context.Background(), hostfs.Live())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sk {
		t.Errorf("skipped on live host: %v", l)
	}
	t.Logf("loaded known=%v (%d), %d modprobe files, %d directives", inv.LoadedKnown, len(inv.Loaded), len(inv.Config.Files), len(inv.Config.Directives))
}
