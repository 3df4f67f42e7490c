package modules

import (
	"path"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Directive is one modprobe.d command.
type Directive struct {
	File    string   `json:"file"`
	Line    int      `json:"line"`
	Command string   `json:"command"` // install, remove, blacklist, alias, options, softdep
	Module  string   `json:"module"`  // normalised: '-' becomes '_'; for alias, the pattern
	Args    []string `json:"args,omitempty"`
}

// ModprobeConfig is the merged modprobe configuration.
type ModprobeConfig struct {
	Files      []string    `json:"files"`
	Directives []Directive `json:"directives"`
	// KernelBlacklist lists modules the kernel refuses to load
	// (module_blacklist= on its command line); CmdlineBlacklist those blacklisted
	// for modprobe (modprobe.blacklist=).
	KernelBlacklist  []string `json:"kernel_blacklist,omitempty"`
	CmdlineBlacklist []string `json:"cmdline_blacklist,omitempty"`
}

// Normalize returns a module name as the kernel and kmod compare it.
func Normalize(name string) string { return strings.ReplaceAll(name, "-", "_") }

var commands = map[string]int{ // command -> minimum number of words after it
	"install": 2, "remove": 2, "blacklist": 1, "alias": 2, "options": 2, "softdep": 2,
}

// ParseModprobe parses one modprobe.d file. Backslash continues a line; '#'
// starts a comment line. Unknown commands and short lines are recorded in sk.
func ParseModprobe(file string, data []byte, sk *skipped.List) []Directive {
	var out []Directive
	var cont strings.Builder
	start := 0
	forLines(data, func(n int, line []byte) {
		if cont.Len() == 0 {
			start = n
		}
		if len(line) > maxLine || cont.Len() > maxLine {
			sk.Add(file, n, "line too long")
			cont.Reset()
			return
		}
		if l := len(line); l > 0 && line[l-1] == '\\' {
			cont.Write(line[:l-1])
			cont.WriteByte(' ')
			return
		}
		cont.Write(line)
		s := cont.String()
		cont.Reset()
		if d, reason := parseDirective(s); reason != "" {
			sk.Add(file, start, "%s", reason)
		} else if d.Command != "" {
			d.File, d.Line = file, start
			out = append(out, d)
		}
	})
	if cont.Len() > 0 {
		if d, reason := parseDirective(cont.String()); reason == "" && d.Command != "" {
			d.File, d.Line = file, start
			out = append(out, d)
		}
	}
	return out
}

func parseDirective(s string) (Directive, string) {
	f := strings.Fields(s)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return Directive{}, ""
	}
	min, ok := commands[f[0]]
	if !ok {
		return Directive{}, "unknown command " + quote(f[0])
	}
	if len(f)-1 < min {
		return Directive{}, f[0] + ": missing arguments"
	}
	d := Directive{Command: f[0], Module: f[1], Args: f[2:]}
	switch f[0] {
	case "alias":
		d.Module, d.Args = f[1], []string{Normalize(f[2])}
	default:
		d.Module = Normalize(f[1])
	}
	if f[0] == "install" || f[0] == "remove" { // the rest is a shell command
		d.Args = []string{afterFields(s, 2)}
	}
	return d, ""
}

// afterFields returns s without its first n white-space separated fields.
func afterFields(s string, n int) string {
	s = strings.TrimLeft(s, " \t")
	for ; n > 0; n-- {
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return ""
		}
		s = strings.TrimLeft(s[i:], " \t")
	}
	return strings.TrimRight(s, " \t")
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return `"` + s + `"`
}

// Disabled reports whether modprobe cannot load name: its install command
// runs /bin/false or /bin/true (or another path to false/true) instead of
// loading it, or the kernel command line's module_blacklist= names it. why
// says where. A blacklist entry alone does not disable a module: it only stops
// automatic loading by alias (see Blacklisted).
func (c *ModprobeConfig) Disabled(name string) (bool, string) {
	name = Normalize(name)
	for _, k := range c.KernelBlacklist {
		if Normalize(k) == name {
			return true, "module_blacklist=" + k + " on the kernel command line"
		}
	}
	if d, ok := c.install(name); ok {
		cmd := d.Args[0]
		first := cmd
		if f := strings.Fields(cmd); len(f) > 0 {
			first = f[0]
		}
		if b := path.Base(first); b == "false" || b == "true" {
			return true, d.File + ":" + strconv.Itoa(d.Line) + ": install " + name + " " + cmd
		}
		return false, d.File + ":" + strconv.Itoa(d.Line) + ": install command does not refuse: " + cmd
	}
	if ok, where := c.Blacklisted(name); ok {
		return false, "only blacklisted (" + where + "); modprobe " + name + " still loads it"
	}
	return false, "no install or blacklist directive"
}

// install returns the install directive modprobe uses for name: the first one
// in configuration order whose module (a shell pattern) matches, as kmod does.
func (c *ModprobeConfig) install(name string) (Directive, bool) {
	for _, d := range c.Directives {
		if d.Command != "install" || len(d.Args) != 1 {
			continue
		}
		if ok, _ := path.Match(d.Module, name); ok || d.Module == name {
			return d, true
		}
	}
	return Directive{}, false
}

// Blacklisted reports whether name is blacklisted, and where.
func (c *ModprobeConfig) Blacklisted(name string) (bool, string) {
	name = Normalize(name)
	for _, d := range c.Directives {
		if d.Command == "blacklist" && d.Module == name {
			return true, d.File + ":" + strconv.Itoa(d.Line)
		}
	}
	for _, k := range c.CmdlineBlacklist {
		if Normalize(k) == name {
			return true, "modprobe.blacklist= on the kernel command line"
		}
	}
	return false, ""
}

// Options returns the options directives' arguments for name, in order.
func (c *ModprobeConfig) Options(name string) []string {
	name = Normalize(name)
	var out []string
	for _, d := range c.Directives {
		if d.Command == "options" && d.Module == name {
			out = append(out, d.Args...)
		}
	}
	return out
}

// ParseCmdline extracts module_blacklist= and modprobe.blacklist= from a
// kernel command line.
func ParseCmdline(data []byte) (kernel, modprobe []string) {
	for _, w := range strings.Fields(string(data)) {
		if w == "--" {
			break
		}
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		switch k {
		case "module_blacklist":
			kernel = append(kernel, splitComma(v)...)
		case "modprobe.blacklist":
			modprobe = append(modprobe, splitComma(v)...)
		}
	}
	return kernel, modprobe
}

func splitComma(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}
