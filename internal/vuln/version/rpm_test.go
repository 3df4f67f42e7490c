package version

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/shareddata"
)

func TestParseRPM(t *testing.T) {
	tests := []struct {
		in   string
		want RPM
	}{
		{"1.0-1.el9", RPM{Version: "1.0", Release: "1.el9", HasRelease: true}},
		{"2:8.7p1-38.el9_4.4", RPM{Epoch: "2", HasEpoch: true, Version: "8.7p1", Release: "38.el9_4.4", HasRelease: true}},
		{"1.0", RPM{Version: "1.0"}},
		{":1.0", RPM{HasEpoch: true, Version: "1.0"}},
		{"a:1", RPM{Version: "a:1"}},
		{"1.2-3-4", RPM{Version: "1.2-3", Release: "4", HasRelease: true}},
		{"", RPM{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ParseRPM(tt.in); got != tt.want {
				t.Errorf("ParseRPM(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompareRPMTable(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0-1", "1.0-1", 0},
		{"1.0-1", "1.0-2", -1},
		{"1:1.0-1", "2.0-1", 1},
		{"0:1.0-1", "1.0-1", 0},
		{"1.0~rc1-1", "1.0-1", -1},
		{"1.0^git1-1", "1.0-1", 1},
		{"1.0^git1", "1.0.1", -1},
		{"5.14.0-427.13.1.el9_4", "5.14.0-427.2.1.el9_4", 1},
		{"3.0.7-27.el9", "1:3.0.7-27.el9", -1},
		{"1.10", "1.9", 1},
		{"1.a", "1.1", -1},
		{"99999999999999999999999", "99999999999999999999998", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			if got := CompareRPM(tt.a, tt.b); got != tt.want {
				t.Errorf("CompareRPM(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := CompareRPM(tt.b, tt.a); got != -tt.want {
				t.Errorf("CompareRPM(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
		})
	}
}

// TestCompareRPMVectors checks every case of the shared RPM vectors ("A OP B").
func TestCompareRPMVectors(t *testing.T) {
	dir := shareddata.Dir(t, "debian_version_vectors")
	f, err := os.Open(filepath.Join(dir, "osv-scalibr_redhat-versions.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, count, failed := 0, 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("line %d: cannot read %q", n, line)
		}
		want := map[string]int{"<": -1, "=": 0, ">": 1}[fs[1]]
		if !strings.Contains("<=>", fs[1]) || len(fs[1]) != 1 {
			t.Fatalf("line %d: bad operator %q", n, fs[1])
		}
		count++
		got, rev := CompareRPM(fs[0], fs[2]), CompareRPM(fs[2], fs[0])
		if got != want || rev != -want {
			failed++
			t.Errorf("line %d: CompareRPM(%q, %q) = %d (reverse %d), want %d", n, fs[0], fs[2], got, rev, want)
		}
	}
	if count != 165 {
		t.Errorf("read %d vectors, want 165", count)
	}
	if failed > 0 {
		t.Errorf("%d of %d vectors failed", failed, count)
	}
}

func FuzzCompareRPM(f *testing.F) {
	for _, s := range [][3]string{
		{"1.0^git1", "1.0~rc1", "1:0.9"},
		{"5.14.0-427.el9", "5.14.0-427.1.el9", "5.14.0"},
		{"1-", "1", "1-0"},
		{"a:1", "1.1.α", "+2-:"},
		{"2:8.7p1-38.el9_4.4", "8.7p1", "1.01"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, CompareRPM, a, b, c)
		if v := ParseRPM(a); ParseRPM(v.String()).Compare(v) != 0 {
			t.Fatalf("String round trip of %q: %q", a, v.String())
		}
	})
}

// checkOrder fails unless cmp is antisymmetric, reflexive and transitive on
// the three values.
func checkOrder(t *testing.T, cmp func(a, b string) int, a, b, c string) {
	t.Helper()
	ab, ba := cmp(a, b), cmp(b, a)
	if ab != -ba || ab < -1 || ab > 1 {
		t.Fatalf("not antisymmetric: %q %q: %d, %d", a, b, ab, ba)
	}
	if cmp(a, a) != 0 {
		t.Fatalf("%q != itself", a)
	}
	bc, ac := cmp(b, c), cmp(a, c)
	if ab <= 0 && bc <= 0 && ac > 0 {
		t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
	}
	if ab >= 0 && bc >= 0 && ac < 0 {
		t.Fatalf("not transitive: %q >= %q >= %q but %q < %q", a, b, c, a, c)
	}
}
