package pkgdb

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseApkInstalled(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  []string
		skips int
	}{
		{
			name: "origin differs from name",
			in:   "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\nS:1790624\nI:4218880\no:openssl\nF:lib\nR:libcrypto.so.3\nZ:Q1x=\n",
			want: []string{"libcrypto3 3.1.4-r5 x86_64 openssl 3.1.4-r5"},
		},
		{
			name: "no origin is its own source; several records",
			in:   "P:musl\nV:1.2.4-r4\nA:x86_64\n\nP:zlib\nV:1.3.1-r0\nA:aarch64\no:zlib\n",
			want: []string{"musl 1.2.4-r4 x86_64 musl 1.2.4-r4", "zlib 1.3.1-r0 aarch64 zlib 1.3.1-r0"},
		},
		{
			name:  "record without name or version",
			in:    "V:1.0-r0\nA:x86_64\n\nP:noversion\n\nP:ok\nV:2-r1\n",
			want:  []string{"ok 2-r1  ok 2-r1"},
			skips: 2,
		},
		{
			name:  "garbage line recorded, record kept",
			in:    "P:busybox\nthis is not a field\nV:1.36.1-r15\n:x\n",
			want:  []string{"busybox 1.36.1-r15  busybox 1.36.1-r15"},
			skips: 2,
		},
		{
			name:  "too long line",
			in:    "P:big\nV:1-r0\nT:" + strings.Repeat("y", maxLine+1) + "\n",
			want:  []string{"big 1-r0  big 1-r0"},
			skips: 1,
		},
		{name: "empty", in: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkgs, skip, err := ParseApkInstalled(strings.NewReader(tc.in), "installed")
			if err != nil {
				t.Fatal(err)
			}
			if got := summaries(pkgs); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("packages:\n got %q\nwant %q", got, tc.want)
			}
			if len(skip) != tc.skips {
				t.Errorf("skipped %d, want %d: %v", len(skip), tc.skips, skip)
			}
		})
	}
}

func TestApkFields(t *testing.T) {
	in := "P:sudo\nV:1.9.15_p5-r0\nA:x86_64\nI:2793472\nm:Natanael Copa <ncopa@alpinelinux.org>\nt:1705000000\n"
	pkgs, _, _ := ParseApkInstalled(strings.NewReader(in), "installed")
	if len(pkgs) != 1 {
		t.Fatalf("got %d packages", len(pkgs))
	}
	p := pkgs[0]
	if p.Type != TypeAPK || p.InstalledSize != 2793472 || p.Maintainer != "Natanael Copa <ncopa@alpinelinux.org>" ||
		!p.BuildTime.Equal(time.Unix(1705000000, 0)) {
		t.Errorf("got %+v", p)
	}
}

func FuzzApkInstalled(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(fixtureRoot, "alpine3/lib/apk/db/installed"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("P:a\nV:1\n\nP:\nV:\n:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _, err := ParseApkInstalled(strings.NewReader(string(b)), "installed")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.Source == "" {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}
