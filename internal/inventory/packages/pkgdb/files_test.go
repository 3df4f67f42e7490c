package pkgdb

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rootfs is the directory holding the fixture host trees.
const rootfs = "../../../../testdata/rootfs"

func dpkgListPaths(t testing.TB, in string) ([]string, int) {
	t.Helper()
	var got []string
	skip, err := ParseDpkgList(strings.NewReader(in), "x.list", func(p []byte) { got = append(got, string(p)) })
	if err != nil {
		t.Fatal(err)
	}
	return got, len(skip)
}

func TestParseDpkgList(t *testing.T) {
	long := "/" + strings.Repeat("a", MaxPath)
	tests := []struct {
		name  string
		in    string
		want  []string
		skips int
	}{
		{name: "typical", in: "/.\n/usr\n/usr/bin\n/usr/bin/sudo\n", want: []string{"/.", "/usr", "/usr/bin", "/usr/bin/sudo"}},
		{name: "no final newline, CRLF", in: "/etc\r\n/etc/sudoers", want: []string{"/etc", "/etc/sudoers"}},
		{name: "spaces are part of names", in: "/usr/share/a b\n", want: []string{"/usr/share/a b"}},
		{name: "empty file", in: "", want: nil},
		{name: "garbage lines", in: "usr/bin/x\n\n/ok\n" + long + "\n/nul\x00x\n", want: []string{"/ok"}, skips: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, skips := dpkgListPaths(t, tc.in)
			if !slices.Equal(got, tc.want) || skips != tc.skips {
				t.Errorf("got %q (%d skipped), want %q (%d skipped)", got, skips, tc.want, tc.skips)
			}
		})
	}
}

func TestParseDpkgListSkipCap(t *testing.T) {
	got, skips := dpkgListPaths(t, strings.Repeat("junk\n", 1000)+"/last\n")
	if !slices.Equal(got, []string{"/last"}) || skips != maxSkipsPerFile+1 {
		t.Errorf("got %q, %d skipped", got, skips)
	}
}

func apkFilePaths(t testing.TB, in string) ([]string, int) {
	t.Helper()
	var got []string
	skip, err := ParseApkFiles(strings.NewReader(in), "installed", func(pkg string, p []byte) {
		got = append(got, pkg+" "+string(p))
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, len(skip)
}

func TestParseApkFiles(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []string
		skips int
	}{
		{name: "two records", in: "C:Q1abc=\nP:sudo\nV:1.9\nF:usr/bin\nR:sudo\na:0:0:4755\nZ:Q1x=\nR:sudoedit\n\nP:musl\nF:lib\nR:ld-musl-x86_64.so.1\n",
			want: []string{"sudo /usr/bin", "sudo /usr/bin/sudo", "sudo /usr/bin/sudoedit", "musl /lib", "musl /lib/ld-musl-x86_64.so.1"}},
		{name: "file in the root directory", in: "P:a\nR:top\nF:etc/\nR:x\n", want: []string{"a /top", "a /etc", "a /etc/x"}},
		{name: "directory resets between records", in: "P:a\nF:etc\n\nP:b\nR:y\n", want: []string{"a /etc", "b /y"}},
		{name: "file lines before the name", in: "F:etc\nR:x\nP:a\nR:z\n", want: []string{"a /z"}, skips: 2},
		{name: "bad file names", in: "P:a\nF:etc\nR:\nR:../x\nR:ok\n", want: []string{"a /etc", "a /etc/ok"}, skips: 2},
		{name: "not a field", in: "P:a\nnonsense\nR:x\n", want: []string{"a /x"}, skips: 1},
		{name: "overlong directory", in: "P:a\nF:" + strings.Repeat("d", MaxPath) + "\nR:x\n", want: []string{"a /x"}, skips: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, skips := apkFilePaths(t, tc.in)
			if !slices.Equal(got, tc.want) || skips != tc.skips {
				t.Errorf("got %q (%d skipped), want %q (%d skipped)", got, skips, tc.want, tc.skips)
			}
		})
	}
}

func TestApkFilesFixture(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(rootfs, "alpine3/lib/apk/db/installed"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := apkFilePaths(t, string(b))
	for _, w := range []string{"sudo /usr/bin/sudo", "busybox /bin/busybox", "openssh-server /usr/sbin/sshd", "musl /lib/ld-musl-x86_64.so.1"} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q in %q", w, got)
		}
	}
}

func rpmFilePaths(t testing.TB, blob []byte) (string, []string, error) {
	t.Helper()
	var got []string
	name, err := ParseRPMFiles(blob, func(_ string, p []byte) { got = append(got, string(p)) })
	return name, got, err
}

