package pkgdb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDpkgStatus(t *testing.T) {
	long := "Description: " + strings.Repeat("x", maxLine+10)
	tests := []struct {
		name  string
		in    string
		want  []string // "name version arch source source_version"
		skips int
	}{
		{
			name: "installed with continuation lines",
			in: "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\n" +
				"Source: bash (5.2.15-2)\nDescription: GNU shell\n more text\n .\n end\n",
			want: []string{"bash 5.2.15-2+b2 amd64 bash 5.2.15-2"},
		},
		{
			name: "source without version and epoch",
			in:   "Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\nSource: openssh\nVersion: 1:9.2p1-2+deb12u2\n",
			want: []string{"openssh-server 1:9.2p1-2+deb12u2 amd64 openssh 1:9.2p1-2+deb12u2"},
		},
		{
			name: "no source is its own source",
			in:   "Package: sudo\nStatus: install ok installed\nVersion: 1.9.13p3-1\n",
			want: []string{"sudo 1.9.13p3-1  sudo 1.9.13p3-1"},
		},
		{
			name: "only installed states count",
			in: "Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\n" +
				"Package: b\nStatus: hold ok installed\nVersion: 2\n\n" +
				"Package: c\nStatus: install ok half-installed\nVersion: 3\n\n" +
				"Package: d\nStatus: purge ok not-installed\nVersion: 4\n\n" +
				"Package: e\nStatus: deinstall ok installed\nVersion: 5\n",
			want: []string{"b 2  b 2", "e 5  e 5"},
		},
		{
			name:  "stanza without package or version is skipped",
			in:    "Status: install ok installed\nVersion: 1\n\nPackage: x\nStatus: install ok installed\n\nPackage: y\nStatus: install ok installed\nVersion: 1.0\n",
			want:  []string{"y 1.0  y 1.0"},
			skips: 2,
		},
		{
			name:  "garbage line is recorded, stanza kept",
			in:    "Package: z\nStatus: install ok installed\nno colon here\nVersion: 1\n",
			want:  []string{"z 1  z 1"},
			skips: 1,
		},
		{
			name:  "continuation before any field",
			in:    " orphan continuation\nPackage: z\nVersion: 1\n",
			want:  []string{"z 1  z 1"},
			skips: 1,
		},
		{
			name:  "too long line",
			in:    "Package: big\nStatus: install ok installed\nVersion: 1\n" + long + "\n\nPackage: next\nVersion: 2\nStatus: install ok installed",
			want:  []string{"big 1  big 1", "next 2  next 2"},
			skips: 1,
		},
		{
			name: "CRLF, several blank lines, field names in any case",
			in:   "\r\n\r\npackage: w\r\nSTATUS: install ok installed\r\nversion: 3.0\r\n\r\n\r\n",
			want: []string{"w 3.0  w 3.0"},
		},
		{
			name: "status.d stanza without Status",
			in:   "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
			want: []string{"tzdata 2024a-0+deb12u1 all tzdata 2024a-0+deb12u1"},
		},
		{name: "empty", in: ""},
		{name: "only blank lines", in: "\n\n  \n\t\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkgs, skip, err := ParseDpkgStatus(strings.NewReader(tc.in), "status")
			if err != nil {
				t.Fatal(err)
			}
			got := summaries(pkgs)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("packages:\n got %q\nwant %q", got, tc.want)
			}
			if len(skip) != tc.skips {
				t.Errorf("skipped %d, want %d: %v", len(skip), tc.skips, skip)
			}
			for _, p := range pkgs {
				if p.Type != TypeDeb {
					t.Errorf("%s: type %q", p.Name, p.Type)
				}
			}
		})
	}
}

func TestDpkgFields(t *testing.T) {
	in := "Package: libc6\nStatus: install ok installed\nInstalled-Size: 12980\n" +
		"Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: amd64\n" +
		"Source: glibc\nVersion: 2.36-9+deb12u4\n"
	pkgs, _, _ := ParseDpkgStatus(strings.NewReader(in), "status")
	if len(pkgs) != 1 {
		t.Fatalf("got %d packages", len(pkgs))
	}
	p := pkgs[0]
	if p.InstalledSize != 12980*1024 || p.Maintainer != "GNU Libc Maintainers <debian-glibc@lists.debian.org>" || p.Epoch != 0 {
		t.Errorf("got %+v", p)
	}
	in = strings.Replace(in, "2.36-9+deb12u4", "2:9.0-1", 1)
	pkgs, _, _ = ParseDpkgStatus(strings.NewReader(in), "status")
	if pkgs[0].Epoch != 2 {
		t.Errorf("epoch = %d, want 2", pkgs[0].Epoch)
	}
}

func TestSplitDebSource(t *testing.T) {
	tests := []struct{ in, name, ver string }{
		{"glibc", "glibc", ""},
		{"shadow (1:4.13+dfsg1-1)", "shadow", "1:4.13+dfsg1-1"},
		{"util-linux  ( 2.38.1-5 )", "util-linux", "2.38.1-5"},
		{"broken (1.0", "broken", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			n, v := splitDebSource(tc.in)
			if n != tc.name || v != tc.ver {
				t.Errorf("splitDebSource(%q) = %q, %q; want %q, %q", tc.in, n, v, tc.name, tc.ver)
			}
		})
	}
}

func FuzzDpkgStatus(f *testing.F) {
	for _, tree := range []string{"debian12", "ubuntu2204"} {
		b, err := os.ReadFile(filepath.Join(fixtureRoot, tree, "var/lib/dpkg/status"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Package: a\nVersion: 1\n\n \n:\nPackage:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, skip, err := ParseDpkgStatus(strings.NewReader(string(b)), "status")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Source == "" || p.SourceVersion == "" {
				t.Fatalf("incomplete package %+v", p)
			}
		}
		for _, s := range skip {
			if s.Line < 1 {
				t.Fatalf("skip without line: %v", s)
			}
		}
	})
}

// fixtureRoot is the directory holding the fixture host trees.
const fixtureRoot = "../../../../testdata/rootfs"

func find(pkgs []Package, name string) (Package, bool) {
	for _, p := range pkgs {
		if p.Name == name {
			return p, true
		}
	}
	return Package{}, false
}

// summaries renders packages as "name version arch source source_version".
func summaries(pkgs []Package) []string {
	var out []string
	for _, p := range pkgs {
		out = append(out, strings.Join([]string{p.Name, p.Version, p.Architecture, p.Source, p.SourceVersion}, " "))
	}
	return out
}
