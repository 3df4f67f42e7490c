package fim

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

var update = flag.Bool("update", false, "rewrite testdata/small.fimdb")

func sampleBaseline() *Baseline {
	b := NewBaseline()
	b.Put(Entry{Path: "/etc", Type: TypeDir, Mode: 0o755, Mtime: 1, Ctime: 2, Inode: 10, Dev: 2049})
	e := Entry{Path: "/etc/passwd", Type: TypeFile, Mode: 0o644, Size: 1234, Mtime: 1700000000123456789,
		Ctime: 1700000000123456790, Inode: 11, Dev: 2049, Flags: FlagHashed}
	e.Hash = sha256.Sum256([]byte("root:x:0:0::/root:/bin/sh\n"))
	b.Put(e)
	b.Put(Entry{Path: "/etc/shadow", Type: TypeFile, Mode: 0o640, GID: 42, Size: 900, Inode: 12, Dev: 2049, Flags: FlagHashError})
	b.Put(Entry{Path: "/etc/localtime", Type: TypeSymlink, Mode: 0o777, Inode: 13, Dev: 2049, Target: "/usr/share/zoneinfo/UTC"})
	b.Put(Entry{Path: "/usr/bin/sudo", Type: TypeFile, Mode: 0o4755, Size: 3 << 30, Mtime: -5, Inode: 1 << 40, Dev: 1<<63 + 7, Flags: FlagTooLarge})
	b.Put(Entry{Path: "/dev/null", Type: TypeCharDevice, Mode: 0o666, UID: 1<<32 - 1, GID: 1<<32 - 1})
	return b
}

func encode(t testing.TB, b *Baseline) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := b.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCodecRoundTrip(t *testing.T) {
	want := sampleBaseline()
	data := encode(t, want)
	golden := filepath.Join("testdata", "small.fimdb")
	if *update {
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	onDisk, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, data) {
		t.Errorf("encoding differs from %s (run with -update if the format changed on purpose)", golden)
	}
	for name, in := range map[string][]byte{"fresh": data, "golden": onDisk} {
		t.Run(name, func(t *testing.T) {
			got, err := Decode(in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != want.Len() {
				t.Fatalf("len %d, want %d", got.Len(), want.Len())
			}
			for _, p := range want.Paths() {
				w, _ := want.Get(p)
				g, ok := got.Get(p)
				if !ok || g != w {
					t.Errorf("%s: got %+v, want %+v", p, g, w)
				}
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good := encode(t, sampleBaseline())
	flip := bytes.Clone(good)
	flip[20] ^= 0xff
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"short", []byte("VIGILFIM")},
		{"foreign", []byte("SQLite format 3\x00 and more bytes")},
		{"version", append(append([]byte("VIGILFIM"), 9), good[9:]...)},
		{"truncated", good[:len(good)-10]},
		{"bit flip", flip},
		{"trailing", append(bytes.Clone(good[:len(good)-4]), 0, 0, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.in); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "baseline")
	if _, err := Load(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: err = %v", err)
	}
	want := sampleBaseline()
	if err := want.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != want.Len() {
		t.Fatalf("len %d, want %d", got.Len(), want.Len())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func FuzzDecode(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "small.fimdb"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(encode(f, NewBaseline()))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The records behind the checksum, which random input rarely passes.
		if len(data) > 9 {
			_, _ = decodeRecords(data[9:])
		}
		b, err := Decode(data)
		if err != nil {
			return
		}
		// What decodes must encode back to the same bytes.
		if again := encode(t, b); !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func TestExcluded(t *testing.T) {
	s, err := NewScanner(hostfs.Live(), Options{Paths: []string{"/etc"}, Exclude: []string{"*.swp", "/etc/ssl/*", "cache"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want bool
	}{
		{"/etc/passwd", false},
		{"/etc/.passwd.swp", true},
		{"/etc/ssl/certs", true},
		{"/etc/ssl/certs/a.pem", true},
		{"/etc/ssl", false},
		{"/etc/x/cache/y", true},
		{"/etc/cached", false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := s.Excluded(tc.path); got != tc.want {
				t.Errorf("Excluded(%q) = %v, want %v", tc.path, got, tc.want)
			}
		})
	}
	if _, err := NewScanner(hostfs.Live(), Options{Exclude: []string{"[x"}}); err == nil {
		t.Error("bad glob accepted")
	}
	if _, err := NewScanner(hostfs.Live(), Options{Paths: []string{"etc"}}); err == nil {
		t.Error("relative path accepted")
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		p, dir string
		want   bool
	}{
		{"/etc", "/etc", true},
		{"/etc/a", "/etc", true},
		{"/etcx", "/etc", false},
		{"/x", "/", true},
		{"/", "/", true},
	}
	for _, tc := range tests {
		if got := within(tc.p, tc.dir); got != tc.want {
			t.Errorf("within(%q, %q) = %v", tc.p, tc.dir, got)
		}
	}
}
