// Package sshdconfig reads OpenSSH server configuration (sshd_config) the way
// sshd does and reports the settings in effect.
//
// Parsing is split in two: Tokenize turns one file's bytes into directives (pure,
// never panics, skips and records bad lines), and Load follows Include
// directives through a hostfs.Root, so the same code reads the live host and
// fixture trees. Config.Effective then gives `sshd -T`-like lines for the global
// configuration: the first value of a keyword wins, accumulating keywords
// (AcceptEnv, AllowUsers, HostKey, Port, ...) collect every value, Match blocks
// are kept apart, and OpenSSH 9.x compiled-in defaults fill unset keywords.
package sshdconfig

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Limits on hostile input.
const (
	maxLineLen   = 64 << 10 // longest directive line accepted
	maxFileSize  = 1 << 20  // largest configuration file read
	maxArgs      = 4096     // arguments kept per directive
	maxDepth     = 16       // Include nesting, as sshd's READCONF_MAX_DEPTH
	maxDirective = 100000   // directives kept over all files
)

// Directive is one configuration line: a keyword (lowercased) and its arguments.
type Directive struct {
	Keyword string   // lowercase, aliases resolved ("challengeresponseauthentication" -> "kbdinteractiveauthentication")
	Args    []string // unquoted arguments
	File    string   // host path of the file
	Line    int      // 1-based line number
}

// Tokenize splits one sshd_config file into directives. Keywords are matched
// case-insensitively and may be separated from their arguments by white space
// or one "="; arguments may be quoted with double or single quotes; a "#" at the
// start of a word begins a comment. Lines it cannot read (unterminated quote,
// over-long line) are recorded in skip and left out.
func Tokenize(file string, data []byte, skip *skipped.List) []Directive {
	var out []Directive
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxLineLen)
	n := 0
	for {
		if !sc.Scan() {
			if sc.Err() != nil {
				skip.Add(file, n+1, "line longer than %d bytes; rest of file ignored", maxLineLen)
			}
			break
		}
		n++
		d, ok, reason := tokenizeLine(sc.Text())
		if reason != "" {
			skip.Add(file, n, "%s", reason)
			continue
		}
		if !ok {
			continue
		}
		d.File, d.Line = file, n
		out = append(out, d)
	}
	return out
}

// tokenizeLine parses one line. ok is false for blank and comment lines; reason
// is set for a line that cannot be read.
func tokenizeLine(line string) (d Directive, ok bool, reason string) {
	line = strings.TrimRight(line, " \t\r\n")
	line = strings.TrimLeft(line, " \t\r\n")
	if line == "" || line[0] == '#' {
		return d, false, ""
	}
	// The keyword ends at white space or "=".
	end := strings.IndexAny(line, " \t=")
	kw, rest := line, ""
	if end >= 0 {
		kw, rest = line[:end], line[end:]
	}
	rest = strings.TrimLeft(rest, " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	if kw == "" {
		return d, false, "missing keyword"
	}
	args, err := splitArgs(rest)
	if err != "" {
		return d, false, err
	}
	return Directive{Keyword: canonical(strings.ToLower(kw)), Args: args}, true, ""
}

// splitArgs splits words as OpenSSH's argv_split does: white space separates,
// quotes group, backslash escapes a quote, backslash or space, and a word
// beginning with "#" ends the line.
func splitArgs(s string) ([]string, string) {
	var args []string
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '#' {
			break
		}
		if len(args) >= maxArgs {
			return nil, "too many arguments"
		}
		var b strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			if quote == 0 && (c == ' ' || c == '\t') {
				break
			}
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\'' || s[i+1] == '\\' || (quote == 0 && s[i+1] == ' ')):
				i++
				b.WriteByte(s[i])
			case quote != 0 && c == quote:
				quote = 0
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			default:
				b.WriteByte(c)
			}
		}
		if quote != 0 {
			return nil, "unterminated quote"
		}
		args = append(args, b.String())
	}
	return args, ""
}

// aliases maps deprecated or alternative keyword spellings to the name sshd -T
// prints.
var aliases = map[string]string{
	"challengeresponseauthentication": "kbdinteractiveauthentication",
	"pubkeyacceptedkeytypes":          "pubkeyacceptedalgorithms",
	"hostbasedacceptedkeytypes":       "hostbasedacceptedalgorithms",
	"authorizedkeysfile2":             "authorizedkeysfile",
	"skeyauthentication":              "kbdinteractiveauthentication",
	"dsaauthentication":               "pubkeyauthentication",
	"keepalive":                       "tcpkeepalive",
}

func canonical(kw string) string {
	if a, ok := aliases[kw]; ok {
		return a
	}
	return kw
}
