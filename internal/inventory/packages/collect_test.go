package packages

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/packages/pkgdb"
)

// fixtureRoot is the directory holding the fixture host trees.
const fixtureRoot = "../../../testdata/rootfs"

func mustRoot(tb testing.TB, tree string) hostfs.Root {
	tb.Helper()
	r, err := hostfs.New(filepath.Join(fixtureRoot, tree))
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// readRPMBlobs returns the raw header blobs of an rpm SQLite database.
func readRPMBlobs(ctx context.Context, path string) ([][]byte, error) {
	dsn, err := rpmDSN(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT blob FROM Packages ORDER BY hnum`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// summaries renders packages as "name version arch source source_version".
func summaries(pkgs []Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, strings.Join([]string{p.Name, p.Version, p.Architecture, p.Source, p.SourceVersion}, " "))
	}
	return out
}

func find(pkgs []Package, name, arch string) (Package, bool) {
	for _, p := range pkgs {
		if p.Name == name && (arch == "" || p.Architecture == arch) {
			return p, true
		}
	}
	return Package{}, false
}

func TestCollectFixtures(t *testing.T) {
	tests := []struct {
		tree   string
		count  int
		typ    string
		want   []string // summaries that must be present
		absent []string // package names that must not be listed
		skips  int
	}{
		{
			tree: "debian12", count: 34, typ: TypeDeb, skips: 2,
			want: []string{
				"openssh-server 1:9.2p1-2+deb12u2 amd64 openssh 1:9.2p1-2+deb12u2",
				"libssl3 3.0.11-1~deb12u2 amd64 openssl 3.0.11-1~deb12u2",
				"libc6 2.36-9+deb12u4 amd64 glibc 2.36-9+deb12u4",
				"bash 5.2.15-2+b2 amd64 bash 5.2.15-2",
				"passwd 1:4.13+dfsg1-1+b1 amd64 shadow 1:4.13+dfsg1-1",
				"linux-image-6.1.0-18-amd64 6.1.76-1 amd64 linux-signed-amd64 6.1.76+1",
				"nginx-common 1.22.1-9 all nginx 1.22.1-9",
			},
			absent: []string{"apache2"},
		},
		{
			tree: "ubuntu2204", count: 31, typ: TypeDeb, skips: 1,
			want: []string{
				"redis-server 5:6.0.16-1ubuntu1 amd64 redis 5:6.0.16-1ubuntu1",
				"libgcc-s1 12.3.0-1ubuntu1~22.04 amd64 gcc-12 12.3.0-1ubuntu1~22.04",
				"libgcc-s1 12.3.0-1ubuntu1~22.04 i386 gcc-12 12.3.0-1ubuntu1~22.04",
				"telnetd 0.17-44build1 amd64 netkit-telnet 0.17-44build1",
			},
			absent: []string{"python3-twisted", "vim", "broken-entry"},
		},
		{
			tree: "alma9", count: 22, typ: TypeRPM,
			want: []string{
				"openssl-libs 1:3.0.7-27.el9 x86_64 openssl 1:3.0.7-27.el9",
				"openssh-server 8.7p1-38.el9 x86_64 openssh 8.7p1-38.el9",
				"shadow-utils 2:4.9-8.el9 x86_64 shadow-utils 2:4.9-8.el9",
				"sudo 1.9.5p2-10.el9_3 x86_64 sudo 1.9.5p2-10.el9_3",
				"kernel-core 5.14.0-362.8.1.el9_3 x86_64 kernel 5.14.0-362.8.1.el9_3",
				"bash 5.1.8-9.el9 x86_64 bash 5.1.8-9.el9",
			},
			absent: []string{"openssh", "kernel"},
		},
		{
			tree: "alpine3", count: 25, typ: TypeAPK, skips: 2,
			want: []string{
				"libcrypto3 3.1.4-r5 x86_64 openssl 3.1.4-r5",
				"busybox-binsh 1.36.1-r15 x86_64 busybox 1.36.1-r15",
				"openssh-server 9.6_p1-r0 x86_64 openssh 9.6_p1-r0",
				"musl 1.2.4_git20230717-r4 x86_64 musl 1.2.4_git20230717-r4",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.tree, func(t *testing.T) {
			pkgs, skip, err := Collect(context.Background(), mustRoot(t, tc.tree))
			if err != nil {
				t.Fatal(err)
			}
			if len(pkgs) != tc.count {
				t.Errorf("got %d packages, want %d", len(pkgs), tc.count)
			}
			if len(skip) != tc.skips {
				t.Errorf("skipped %d, want %d: %v", len(skip), tc.skips, skip)
			}
			got := summaries(pkgs)
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, n := range tc.absent {
				if _, ok := find(pkgs, n, ""); ok {
					t.Errorf("%s should not be listed", n)
				}
			}
			for _, p := range pkgs {
				if p.Type != tc.typ {
					t.Errorf("%s: type %q, want %q", p.Name, p.Type, tc.typ)
				}
			}
			if !slices.IsSortedFunc(pkgs, func(a, b Package) int { return strings.Compare(a.Name, b.Name) }) {
				t.Error("packages not sorted by name")
			}
		})
	}
}

func TestCollectRPMDetails(t *testing.T) {
	root := mustRoot(t, "alma9")
	dir := root.Path("/var/lib/rpm")
	before, _ := os.ReadDir(dir)
	pkgs, _, err := Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Errorf("reading the rpm database changed %s: %d entries before, %d after", dir, len(before), len(after))
	}
	p, ok := find(pkgs, "openssl-libs", "")
	if !ok {
		t.Fatal("openssl-libs missing")
	}
	if p.Epoch != 1 || p.Vendor != "AlmaLinux" || p.InstallTime.IsZero() || p.BuildTime.IsZero() {
		t.Errorf("openssl-libs: %+v", p)
	}
}

func TestCollectEmptyAndUnsupported(t *testing.T) {
	dir := t.TempDir()
	root, _ := hostfs.New(dir)
	pkgs, skip, err := Collect(context.Background(), root)
	if err != nil || len(pkgs) != 0 || len(skip) != 0 {
		t.Fatalf("empty root: %v %v %v", pkgs, skip, err)
	}
	// An empty /var/lib/rpm (as the Debian rpm package leaves) is not an error.
	if err := os.MkdirAll(filepath.Join(dir, "var/lib/rpm"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Collect(context.Background(), root); err != nil {
		t.Fatalf("empty rpm dir: %v", err)
	}
	// An NDB database is reported as unsupported, and the dpkg packages are
	// still returned.
	if err := os.WriteFile(filepath.Join(dir, "var/lib/rpm/Packages.db"), []byte("RpmP\x00\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "var/lib/dpkg"), 0o755)
	os.WriteFile(filepath.Join(dir, "var/lib/dpkg/status"), []byte("Package: a\nStatus: install ok installed\nVersion: 1\n"), 0o644)
	pkgs, _, err = Collect(context.Background(), root)
	if !errors.Is(err, ErrUnsupportedDB) {
		t.Errorf("err = %v, want ErrUnsupportedDB", err)
	}
	if len(pkgs) != 1 {
		t.Errorf("got %d packages, want the dpkg one", len(pkgs))
	}
	// A BerkeleyDB Packages file is read, and wins over the NDB file.
	bdb, err := os.ReadFile("pkgdb/testdata/bdb/Packages")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "var/lib/rpm/Packages"), bdb, 0o644)
	pkgs, skip, err = Collect(context.Background(), root)
	if err != nil || len(skip) != 0 {
		t.Fatalf("BerkeleyDB: %v %v", err, skip)
	}
	if p, ok := find(pkgs, "openssl-libs", ""); !ok || p.Version != "1:3.0.7-27.el9" || len(pkgs) != 7 {
		t.Errorf("BerkeleyDB: got %q", summaries(pkgs))
	}
	// A damaged BerkeleyDB file is an error.
	os.WriteFile(filepath.Join(dir, "var/lib/rpm/Packages"), []byte("\x00\x06\x15\x61 not really"), 0o644)
	if _, _, err := Collect(context.Background(), root); err == nil || errors.Is(err, ErrUnsupportedDB) {
		t.Errorf("damaged Packages: err = %v", err)
	}
	os.Remove(filepath.Join(dir, "var/lib/rpm/Packages"))
	os.Remove(filepath.Join(dir, "var/lib/rpm/Packages.db"))
	// A damaged SQLite file is an error, not a panic or silence.
	os.WriteFile(filepath.Join(dir, "var/lib/rpm/rpmdb.sqlite"), []byte("not a database at all, just text"), 0o644)
	if _, _, err := Collect(context.Background(), root); err == nil {
		t.Error("damaged rpmdb.sqlite: no error")
	}
}

func TestCollectStatusD(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "var/lib/dpkg/status.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "var/lib/dpkg/status.d/base"), []byte("Package: base-files\nVersion: 12.4\nArchitecture: amd64\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "var/lib/dpkg/status.d/base.md5sums"), []byte("d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n"), 0o644)
	root, _ := hostfs.New(dir)
	pkgs, skip, err := Collect(context.Background(), root)
	if err != nil || len(skip) != 0 {
		t.Fatal(err, skip)
	}
	if got := summaries(pkgs); len(got) != 1 || got[0] != "base-files 12.4 amd64 base-files 12.4" {
		t.Errorf("got %q", got)
	}
}

func TestCollectCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Collect(ctx, mustRoot(t, "debian12")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestLiveDpkg compares the packages parsed from this machine's dpkg database
// with what dpkg-query reports as installed.
func TestLiveDpkg(t *testing.T) {
	if _, err := os.Stat(DpkgStatusPath); err != nil {
		t.Skip("no dpkg database on this machine")
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version} ${Architecture} ${db:Status-Status}\n").Output()
	if err != nil {
		t.Skipf("dpkg-query: %v", err)
	}
	var want []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 4 && f[3] == "installed" {
			want = append(want, f[0]+" "+f[1]+" "+f[2])
		}
	}
	pkgs, skip, err := Collect(context.Background(), hostfs.Live())
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) != 0 {
		t.Errorf("skipped on the live database: %v", skip)
	}
	var got []string
	for _, p := range pkgs {
		if p.Type == TypeDeb {
			got = append(got, p.Name+" "+p.Version+" "+p.Architecture)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) < 50 {
		t.Fatalf("dpkg-query lists only %d installed packages", len(want))
	}
	if !slices.Equal(got, want) {
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("missing %s", w)
			}
		}
		for _, g := range got {
			if !slices.Contains(want, g) {
				t.Errorf("extra %s", g)
			}
		}
	}
	t.Logf("%d installed packages match dpkg-query", len(got))
}

var updateHeaders = flag.Bool("update-rpm-headers", false, "rewrite pkgdb/testdata/rpmheaders from the alma9 fixture database")

// TestRPMHeaderSeeds keeps pkgdb's header files (the seeds of its FuzzRPMHeader
// and the input of its tests) equal to the blobs in the alma9 fixture database.
func TestRPMHeaderSeeds(t *testing.T) {
	blobs, err := readRPMBlobs(context.Background(), filepath.Join(fixtureRoot, "alma9/var/lib/rpm/rpmdb.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	dir := "pkgdb/testdata/rpmheaders"
	if *updateHeaders {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range blobs {
		p, err := pkgdb.ParseRPMHeader(b)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, p.Name+".hdr")
		if *updateHeaders {
			if err := os.WriteFile(f, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(f)
		if err != nil || !bytes.Equal(old, b) {
			t.Errorf("%s differs from the fixture database (run go test -run TestRPMHeaderSeeds -update-rpm-headers)", f)
		}
	}
}

func BenchmarkParseDpkgStatusLive(b *testing.B) {
	data, err := os.ReadFile(DpkgStatusPath)
	if err != nil {
		b.Skip("no dpkg database on this machine")
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		pkgs, _, err := pkgdb.ParseDpkgStatus(strings.NewReader(string(data)), DpkgStatusPath)
		if err != nil || len(pkgs) == 0 {
			b.Fatal(err, len(pkgs))
		}
	}
}
