package audit

import (
	"context"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/actors"
	"github.com/vigil-sec/vigil/internal/audit"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

// fimKey tags the watch rules added for the fim collector's paths
// (watch_fim_paths).
const fimKey = keyPrefix + "-fim"

// recordActor notes in cache who acted on the file of a mapped file event,
// for the fim collector to join. Failed syscalls and reads changed nothing
// and are not recorded. A creation, deletion or move also changed the
// parent directory; a move records its old name too. It reports whether the
// event came from a fim watch rule (key vigil-fim): such an event is only
// for the join and is not emitted when it succeeded, since the fim
// collector reports the change itself, now with its actor.
func recordActor(cache *actors.Cache, ev *event.Event) (fimOnly bool) {
	if ev.File == nil || ev.File.Path == "" || !slices.Contains(ev.Event.Category, event.CategoryFile) ||
		ev.Event.Outcome == event.OutcomeFailure {
		return false
	}
	fimOnly = ev.Auditd != nil && ev.Auditd.Data["key"] == fimKey
	if cache == nil || (ev.User == nil && ev.Process == nil) {
		return fimOnly
	}
	op := actors.OpChange
	switch ev.Event.Action {
	case audit.ActionFileAccessed:
		return fimOnly
	case event.ActionCreated, event.ActionDeleted, event.ActionMoved:
		op = actors.OpEntry
	}
	a := actors.Actor{User: ev.User, Process: ev.Process}
	cache.Record(ev.File.Path, op, a, ev.Timestamp)
	if ev.Event.Action == event.ActionMoved && ev.Vigil != nil && ev.Vigil.File != nil &&
		ev.Vigil.File.Previous != nil && ev.Vigil.File.Previous.Path != "" {
		cache.Record(ev.Vigil.File.Previous.Path, actors.OpEntry, a, ev.Timestamp)
	}
	return fimOnly
}

// fimWatches returns watch rules (key vigil-fim) for the paths the fim
// collector asked actors for. A path that is a symbolic link (/bin on a
// merged /usr) is watched at its target, since audit matches the directory
// a file really is in; duplicates are dropped.
func fimWatches(_ context.Context, root hostfs.Root, paths []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		p = resolveLink(root, p)
		if p == "" || seen[p] || !validWatchPath(p) {
			continue
		}
		seen[p] = true
		out = append(out, "-w "+p+" -p wa -k "+fimKey)
	}
	return out
}

// resolveLink follows symbolic links in the last component of p, at most 8.
func resolveLink(root hostfs.Root, p string) string {
	for range 8 {
		fi, err := root.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return p
		}
		target, err := root.Readlink(p)
		if err != nil {
			return p
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(p), target)
		}
		p = path.Clean(target)
	}
	return p
}

// validWatchPath reports whether p can be a watch rule of its own: absolute,
// without blanks or quotes (the rule syntax splits on them), and not "/",
// which would record every write on the host.
func validWatchPath(p string) bool {
	return path.IsAbs(p) && p != "/" && !strings.ContainsAny(p, " \t\n'\"")
}
