package collector

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteStateFile(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"first", "second, longer than the first", ""} {
		t.Run(content, func(t *testing.T) {
			if err := WriteStateFile(dir, "state.json", []byte(content)); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "state.json"))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != content {
				t.Errorf("read %q, want %q", b, content)
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) != 1 {
				t.Errorf("%d files in the state dir, want 1 (no temporary file left)", len(ents))
			}
		})
	}
	if err := WriteStateFile(filepath.Join(dir, "missing"), "state.json", nil); err == nil {
		t.Error("missing dir: no error")
	}
}
