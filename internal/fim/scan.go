package fim

import (
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// DefaultMaxFileSize is the size above which files are not hashed.
const DefaultMaxFileSize = 1 << 30

// errFileTooLarge is what hashing finds when the file grew past the
// maximum after the walk's stat.
var errFileTooLarge = errors.New("file larger than the maximum hashed size")

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
	// Raced counts entries that changed between the walk's stat and its
	// open (replaced by a link, another file or directory) and were looked
	// at again.
	Raced    int64
	Duration time.Duration
}

// Scanner walks host paths into a Baseline.
type Scanner struct {
	root hostfs.Root
	opts Options
	// beforeOpen, set only by tests, runs between the walk's stat of an
	// entry and the open of that entry (host path).
	beforeOpen func(p string)
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
	if err != nil {
		return nil, w.stats, err
	}
	return &Baseline{entries: w.out}, w.stats, nil
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
			if _, ok := w.out[p]; !ok {
				o := old
				gone = append(gone, &o)
			}
		}
	}
	return &Baseline{entries: w.out}, resolveMoves(w.changes, w.created, gone), w.stats, nil
}

func (s *Scanner) walk(ctx context.Context, prev *Baseline, paths []string, fullRehash, track bool) (*walk, error) {
	start := time.Now()
	w := newWalk(ctx, s, prev, fullRehash, track)
	w.run(s.roots(paths))
	w.stats.Entries = int64(len(w.out))
	w.stats.Errors += w.errs.Load()
	w.stats.Duration = time.Since(start)
	if err := ctx.Err(); err != nil {
		w.out = nil
		return w, fmt.Errorf("fim scan: %w", err)
	}
	return w, nil
}

// roots returns paths cleaned, without the excluded ones and those at or
// below another: each entry is walked once.
func (s *Scanner) roots(paths []string) []string {
	var out []string
	for _, p := range paths {
		p = path.Clean(p)
		if !s.Excluded(p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	var roots []string
	for _, p := range out {
		if n := len(roots); n > 0 && within(p, roots[n-1]) {
			continue
		}
		roots = append(roots, p)
	}
	return roots
}
