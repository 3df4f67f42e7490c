package fim

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
)

// Bounds of a walk. Queued directories and files are held open, so the
// queues bound the descriptors a scan uses (a full directory queue makes
// the walker read the directory itself): at most dirQueue, and a quarter
// of the process's descriptor limit.
const (
	dirQueue  = 1024
	hashQueue = 64
	// maxRounds is how many times the entries that changed between the
	// walk's stat and its open are looked at again; after that they are
	// recorded unhashed (and, for directories, not entered) as errors.
	maxRounds = 3
	// maxRetries bounds the entries held (with their directory open) for
	// the next round.
	maxRetries = 4096
)

// errChanged says the entry opened is not the one the walk stat'ed: the
// path was replaced (by a link, another file or directory) in between.
// errGone says it vanished.
var (
	errChanged = errors.New("entry changed during the scan")
	errGone    = errors.New("entry vanished during the scan")
)

// dirJob is a directory to read, open.
type dirJob struct {
	fd   dirRef
	path string // host path
	dev  uint64
}

// retryItem is an entry that changed under the walk, with its directory
// (its own descriptor) to look it up in again.
type retryItem struct {
	parent dirJob
	name   string
	path   string
	top    bool
}

// hashJob is an open file to hash with its previous entry, if any.
type hashJob struct {
	f      fileRef
	e, old Entry
	had    bool
}

// walk is the state of one scan. The result starts as a copy of the
// previous baseline's map (one bulk copy instead of an insert per entry);
// only entries that differ are written, and when some entries of prev were
// not found, the result is rebuilt from the paths found.
type walk struct {
	s         *Scanner
	ctx       context.Context
	prev      *Baseline
	full      bool
	track     bool // collect changes against prev
	keepFound bool // prev is not empty: note the paths found
	dirs      chan dirJob
	hashes    chan hashJob
	// pending counts directories queued and not yet read.
	pending   sync.WaitGroup
	lastRound atomic.Bool

	mu    sync.Mutex
	out   map[string]Entry
	found []string
	retry []retryItem
	stats Stats // guarded by mu, except the atomics below
	errs  atomic.Int64
	// seen counts the entries found that prev holds.
	seen atomic.Int64
	// With track (under mu): the changes and new paths.
	changes []Change
	created []*Entry
}

// dirAcc gathers what the entries of one directory add to the walk, so
// that the shared state is locked once per directory.
type dirAcc struct {
	batch    []Entry
	found    []string
	reused   int64
	tooLarge int64
	seen     int64
}

func newWalk(ctx context.Context, s *Scanner, prev *Baseline, full, track bool) *walk {
	if prev == nil {
		prev = NewBaseline()
	}
	out := maps.Clone(prev.entries)
	if out == nil {
		out = map[string]Entry{}
	}
	return &walk{s: s, ctx: ctx, prev: prev, full: full, track: track,
		keepFound: prev.Len() > 0, out: out,
		dirs:   make(chan dirJob, max(16, min(dirQueue, openLimit()/4))),
		hashes: make(chan hashJob, hashQueue)}
}

// run walks roots (cleaned, not excluded, none below another) and leaves
// the result in w.out.
func (w *walk) run(roots []string) {
	var hashers sync.WaitGroup
	for range w.s.opts.Workers {
		hashers.Go(w.hashWorker)
	}
	var walkers sync.WaitGroup
	for range w.s.opts.Workers {
		walkers.Go(w.dirWorker)
	}
	for _, p := range roots {
		w.seedRoot(p)
	}
	for round := 1; ; round++ {
		w.pending.Wait()
		w.mu.Lock()
		items := w.retry
		w.retry = nil
		w.mu.Unlock()
		if len(items) == 0 {
			break
		}
		w.lastRound.Store(round >= maxRounds)
		w.retryItems(items)
	}
	close(w.dirs)
	walkers.Wait()
	close(w.hashes)
	hashers.Wait()
	if w.keepFound && w.seen.Load() != int64(w.prev.Len()) {
		// Some entries of prev are gone: keep only what was found.
		out := make(map[string]Entry, len(w.found))
		for _, p := range w.found {
			out[p] = w.out[p]
		}
		w.out = out
	}
}

// seedRoot looks up scan root p in its parent directory and walks it.
func (w *walk) seedRoot(p string) {
	parent, name, err := w.openParent(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errGone) {
			w.errs.Add(1)
		}
		return
	}
	defer closeDir(parent)
	w.lookup(&dirJob{fd: parent}, name, p, true)
}

