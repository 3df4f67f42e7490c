package fim

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"path"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// DefaultMaxFileSize is the size above which files are not hashed.
const DefaultMaxFileSize = 1 << 30

// errNotRegular and errFileTooLarge are what readHash finds on the open file
// when the path was replaced, or the file grew, after the walk's lstat.
var (
	errNotRegular   = errors.New("not a regular file")
	errFileTooLarge = errors.New("file larger than the maximum hashed size")
)

// readBufSize is the read buffer of each hashing worker: large reads keep
// the syscall count low (the hash itself runs at ~1.8 GB/s per core).
const readBufSize = 1 << 20

// Options configure a Scanner.
type Options struct {
	// Paths are the host paths to watch (files or directories, walked
	// recursively).
	Paths []string
	// Exclude holds path.Match globs. A pattern with a "/" is matched against
	// the full host path, one without against the base name; an excluded
	// directory is not entered.
	Exclude []string
	// MaxFileSize: larger files are recorded without a hash and flagged
	// FlagTooLarge. 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Workers is the number of hashing goroutines (and of directory
	// walkers); 0 means the number of CPUs.
	Workers int
}

// Stats count what a scan did.
type Stats struct {
	Entries     int64 // entries in the result
	Hashed      int64 // files read and hashed
	HashedBytes int64
	Reused      int64 // files whose hash was kept from the previous baseline
	TooLarge    int64
	Errors      int64 // entries that could not be read or hashed
	Duration    time.Duration
}

// Scanner walks host paths into a Baseline.
type Scanner struct {
	root hostfs.Root
	opts Options
}

