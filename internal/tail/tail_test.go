package tail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

type fixture struct {
	t    *testing.T
	dir  string
	root hostfs.Root
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dir: dir, root: root, now: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (f *fixture) append(name, s string) {
	f.t.Helper()
	fh, err := os.OpenFile(filepath.Join(f.dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := fh.WriteString(s); err != nil {
		f.t.Fatal(err)
	}
	fh.Close()
}

func (f *fixture) follower(pos Position, opts Options) *Follower {
	opts.Now = func() time.Time { return f.now }
	tl := New(f.root, "/auth.log", pos, opts)
	f.t.Cleanup(func() { tl.Close() })
	return tl
}

func poll(t *testing.T, tl *Follower) []string {
	t.Helper()
	var got []string
	err := tl.Poll(context.Background(), func(l Line) error {
		s := string(l.Data)
		if l.Truncated {
			s += "[cut]"
		}
		if l.Partial {
			s += "[partial]"
		}
		got = append(got, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func expect(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestFollow(t *testing.T) {
	t.Run("first start reads from the end", func(t *testing.T) {
		f := newFixture(t)
		f.append("auth.log", "old 1\nold 2\n")
		tl := f.follower(Position{}, Options{})
		expect(t, poll(t, tl))
		f.append("auth.log", "new 1\nnew 2\n")
		expect(t, poll(t, tl), "new 1", "new 2")
		expect(t, poll(t, tl))
	})
	t.Run("from start", func(t *testing.T) {
		f := newFixture(t)
		f.append("auth.log", "a\r\nb\n")
		expect(t, poll(t, f.follower(Position{}, Options{FromStart: true})), "a", "b")
	})
	t.Run("missing file then created", func(t *testing.T) {
		f := newFixture(t)
		tl := f.follower(Position{}, Options{})
		expect(t, poll(t, tl))
		f.append("auth.log", "x\n")
		// Opened for the first time now: a first start reads from the end.
		expect(t, poll(t, tl))
		f.append("auth.log", "y\n")
		expect(t, poll(t, tl), "y")
	})
	t.Run("last line without newline waits a second", func(t *testing.T) {
		f := newFixture(t)
		f.append("auth.log", "a\nhalf")
		tl := f.follower(Position{}, Options{FromStart: true})
		expect(t, poll(t, tl), "a")
		f.now = f.now.Add(500 * time.Millisecond)
		expect(t, poll(t, tl))
		f.append("auth.log", "-more")
		f.now = f.now.Add(900 * time.Millisecond)
		expect(t, poll(t, tl)) // changed: the wait starts again
		f.now = f.now.Add(time.Second)
		expect(t, poll(t, tl), "half-more[partial]")
		f.append("auth.log", "\nnext\n")
		expect(t, poll(t, tl), "", "next")
	})
	t.Run("rename rotation", func(t *testing.T) {
		f := newFixture(t)
		f.append("auth.log", "1\n")
		tl := f.follower(Position{}, Options{FromStart: true})
		expect(t, poll(t, tl), "1")
		f.append("auth.log", "2\ntail")
		if err := os.Rename(filepath.Join(f.dir, "auth.log"), filepath.Join(f.dir, "auth.log.1")); err != nil {
			t.Fatal(err)
		}
		expect(t, poll(t, tl), "2") // new file not there yet
		f.append("auth.log", "3\n")
		expect(t, poll(t, tl), "tail[partial]", "3")
	})
	t.Run("copytruncate", func(t *testing.T) {
		f := newFixture(t)
		f.append("auth.log", "first line\nsecond line\n")
		tl := f.follower(Position{}, Options{FromStart: true})
		expect(t, poll(t, tl), "first line", "second line")
		if err := os.Truncate(filepath.Join(f.dir, "auth.log"), 0); err != nil {
			t.Fatal(err)
		}
		f.append("auth.log", "n1\n")
		expect(t, poll(t, tl), "n1")
	})
	t.Run("long line cut", func(t *testing.T) {
		f := newFixture(t)
		f.append("auth.log", strings.Repeat("x", 25)+"\nok\n")
		expect(t, poll(t, f.follower(Position{}, Options{FromStart: true, MaxLine: 10})),
			strings.Repeat("x", 10)+"[cut]", "ok")
	})
}

func TestResume(t *testing.T) {
	f := newFixture(t)
	f.append("auth.log", "1\n2\n")
	tl := f.follower(Position{}, Options{FromStart: true})
	expect(t, poll(t, tl), "1", "2")
	pos := tl.Position()
	tl.Close()
	f.append("auth.log", "3\n")

	t.Run("same file", func(t *testing.T) {
		expect(t, poll(t, f.follower(pos, Options{})), "3")
	})
	t.Run("replaced file", func(t *testing.T) {
		g := newFixture(t)
		g.append("auth.log", "other\n")
		expect(t, poll(t, g.follower(pos, Options{})), "other")
	})
	t.Run("rewritten in place", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(f.dir, "auth.log"), []byte("X\nY\nZ\nW\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		expect(t, poll(t, f.follower(pos, Options{})), "X", "Y", "Z", "W")
	})
}
