package fixturetree

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopyAppliesManifest(t *testing.T) {
	src := t.TempDir()
	tree := filepath.Join(src, "host")
	for name, mode := range map[string]fs.FileMode{"etc/shadow": 0o644, "etc/passwd": 0o600, "usr/bin/tool": 0o700} {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("usr/bin", filepath.Join(tree, "bin")); err != nil {
		t.Fatal(err)
	}
	manifest := "# modes\nhost/etc/shadow 0640\nother/etc/shadow 0600\nhost/usr/bin/tool 4755\n"
	if err := os.WriteFile(filepath.Join(src, ManifestName), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}

	dst := Copy(t, tree)
	want := map[string]fs.FileMode{
		"etc":          fs.ModeDir | 0o755,
		"etc/shadow":   0o640,
		"etc/passwd":   0o644, // not listed: normalised like a fresh clone
		"usr/bin/tool": fs.ModeSetuid | 0o755,
	}
	for name, mode := range want {
		info, err := os.Lstat(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", name, info.Mode(), mode)
		}
	}
	if link, err := os.Readlink(filepath.Join(dst, "bin")); err != nil || link != "usr/bin" {
		t.Errorf("bin -> %q, %v; want the link copied as usr/bin", link, err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "etc/passwd")); err != nil || string(b) != "etc/passwd" {
		t.Errorf("content not copied: %q %v", b, err)
	}
}

func TestParseRejectsBadLines(t *testing.T) {
	for _, in := range []string{
		"host/etc/shadow",
		"host/etc/shadow 0640 extra",
		"host/etc/shadow 0999",
		"host/etc/shadow 17777",
		"host/../etc/shadow 0640",
		"host/ 0640",
	} {
		if _, err := parse(strings.NewReader(in), "host", "m"); err == nil {
			t.Errorf("%q: accepted", in)
		}
	}
}

// TestRepositoryManifest checks that every file the repository's manifest
// names exists in its tree, so a renamed fixture cannot silently lose its mode.
func TestRepositoryManifest(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "rootfs")
	trees, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, tr := range trees {
		if !tr.IsDir() {
			continue
		}
		modes, err := Modes(filepath.Join(dir, ManifestName), tr.Name())
		if err != nil {
			t.Fatal(err)
		}
		for rel := range modes {
			info, err := os.Lstat(filepath.Join(dir, tr.Name(), rel))
			if err != nil || !info.Mode().IsRegular() {
				t.Errorf("%s lists %s/%s, which is not a regular file in the tree (%v)", ManifestName, tr.Name(), rel, err)
			}
		}
		total += len(modes)
	}
	if total < 50 {
		t.Errorf("manifest lists %d files; want the 50+ deliberate modes of the fixture trees", total)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("# c\nhost/etc/shadow 0640\n")
	f.Add("host/a 7777\nhost/b 0\nx/y 1\n")
	f.Fuzz(func(t *testing.T, in string) {
		modes, err := parse(strings.NewReader(in), "host", "m")
		if err != nil {
			return
		}
		for rel, m := range modes {
			if rel == "" || strings.HasPrefix(rel, "/") || strings.Contains("/"+rel+"/", "/../") {
				t.Fatalf("accepted path %q", rel)
			}
			if m&^(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0 {
				t.Fatalf("mode %v has type bits", m)
			}
		}
	})
}
