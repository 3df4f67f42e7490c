package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// transition says how a change of one kind of item is reported.
type transition struct {
	action string
	types  []string
}

// kindActions maps an item kind to its created, changed and deleted reports. A
// kind without a changed action reports a change as deleted + created.
var kindActions = map[string]struct{ created, changed, deleted transition }{
	"package": {
		transition{event.ActionPackageInstalled, []string{event.TypeInstallation}},
		transition{event.ActionPackageUpdated, []string{event.TypeChange}},
		transition{event.ActionPackageRemoved, []string{event.TypeDeletion}},
	},
	"user": {
		transition{event.ActionUserAdded, []string{event.TypeUser, event.TypeCreation}},
		transition{event.ActionUserChanged, []string{event.TypeUser, event.TypeChange}},
		transition{event.ActionUserRemoved, []string{event.TypeUser, event.TypeDeletion}},
	},
	"group": {
		transition{event.ActionGroupAdded, []string{event.TypeGroup, event.TypeCreation}},
		transition{event.ActionGroupChanged, []string{event.TypeGroup, event.TypeChange}},
		transition{event.ActionGroupRemoved, []string{event.TypeGroup, event.TypeDeletion}},
	},
	"socket": {
		created: transition{event.ActionListenOpened, []string{event.TypeStart}},
		deleted: transition{event.ActionListenClosed, []string{event.TypeEnd}},
	},
	"module": {
		created: transition{event.ActionModuleLoaded, []string{event.TypeStart}},
		deleted: transition{event.ActionModuleUnloaded, []string{event.TypeEnd}},
	},
	"service": {
		created: transition{event.ActionServiceEnabled, []string{event.TypeChange}},
		deleted: transition{event.ActionServiceDisabled, []string{event.TypeChange}},
	},
	"cron": {
		transition{event.ActionCronChanged, []string{event.TypeChange}},
		transition{event.ActionCronChanged, []string{event.TypeChange}},
		transition{event.ActionCronChanged, []string{event.TypeChange}},
	},
	"ssh_key": {
		created: transition{event.ActionSSHKeyAdded, []string{event.TypeChange}},
		deleted: transition{event.ActionSSHKeyRemoved, []string{event.TypeChange}},
	},
}

// savedItem is an item as kept in the collector's state dir between runs, so
// that changes made while the agent was stopped are reported at its start.
type savedItem struct {
	Digest string      `json:"digest"`
	Kind   string      `json:"kind"`
	State  event.Event `json:"state"`
}

const snapshotFile = "snapshot.json"

// runSnapshots takes snapshots every interval and emits the differences. The
// first snapshot without a saved one, and every StateInterval, emits the full
// state as existing_* events.
func (r *Runner) runSnapshots(ctx context.Context, in Instance, s Snapshotter, emit Emit, h *Health) error {
	prev, err := loadSnapshot(in.Deps.StateDir)
	if err != nil {
		r.opts.Logger.Warn("snapshot state unreadable; starting afresh", "collector", in.Name, "err", err)
	}
	lastFull := time.Time{}
	tick := time.NewTicker(s.Interval())
	defer tick.Stop()
	for {
		items, err := s.Snapshot(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			h.Set(event.CollectorStateDegraded, err.Error())
			h.Add("snapshot_errors", 1)
		} else {
			h.Set(event.CollectorStateRunning, "")
			now := r.opts.Now()
			full := prev == nil || now.Sub(lastFull) >= r.opts.StateInterval
			cur := Diff(prev, items, now, emit)
			if full {
				EmitState(items, now, emit)
				lastFull = now
			}
			prev = cur
			if err := saveSnapshot(in.Deps.StateDir, prev); err != nil {
				h.Set(event.CollectorStateDegraded, "cannot save snapshot: "+err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Diff emits created, changed and deleted events between prev and items, and
// returns the new saved state. A nil prev means "no earlier snapshot": nothing
// is reported as created.
func Diff(prev map[string]savedItem, items []Item, now time.Time, emit Emit) map[string]savedItem {
	cur := make(map[string]savedItem, len(items))
	for _, it := range items {
		cur[it.Key] = savedItem{Digest: it.Digest, Kind: it.Kind, State: it.State}
	}
	if prev == nil {
		return cur
	}
	keys := make([]string, 0, len(items))
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := cur[k]
		p, existed := prev[k]
		acts := kindActions[c.Kind]
		switch {
		case !existed:
			emitTransition(c.State, acts.created, now, emit, nil)
		case p.Digest != c.Digest && acts.changed.action != "":
			emitTransition(c.State, acts.changed, now, emit, &p.State)
		case p.Digest != c.Digest:
			emitTransition(p.State, acts.deleted, now, emit, nil)
			emitTransition(c.State, acts.created, now, emit, nil)
		}
	}
	gone := make([]string, 0)
	for k := range prev {
		if _, ok := cur[k]; !ok {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		p := prev[k]
		emitTransition(p.State, kindActions[p.Kind].deleted, now, emit, nil)
	}
	return cur
}

func emitTransition(state event.Event, t transition, now time.Time, emit Emit, before *event.Event) {
	if t.action == "" {
		return
	}
	ev := state
	ev.Timestamp = now
	ev.Event.ID = ""
	ev.Event.Kind = event.KindEvent
	ev.Event.Action = t.action
	ev.Event.Type = t.types
	if before != nil && before.Package != nil && ev.Package != nil && before.Package.Version != ev.Package.Version {
		if ev.Vigil == nil {
			ev.Vigil = &event.Vigil{}
		}
		ev.Vigil.Package = &event.VigilPackage{PreviousVersion: before.Package.Version}
	}
	emit(ev)
}

// EmitState emits every item as an existing_* state event.
func EmitState(items []Item, now time.Time, emit Emit) {
	for _, it := range items {
		ev := it.State
		ev.Timestamp = now
		ev.Event.ID = ""
		ev.Event.Kind = event.KindState
		ev.Event.Action = event.ExistingPrefix + it.Kind
		ev.Event.Type = []string{event.TypeInfo}
		emit(ev)
	}
}

func loadSnapshot(dir string) (map[string]savedItem, error) {
	if dir == "" {
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, snapshotFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]savedItem
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", snapshotFile, err)
	}
	return m, nil
}

// saveSnapshot writes the state atomically (temporary file, fsync, rename).
func saveSnapshot(dir string, m map[string]savedItem) error {
	if dir == "" {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return WriteStateFile(dir, snapshotFile, b)
}
