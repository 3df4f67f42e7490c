package cron

import (
	"os"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func FuzzParseCrontab(f *testing.F) {
	for _, p := range []string{"testdata/rootfs/etc/crontab", "testdata/rootfs/var/spool/cron/crontabs/alice", "testdata/rootfs/etc/anacrontab"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		for _, e := range ParseCrontab("c", data, true, "", SourceSystem, &sk) {
			if e.Schedule == "" || e.User == "" || e.Command == "" {
				t.Fatalf("incomplete entry %+v", e)
			}
		}
		ParseCrontab("c", data, false, "u", SourceUser, &sk)
		ParseAnacrontab("a", data, &sk)
	})
}
