package detect

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/rules"
	"github.com/vigil-sec/vigil/internal/rules/pack"
	"github.com/vigil-sec/vigil/internal/rules/sigma"
)

// fileStat is what a poll compares to see whether a rule file changed.
type fileStat struct {
	size  int64
	mtime time.Time
}

// loader reads the rule directories and compiles them with the pack. It
// remembers the last version of each file that compiled cleanly, so that a
// file that stops compiling keeps its previous version running.
type loader struct {
	dirs  []string
	pack  bool
	opts  rules.Options
	mu    sync.Mutex
	stats map[string]fileStat
	data  map[string][]byte // current content of each file
	good  map[string][]byte // last content of each file that loaded cleanly
	probs []rules.Problem
}

func newLoader(dirs []string, withPack bool, opts rules.Options) *loader {
	return &loader{dirs: dirs, pack: withPack, opts: opts, good: map[string][]byte{}}
}

func (l *loader) problems() []rules.Problem {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.probs)
}

// scan lists the rule files under the directories with their stats.
func (l *loader) scan() (map[string]fileStat, error) {
	out := map[string]fileStat{}
	for _, dir := range l.dirs {
		err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if de.IsDir() || !isRuleFile(de.Name()) {
				return nil
			}
			fi, err := os.Stat(p) // follows a symlinked rule file
			if err != nil {
				return err
			}
			if fi.Mode().IsRegular() {
				out[p] = fileStat{size: fi.Size(), mtime: fi.ModTime()}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read rule directory %s: %w", dir, err)
		}
	}
	return out, nil
}

func isRuleFile(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

// readRule reads one rule file, bounded by sigma.MaxFileBytes (a larger file
// is read one byte past the bound so that the parser reports it).
func readRule(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, sigma.MaxFileBytes+1))
}

// load compiles the pack and the rule files. Unless force, it returns
// changed false (and no set) when no file was added, removed or modified
// since the last load.
func (l *loader) load(force bool) (*rules.Set, bool, error) {
	stats, err := l.scan()
	if err != nil {
		return nil, false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !force && mapsEqual(stats, l.stats) {
		return nil, false, nil
	}
	data := make(map[string][]byte, len(stats))
	var probs []rules.Problem
	for p, st := range stats {
		if old, ok := l.data[p]; ok && sameStat(l.stats[p], st) {
			data[p] = old
			continue
		}
		b, err := readRule(p)
		if err != nil {
			// Vanished or unreadable between scan and read: report, go on.
			probs = append(probs, rules.Problem{File: p, Message: fmt.Sprintf("read: %v", err)})
			delete(stats, p)
			continue
		}
		data[p] = b
	}
	set, bad := l.compile(data)
	// A file that stopped compiling runs its last good version instead.
	var kept []string
	for p := range bad {
		if g, ok := l.good[p]; ok && !bytes.Equal(g, data[p]) {
			kept = append(kept, p)
		}
	}
	if len(kept) > 0 {
		use := make(map[string][]byte, len(data))
		for p, b := range data {
			use[p] = b
		}
		for _, p := range kept {
			use[p] = l.good[p]
		}
		var bad2 map[string][]rules.Problem
		set, bad2 = l.compile(use)
		for _, p := range kept {
			if len(bad2[p]) == 0 {
				bad[p] = append(bad[p], rules.Problem{File: p, Message: "the previous version of this file keeps running"})
			}
		}
	}
	for p, b := range data {
		if len(bad[p]) == 0 {
			l.good[p] = b
		}
	}
	for p := range l.good {
		if _, ok := data[p]; !ok {
			delete(l.good, p)
		}
	}
	for _, ps := range bad {
		probs = append(probs, ps...)
	}
	slices.SortFunc(probs, func(a, b rules.Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	l.stats, l.data, l.probs = stats, data, probs
	return set, true, nil
}

// compile builds a set from the pack and the given files, and returns the
// problems grouped by file (pack problems under the pack's own paths).
func (l *loader) compile(data map[string][]byte) (*rules.Set, map[string][]rules.Problem) {
	var src rules.Source
	if l.pack {
		if err := src.AddFS(pack.FS, pack.Root); err != nil {
			src.Problems = append(src.Problems, rules.Problem{File: pack.Root, Message: err.Error()})
		}
	}
	paths := make([]string, 0, len(data))
	for p := range data {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		src.Add(p, data[p])
	}
	set := rules.Compile(src.Rules, l.opts)
	bad := map[string][]rules.Problem{}
	for _, p := range append(slices.Clone(src.Problems), set.Problems...) {
		bad[p.File] = append(bad[p.File], p)
	}
	return set, bad
}

func mapsEqual(a, b map[string]fileStat) bool {
	if len(a) != len(b) || b == nil {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !sameStat(v, w) {
			return false
		}
	}
	return true
}

func sameStat(a, b fileStat) bool { return a.size == b.size && a.mtime.Equal(b.mtime) }
