package fim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// Realtime backends.
const (
	BackendAuto     = "auto"
	BackendFanotify = "fanotify"
	BackendInotify  = "inotify"
	BackendOff      = "off"
)

// Notice says that something may have changed at Path (a host path), or,
// with Overflow, that the kernel dropped notifications and only a rescan
// can tell what changed.
type Notice struct {
	Path     string
	Overflow bool
}

// WatchOptions configure a Watcher.
type WatchOptions struct {
	// Backend is BackendAuto (fanotify, else inotify), BackendFanotify or
	// BackendInotify.
	Backend string
	// MaxWatches bounds the inotify watches (one per directory); 0 means as
	// many as the kernel grants (fs.inotify.max_user_watches).
	MaxWatches int
}

// Watcher reports changes below the scanner's paths as they happen.
type Watcher interface {
	// Backend names the mechanism in use ("fanotify" or "inotify").
	Backend() string
	// Unwatched counts the directories that could not be watched (inotify
	// beyond its watch limit); changes there are found by scheduled scans only.
	Unwatched() int64
	// Run delivers notices until ctx ends, then releases the kernel
	// objects. notify must not block.
	Run(ctx context.Context, notify func(Notice)) error
}

// NewWatcher sets up realtime notification for the scanner's paths. With
// BackendAuto it tries fanotify (needs CAP_SYS_ADMIN and a file system that
// supports file handles) and falls back to inotify. It returns an error
// wrapping errors.ErrUnsupported where neither works.
func NewWatcher(root hostfs.Root, s *Scanner, opts WatchOptions) (Watcher, error) {
	switch opts.Backend {
	case BackendFanotify:
		return newFanotify(root, s)
	case BackendInotify:
		return newInotify(root, s, opts.MaxWatches)
	case "", BackendAuto:
		w, ferr := newFanotify(root, s)
		if ferr == nil {
			return w, nil
		}
		w, ierr := newInotify(root, s, opts.MaxWatches)
		if ierr != nil {
			return nil, errors.Join(ferr, ierr)
		}
		return w, nil
	}
	return nil, fmt.Errorf("unknown realtime backend %q", opts.Backend)
}

// hostPath maps a real path seen by the kernel back to a host path, or
// returns false when it lies outside the root.
func hostPath(root hostfs.Root, real string) (string, bool) {
	dir := root.Dir()
	if dir == "/" || dir == "" {
		return real, true
	}
	dir = strings.TrimSuffix(dir, "/")
	if real == dir {
		return "/", true
	}
	if strings.HasPrefix(real, dir+"/") {
		return real[len(dir):], true
	}
	return "", false
}

type unwatched struct{ n atomic.Int64 }

func (u *unwatched) Unwatched() int64 { return u.n.Load() }
