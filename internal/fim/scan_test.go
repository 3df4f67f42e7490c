package fim

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func writeFile(t testing.TB, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixture returns a root over a temp dir holding /w with a few files.
func fixture(t *testing.T) (hostfs.Root, string) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "w/a.txt"), "alpha")
	writeFile(t, filepath.Join(dir, "w/sub/b.conf"), "beta")
	writeFile(t, filepath.Join(dir, "w/sub/big.bin"), string(make([]byte, 4096)))
	writeFile(t, filepath.Join(dir, "w/skip.swp"), "swap")
	writeFile(t, filepath.Join(dir, "w/cache/c"), "cached")
	if err := os.Symlink("/w/a.txt", filepath.Join(dir, "w/link")); err != nil {
		t.Fatal(err)
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return root, dir
}

func newScanner(t *testing.T, root hostfs.Root) *Scanner {
	t.Helper()
	s, err := NewScanner(root, Options{Paths: []string{"/w"}, Exclude: []string{"*.swp", "/w/cache"}, MaxFileSize: 1024, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScan(t *testing.T) {
	root, _ := fixture(t)
	s := newScanner(t, root)
	b, st, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/w", "/w/a.txt", "/w/link", "/w/sub", "/w/sub/b.conf", "/w/sub/big.bin"}
	got := b.Paths()
	if len(got) != len(want) {
		t.Fatalf("paths %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("paths %v, want %v", got, want)
		}
	}
	a, _ := b.Get("/w/a.txt")
	if !a.Hashed() || a.Hash != sha256.Sum256([]byte("alpha")) || a.Size != 5 || a.Type != TypeFile || a.Inode == 0 {
		t.Errorf("a.txt = %+v", a)
	}
	if l, _ := b.Get("/w/link"); l.Type != TypeSymlink || l.Target != "/w/a.txt" {
		t.Errorf("link = %+v", l)
	}
	if big, _ := b.Get("/w/sub/big.bin"); big.Hashed() || big.Flags&FlagTooLarge == 0 {
		t.Errorf("big.bin = %+v, want too large", big)
	}
	if st.Hashed != 2 || st.TooLarge != 1 || st.Reused != 0 || st.Entries != 6 {
		t.Errorf("stats %+v", st)
	}

	// A rescan of the unchanged tree reads nothing.
	b2, st2, err := s.Scan(context.Background(), b, false)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Hashed != 0 || st2.Reused != 3 { // the too-large file is not read either
		t.Errorf("rescan stats %+v", st2)
	}
	if ch := Diff(b, b2); len(ch) != 0 {
		t.Errorf("rescan changes %+v", ch)
	}
	// A full rehash reads everything again.
	if _, st3, _ := s.Scan(context.Background(), b, true); st3.Hashed != 2 || st3.Reused != 0 {
		t.Errorf("full rehash stats %+v", st3)
	}
}

func TestScanChanges(t *testing.T) {
	root, dir := fixture(t)
	s := newScanner(t, root)
	before, _, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "w/a.txt"), "ALPHA")
	if err := os.Chmod(filepath.Join(dir, "w/sub/b.conf"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "w/sub/b.conf"), filepath.Join(dir, "w/b.conf")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "w/new"), "new")
	if err := os.Remove(filepath.Join(dir, "w/link")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "w/x.swp"), "ignored")
	after, _, err := s.Scan(context.Background(), before, false)
	if err != nil {
		t.Fatal(err)
	}
	changes := Diff(before, after)
	// Rescan finds the same changes during the walk.
	_, fused, _, err := s.Rescan(context.Background(), before, []string{"/w"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(fused) != len(changes) {
		t.Fatalf("Rescan found %d changes, Diff %d", len(fused), len(changes))
	}
	for i := range fused {
		if fused[i].Action != changes[i].Action || fused[i].Path() != changes[i].Path() {
			t.Errorf("Rescan %s %s, Diff %s %s", fused[i].Action, fused[i].Path(), changes[i].Action, changes[i].Path())
		}
	}
	want := map[string]string{
		"/w/a.txt":  Updated,
		"/w/b.conf": Moved,
		"/w/new":    Created,
		"/w/link":   Deleted,
	}
	if len(changes) != len(want) {
		t.Errorf("changes: %+v", changes)
	}
	for _, c := range changes {
		if want[c.Path()] != c.Action {
			t.Errorf("%s: %s, want %s", c.Path(), c.Action, want[c.Path()])
		}
		ev := c.Event(time.Now(), Names{}, 1024)
		if err := ev.Validate(); err != nil {
			t.Errorf("%s: invalid event: %v", c.Path(), err)
		}
		switch c.Action {
		case Updated:
			if ev.File.Hash == nil || ev.Vigil.File.Previous.Hash == nil || ev.File.Hash.SHA256 == ev.Vigil.File.Previous.Hash.SHA256 {
				t.Errorf("update hashes: %+v / %+v", ev.File.Hash, ev.Vigil.File.Previous.Hash)
			}
		case Moved:
			if ev.Vigil.File.Previous.Path != "/w/sub/b.conf" || ev.File.Mode != "0600" {
				t.Errorf("moved: previous %s, mode %s", ev.Vigil.File.Previous.Path, ev.File.Mode)
			}
		}
	}
}

func TestCompare(t *testing.T) {
	base := Entry{Path: "/f", Type: TypeFile, Mode: 0o644, Size: 3, Mtime: 10, Ctime: 10, Inode: 5, Dev: 1, Flags: FlagHashed, Hash: [32]byte{1}}
	tests := []struct {
		name string
		edit func(e *Entry)
		want string
	}{
		{"same", func(e *Entry) {}, ""},
		{"ctime only", func(e *Entry) { e.Ctime = 11 }, ""},
		{"content", func(e *Entry) { e.Hash = [32]byte{2}; e.Mtime = 11 }, Updated},
		{"size", func(e *Entry) { e.Size = 4 }, Updated},
		{"mode", func(e *Entry) { e.Mode = 0o600 }, AttributesModified},
		{"owner", func(e *Entry) { e.UID = 1 }, AttributesModified},
		{"touch", func(e *Entry) { e.Mtime = 20 }, AttributesModified},
		{"type", func(e *Entry) { e.Type = TypeSymlink; e.Target = "/x" }, Updated},
		{"too large touched", func(e *Entry) { e.Flags = FlagTooLarge; e.Mtime = 20 }, Updated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur := base
			tc.edit(&cur)
			if got := compare(&base, &cur); got != tc.want {
				t.Errorf("compare = %q, want %q", got, tc.want)
			}
		})
	}
	dir := Entry{Path: "/d", Type: TypeDir, Mode: 0o755, Size: 4096, Mtime: 1}
	d2 := dir
	d2.Size, d2.Mtime = 8192, 2
	if got := compare(&dir, &d2); got != "" {
		t.Errorf("directory growth reported as %q", got)
	}
}

