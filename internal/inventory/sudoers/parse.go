package sudoers

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Rule is a run of commands from one user specification that share hosts,
// run-as lists, options and tags. Empty RunasUsers and RunasGroups mean sudo's
// default target user (root unless runas_default says otherwise).
type Rule struct {
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Users       []string `json:"users"`
	Hosts       []string `json:"hosts"`
	RunasUsers  []string `json:"runas_users,omitempty"`
	RunasGroups []string `json:"runas_groups,omitempty"`
	Commands    []string `json:"commands"`
	// Tags are the tags in effect, in the order written ("NOPASSWD", "SETENV").
	Tags []string `json:"tags,omitempty"`
	// Options are option specifications such as "CWD=*" or "ROLE=sysadm_r".
	Options []string `json:"options,omitempty"`
	// NoPasswd is true when the last PASSWD/NOPASSWD tag in effect is NOPASSWD.
	NoPasswd bool `json:"nopasswd"`
	// AllCommands is true when the commands include ALL (not negated), after
	// Cmnd_Alias expansion.
	AllCommands bool `json:"all_commands"`
}

// Default is one Defaults line.
type Default struct {
	File string `json:"file"`
	Line int    `json:"line"`
	// Scope is "global", "user" (Defaults:), "runas" (Defaults>), "host"
	// (Defaults@) or "command" (Defaults!); Targets lists whom it applies to.
	Scope    string    `json:"scope"`
	Targets  []string  `json:"targets,omitempty"`
	Settings []Setting `json:"settings"`
}

// Setting is one entry of a Defaults line: "name", "!name", "name=value",
// "name+=value" or "name-=value".
type Setting struct {
	Name    string `json:"name"`
	Negated bool   `json:"negated,omitempty"`
	Op      string `json:"op,omitempty"` // "=", "+=", "-=" or "" for a flag
	Value   string `json:"value,omitempty"`
}

// Alias is one alias definition.
type Alias struct {
	File    string   `json:"file"`
	Line    int      `json:"line"`
	Kind    string   `json:"kind"` // "User_Alias", "Runas_Alias", "Host_Alias", "Cmnd_Alias"
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// Include is an include directive.
type Include struct {
	Line int
	Path string
	Dir  bool // #includedir / @includedir
}

// File is the parsed content of one sudoers file, aliases not yet expanded.
type File struct {
	Rules    []Rule
	Defaults []Default
	Aliases  []Alias
	Includes []Include
}

// Limits on one file.
const (
	maxLogicalLine = 64 << 10
)

var aliasName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

var aliasKinds = map[string]string{
	"User_Alias": "User_Alias", "Runas_Alias": "Runas_Alias", "Host_Alias": "Host_Alias",
	"Cmnd_Alias": "Cmnd_Alias", "Cmd_Alias": "Cmnd_Alias",
}

// Parse parses one sudoers file. Lines it cannot understand are recorded in sk
// under file and left out.
func Parse(file string, data []byte, sk *skipped.List) File {
	var f File
	logicalLines(data, func(n int, line string) {
		if len(line) > maxLogicalLine {
			sk.Add(file, n, "line too long")
			return
		}
		if err := f.parseLine(file, n, line); err != nil {
			sk.Add(file, n, "%v", err)
		}
	})
	return f
}

// logicalLines joins backslash-continued lines and calls fn with the number of
// the first physical line.
func logicalLines(data []byte, fn func(n int, line string)) {
	var cur strings.Builder
	start, n := 0, 0
	for len(data) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimRight(line, "\r")
		if cur.Len() == 0 {
			start = n
		}
		if cont := trailingBackslash(line); cont && cur.Len() <= maxLogicalLine {
			cur.Write(line[:len(line)-1])
			cur.WriteByte(' ')
			continue
		}
		cur.Write(line)
		fn(start, cur.String())
		cur.Reset()
	}
	if cur.Len() > 0 {
		fn(start, cur.String())
	}
}

// trailingBackslash reports a line ending in an odd number of backslashes.
func trailingBackslash(line []byte) bool {
	k := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		k++
	}
	return k%2 == 1
}

// stripComment cuts a '#' comment that starts a token. '#' followed by a
// digit is a UID or GID ("#0", "%#1000") and not a comment.
func stripComment(s string) string {
	quote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '"':
			quote = !quote
		case c == '#' && !quote:
			if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				continue
			}
			if i == 0 || isSpace(s[i-1]) || s[i-1] == ',' || s[i-1] == '=' || s[i-1] == ':' {
				return s[:i]
			}
		}
	}
	return s
}

