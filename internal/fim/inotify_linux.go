package fim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

const inMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_MODIFY |
	unix.IN_CLOSE_WRITE | unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF |
	unix.IN_DONT_FOLLOW | unix.IN_EXCL_UNLINK | unix.IN_ONLYDIR

// inotifyWatcher keeps one watch per directory below the watched paths (a
// watched file is covered by a watch on its directory). Directories created
// or moved in later are watched when their event arrives. Beyond the watch
// limit the remaining directories are counted in Unwatched and left to the
// scheduled scans.
type inotifyWatcher struct {
	unwatched
	root hostfs.Root
	s    *Scanner
	f    *os.File
	fd   int
	max  int

	mu   sync.Mutex
	dirs map[int32]string // watch descriptor -> host directory
}

func newInotify(root hostfs.Root, s *Scanner, max int) (Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("inotify init: %w", err)
	}
	w := &inotifyWatcher{root: root, s: s, fd: fd, max: max, dirs: map[int32]string{}}
	for _, p := range s.opts.Paths {
		fi, err := os.Lstat(root.Path(p))
		switch {
		case err != nil:
			continue
		case fi.IsDir():
			w.addTree(p)
		default:
			w.add(path.Dir(p))
		}
	}
	w.f = os.NewFile(uintptr(fd), "inotify")
	return w, nil
}

func (w *inotifyWatcher) Backend() string { return BackendInotify }

// add watches one host directory; false when the limit is reached.
func (w *inotifyWatcher) add(dir string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.max > 0 && len(w.dirs) >= w.max {
		w.n.Add(1)
		return false
	}
	wd, err := unix.InotifyAddWatch(w.fd, w.root.Path(dir), inMask)
	if err != nil {
		if errors.Is(err, unix.ENOSPC) {
			w.n.Add(1) // the kernel's max_user_watches
			return false
		}
		return true // vanished or unreadable: nothing to watch
	}
	w.dirs[int32(wd)] = dir // the same inode gives the same wd: a moved directory gets its new path
	return true
}

// addTree watches dir and the directories below it, not entering excluded
// ones; beyond the limit it only counts.
func (w *inotifyWatcher) addTree(dir string) {
	if w.s.Excluded(dir) {
		return
	}
	w.add(dir)
	ents, err := os.ReadDir(w.root.Path(dir))
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() {
			w.addTree(path.Join(dir, e.Name()))
		}
	}
}

func (w *inotifyWatcher) Run(ctx context.Context, notify func(Notice)) error {
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
			return fmt.Errorf("inotify read: %w", err)
		}
		w.handle(buf[:n], notify)
	}
}

func (w *inotifyWatcher) handle(buf []byte, notify func(Notice)) {
	for len(buf) >= unix.SizeofInotifyEvent {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[0]))
		end := unix.SizeofInotifyEvent + int(ev.Len)
		if end > len(buf) {
			return
		}
		name := buf[unix.SizeofInotifyEvent:end]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		buf = buf[end:]
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			notify(Notice{Overflow: true})
			continue
		}
		w.mu.Lock()
		dir, ok := w.dirs[ev.Wd]
		if ev.Mask&unix.IN_IGNORED != 0 {
			delete(w.dirs, ev.Wd)
		}
		w.mu.Unlock()
		if !ok {
			continue
		}
		p := dir
		if len(name) > 0 {
			p = path.Join(dir, string(name))
		}
		if ev.Mask&unix.IN_ISDIR != 0 && ev.Mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 && w.s.Watched(p) {
			w.addTree(p)
		}
		if ev.Mask&unix.IN_IGNORED == 0 && w.s.Watched(p) {
			notify(Notice{Path: p})
		}
	}
}