// benchTree writes 2,000 files of 64 KiB in 40 directories.
func benchTree(b *testing.B) hostfs.Root {
	dir := b.TempDir()
	data := make([]byte, 64<<10)
	for i := range 2000 {
		data[0] = byte(i)
		name := filepath.Join(dir, "t", "d"+strconv.Itoa(i%40), "f"+strconv.Itoa(i))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	root, err := hostfs.New(dir)
	if err != nil {
		b.Fatal(err)
	}
	return root
}

func BenchmarkScan(b *testing.B) {
	root := benchTree(b)
	s, err := NewScanner(root, Options{Paths: []string{"/t"}})
	if err != nil {
		b.Fatal(err)
	}
	base, _, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline", func(b *testing.B) {
		b.SetBytes(2000 * 64 << 10)
		for b.Loop() {
			if _, _, err := s.Scan(context.Background(), nil, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rescan", func(b *testing.B) {
		for b.Loop() {
			if _, st, err := s.Scan(context.Background(), base, false); err != nil || st.Hashed != 0 {
				b.Fatal(err, st.Hashed)
			}
		}
	})
}

func TestDiffHardLinks(t *testing.T) {
	prev, next := NewBaseline(), NewBaseline()
	a := Entry{Path: "/w/a", Type: TypeFile, Size: 1, Inode: 7, Dev: 1, Flags: FlagHashed, Hash: [32]byte{1}}
	b := a
	b.Path = "/w/b"
	prev.Put(a)
	prev.Put(b)
	c := a
	c.Path = "/w/c"
	next.Put(c)
	got := Diff(prev, next)
	if len(got) != 2 {
		t.Fatalf("changes %+v", got)
	}
	actions := map[string]int{}
	for _, ch := range got {
		actions[ch.Action]++
	}
	if actions[Moved] != 1 || actions[Deleted] != 1 {
		t.Errorf("actions %v, want one moved and one deleted", actions)
	}
}

func TestEventNotes(t *testing.T) {
	big := Entry{Path: "/var/big.img", Type: TypeFile, Mode: 0o600, Size: 5 << 30, Flags: FlagTooLarge, Inode: 3}
	ev := Change{Action: Created, New: &big}.Event(time.Unix(100, 0), Names{Users: map[uint32]string{0: "root"}}, 1<<30)
	if err := ev.Validate(); err != nil {
		t.Fatal(err)
	}
	if ev.File.Hash != nil || !strings.Contains(ev.Message, "not hashed: larger than max_file_size") {
		t.Errorf("too large: hash %v, message %q", ev.File.Hash, ev.Message)
	}
	if ev.File.Owner != "root" || ev.File.Mode != "0600" || *ev.File.Size != 5<<30 || ev.File.Extension != "img" {
		t.Errorf("file %+v", ev.File)
	}
	old := big
	old.Path = "/var/old.img"
	ev = Change{Action: Moved, Old: &old, New: &big}.Event(time.Unix(100, 0), Names{}, 1<<30)
	if ev.Event.Type[0] != "change" || ev.Vigil.File.Previous.Path != "/var/old.img" {
		t.Errorf("moved: %+v", ev.Event)
	}
}

// The result holds exactly the entries found, whatever prev holds: entries
// of prev outside the paths, or gone, are not carried over, and overlapping
// paths are walked once.
func TestScanPathsResult(t *testing.T) {
	root, dir := fixture(t)
	s := newScanner(t, root)
	full, _, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		paths []string
		edit  func()
		want  []string
	}{
		{"subtree with a larger prev", []string{"/w/sub"}, nil, []string{"/w/sub", "/w/sub/b.conf", "/w/sub/big.bin"}},
		{"overlapping paths", []string{"/w/sub", "/w/sub/b.conf", "/w/sub/"}, nil, []string{"/w/sub", "/w/sub/b.conf", "/w/sub/big.bin"}},
		{"file", []string{"/w/a.txt"}, nil, []string{"/w/a.txt"}},
		{"missing", []string{"/w/none"}, nil, nil},
		{"deleted entry", []string{"/w/sub"}, func() {
			if err := os.Remove(filepath.Join(dir, "w/sub/big.bin")); err != nil {
				t.Fatal(err)
			}
		}, []string{"/w/sub", "/w/sub/b.conf"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.edit != nil {
				tc.edit()
			}
			b, st, err := s.ScanPaths(context.Background(), full, tc.paths, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Paths(); !slices.Equal(got, tc.want) {
				t.Errorf("paths %v, want %v", got, tc.want)
			}
			if st.Entries != int64(len(tc.want)) || st.Hashed != 0 {
				t.Errorf("stats %+v", st)
			}
			for _, p := range tc.want {
				if e, _ := b.Get(p); e.Type == TypeFile && e.Size <= 1024 && !e.Hashed() {
					t.Errorf("%s lost its hash: %+v", p, e)
				}
			}
		})
	}
}

// A tree with more directories than the walk queues (the walkers then read
// directories themselves, depth first) is scanned whole, without running
// out of descriptors.
func TestScanManyDirectories(t *testing.T) {
	dir := t.TempDir()
	const dirs, depth = 1500, 40
	for i := range dirs {
		writeFile(t, filepath.Join(dir, "w", "d"+strconv.Itoa(i), "f"), strconv.Itoa(i))
	}
	deep := filepath.Join(dir, "w")
	for i := range depth {
		deep = filepath.Join(deep, "n"+strconv.Itoa(i))
	}
	writeFile(t, filepath.Join(deep, "f"), "deep")
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewScanner(root, Options{Paths: []string{"/w"}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, st, err := s.Scan(context.Background(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(1 + 2*dirs + depth + 1); st.Entries != want || st.Hashed != dirs+1 || st.Errors != 0 {
		t.Errorf("stats %+v, want %d entries", st, want)
	}
	if e, _ := b.Get("/w/d1499/f"); e.Hash != sha256.Sum256([]byte("1499")) {
		t.Errorf("/w/d1499/f = %+v", e)
	}
	// The rescan keeps every hash and rebuilds nothing.
	b2, changes, st2, err := s.Rescan(context.Background(), b, []string{"/w"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 0 || st2.Hashed != 0 || b2.Len() != b.Len() {
		t.Errorf("rescan: %d changes, stats %+v", len(changes), st2)
	}
}
