package sudoers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Sudoers is the whole policy: the main file and everything it includes, with
// aliases expanded in Rules.
type Sudoers struct {
	// Present is false when the main file does not exist (sudo not installed).
	Present  bool      `json:"present"`
	Files    []string  `json:"files"`
	Rules    []Rule    `json:"rules"`
	Defaults []Default `json:"defaults"`
	Aliases  []Alias   `json:"aliases,omitempty"`
}

// MainFile is where sudo's policy starts.
const MainFile = "/etc/sudoers"

// Bounds on what Collect reads.
const (
	maxFileSize  = 4 << 20
	maxFiles     = 1000
	maxIncDepth  = 32 // sudo allows 128; real policies nest two levels
	maxExpansion = 10000
)

// Collect reads MainFile and its includes below root.
func Collect(ctx context.Context, root hostfs.Root) (Sudoers, skipped.List, error) {
	var sk skipped.List
	c := &collector{root: root, sk: &sk, seen: map[string]bool{}}
	if _, err := root.Lstat(MainFile); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Sudoers{}, nil, nil
		}
		return Sudoers{}, nil, fmt.Errorf("sudoers: %w", err)
	}
	if err := c.file(ctx, MainFile, 0); err != nil {
		return Sudoers{}, nil, err
	}
	s := c.out
	s.Present = true
	s.Rules = Expand(s.Rules, s.Aliases)
	return s, sk, nil
}

type collector struct {
	root hostfs.Root
	sk   *skipped.List
	seen map[string]bool
	out  Sudoers
}

// file reads one file and, in place of each include directive, the files it
// names, so the result keeps sudo's evaluation order.
func (c *collector) file(ctx context.Context, name string, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.seen[name] {
		c.sk.Add(name, 0, "included again; skipped to avoid a loop")
		return nil
	}
	if len(c.out.Files) >= maxFiles {
		c.sk.Add(name, 0, "too many sudoers files")
		return nil
	}
	data, err := c.root.ReadFile(name, maxFileSize)
	if err != nil {
		if name == MainFile {
			return fmt.Errorf("read sudoers: %w", err)
		}
		c.sk.Add(name, 0, "unreadable: %v", err)
		return nil
	}
	c.seen[name] = true
	c.out.Files = append(c.out.Files, name)
	f := Parse(name, data, c.sk)
	c.out.Aliases = append(c.out.Aliases, f.Aliases...)

	// Interleave rules and defaults with included files by line number.
	ri, di := 0, 0
	flush := func(line int) {
		for ; ri < len(f.Rules) && f.Rules[ri].Line < line; ri++ {
			c.out.Rules = append(c.out.Rules, f.Rules[ri])
		}
		for ; di < len(f.Defaults) && f.Defaults[di].Line < line; di++ {
			c.out.Defaults = append(c.out.Defaults, f.Defaults[di])
		}
	}
	for _, inc := range f.Includes {
		flush(inc.Line)
		if depth+1 > maxIncDepth {
			c.sk.Add(name, inc.Line, "includes nested too deeply")
			continue
		}
		if err := c.include(ctx, name, inc, depth+1); err != nil {
			return err
		}
	}
	flush(int(^uint(0) >> 1))
	return nil
}

func (c *collector) include(ctx context.Context, from string, inc Include, depth int) error {
	p := inc.Path
	if strings.Contains(p, "%") {
		if strings.Contains(strings.ReplaceAll(p, "%%", ""), "%") {
			c.sk.Add(from, inc.Line, "include path %q uses a %% escape that needs the host name", p)
			return nil
		}
		p = strings.ReplaceAll(p, "%%", "%")
	}
	if !path.IsAbs(p) {
		p = path.Join(path.Dir(from), p)
	}
	p = path.Clean(p)
	if !inc.Dir {
		return c.file(ctx, p, depth)
	}
	ents, err := c.root.ReadDir(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.sk.Add(from, inc.Line, "include directory %s: %v", p, err)
		}
		return nil
	}
	for _, e := range ents {
		n := e.Name()
		if strings.Contains(n, ".") || strings.HasSuffix(n, "~") {
			continue
		}
		fi, err := c.root.Stat(path.Join(p, n))
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := c.file(ctx, path.Join(p, n), depth); err != nil {
			return err
		}
	}
	return nil
}

// Expand returns rules with alias references in users, hosts, run-as lists
// and commands replaced by the aliases' members (recursively; a negated alias
// negates each member). Names that are not aliases are kept as written.
func Expand(rules []Rule, aliases []Alias) []Rule {
	defs := make(map[string]map[string][]string)
	for _, a := range aliases {
		if defs[a.Kind] == nil {
			defs[a.Kind] = map[string][]string{}
		}
		if _, dup := defs[a.Kind][a.Name]; !dup {
			defs[a.Kind][a.Name] = a.Members
		}
	}
	out := make([]Rule, len(rules))
	for i, r := range rules {
		r.Users = expand(r.Users, defs["User_Alias"])
		r.Hosts = expand(r.Hosts, defs["Host_Alias"])
		r.RunasUsers = expand(r.RunasUsers, defs["Runas_Alias"])
		r.RunasGroups = expand(r.RunasGroups, defs["Runas_Alias"])
		r.Commands = expand(r.Commands, defs["Cmnd_Alias"])
		r.NoPasswd = slices.Contains(r.Tags, "NOPASSWD")
		r.AllCommands = slices.Contains(r.Commands, "ALL")
		out[i] = r
	}
	return out
}

func expand(items []string, defs map[string][]string) []string {
	if len(defs) == 0 || items == nil {
		return items
	}
	out := make([]string, 0, len(items))
	var walk func(item string, neg bool, depth int)
	walk = func(item string, neg bool, depth int) {
		name := strings.TrimLeft(item, "!")
		if (len(item)-len(name))%2 == 1 {
			neg = !neg
		}
		members, ok := defs[name]
		if !ok || depth > 16 || len(out) > maxExpansion {
			if neg {
				name = "!" + name
			}
			out = append(out, name)
			return
		}
		for _, m := range members {
			walk(m, neg, depth+1)
		}
	}
	for _, it := range items {
		walk(it, false, 0)
	}
	return out
}

// NoAuthenticate returns the Defaults entries that turn authentication off
// ("!authenticate"), which makes every matching rule behave as NOPASSWD.
func (s Sudoers) NoAuthenticate() []Default {
	var out []Default
	for _, d := range s.Defaults {
		for _, st := range d.Settings {
			if st.Name == "authenticate" && st.Negated {
				out = append(out, d)
				break
			}
		}
	}
	return out
}
