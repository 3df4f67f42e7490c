package sudoers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func FuzzParse(f *testing.F) {
	for _, name := range []string{"sudoers", "sudoers.d/90-cloud", "sudo/extra"} {
		b, err := os.ReadFile(filepath.Join("testdata/rootfs/etc", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("a ALL = (b:c) NOPASSWD: CWD=* \"x\\\"y\" \\\n, !X : h = Y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		file := Parse("f", data, &sk)
		rules := Expand(file.Rules, file.Aliases)
		for _, r := range rules {
			if len(r.Users) == 0 || len(r.Hosts) == 0 || len(r.Commands) == 0 {
				t.Fatalf("incomplete rule %+v", r)
			}
		}
		for _, d := range file.Defaults {
			if len(d.Settings) == 0 {
				t.Fatalf("defaults without settings %+v", d)
			}
		}
	})
}
