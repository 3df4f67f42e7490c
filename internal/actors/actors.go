// Package actors joins "who made a file change" across collectors of one
// agent: the audit collector records the user and process of every file
// action its watch rules report, and the file integrity collector, which
// sees the change itself but not who made it, looks the actor up by path.
//
// The Cache is in-process, bounded and short-lived: an action is kept for a
// window (5 s by default) after it happened, at most MaxEntries paths are
// held (the oldest are evicted first), and both Record and Actor take one
// mutex for a constant amount of work, so neither blocks its caller for
// longer than a map operation.
//
// Only paths that audit watches get actors: a change under a path the file
// integrity collector watches but audit does not has no actor. Consumers say
// which paths they want actors for with Watch; the audit collector can add
// watch rules for them (its watch_fim_paths switch).
package actors

import (
	"container/list"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// Defaults of Options.
const (
	DefaultWindow     = 5 * time.Second
	DefaultMaxEntries = 8192
	// DefaultSkew is how far after a lookup's time an action may be
	// recorded and still match: the audit timestamp and the consumer's
	// clock come from different reads of the clock.
	DefaultSkew = time.Second
	// maxPathLen bounds keys; longer paths are neither recorded nor found.
	maxPathLen = 4096
	// maxWatched bounds the paths Watch keeps.
	maxWatched = 1024
)

// Actor is who acted on a file: the user and the process, as the audit
// collector mapped them (user.*, process.*). The cache keeps its own copies;
// callers may change what they get.
type Actor struct {
	User    *event.User
	Process *event.Process
}

// Op says what an action did to its path.
type Op uint8

const (
	// OpChange changed the contents or attributes of the path.
	OpChange Op = iota
	// OpEntry created, deleted or renamed the path: its parent directory
	// changed too, and is recorded with the same actor.
	OpEntry
)

// Options tune a Cache; zero values take the defaults.
type Options struct {
	Window     time.Duration
	MaxEntries int
	Skew       time.Duration
}

// Cache holds recent file actions by path. It is safe for concurrent use.
// The zero value is not usable; call New.
type Cache struct {
	opts Options

	mu      sync.Mutex
	entries map[string]*list.Element // of *entry
	order   *list.List               // least recently recorded first
	watched []string
	evicted int64
}

type entry struct {
	key   string
	actor Actor
	at    time.Time
	// dir marks an entry recorded for a directory because an entry in it
	// was created, deleted or renamed.
	dir bool
	// mixed is set when different processes changed entries of the
	// directory within the window: the parent fallback then answers
	// nothing rather than guess.
	mixed bool
}

// New returns an empty cache.
func New(opts Options) *Cache {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.Skew <= 0 {
		opts.Skew = DefaultSkew
	}
	return &Cache{opts: opts, entries: map[string]*list.Element{}, order: list.New()}
}

// Record notes that a acted on p at at. p must be absolute; other paths are
// ignored. With OpEntry the parent directory of p is recorded too.
func (c *Cache) Record(p string, op Op, a Actor, at time.Time) {
	key, ok := clean(p)
	if !ok || (a.User == nil && a.Process == nil) {
		return
	}
	a = a.clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(key, a, at, false)
	if op == OpEntry && key != "/" {
		c.put(path.Dir(key), a, at, true)
	}
	c.expire(at)
}

// put records one key, moving it to the newest end.
func (c *Cache) put(key string, a Actor, at time.Time, dir bool) {
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*entry)
		if at.Before(e.at) {
			return // an older action arriving late does not replace a newer one
		}
		mixed := false
		if dir && e.dir && at.Sub(e.at) <= c.opts.Window {
			mixed = e.mixed || !sameProcess(e.actor, a)
		}
		e.actor, e.at, e.dir, e.mixed = a, at, dir, mixed
		c.order.MoveToBack(el)
		return
	}
	c.entries[key] = c.order.PushBack(&entry{key: key, actor: a, at: at, dir: dir})
	for c.order.Len() > c.opts.MaxEntries {
		c.remove(c.order.Front())
		c.evicted++
	}
}

