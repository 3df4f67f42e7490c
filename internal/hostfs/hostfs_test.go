package hostfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mkTree builds a small host tree: files, and symlinks with absolute and
// relative targets that must stay inside the root.
func mkTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
	write("usr/lib/os-release", "ID=test\n")
	write("usr/share/zoneinfo/UTC", "TZif")
	write("etc/cron.d/a", "a")
	write("etc/cron.d/b", "b")
	link("../usr/lib/os-release", "etc/os-release")
	link("/usr/share/zoneinfo/UTC", "etc/localtime")
	link("/etc", "link-to-etc")
	link("loop2", "loop1")
	link("loop1", "loop2")
	return dir
}

func TestResolveStaysInsideRoot(t *testing.T) {
	dir := mkTree(t)
	r, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want string }{
		{"/etc/os-release", "ID=test\n"},
		{"/etc/localtime", "TZif"},
		{"/link-to-etc/passwd", "root:x:0:0::/root:/bin/sh\n"},
		{"etc/../etc/passwd", "root:x:0:0::/root:/bin/sh\n"},
		{"/../../../etc/passwd", "root:x:0:0::/root:/bin/sh\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := r.ReadFile(tt.name, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got %q, want %q", b, tt.want)
			}
		})
	}
}

func TestErrorsNameHostPath(t *testing.T) {
	dir := mkTree(t)
	r, _ := New(dir)
	_, err := r.ReadFile("/etc/shadow", 0)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
	if strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "/etc/shadow") {
		t.Errorf("error %q should name the host path, not the fixture path", err)
	}
	if _, err := r.ReadFile("/loop1", 0); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("symlink loop: err = %v", err)
	}
}

func TestReadFileLimit(t *testing.T) {
	r, _ := New(mkTree(t))
	if _, err := r.ReadFile("/etc/passwd", 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}

func TestGlobAndLstat(t *testing.T) {
	r, _ := New(mkTree(t))
	got, err := r.Glob("/etc/cron.d/*")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/etc/cron.d/a", "/etc/cron.d/b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("glob = %q, want %q", got, want)
	}
	fi, err := r.Lstat("/etc/localtime")
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(/etc/localtime) = %v, %v; want a symlink", fi, err)
	}
	target, err := r.Readlink("/etc/localtime")
	if err != nil || target != "/usr/share/zoneinfo/UTC" {
		t.Errorf("Readlink = %q, %v", target, err)
	}
	if _, err := r.Glob("/etc/[z"); err == nil {
		t.Error("bad pattern: want error")
	}
}

func TestLiveRoot(t *testing.T) {
	r, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	if !r.IsLive() || r.Path("/etc/passwd") != "/etc/passwd" {
		t.Errorf("live root maps /etc/passwd to %q", r.Path("/etc/passwd"))
	}
	if _, err := New("/etc/passwd"); err == nil {
		t.Error("a file as root: want error")
	}
}