func (f *File) parseLine(file string, n int, line string) error {
	t := strings.TrimSpace(line)
	if inc, ok, err := parseInclude(t); ok {
		if err != nil {
			return err
		}
		inc.Line = n
		f.Includes = append(f.Includes, inc)
		return nil
	}
	t = strings.TrimSpace(stripComment(t))
	if t == "" {
		return nil
	}
	first := t
	if i := strings.IndexAny(t, " \t"); i >= 0 {
		first = t[:i]
	}
	switch {
	case strings.HasPrefix(first, "Defaults"):
		d, err := parseDefaults(t)
		if err != nil {
			return err
		}
		d.File, d.Line = file, n
		f.Defaults = append(f.Defaults, d)
	case aliasKinds[first] != "":
		as, err := parseAliases(aliasKinds[first], t[len(first):])
		if err != nil {
			return err
		}
		for i := range as {
			as[i].File, as[i].Line = file, n
		}
		f.Aliases = append(f.Aliases, as...)
	default:
		rs, err := parseUserSpec(t)
		if err != nil {
			return err
		}
		for i := range rs {
			rs[i].File, rs[i].Line = file, n
		}
		f.Rules = append(f.Rules, rs...)
	}
	return nil
}

// parseInclude recognises include directives. ok is false for other lines.
func parseInclude(t string) (inc Include, ok bool, err error) {
	var rest string
	switch {
	case hasDirective(t, "#includedir"), hasDirective(t, "@includedir"):
		inc.Dir, rest = true, t[len("#includedir"):]
	case hasDirective(t, "#include"), hasDirective(t, "@include"):
		rest = t[len("#include"):]
	default:
		return inc, false, nil
	}
	p := &scanner{s: strings.TrimSpace(rest)}
	inc.Path = p.word("")
	p.ws()
	if inc.Path == "" || !p.eof() {
		return inc, true, fmt.Errorf("bad include directive")
	}
	return inc, true, nil
}

func hasDirective(t, d string) bool {
	return strings.HasPrefix(t, d) && len(t) > len(d) && isSpace(t[len(d)])
}

var scopes = map[byte]string{':': "user", '>': "runas", '@': "host", '!': "command"}

func parseDefaults(t string) (Default, error) {
	d := Default{Scope: "global"}
	p := &scanner{s: t, i: len("Defaults")}
	if sc, ok := scopes[p.peek()]; ok {
		p.i++
		d.Scope = sc
		stop := ",="
		if sc == "command" {
			stop = ","
		}
		ts, err := p.list(stop, sc == "host")
		if err != nil {
			return d, fmt.Errorf("defaults: bad %s list", sc)
		}
		d.Targets = ts
	} else if !isSpace(p.peek()) {
		return d, fmt.Errorf("unknown keyword %q", strings.Fields(t)[0])
	}
	for {
		p.ws()
		s, err := p.setting()
		if err != nil {
			return d, err
		}
		d.Settings = append(d.Settings, s)
		p.ws()
		if p.eof() {
			return d, nil
		}
		if p.peek() != ',' {
			return d, fmt.Errorf("defaults: unexpected %q", p.s[p.i:])
		}
		p.i++
	}
}

var settingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`)

func (p *scanner) setting() (Setting, error) {
	var s Setting
	for p.peek() == '!' {
		s.Negated = !s.Negated
		p.i++
		p.ws()
	}
	s.Name = settingName.FindString(p.s[p.i:])
	if s.Name == "" {
		return s, fmt.Errorf("defaults: expected a setting name")
	}
	p.i += len(s.Name)
	p.ws()
	switch {
	case strings.HasPrefix(p.s[p.i:], "+="), strings.HasPrefix(p.s[p.i:], "-="):
		s.Op = p.s[p.i : p.i+2]
		p.i += 2
	case p.peek() == '=':
		s.Op = "="
		p.i++
	default:
		return s, nil
	}
	p.ws()
	s.Value = p.word(",")
	return s, nil
}

func parseAliases(kind, rest string) ([]Alias, error) {
	p := &scanner{s: rest}
	var out []Alias
	for {
		p.ws()
		name := p.word("=:,")
		if !aliasName.MatchString(name) || name == "ALL" {
			return nil, fmt.Errorf("%s: bad alias name %q", kind, name)
		}
		p.ws()
		if p.peek() != '=' {
			return nil, fmt.Errorf("%s %s: expected '='", kind, name)
		}
		p.i++
		a := Alias{Kind: kind, Name: name}
		var err error
		if kind == "Cmnd_Alias" {
			a.Members, err = p.commandList()
		} else {
			a.Members, err = p.list(",:=()", kind == "Host_Alias")
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: bad member list", kind, name)
		}
		out = append(out, a)
		p.ws()
		if p.eof() {
			return out, nil
		}
		if p.peek() != ':' {
			return nil, fmt.Errorf("%s %s: unexpected %q", kind, name, p.s[p.i:])
		}
		p.i++
	}
}

// commandList reads a comma-separated list of possibly negated commands.
func (p *scanner) commandList() ([]string, error) {
	var out []string
	for {
		p.ws()
		neg := false
		for p.peek() == '!' {
			neg = !neg
			p.i++
			p.ws()
		}
		c := p.command()
		if !validCommand(c) {
			return nil, errSyntax
		}
		if neg {
			c = "!" + c
		}
		out = append(out, c)
		if p.peek() != ',' {
			return out, nil
		}
		p.i++
	}
}
