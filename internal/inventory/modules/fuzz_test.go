package modules

import (
	"os"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func FuzzParseProcModules(f *testing.F) {
	b, err := os.ReadFile("testdata/rootfs/proc/modules")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		for _, m := range ParseProcModules("m", data, &sk) {
			if m.Name == "" || m.State == "" {
				t.Fatalf("bad module %+v", m)
			}
		}
	})
}

func FuzzParseModprobe(f *testing.F) {
	b, err := os.ReadFile("testdata/rootfs/etc/modprobe.d/CIS.conf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		c := ModprobeConfig{Directives: ParseModprobe("m", data, &sk)}
		c.KernelBlacklist, c.CmdlineBlacklist = ParseCmdline(data)
		for _, d := range c.Directives {
			if d.Module == "" {
				t.Fatalf("directive without module %+v", d)
			}
			c.Disabled(d.Module)
		}
		c.Disabled("cramfs")
	})
}