// openParent opens the directory holding scan root p and returns it with
// p's name in it. A configured path (Options.Paths) is opened by its path,
// as configured; a path below one (what the realtime watchers ask for) is
// reached from the configured path it is in, one directory at a time,
// each opened relative to the previous one without following links, so a
// directory on the way swapped for a link takes the walk nowhere (errGone:
// p is not in the tree).
func (w *walk) openParent(p string) (dirRef, string, error) {
	d := ""
	for _, c := range w.s.opts.Paths {
		if within(p, c) && len(c) > len(d) {
			d = c
		}
	}
	if d == "" || d == p {
		return openRootParent(w.s.root.Path(p), p == "/")
	}
	fd, name, err := openRootParent(w.s.root.Path(d), d == "/")
	if err != nil {
		return fd, "", err
	}
	parts := strings.Split(strings.TrimPrefix(p[len(d):], "/"), "/")
	dirs := parts[:len(parts)-1]
	if d != "/" {
		dirs = append([]string{name}, dirs...)
	}
	for _, c := range dirs {
		next, err := openSubdir(fd, c)
		closeDir(fd)
		if err != nil {
			return next, "", err
		}
		fd = next
	}
	return fd, parts[len(parts)-1], nil
}

// lookup stats name in parent (host path p) and handles it.
func (w *walk) lookup(parent *dirJob, name, p string, top bool) {
	var e Entry
	if err := statAt(parent.fd, name, &e); err != nil {
		if !errors.Is(err, errGone) {
			w.errs.Add(1)
		}
		return
	}
	e.Path = p
	old, had := w.prev.entries[p]
	var acc dirAcc
	w.handle(e, name, parent, top, &old, had, &acc)
	w.flush(&acc)
}

// retryItems looks again at entries that changed under the walk.
func (w *walk) retryItems(items []retryItem) {
	for _, it := range items {
		if w.ctx.Err() == nil {
			w.lookup(&it.parent, it.name, it.path, it.top)
		}
		closeDir(it.parent.fd)
	}
}

func (w *walk) beforeOpen(p string) {
	if w.s.beforeOpen != nil {
		w.s.beforeOpen(p)
	}
}

// handle records one stat'ed entry, name in directory parent (a scan root
// when top): keeps or schedules its hash, reads a link target, queues a
// directory. Every open is relative to parent and checked against e.
func (w *walk) handle(e Entry, name string, parent *dirJob, top bool, old *Entry, had bool, acc *dirAcc) {
	switch e.Type {
	case TypeFile:
		if had && !w.full && sameMeta(old, &e) && old.Flags&FlagHashError == 0 {
			e.Hash, e.Flags = old.Hash, old.Flags
			acc.reused++
			break
		}
		if e.Size > w.s.opts.MaxFileSize {
			e.Flags |= FlagTooLarge
			acc.tooLarge++
			break
		}
		w.beforeOpen(e.Path)
		f, err := openFileAt(parent.fd, name, &e)
		if err != nil {
			w.failed(err, e, name, parent, top, old, had, acc)
			return
		}
		if e.Size > w.s.opts.MaxFileSize { // it grew since the stat
			closeFile(f)
			e.Flags |= FlagTooLarge
			acc.tooLarge++
			break
		}
		if w.keepFound {
			acc.found = append(acc.found, e.Path)
		}
		select {
		case w.hashes <- hashJob{f: f, e: e, old: *old, had: had}:
		case <-w.ctx.Done():
			closeFile(f)
		}
		return
	case TypeSymlink:
		if had && sameMeta(old, &e) {
			e.Target = old.Target // a link's target cannot change in place
			break
		}
		w.beforeOpen(e.Path)
		t, err := readLinkAt(parent.fd, name, &e)
		if err != nil {
			w.failed(err, e, name, parent, top, old, had, acc)
			return
		}
		e.Target = t
	case TypeDir:
		w.beforeOpen(e.Path)
		d, err := openDirAt(parent.fd, name, &e)
		if err != nil {
			w.failed(err, e, name, parent, top, old, had, acc)
			return
		}
		acc.add(w, &e, old, had)
		if !top && e.Dev != parent.dev && isPseudoFS(d) {
			closeDir(d)
			return
		}
		job := dirJob{fd: d, path: e.Path, dev: e.Dev}
		w.pending.Add(1)
		select {
		case w.dirs <- job:
		default:
			// The queue is full: read the directory here instead of waiting.
			w.readDir(job)
			w.pending.Done()
		}
		return
	}
	acc.add(w, &e, old, had)
}

// failed handles an entry that could not be opened: a vanished one is
// dropped, one that changed is looked at again in the next round, one that
// keeps changing or cannot be read is recorded as an error (unhashed,
// not entered).
func (w *walk) failed(err error, e Entry, name string, parent *dirJob, top bool, old *Entry, had bool, acc *dirAcc) {
	switch {
	case errors.Is(err, errGone):
		return
	case errors.Is(err, errChanged) && !w.lastRound.Load() && w.queueRetry(parent, name, e.Path, top):
		return
	}
	w.errs.Add(1)
	if e.Type == TypeFile {
		e.Flags = e.Flags&^FlagHashed | FlagHashError
	}
	acc.add(w, &e, old, had)
}

