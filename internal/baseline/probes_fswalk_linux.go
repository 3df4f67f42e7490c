package baseline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// walkFS walks the tree below rootDir (the real directory of the host's "/")
// with a few goroutines, each taking whole directories from a shared stack. Every
// entry is lstat'ed exactly once (fstatat relative to its open directory); the
// walk never follows symbolic links and does not enter plan.skipDirs.
func walkFS(ctx context.Context, rootDir string, p walkPlan) (*fsScan, error) {
	workers := min(4, max(2, 2*runtime.NumCPU()))
	q := newDirQueue()
	q.push("/")
	parts := make([]*fsScan, workers)
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, q.cancel)
	defer stop()
	for i := range workers {
		wg.Go(func() {
			w := walker{root: rootDir, plan: &p, q: q, scan: &fsScan{}, buf: make([]byte, 64<<10)}
			w.run()
			parts[i] = w.scan
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	total := &fsScan{OwnersKnown: p.uids != nil}
	for _, s := range parts {
		total.merge(s)
	}
	total.sort()
	return total, nil
}

// dirQueue is a stack of directories to read, with a count of directories
// handed out but not finished, so workers know when the walk is over.
type dirQueue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	stack    []string
	pending  int
	canceled bool
}

func newDirQueue() *dirQueue {
	q := &dirQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *dirQueue) push(dirs ...string) {
	q.mu.Lock()
	q.stack = append(q.stack, dirs...)
	q.pending += len(dirs)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// pop returns the next directory, or false when the walk is done or canceled.
func (q *dirQueue) pop() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.stack) == 0 && q.pending > 0 && !q.canceled {
		q.cond.Wait()
	}
	if q.canceled || len(q.stack) == 0 {
		return "", false
	}
	d := q.stack[len(q.stack)-1]
	q.stack = q.stack[:len(q.stack)-1]
	return d, true
}

// done marks one popped directory finished.
func (q *dirQueue) done() {
	q.mu.Lock()
	q.pending--
	last := q.pending == 0
	q.mu.Unlock()
	if last {
		q.cond.Broadcast()
	}
}

func (q *dirQueue) cancel() {
	q.mu.Lock()
	q.canceled = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

type walker struct {
	root  string
	plan  *walkPlan
	q     *dirQueue
	scan  *fsScan
	buf   []byte
	names []string
	subs  []string
}

func (w *walker) run() {
	for {
		dir, ok := w.q.pop()
		if !ok {
			return
		}
		w.readDir(dir)
		if len(w.subs) > 0 {
			w.q.push(w.subs...)
			w.subs = w.subs[:0]
		}
		w.q.done()
	}
}

func (w *walker) fail(dir string, err error) {
	if errors.Is(err, unix.ENOENT) {
		return // removed while we walked
	}
	w.scan.Errors++
	if w.scan.FirstErr == nil {
		w.scan.FirstErr = fmt.Errorf("read %s: %w", dir, err)
	}
}

// readDir lists one directory, lstats its entries, classifies them and queues
// its subdirectories in w.subs.
func (w *walker) readDir(dir string) {
	real := dir
	if w.root != "/" {
		real = w.root + dir
	}
	fd, err := unix.Open(real, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		w.fail(dir, err)
		return
	}
	defer unix.Close(fd)
	w.scan.Dirs++
	prefix := dir + "/"
	if dir == "/" {
		prefix = "/"
	}
	var st unix.Stat_t
	for {
		n, err := unix.Getdents(fd, w.buf)
		if err != nil {
			w.fail(dir, err)
			return
		}
		if n <= 0 {
			return
		}
		_, _, w.names = unix.ParseDirent(w.buf[:n], -1, w.names[:0])
		for _, name := range w.names {
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				if !errors.Is(err, unix.ENOENT) {
					w.fail(prefix+name, err)
				}
				continue
			}
			w.scan.Entries++
			w.entry(prefix, name, &st)
		}
	}
}

func (w *walker) entry(prefix, name string, st *unix.Stat_t) {
	mode := st.Mode
	typ := mode & sIFMT
	p := w.plan
	interesting := (typ == sIFREG && mode&(sIWOTH|sISUID|sISGID) != 0) ||
		(typ == sIFDIR && mode&sIWOTH != 0 && mode&sISVTX == 0) ||
		(p.uids != nil && (!p.uids[st.Uid] || !p.gids[st.Gid]))
	if typ != sIFDIR && !interesting {
		return
	}
	path := prefix + name
	if interesting {
		w.scan.keep(p, path, st.Uid, st.Gid, mode)
	}
	if typ == sIFDIR && !p.skipDirs[path] {
		w.subs = append(w.subs, path)
	}
}
