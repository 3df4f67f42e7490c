package system

import (
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// OS identifies the operating system, from os-release(5).
type OS struct {
	Name       string   `json:"name"`
	Version    string   `json:"version,omitempty"`
	VersionID  string   `json:"version_id,omitempty"`
	ID         string   `json:"id"`
	IDLike     []string `json:"id_like,omitempty"`
	PrettyName string   `json:"pretty_name"`
	Codename   string   `json:"codename,omitempty"`
}

// OSRelease is a parsed os-release file: the common fields and every assignment.
type OSRelease struct {
	OS
	// Fields holds every assignment of the file, unquoted and unescaped.
	Fields map[string]string
}

// osReleaseFile names the input in skipped-line records; Collect replaces it with
// the path actually read.
const osReleaseFile = "os-release"

// ParseOSRelease parses an os-release file as os-release(5) describes it: one
// KEY=VALUE assignment per line in shell syntax, values in double quotes (where
// backslash escapes $, ", \, ` and newline), single quotes (literal) or unquoted
// (backslash escapes any character), comments from "#" and blank lines ignored.
// Lines it cannot understand are recorded and skipped. The defaults of the spec
// apply: NAME=Linux, ID=linux, PRETTY_NAME=Linux.
func ParseOSRelease(data []byte) (OSRelease, skipped.List) {
	p := envParser{src: string(data), line: 1}
	fields := make(map[string]string)
	var skip skipped.List
	for !p.eof() {
		key, val, ok, reason := p.assignment()
		if reason != "" {
			skip.Add(osReleaseFile, p.start, "%s", reason)
		}
		if ok {
			fields[key] = val
		}
	}
	return OSRelease{OS: osFromFields(fields), Fields: fields}, skip
}

func osFromFields(f map[string]string) OS {
	o := OS{
		Name:       f["NAME"],
		Version:    f["VERSION"],
		VersionID:  f["VERSION_ID"],
		ID:         f["ID"],
		PrettyName: f["PRETTY_NAME"],
		Codename:   f["VERSION_CODENAME"],
	}
	if like := strings.Fields(f["ID_LIKE"]); len(like) > 0 {
		o.IDLike = like
	}
	if o.Name == "" {
		o.Name = "Linux"
	}
	if o.ID == "" {
		o.ID = "linux"
	}
	if o.PrettyName == "" {
		o.PrettyName = "Linux"
	}
	if o.Codename == "" {
		o.Codename = f["UBUNTU_CODENAME"]
	}
	return o
}

// envParser reads shell-style assignments. Quoted values may span lines.
type envParser struct {
	src   string
	pos   int
	line  int // current line number
	start int // line where the current assignment began
}

func (p *envParser) eof() bool { return p.pos >= len(p.src) }

func (p *envParser) peek() byte { return p.src[p.pos] }

func (p *envParser) next() byte {
	c := p.src[p.pos]
	p.pos++
	if c == '\n' {
		p.line++
	}
	return c
}

// skipLine consumes everything up to and including the next newline.
func (p *envParser) skipLine() {
	for !p.eof() {
		if p.next() == '\n' {
			return
		}
	}
}

func (p *envParser) skipBlanks() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t' || p.peek() == '\r') {
		p.pos++
	}
}

// assignment reads one line (or more, for a multi-line quoted value). ok reports
// a valid assignment; reason is set when something was skipped.
func (p *envParser) assignment() (key, val string, ok bool, reason string) {
	p.start = p.line
	p.skipBlanks()
	if p.eof() {
		return "", "", false, ""
	}
	switch p.peek() {
	case '\n':
		p.next()
		return "", "", false, ""
	case '#':
		p.skipLine()
		return "", "", false, ""
	}
	k := p.pos
	for !p.eof() && isKeyByte(p.peek(), p.pos == k) {
		p.pos++
	}
	key = p.src[k:p.pos]
	if key == "" || p.eof() || p.peek() != '=' {
		p.skipLine()
		return "", "", false, "not a KEY=VALUE assignment"
	}
	p.pos++ // '='
	val, reason = p.value()
	if reason != "" {
		return "", "", false, reason
	}
	p.skipBlanks()
	if !p.eof() && p.peek() == '#' {
		p.skipLine()
		return key, val, true, ""
	}
	if !p.eof() && p.peek() != '\n' {
		p.skipLine()
		return "", "", false, "unquoted space in value of " + key
	}
	if !p.eof() {
		p.next()
	}
	return key, val, true, ""
}

func isKeyByte(c byte, first bool) bool {
	switch {
	case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

// value reads one shell word: unquoted, "double" and 'single' quoted parts
// concatenated until an unquoted blank or newline.
func (p *envParser) value() (string, string) {
	var b strings.Builder
	for !p.eof() {
		c := p.peek()
		switch c {
		case ' ', '\t', '\r', '\n':
			return b.String(), ""
		case '\'':
			p.next()
			end := strings.IndexByte(p.src[p.pos:], '\'')
			if end < 0 {
				p.pos = len(p.src)
				return "", "unterminated single quote"
			}
			for range end {
				b.WriteByte(p.next())
			}
			p.next()
		case '"':
			p.next()
			if !p.doubleQuoted(&b) {
				return "", "unterminated double quote"
			}
		case '\\':
			p.next()
			if p.eof() {
				return b.String(), ""
			}
			if e := p.next(); e != '\n' { // backslash-newline continues the word
				b.WriteByte(e)
			}
		default:
			b.WriteByte(p.next())
		}
	}
	return b.String(), ""
}

// doubleQuoted reads up to the closing quote; false when there is none.
func (p *envParser) doubleQuoted(b *strings.Builder) bool {
	for !p.eof() {
		c := p.next()
		switch c {
		case '"':
			return true
		case '\\':
			if p.eof() {
				return false
			}
			switch e := p.peek(); e {
			case '$', '"', '\\', '`':
				b.WriteByte(p.next())
			case '\n':
				p.next()
			default:
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return false
}