func TestParseRPMFiles(t *testing.T) {
	name := rpmTag{rpmTagName, "sudo"}
	dirs := rpmTag{rpmTagDirnames, []string{"/etc/", "/usr/bin/", "/"}}
	bases := rpmTag{rpmTagBasenames, []string{"sudoers", "sudo", "sudoedit", "usr"}}
	tests := []struct {
		name    string
		blob    []byte
		want    []string
		wantErr bool
	}{
		{name: "files", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0, 1, 1, 2}}, bases, dirs),
			want: []string{"/etc/sudoers", "/usr/bin/sudo", "/usr/bin/sudoedit", "/usr"}},
		{name: "no files", blob: buildRPMHeader(name, rpmTag{rpmTagVersion, "1"})},
		{name: "old file names", blob: buildRPMHeader(name, rpmTag{rpmTagOldFilenames, []string{"/bin/su", "relative", "/etc/x"}}),
			want: []string{"/bin/su", "/etc/x"}},
		{name: "relative dir name left out", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0, 1}}, rpmTag{rpmTagBasenames, []string{"a", "b"}}, rpmTag{rpmTagDirnames, []string{"etc/", "/etc/"}}),
			want: []string{"/etc/b"}},
		{name: "dir index out of range", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0, 1, 3, 2}}, bases, dirs), wantErr: true},
		{name: "negative dir index", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0, -1, 1, 2}}, bases, dirs), wantErr: true},
		{name: "count mismatch", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0, 1}}, bases, dirs), wantErr: true},
		{name: "no dir indexes", blob: buildRPMHeader(name, bases, dirs), wantErr: true},
		{name: "base names of the wrong type", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0}}, rpmTag{rpmTagBasenames, "x"}, dirs), wantErr: true},
		{name: "indexes of the wrong type", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, int64(0)}, rpmTag{rpmTagBasenames, []string{"x"}}, dirs), wantErr: true},
		{name: "no name", blob: buildRPMHeader(rpmTag{rpmTagDirIndexes, []int32{0}}, rpmTag{rpmTagBasenames, []string{"x"}}, dirs), wantErr: true},
		{name: "string count beyond data", blob: corrupt(buildRPMHeader(name, rpmTag{rpmTagBasenames, []string{"x"}}), 8+16+12, 1000), wantErr: true},
		{name: "int count beyond data", blob: corrupt(buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0, 1, 1, 2}}, bases, dirs), 8+16+12, 1<<30), wantErr: true},
		{name: "truncated", blob: buildRPMHeader(name, rpmTag{rpmTagDirIndexes, []int32{0, 1, 1, 2}}, bases, dirs)[:60], wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, got, err := rpmFilePaths(t, tc.blob)
			if tc.wantErr {
				if !errors.Is(err, errRPMHeader) || len(got) != 0 {
					t.Fatalf("err = %v, paths %q; want a malformed header error and no paths", err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != "sudo" || !slices.Equal(got, tc.want) {
				t.Errorf("got %s %q, want sudo %q", n, got, tc.want)
			}
		})
	}
}

// TestRPMFilesFixture decodes the file lists rpm 4.18 wrote (mkrpmdb.sh).
func TestRPMFilesFixture(t *testing.T) {
	want := map[string][]string{
		"sudo":           {"/etc/sudoers", "/usr/bin/sudo", "/usr/bin/sudoreplay", "/usr/sbin/visudo"},
		"openssh-server": {"/usr/libexec/openssh/sshd-keygen", "/usr/sbin/sshd"},
		"cronie":         {"/usr/bin/crontab", "/usr/sbin/crond"},
		"zlib":           nil,
	}
	files := rpmHeaderFiles(t)
	for pkg, w := range want {
		t.Run(pkg, func(t *testing.T) {
			name, got, err := rpmFilePaths(t, files[pkg])
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if name != pkg || !slices.Equal(got, w) {
				t.Errorf("got %s %q, want %q", name, got, w)
			}
		})
	}
}

func FuzzDpkgList(f *testing.F) {
	lists, _ := filepath.Glob(filepath.Join(rootfs, "*/var/lib/dpkg/info/*.list"))
	for _, l := range lists {
		if b, err := os.ReadFile(l); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("/.\nrel\n\n/a\x00b\r\n/x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		skip, err := ParseDpkgList(strings.NewReader(string(b)), "x.list", func(p []byte) {
			if !validPath(p) {
				t.Fatalf("emitted invalid path %q", p)
			}
		})
		if err != nil || len(skip) > maxSkipsPerFile+1 {
			t.Fatalf("err %v, %d skipped", err, len(skip))
		}
	})
}

func FuzzApkFiles(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join(rootfs, "alpine3/lib/apk/db/installed")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("P:a\nF:etc\nR:x\n\nR:y\nP:b\nF:\nR:../z\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		skip, err := ParseApkFiles(strings.NewReader(string(b)), "installed", func(pkg string, p []byte) {
			if pkg == "" || !validPath(p) {
				t.Fatalf("emitted %q %q", pkg, p)
			}
		})
		if err != nil || len(skip) > maxSkipsPerFile+1 {
			t.Fatalf("err %v, %d skipped", err, len(skip))
		}
	})
}

func FuzzRPMFiles(f *testing.F) {
	for _, b := range rpmHeaderFiles(f) {
		f.Add(b)
	}
	f.Add(buildRPMHeader(rpmTag{rpmTagName, "x"}, rpmTag{rpmTagDirIndexes, []int32{0, 1}},
		rpmTag{rpmTagBasenames, []string{"a", "b"}}, rpmTag{rpmTagDirnames, []string{"/etc/", "/usr/"}}))
	f.Add(buildRPMHeader(rpmTag{rpmTagName, "x"}, rpmTag{rpmTagOldFilenames, []string{"/a", "b"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		name, err := ParseRPMFiles(b, func(pkg string, p []byte) {
			n++
			if pkg == "" || !validPath(p) {
				t.Fatalf("emitted invalid path %q", p)
			}
		})
		if err != nil {
			if !errors.Is(err, errRPMHeader) || n != 0 {
				t.Fatalf("err %v after %d paths", err, n)
			}
			return
		}
		if name == "" {
			t.Fatal("no name")
		}
	})
}