// expire drops entries older than the window before now, oldest first.
func (c *Cache) expire(now time.Time) {
	for el := c.order.Front(); el != nil; el = c.order.Front() {
		if now.Sub(el.Value.(*entry).at) <= c.opts.Window {
			return
		}
		c.remove(el)
	}
}

func (c *Cache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*entry).key)
	c.order.Remove(el)
}

// Actor returns who last acted on p within the window before at (or up to
// Skew after it). When nothing acted on p itself, the actor that created,
// deleted or renamed an entry of p's parent directory in that window is
// returned, unless several processes did. It never blocks on anything but
// the cache's mutex.
func (c *Cache) Actor(p string, at time.Time) (Actor, bool) {
	key, ok := clean(p)
	if !ok {
		return Actor{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.find(key, at); e != nil {
		return e.actor.clone(), true
	}
	if key == "/" {
		return Actor{}, false
	}
	if e := c.find(path.Dir(key), at); e != nil && e.dir && !e.mixed {
		return e.actor.clone(), true
	}
	return Actor{}, false
}

func (c *Cache) find(key string, at time.Time) *entry {
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*entry)
	if d := at.Sub(e.at); d > c.opts.Window || d < -c.opts.Skew {
		return nil
	}
	return e
}

// Len returns the number of paths held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// Evicted returns how many paths were dropped to keep the size bound
// (not counting those that expired).
func (c *Cache) Evicted() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evicted
}

// Watch adds paths a consumer wants actors for (the file integrity
// collector's paths). Relative and duplicate paths are ignored; at most 1024
// are kept.
func (c *Cache) Watch(paths ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range paths {
		key, ok := clean(p)
		if ok && !slices.Contains(c.watched, key) && len(c.watched) < maxWatched {
			c.watched = append(c.watched, key)
		}
	}
}

// Watched returns the paths given to Watch, sorted.
func (c *Cache) Watched() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.watched)
	slices.Sort(out)
	return out
}

// clean returns the key of an absolute path.
func clean(p string) (string, bool) {
	if len(p) == 0 || len(p) > maxPathLen || p[0] != '/' || strings.IndexByte(p, 0) >= 0 {
		return "", false
	}
	return path.Clean(p), true
}

// sameProcess reports whether a and b name the same process.
func sameProcess(a, b Actor) bool {
	if a.Process == nil || b.Process == nil || a.Process.PID == nil || b.Process.PID == nil {
		return a.Process == nil && b.Process == nil
	}
	return *a.Process.PID == *b.Process.PID && a.Process.Executable == b.Process.Executable
}

// clone copies what an event may later change.
func (a Actor) clone() Actor {
	var out Actor
	if a.User != nil {
		u := *a.User
		u.Group = cloneGroup(u.Group)
		u.Effective, u.Audit, u.Target = cloneRef(u.Effective), cloneRef(u.Audit), cloneRef(u.Target)
		out.User = &u
	}
	if a.Process != nil {
		p := *a.Process
		p.PID, p.PPID, p.ArgsCount, p.ExitCode = cloneInt(p.PID), cloneInt(p.PPID), cloneInt(p.ArgsCount), cloneInt(p.ExitCode)
		p.Args = slices.Clone(p.Args)
		if p.TTY != nil {
			t := *p.TTY
			p.TTY = &t
		}
		p.Parent, p.SessionLeader = cloneProcRef(p.Parent), cloneProcRef(p.SessionLeader)
		out.Process = &p
	}
	return out
}

func cloneInt(v *int64) *int64 {
	if v == nil {
		return nil
	}
	x := *v
	return &x
}

func cloneGroup(g *event.Group) *event.Group {
	if g == nil {
		return nil
	}
	x := *g
	return &x
}

func cloneRef(r *event.UserRef) *event.UserRef {
	if r == nil {
		return nil
	}
	x := *r
	x.Group = cloneGroup(x.Group)
	return &x
}

func cloneProcRef(r *event.ProcessRef) *event.ProcessRef {
	if r == nil {
		return nil
	}
	x := *r
	x.PID = cloneInt(x.PID)
	x.Args = slices.Clone(x.Args)
	return &x
}
