package fim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// fanMask is what the fanotify marks ask for: entry creation, deletion and
// renames in directories, content writes and attribute changes.
const fanMask = unix.FAN_CREATE | unix.FAN_DELETE | unix.FAN_MOVED_FROM | unix.FAN_MOVED_TO |
	unix.FAN_MODIFY | unix.FAN_CLOSE_WRITE | unix.FAN_ATTRIB | unix.FAN_DELETE_SELF |
	unix.FAN_MOVE_SELF | unix.FAN_ONDIR

// fanotifyWatcher marks the whole file system of each watched path
// (FAN_MARK_FILESYSTEM) and reports directory handle + name
// (FAN_REPORT_DFID_NAME); handles are turned into paths with
// open_by_handle_at on a descriptor of that file system, and events outside
// the watched paths are dropped.
type fanotifyWatcher struct {
	unwatched
	root   hostfs.Root
	s      *Scanner
	f      *os.File
	mounts map[[8]byte]int // fsid -> descriptor on that file system
	// dirs caches directory handle -> host path (dirOutside when outside
	// the root), so that busy directories elsewhere on the file system cost
	// a map lookup, not open_by_handle_at and readlink. It is cleared when a
	// directory is renamed or deleted, and when it grows past dirCacheMax.
	dirs map[string]string
}

const (
	dirCacheMax = 4096
	dirOutside  = "\x00"
)

func newFanotify(root hostfs.Root, s *Scanner) (Watcher, error) {
	fd, err := unix.FanotifyInit(unix.FAN_CLASS_NOTIF|unix.FAN_CLOEXEC|unix.FAN_NONBLOCK|unix.FAN_REPORT_DFID_NAME,
		unix.O_RDONLY|unix.O_LARGEFILE)
	if err != nil {
		return nil, fmt.Errorf("fanotify init: %w", err)
	}
	w := &fanotifyWatcher{root: root, s: s, mounts: map[[8]byte]int{}, dirs: map[string]string{}}
	ok := false
	defer func() {
		if !ok {
			w.closeMounts()
			unix.Close(fd)
		}
	}()
	marked := 0
	for _, p := range s.opts.Paths {
		real := root.Path(p)
		var sfs unix.Statfs_t
		if err := unix.Statfs(real, &sfs); err != nil {
			continue // a missing path is found by scans if it appears
		}
		fsid := fsidBytes(sfs.Fsid)
		if _, done := w.mounts[fsid]; done {
			continue
		}
		if err := unix.FanotifyMark(fd, unix.FAN_MARK_ADD|unix.FAN_MARK_FILESYSTEM, fanMask, unix.AT_FDCWD, real); err != nil {
			return nil, fmt.Errorf("fanotify mark %s: %w", p, err)
		}
		// Not O_PATH: open_by_handle_at refuses O_PATH descriptors (EBADF).
		mfd, err := unix.Open(real, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err != nil {
			return nil, fmt.Errorf("fanotify: open %s: %w", p, err)
		}
		w.mounts[fsid] = mfd
		marked++
	}
	if marked == 0 {
		return nil, fmt.Errorf("fanotify: none of the paths exists")
	}
	w.f = os.NewFile(uintptr(fd), "fanotify")
	ok = true
	return w, nil
}

func fsidBytes(f unix.Fsid) [8]byte {
	var b [8]byte
	for i, v := range f.Val {
		u := uint32(v)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	return b
}

func (w *fanotifyWatcher) Backend() string { return BackendFanotify }

func (w *fanotifyWatcher) closeMounts() {
	for _, fd := range w.mounts {
		unix.Close(fd)
	}
}

func (w *fanotifyWatcher) Run(ctx context.Context, notify func(Notice)) error {
	defer w.closeMounts()
	defer w.f.Close()
	stop := context.AfterFunc(ctx, func() { w.f.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
				continue
			}
			return fmt.Errorf("fanotify read: %w", err)
		}
		parseFanotify(buf[:n], func(r fanRecord) {
			if r.FD >= 0 {
				unix.Close(int(r.FD))
			}
			if r.Mask&fanQOverflow != 0 {
				notify(Notice{Overflow: true})
				return
			}
			p, ok := w.resolve(r)
			if r.Mask&unix.FAN_ONDIR != 0 && r.Mask&(unix.FAN_MOVED_FROM|unix.FAN_MOVED_TO|unix.FAN_DELETE|unix.FAN_DELETE_SELF|unix.FAN_MOVE_SELF) != 0 {
				clear(w.dirs) // cached paths below the directory are stale
			}
			if ok && w.s.Watched(p) {
				notify(Notice{Path: p})
			}
		})
	}
}

// resolve turns a record's directory handle and name into a host path.
func (w *fanotifyWatcher) resolve(r fanRecord) (string, bool) {
	if !r.HasFID {
		return "", false
	}
	key := string(r.FSID[:]) + strconv.Itoa(int(r.HandleType)) + ":" + string(r.Handle)
	p, ok := w.dirs[key]
	if !ok {
		var resolved bool
		p, resolved = w.resolveDir(r)
		if !resolved {
			return "", false
		}
		if len(w.dirs) >= dirCacheMax {
			clear(w.dirs)
		}
		w.dirs[key] = p
	}
	if p == dirOutside {
		return "", false
	}
	if r.Name != "" && r.Name != "." {
		p = path.Join(p, r.Name)
	}
	return p, true
}

// resolveDir opens a directory handle and returns its host path, dirOutside
// for a directory outside the root, or false when the handle is stale.
func (w *fanotifyWatcher) resolveDir(r fanRecord) (string, bool) {
	mfd, ok := w.mounts[r.FSID]
	if !ok {
		return dirOutside, true
	}
	fd, err := unix.OpenByHandleAt(mfd, unix.NewFileHandle(r.HandleType, r.Handle), unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		// ESTALE: the directory is gone; its own deletion event names it.
		return "", false
	}
	// The kernel's name for an open descriptor (this process's own fd table).
	real, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	unix.Close(fd)
	if err != nil || strings.HasSuffix(real, " (deleted)") {
		return "", false
	}
	p, ok := hostPath(w.root, real)
	if !ok {
		return dirOutside, true
	}
	return p, true
}