// NewScanner checks opts and returns a scanner over root.
func NewScanner(root hostfs.Root, opts Options) (*Scanner, error) {
	var errs []error
	for _, p := range opts.Exclude {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("exclude pattern %q: %w", p, err))
		}
	}
	for _, p := range opts.Paths {
		if !path.IsAbs(p) {
			errs = append(errs, fmt.Errorf("path %q is not absolute", p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, p := range opts.Paths {
		opts.Paths[i] = path.Clean(p)
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	return &Scanner{root: root, opts: opts}, nil
}

// Options returns the scanner's options with defaults applied.
func (s *Scanner) Options() Options { return s.opts }

// Excluded reports whether host path p, or one of its parents, matches an
// exclusion pattern.
func (s *Scanner) Excluded(p string) bool {
	for q := p; ; q = path.Dir(q) {
		if s.excludedName(q) {
			return true
		}
		if q == "/" || q == "." {
			return false
		}
	}
}

func (s *Scanner) excludedName(p string) bool {
	base := path.Base(p)
	for _, pat := range s.opts.Exclude {
		target := base
		for i := 0; i < len(pat); i++ {
			if pat[i] == '/' {
				target = p
				break
			}
		}
		if ok, _ := path.Match(pat, target); ok {
			return true
		}
	}
	return false
}

// Watched reports whether host path p is at or below one of the configured
// paths and not excluded.
func (s *Scanner) Watched(p string) bool {
	for _, d := range s.opts.Paths {
		if within(p, d) {
			return !s.Excluded(p)
		}
	}
	return false
}

// Scan walks all configured paths. Files whose size, mtime, ctime, inode
// and device match prev keep prev's hash without being read, unless
// fullRehash is set. prev may be nil.
func (s *Scanner) Scan(ctx context.Context, prev *Baseline, fullRehash bool) (*Baseline, Stats, error) {
	return s.ScanPaths(ctx, prev, s.opts.Paths, fullRehash)
}

// ScanPaths walks the given host paths (each a file or a directory, walked
// recursively) and returns their entries. Paths that do not exist give no
// entry. Unreadable entries are counted in Stats.Errors and kept with
// FlagHashError; only a cancelled ctx fails the scan.
func (s *Scanner) ScanPaths(ctx context.Context, prev *Baseline, paths []string, fullRehash bool) (*Baseline, Stats, error) {
	w, err := s.walk(ctx, prev, paths, fullRehash, false)
	return w.out, w.stats, err
}

// Rescan walks paths as ScanPaths does and also returns the changes against
// prev, found during the walk instead of by a separate Diff pass (which
// would cost a fifth of a rescan of an unchanged tree). prev must hold only
// entries at or below paths (Baseline.Under); entries of prev not found are
// reported deleted.
func (s *Scanner) Rescan(ctx context.Context, prev *Baseline, paths []string, fullRehash bool) (*Baseline, []Change, Stats, error) {
	if prev == nil {
		prev = NewBaseline()
	}
	w, err := s.walk(ctx, prev, paths, fullRehash, true)
	if err != nil {
		return nil, nil, w.stats, err
	}
	var gone []*Entry
	if w.seen.Load() < int64(prev.Len()) {
		for p, old := range prev.entries {
			if _, ok := w.out.entries[p]; !ok {
				o := old
				gone = append(gone, &o)
			}
		}
	}
	return w.out, resolveMoves(w.changes, w.created, gone), w.stats, nil
}

func (s *Scanner) walk(ctx context.Context, prev *Baseline, paths []string, fullRehash, track bool) (*walk, error) {
	start := time.Now()
	if prev == nil {
		prev = NewBaseline()
	}
	w := &walk{s: s, ctx: ctx, prev: prev, full: fullRehash, track: track,
		out:  &Baseline{entries: make(map[string]Entry, prev.Len())},
		dirs: make(chan dirJob, 4096), hashes: make(chan hashJob, 1024)}
	var hashers sync.WaitGroup
	for range s.opts.Workers {
		hashers.Go(w.hashWorker)
	}
	var walkers sync.WaitGroup
	for range s.opts.Workers {
		walkers.Go(w.dirWorker)
	}
	for _, p := range paths {
		p = path.Clean(p)
		if s.Excluded(p) {
			continue
		}
		fi, err := os.Lstat(s.root.Path(p))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				w.errs.Add(1)
			}
			continue
		}
		e := Entry{Path: p}
		fillStat(&e, fi)
		var reused int64
		w.handle(e, dirJob{}, nil, &reused)
		w.flush(nil, reused)
	}
	go func() {
		w.pending.Wait()
		close(w.dirs)
	}()
	walkers.Wait()
	close(w.hashes)
	hashers.Wait()
	w.stats.Entries = int64(w.out.Len())
	w.stats.Errors += w.errs.Load()
	w.stats.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		w.out = nil
		return w, fmt.Errorf("fim scan: %w", err)
	}
	return w, nil
}

type dirJob struct {
	path string // host path
	dev  uint64
}

// walk is the state of one scan.
type walk struct {
	s      *Scanner
	ctx    context.Context
	prev   *Baseline
	full   bool
	track  bool // collect changes against prev
	dirs   chan dirJob
	hashes chan hashJob
	// pending counts directories queued and not yet read.
	pending sync.WaitGroup

	mu    sync.Mutex
	out   *Baseline
	stats Stats // guarded by mu, except the atomics below
	errs  atomic.Int64

	// With track: entries found in prev, and (under mu) the changes and new
	// paths.
	seen    atomic.Int64
	changes []Change
	created []*Entry
}

// hashJob is a file to hash with its previous entry, if any.
type hashJob struct {
	e, old Entry
	had    bool
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
	w.seen.Add(1)
	if a := compare(old, e); a != "" {
		o, n := *old, *e
		w.mu.Lock()
		w.changes = append(w.changes, Change{Action: a, Old: &o, New: &n})
		w.mu.Unlock()
	}
}

func (w *walk) put(e Entry, batch *[]Entry) {
	if batch != nil {
		*batch = append(*batch, e)
		return
	}
	w.mu.Lock()
	w.out.Put(e)
	w.mu.Unlock()
}

func (w *walk) flush(batch []Entry, reused int64) {
	w.mu.Lock()
	for _, e := range batch {
		w.out.Put(e)
	}
	w.stats.Reused += reused
	w.mu.Unlock()
}

// handle records one lstat'ed entry: keeps or schedules its hash, reads a
// link target, queues a directory. parent is the directory it was found in
// (zero for a scan root). Entries are appended to batch when it is not nil;
// reused counts the files whose previous hash was kept.
func (w *walk) handle(e Entry, parent dirJob, batch *[]Entry, reused *int64) {
	var old Entry
	var had bool
	if w.track || e.Type == TypeFile || e.Type == TypeSymlink {
		old, had = w.prev.Get(e.Path)
	}
	switch e.Type {
	case TypeFile:
		if had && !w.full && sameMeta(&old, &e) && old.Flags&FlagHashError == 0 {
			e.Hash, e.Flags = old.Hash, old.Flags
			*reused++
			w.put(e, batch)
			w.record(&e, &old, had)
			return
		}
		if e.Size > w.s.opts.MaxFileSize {
			e.Flags |= FlagTooLarge
			w.mu.Lock()
			w.stats.TooLarge++
			w.mu.Unlock()
			w.put(e, batch)
			w.record(&e, &old, had)
			return
		}
		select {
		case w.hashes <- hashJob{e: e, old: old, had: had}:
		case <-w.ctx.Done():
		}
		return
	case TypeSymlink:
		if had && sameMeta(&old, &e) {
			e.Target = old.Target // a link's target cannot change in place
			break
		}
		t, err := os.Readlink(w.s.root.Path(e.Path))
		if err != nil {
			w.errs.Add(1)
		}
		e.Target = t
	case TypeDir:
		w.put(e, batch)
		w.record(&e, &old, had)
		if parent.path != "" && e.Dev != parent.dev && isPseudoFS(w.s.root.Path(e.Path)) {
			return
		}
		job := dirJob{path: e.Path, dev: e.Dev}
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
	w.put(e, batch)
	w.record(&e, &old, had)
}

func (w *walk) dirWorker() {
	for job := range w.dirs {
		if w.ctx.Err() == nil {
			w.readDir(job)
		}
		w.pending.Done()
	}
}

func (w *walk) readDir(job dirJob) {
	prefix := job.path + "/"
	if job.path == "/" {
		prefix = "/"
	}
	skip := func(p string) bool {
		return w.ctx.Err() != nil || (len(w.s.opts.Exclude) > 0 && w.s.excludedName(p))
	}
	var batch []Entry
	var reused int64
	n := readDirStat(w.s.root.Path(job.path), prefix, skip, func(e *Entry) {
		w.handle(*e, job, &batch, &reused)
	})
	w.flush(batch, reused)
	w.errs.Add(n)
}

func (w *walk) hashWorker() {
	buf := make([]byte, readBufSize)
	h := sha256.New()
	for job := range w.hashes {
		if w.ctx.Err() != nil {
			continue
		}
		e := job.e
		n, err := w.hashFile(&e, h, buf)
		w.mu.Lock()
		switch {
		case errors.Is(err, errFileTooLarge):
			e.Flags = e.Flags&^FlagHashed | FlagTooLarge
			w.stats.TooLarge++
		case err != nil:
			e.Flags |= FlagHashError
			w.stats.Errors++
		default:
			w.stats.Hashed++
			w.stats.HashedBytes += n
		}
		w.out.Put(e)
		w.mu.Unlock()
		w.record(&e, &job.old, job.had)
	}
}

// hashFile hashes e's content. The metadata is taken again from the open
// file (see readHash), so that the hash and the recorded metadata belong to
// the same inode even when the path was replaced after the lstat.
func (w *walk) hashFile(e *Entry, h hash.Hash, buf []byte) (int64, error) {
	h.Reset()
	n, err := readHash(w.s.root.Path(e.Path), e, h, buf, w.s.opts.MaxFileSize)
	if err != nil {
		return n, err
	}
	h.Sum(e.Hash[:0])
	e.Flags = e.Flags&^(FlagHashError|FlagTooLarge) | FlagHashed
	return n, nil
}
