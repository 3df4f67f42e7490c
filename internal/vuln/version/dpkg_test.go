package version

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/shareddata"
)

func TestParseDpkg(t *testing.T) {
	tests := []struct {
		in      string
		want    Dpkg
		wantErr error
	}{
		{"1.0", Dpkg{Upstream: "1.0"}, nil},
		{"1:2.3-4", Dpkg{Epoch: 1, Upstream: "2.3", Revision: "4"}, nil},
		{" 1.0-1 ", Dpkg{Upstream: "1.0", Revision: "1"}, nil},
		{"1:1.0:1.0", Dpkg{Epoch: 1, Upstream: "1.0:1.0"}, nil},
		{"1.0-1.0-1", Dpkg{Upstream: "1.0-1.0", Revision: "1"}, nil},
		{"0:1.0:1", Dpkg{Upstream: "1.0:1"}, nil},
		{"2:9.0.1378-2~bpo", Dpkg{Epoch: 2, Upstream: "9.0.1378", Revision: "2~bpo"}, nil},
		{"", Dpkg{}, ErrEmpty},
		{"-0", Dpkg{}, ErrEmptyPart},
		{"0:-0", Dpkg{}, ErrEmptyPart},
		{":1.0", Dpkg{}, ErrBadEpoch},
		{"1.0-", Dpkg{}, ErrEmptyPart},
		{"10a:5.2", Dpkg{}, ErrBadEpoch},
		{"99999999999:1", Dpkg{}, ErrBadEpoch},
		{"5.2@3-2", Dpkg{}, ErrBadCharacter},
		{"1.0-1@", Dpkg{}, ErrBadCharacter},
		{"1.0 2", Dpkg{}, ErrBadCharacter},
		{"foo5.2", Dpkg{}, ErrNoLeadDigit},
		{"0:foo5.2", Dpkg{}, ErrNoLeadDigit},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDpkg(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
			if again, _ := ParseDpkg(got.String()); again != got {
				t.Errorf("String round trip: %q -> %+v", got.String(), again)
			}
		})
	}
}

func TestCompareDpkgTable(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0~rc1", "1.0", -1},
		{"1.0~~", "1.0~", -1},
		{"1.0", "1.0+b1", -1},
		{"1.0a", "1.0+", -1}, // letters before non-letters
		{"1.0", "1.0a", -1},
		{"1.010", "1.9", 1}, // digit runs numerically
		{"1.09", "1.9", 0},
		{"1:0.1", "2.0", 1}, // epoch first
		{"1.0", "1.0-0", 0}, // missing revision is "0"
		{"2.2~rc-4", "2.2-1", -1},
		{"1:9.2p1-2+deb12u2", "1:9.2p1-2+deb12u3", -1},
		{"garbage", "garbage", 0}, // invalid: still compared
	}
	for _, tt := range tests {
		t.Run(tt.a+" "+tt.b, func(t *testing.T) {
			if got := CompareDpkg(tt.a, tt.b); got != tt.want {
				t.Errorf("CompareDpkg(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := CompareDpkg(tt.b, tt.a); got != -tt.want {
				t.Errorf("CompareDpkg(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

// vector is one comparison from the shared Debian version vectors.
type vector struct {
	file string
	line int
	a, b string
	want int
}

// readVectors reads every dpkg case from the shared data: "A OP B" files
// (osv-scalibr) and "A B RET" files (dpkg's own and apt's), "#" comments.
func readVectors(t *testing.T) []vector {
	dir := shareddata.Dir(t, "debian_version_vectors")
	var out []vector
	files := map[string]bool{ // true: "A OP B" form
		"osv-scalibr_debian-versions-generated.txt": true,
		"osv-scalibr_debian-versions.txt":           true,
		"dpkg_Dpkg_Version.t.DATA.txt":              false,
		"apt_test_libapt_versions.lst":              false,
	}
	for name, opForm := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		n, count := 0, 0
		for sc.Scan() {
			n++
			line := sc.Text()
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			fs := strings.Fields(line)
			if len(fs) == 0 {
				continue
			}
			if len(fs) != 3 {
				t.Fatalf("%s:%d: cannot read %q", name, n, line)
			}
			v := vector{file: name, line: n}
			if opForm {
				v.a, v.b = fs[0], fs[2]
				switch fs[1] {
				case "<":
					v.want = -1
				case "=":
					v.want = 0
				case ">":
					v.want = 1
				default:
					t.Fatalf("%s:%d: bad operator %q", name, n, fs[1])
				}
			} else {
				r, err := strconv.Atoi(fs[2])
				if err != nil {
					t.Fatalf("%s:%d: bad result %q", name, n, fs[2])
				}
				v.a, v.b, v.want = fs[0], fs[1], sign(r)
			}
			out = append(out, v)
			count++
		}
		f.Close()
		if count == 0 {
			t.Fatalf("%s: no vectors", name)
		}
	}
	return out
}

func TestCompareDpkgVectors(t *testing.T) {
	vs := readVectors(t)
	if len(vs) < 14442+30+43+64 {
		t.Fatalf("read only %d vectors", len(vs))
	}
	failed := 0
	for _, v := range vs {
		got, rev := CompareDpkg(v.a, v.b), CompareDpkg(v.b, v.a)
		if got != v.want || rev != -v.want {
			failed++
			if failed <= 20 {
				t.Errorf("%s:%d: CompareDpkg(%q, %q) = %d (reverse %d), want %d", v.file, v.line, v.a, v.b, got, rev, v.want)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d vectors failed", failed, len(vs))
	}
	t.Logf("%d vectors", len(vs))
}

func FuzzCompareDpkg(f *testing.F) {
	for _, s := range [][3]string{
		{"1.0", "1.0~rc1", "1:0.9"},
		{"2.2~rc-4", "2.2-1", "2.2"},
		{"1.0a", "1.0+", "1.0-0"},
		{"0foo~~", "0foo~", "1a"},
		{"1:9.2p1-2+deb12u2", "9.2p1", "1.09"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		ab, ba := CompareDpkg(a, b), CompareDpkg(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: %q %q: %d, %d", a, b, ab, ba)
		}
		if CompareDpkg(a, a) != 0 {
			t.Fatalf("%q != itself", a)
		}
		bc, ac := CompareDpkg(b, c), CompareDpkg(a, c)
		if ab <= 0 && bc <= 0 && ac > 0 {
			t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
		}
		if ab >= 0 && bc >= 0 && ac < 0 {
			t.Fatalf("not transitive: %q >= %q >= %q but %q < %q", a, b, c, a, c)
		}
		if v, err := ParseDpkg(a); err == nil {
			if w, err := ParseDpkg(v.String()); err != nil || w.Compare(v) != 0 {
				t.Fatalf("String round trip of %q: %q, %v", a, v.String(), err)
			}
		}
	})
}
