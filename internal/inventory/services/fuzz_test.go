package services

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func FuzzParseUnit(f *testing.F) {
	files, _ := filepath.Glob("testdata/systemd/usr/lib/systemd/system/*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		u := ParseUnit("u", data, &sk)
		switch u.installState() {
		case StateStatic, StateDisabled, StateIndirect:
		default:
			t.Fatalf("bad state %q", u.installState())
		}
		ScriptDescription(data)
	})
}
