package sca

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// A probe is a typed, built-in source of facts for checks, written in Go. In a
// policy it is used like a command rule, with the type "v:" instead of "c:":
//
//	v:sshd.effective -> r:^permitrootlogin\s+no$
//	not v:fs.world_writable_dirs -> r:.
//	not v:file.perms /etc/shadow 0640 root root,shadow -> r:.
//
// Words after the probe name are its arguments (split on white space; a probe
// documents what it takes). Policy variables are substituted before the split.
//
// A probe returns lines of text, and the usual content tests ("r:", "!r:",
// "n:... compare") apply to them as they would to a command's output. Probes
// never run external programs; they read the host through Env.Root, so they work
// on fixture trees and are safe on any host.
//
// A probe returns ErrNotApplicable (wrapped, with the reason) when its subject
// does not exist on the host (for example no sshd installed); any other error
// makes the rule invalid.
type ProbeFunc func(ctx context.Context, env *Env, args []string) ([]string, error)

// Env is what a probe may use. It is shared by all checks of one scan.
type Env struct {
	Root hostfs.Root
	// OS identifies the host for checks limited to some distributions. When
	// nil, Evaluate reads /etc/os-release through Root (see Env.OSRelease).
	OS *OSRelease

	mu    sync.Mutex
	cache map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	val  any
	err  error
}

// Shared computes a value once per scan and returns it to every caller with the
// same key: the whole-filesystem walk, the parsed passwd file, the effective
// sshd configuration. Concurrent callers wait for the first computation.
func (e *Env) Shared(key string, compute func() (any, error)) (any, error) {
	e.mu.Lock()
	if e.cache == nil {
		e.cache = make(map[string]*cacheEntry)
	}
	ce, ok := e.cache[key]
	if !ok {
		ce = &cacheEntry{}
		e.cache[key] = ce
	}
	e.mu.Unlock()
	ce.once.Do(func() { ce.val, ce.err = compute() })
	return ce.val, ce.err
}

var (
	probesMu sync.RWMutex
	probes   = map[string]ProbeFunc{}
)

// RegisterProbe makes a probe available to policies under name. It panics on a
// duplicate name; call it from init.
func RegisterProbe(name string, fn ProbeFunc) {
	probesMu.Lock()
	defer probesMu.Unlock()
	if _, dup := probes[name]; dup {
		panic(fmt.Sprintf("sca: probe %q registered twice", name))
	}
	probes[name] = fn
}

// LookupProbe returns the probe registered under name.
func LookupProbe(name string) (ProbeFunc, bool) {
	probesMu.RLock()
	defer probesMu.RUnlock()
	fn, ok := probes[name]
	return fn, ok
}

// ProbeNames lists the registered probes, sorted.
func ProbeNames() []string {
	probesMu.RLock()
	defer probesMu.RUnlock()
	names := make([]string, 0, len(probes))
	for n := range probes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
