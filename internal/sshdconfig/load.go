package sshdconfig

import (
	"context"
	"fmt"
	"path"
	"sort"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// DefaultPath is where sshd reads its configuration.
const DefaultPath = "/etc/ssh/sshd_config"

// includeDir is the directory relative Include patterns are taken from.
const includeDir = "/etc/ssh"

// Match is one Match block: its criteria and the directives under it.
type Match struct {
	Criteria   []string // the Match line's words ("User", "alice", "Address", "10.0.0.0/8")
	File       string
	Line       int
	Directives []Directive
}

// Config is a parsed sshd configuration with its includes expanded in place.
type Config struct {
	Global  []Directive // directives outside any Match block, in the order sshd reads them
	Matches []Match
	Files   []string // every file read, main file first
	Skipped skipped.List
}

// Source is what Load reads files through. A hostfs.Root satisfies it through
// RootSource.
type Source interface {
	ReadFile(name string) ([]byte, error)
	Glob(pattern string) ([]string, error)
}

// RootSource reads files through a hostfs.Root with the parser's size limit.
type RootSource struct{ Root hostfs.Root }

// ReadFile reads a host file of at most 1 MiB.
func (s RootSource) ReadFile(name string) ([]byte, error) { return s.Root.ReadFile(name, maxFileSize) }

// Glob expands a host path pattern.
func (s RootSource) Glob(pattern string) ([]string, error) { return s.Root.Glob(pattern) }

// Load reads the sshd configuration at name (normally DefaultPath) from root.
// A missing main file is returned as an error wrapping fs.ErrNotExist; missing
// or unreadable included files are recorded in Config.Skipped.
func Load(ctx context.Context, root hostfs.Root, name string) (*Config, error) {
	return LoadFrom(ctx, RootSource{Root: root}, name)
}

// LoadFrom is Load over any Source.
func LoadFrom(ctx context.Context, src Source, name string) (*Config, error) {
	data, err := src.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read sshd config: %w", err)
	}
	c := &Config{}
	l := loader{ctx: ctx, src: src, cfg: c}
	l.file(name, data, -1, 0)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read sshd config: %w", err)
	}
	return c, nil
}

type loader struct {
	ctx   context.Context
	src   Source
	cfg   *Config
	count int
}

// file adds the directives of one file. block is the index of the Match block
// the file starts in (-1 for global); the includer's block is restored by the
// caller afterwards, as sshd does.
func (l *loader) file(name string, data []byte, block, depth int) {
	l.cfg.Files = append(l.cfg.Files, name)
	for _, d := range Tokenize(name, data, &l.cfg.Skipped) {
		if l.ctx.Err() != nil {
			return
		}
		if l.count >= maxDirective {
			l.cfg.Skipped.Add(name, d.Line, "more than %d directives; rest ignored", maxDirective)
			return
		}
		l.count++
		switch d.Keyword {
		case "match":
			l.cfg.Matches = append(l.cfg.Matches, Match{Criteria: d.Args, File: d.File, Line: d.Line})
			block = len(l.cfg.Matches) - 1
		case "include":
			l.include(d, block, depth)
		default:
			if block < 0 {
				l.cfg.Global = append(l.cfg.Global, d)
			} else {
				m := &l.cfg.Matches[block]
				m.Directives = append(m.Directives, d)
			}
		}
	}
}

func (l *loader) include(d Directive, block, depth int) {
	if depth+1 > maxDepth {
		l.cfg.Skipped.Add(d.File, d.Line, "include nested more than %d deep", maxDepth)
		return
	}
	if len(d.Args) == 0 {
		l.cfg.Skipped.Add(d.File, d.Line, "include without a file name")
		return
	}
	for _, pat := range d.Args {
		if !path.IsAbs(pat) {
			pat = path.Join(includeDir, pat)
		}
		names, err := l.src.Glob(pat)
		if err != nil {
			l.cfg.Skipped.Add(d.File, d.Line, "include %q: %v", pat, err)
			continue
		}
		sort.Strings(names)
		for _, n := range names {
			data, err := l.src.ReadFile(n)
			if err != nil {
				l.cfg.Skipped.Add(d.File, d.Line, "include %q: %v", n, err)
				continue
			}
			l.file(n, data, block, depth+1)
		}
	}
}
