package collectortest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

func TestMemOutput(t *testing.T) {
	var o MemOutput
	for _, batch := range [][]string{{"a", "b"}, nil, {"c"}} {
		var evs []event.Event
		for _, a := range batch {
			evs = append(evs, event.Event{Event: event.Meta{Action: a}})
		}
		if err := o.Write(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	got := o.Events()
	if len(got) != 3 || got[0].Event.Action != "a" || got[2].Event.Action != "c" {
		t.Fatalf("events %+v", got)
	}
	got[0].Event.Action = "changed"
	if o.Events()[0].Event.Action != "a" {
		t.Error("Events does not return a copy")
	}
}

func TestCopyTree(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "etc", "ssh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "etc", "ssh", "key"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/ssh/key", filepath.Join(src, "etc", "link")); err != nil {
		t.Fatal(err)
	}
	dst := CopyTree(t, src)
	fi, err := os.Stat(filepath.Join(dst, "etc", "ssh", "key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "etc", "ssh", "key")); string(b) != "secret" {
		t.Errorf("content %q", b)
	}
	if target, err := os.Readlink(filepath.Join(dst, "etc", "link")); err != nil || target != "/etc/ssh/key" {
		t.Errorf("link %q, %v; want the absolute target kept", target, err)
	}
}