// queueRetry keeps the entry for the next round with its own descriptor of
// parent; it reports false when the retry list is full.
func (w *walk) queueRetry(parent *dirJob, name, p string, top bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.retry) >= maxRetries {
		return false
	}
	d, err := dupDir(parent.fd)
	if err != nil {
		return false
	}
	pj := *parent
	pj.fd = d
	w.retry = append(w.retry, retryItem{parent: pj, name: name, path: p, top: top})
	w.stats.Raced++
	return true
}

// add records e, found with previous entry old (when had): an entry equal
// to its previous one is already in the result.
func (a *dirAcc) add(w *walk, e, old *Entry, had bool) {
	if w.keepFound {
		a.found = append(a.found, e.Path)
	}
	if had {
		a.seen++
		if *e == *old {
			return
		}
	}
	a.batch = append(a.batch, *e)
	w.record(e, old, had)
}

// record notes how e differs from its previous entry.
func (w *walk) record(e *Entry, old *Entry, had bool) {
	if !w.track {
		return
	}
	if !had {
		n := *e
		w.mu.Lock()
		w.created = append(w.created, &n)
		w.mu.Unlock()
		return
	}
	if a := compare(old, e); a != "" {
		o, n := *old, *e
		w.mu.Lock()
		w.changes = append(w.changes, Change{Action: a, Old: &o, New: &n})
		w.mu.Unlock()
	}
}

// flush adds what acc gathered to the walk and empties it.
func (w *walk) flush(acc *dirAcc) {
	w.mu.Lock()
	for _, e := range acc.batch {
		w.out[e.Path] = e
	}
	if w.keepFound {
		w.found = append(w.found, acc.found...)
	}
	w.stats.Reused += acc.reused
	w.stats.TooLarge += acc.tooLarge
	w.mu.Unlock()
	w.seen.Add(acc.seen)
	*acc = dirAcc{batch: acc.batch[:0], found: acc.found[:0]}
}

func (w *walk) dirWorker() {
	for job := range w.dirs {
		if w.ctx.Err() == nil {
			w.readDir(job)
		} else {
			closeDir(job.fd)
		}
		w.pending.Done()
	}
}

// readDir reads the open directory job and closes it. Entries already in
// prev reuse its path string: a rescan allocates nothing per unchanged
// entry.
func (w *walk) readDir(job dirJob) {
	defer closeDir(job.fd)
	prefix := job.path + "/"
	if job.path == "/" {
		prefix = "/"
	}
	var acc dirAcc
	pb := make([]byte, len(prefix), len(prefix)+64)
	copy(pb, prefix)
	// skip runs before the stat of each name: it looks the path up in prev
	// (reusing prev's string when found) and applies the exclusions.
	var p string
	var old Entry
	var had bool
	skip := func(name []byte) bool {
		if w.ctx.Err() != nil {
			return true
		}
		pb = append(pb[:len(prefix)], name...)
		old, had = w.prev.entries[string(pb)]
		if had {
			p = old.Path
		} else {
			p = string(pb)
		}
		return len(w.s.opts.Exclude) > 0 && w.s.excludedName(p)
	}
	n := readDirStat(job.fd, skip, func(e *Entry) {
		e.Path = p
		w.handle(*e, p[len(prefix):], &job, false, &old, had, &acc)
	})
	w.errs.Add(n)
	w.flush(&acc)
}

func (w *walk) hashWorker() {
	var buf []byte // allocated at the first file: a rescan may hash none
	h := sha256.New()
	for job := range w.hashes {
		if w.ctx.Err() != nil {
			closeFile(job.f)
			continue
		}
		if buf == nil {
			buf = make([]byte, readBufSize)
		}
		e := job.e
		h.Reset()
		n, err := hashFile(job.f, e.Path, h, buf, w.s.opts.MaxFileSize)
		closeFile(job.f)
		w.mu.Lock()
		switch {
		case errors.Is(err, errFileTooLarge):
			e.Flags = e.Flags&^(FlagHashed|FlagHashError) | FlagTooLarge
			w.stats.TooLarge++
		case err != nil:
			e.Flags = e.Flags&^FlagHashed | FlagHashError
			w.stats.Errors++
		default:
			h.Sum(e.Hash[:0])
			e.Flags = e.Flags&^(FlagHashError|FlagTooLarge) | FlagHashed
			w.stats.Hashed++
			w.stats.HashedBytes += n
		}
		w.out[e.Path] = e
		w.mu.Unlock()
		if job.had {
			w.seen.Add(1)
		}
		w.record(&e, &job.old, job.had)
	}
}
