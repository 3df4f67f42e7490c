package baseline

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pierrec/lz4/v4"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func TestUpdatesSecurity(t *testing.T) {
	env := envFor(t, filepath.Join("testdata", "rootfs", "aptsec"))
	got := mustProbe(t, env, "updates.security")
	want := []string{
		"curl 7.88.1-10+deb12u5 -> 7.88.1-10+deb12u7 (bookworm-security)",
		"openssh-server 1:9.2p1-2+deb12u2 -> 1:9.2p1-2+deb12u3 (bookworm-security)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestUpdatesSecurityLZ4 reads the same indexes compressed with lz4, as apt
// keeps them on hosts configured for compressed lists.
func TestUpdatesSecurityLZ4(t *testing.T) {
	src := filepath.Join("testdata", "rootfs", "aptsec")
	status, err := os.ReadFile(filepath.Join(src, "var/lib/dpkg/status"))
	if err != nil {
		t.Fatal(err)
	}
	lists, _ := filepath.Glob(filepath.Join(src, "var/lib/apt/lists/*_Packages*"))
	files := []tree{{path: "var/lib/dpkg/status", content: string(status), uid: -1}}
	for _, l := range lists {
		plain, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(l, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(plain))
			if err != nil {
				t.Fatal(err)
			}
			if plain, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		zw := lz4.NewWriter(&buf)
		if _, err := zw.Write(plain); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		files = append(files, tree{path: "var/lib/apt/lists/" + strings.TrimSuffix(filepath.Base(l), ".gz") + ".lz4", content: buf.String(), uid: -1})
	}
	got := mustProbe(t, envFor(t, makeRoot(t, files)), "updates.security")
	want := mustProbe(t, envFor(t, src), "updates.security")
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("lz4 indexes: got %q, want %q", got, want)
	}
}

func TestUpdatesSecurityNotApplicable(t *testing.T) {
	for _, root := range []string{
		makeRoot(t, nil), // no dpkg
		makeRoot(t, []tree{{path: "var/lib/dpkg/status", content: "", uid: -1}}),
		makeRoot(t, []tree{
			{path: "var/lib/dpkg/status", content: "", uid: -1},
			{path: "var/lib/apt/lists/x_dists_bookworm-security_main_binary-amd64_Packages.xz", content: "x", uid: -1},
		}),
	} {
		if _, err := runProbe(t, envFor(t, root), "updates.security"); !isNotApplicable(err) {
			t.Errorf("%s: err = %v, want not applicable", root, err)
		}
	}
	// The fixture trees have dpkg but no apt lists.
	if _, err := runProbe(t, fixtureEnv(t, "debian12"), "updates.security"); !isNotApplicable(err) {
		t.Errorf("debian12: err = %v, want not applicable", err)
	}
}

func TestParseAptPackages(t *testing.T) {
	in := "Package: a\nVersion: 1\nArchitecture: all\nDescription: x\n more\n\n\nPackage: b\n\nbad line\nVersion: 2\n"
	var sk skipped.List
	got, err := parseAptPackages("f", strings.NewReader(in), &sk)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != (aptCandidate{"a", "1", "all"}) {
		t.Errorf("got %+v", got)
	}
	if len(sk) != 3 { // b without Version, the bad line, the stanza it starts
		t.Errorf("skipped %v", sk)
	}
	if o := aptOrigin("/var/lib/apt/lists/security.ubuntu.com_ubuntu_dists_jammy-security_main_binary-amd64_Packages"); o != "jammy-security" {
		t.Errorf("origin = %q", o)
	}
}

func FuzzParseAptPackages(f *testing.F) {
	for _, n := range []string{"testdata/rootfs/aptsec/var/lib/apt/lists/deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages", "testdata/rootfs/aptsec/var/lib/dpkg/status"} {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		got, _ := parseAptPackages("f", strings.NewReader(string(data)), &sk)
		for _, c := range got {
			if c.Name == "" || c.Version == "" {
				t.Fatalf("empty candidate %+v", c)
			}
		}
	})
}
