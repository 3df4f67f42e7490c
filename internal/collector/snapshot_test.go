package collector

import (
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

func pkgItem(name, version string) Item {
	return Item{Key: name, Digest: version, Kind: "package", State: event.Event{
		Event:   event.Meta{Category: []string{event.CategoryPackage}},
		Package: &event.Package{Name: name, Version: version},
	}}
}

func collect(evs *[]event.Event) Emit {
	return func(e event.Event) bool { *evs = append(*evs, e); return true }
}

func TestDiff(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	prev := Diff(nil, []Item{pkgItem("bash", "5.1"), pkgItem("curl", "7.88"), pkgItem("vim", "9.0")}, now, collect(&evs))
	if len(evs) != 0 {
		t.Fatalf("first snapshot reported %d changes", len(evs))
	}
	next := []Item{pkgItem("bash", "5.2"), pkgItem("vim", "9.0"), pkgItem("zsh", "5.9")}
	Diff(prev, next, now, collect(&evs))
	got := map[string]string{}
	for _, e := range evs {
		got[e.Package.Name] = e.Event.Action
	}
	want := map[string]string{"bash": event.ActionPackageUpdated, "curl": event.ActionPackageRemoved, "zsh": event.ActionPackageInstalled}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	for _, e := range evs {
		if e.Package.Name == "bash" && (e.Vigil == nil || e.Vigil.Package.PreviousVersion != "5.1") {
			t.Errorf("update lacks previous version: %+v", e.Vigil)
		}
	}
}

func TestDiffWithoutChangedAction(t *testing.T) {
	sock := func(proc string) Item {
		return Item{Key: "tcp/0.0.0.0/22", Digest: proc, Kind: "socket", State: event.Event{
			Event: event.Meta{Category: []string{event.CategoryNetwork}}, Process: &event.Process{Name: proc}}}
	}
	var evs []event.Event
	prev := Diff(nil, []Item{sock("sshd")}, time.Now(), collect(&evs))
	Diff(prev, []Item{sock("nc")}, time.Now(), collect(&evs))
	if len(evs) != 2 || evs[0].Event.Action != event.ActionListenClosed || evs[1].Event.Action != event.ActionListenOpened {
		t.Fatalf("a changed socket is closed + opened, got %+v", evs)
	}
}

func TestSnapshotSaveLoad(t *testing.T) {
	dir := t.TempDir()
	var evs []event.Event
	m := Diff(nil, []Item{pkgItem("bash", "5.1")}, time.Now(), collect(&evs))
	if err := saveSnapshot(dir, m); err != nil {
		t.Fatal(err)
	}
	back, err := loadSnapshot(dir)
	if err != nil || back["bash"].Digest != "5.1" || back["bash"].State.Package.Name != "bash" {
		t.Fatalf("load = %+v, %v", back, err)
	}
	if m, err := loadSnapshot(t.TempDir()); m != nil || err != nil {
		t.Errorf("empty dir: %v %v", m, err)
	}
}

func TestEmitStateValid(t *testing.T) {
	var evs []event.Event
	EmitState([]Item{pkgItem("bash", "5.1")}, time.Now(), collect(&evs))
	e := evs[0]
	e.Event.ID = event.NewID(e.Timestamp)
	e.Event.Dataset = "vigil.inventory"
	if e.Event.Kind != event.KindState || e.Event.Action != event.ActionExistingPackage {
		t.Fatalf("state event %+v", e.Event)
	}
	if err := e.Validate(); err != nil {
		t.Errorf("invalid: %v", err)
	}
}
