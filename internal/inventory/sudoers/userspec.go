package sudoers

import (
	"fmt"
	"slices"
)

// tagNames are sudo's command tags.
var tagNames = map[string]bool{
	"EXEC": true, "NOEXEC": true, "FOLLOW": true, "NOFOLLOW": true,
	"LOG_INPUT": true, "NOLOG_INPUT": true, "LOG_OUTPUT": true, "NOLOG_OUTPUT": true,
	"MAIL": true, "NOMAIL": true, "INTERCEPT": true, "NOINTERCEPT": true,
	"PASSWD": true, "NOPASSWD": true, "SETENV": true, "NOSETENV": true,
}

// optionNames are the option specifications that may precede a command.
var optionNames = map[string]bool{
	"ROLE": true, "TYPE": true, "CWD": true, "CHROOT": true, "NOTBEFORE": true,
	"NOTAFTER": true, "TIMEOUT": true, "APPARMOR_PROFILE": true, "PRIVS": true, "LIMITPRIVS": true,
}

// cmndState is what carries from one command of a list to the next.
type cmndState struct {
	runasUsers, runasGroups []string
	tags, options           []string
}

// parseUserSpec parses "users hosts = cmndspecs [: hosts = cmndspecs]...".
func parseUserSpec(t string) ([]Rule, error) {
	p := &scanner{s: t}
	users, err := p.list(",:=()", false)
	if err != nil {
		return nil, fmt.Errorf("bad user list")
	}
	var out []Rule
	for {
		hosts, err := p.list(",:=()", true)
		if err != nil {
			return nil, fmt.Errorf("bad host list")
		}
		p.ws()
		if p.peek() != '=' {
			return nil, fmt.Errorf("expected '=' after host list")
		}
		p.i++
		rs, err := p.cmndSpecs(users, hosts)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
		p.ws()
		if p.eof() {
			return out, nil
		}
		if p.peek() != ':' {
			return nil, fmt.Errorf("unexpected %q", p.s[p.i:])
		}
		p.i++
	}
}

// cmndSpecs reads a comma-separated Cmnd_Spec_List. Run-as lists, options and
// tags carry over to the following commands; a new Rule starts when they change.
func (p *scanner) cmndSpecs(users, hosts []string) ([]Rule, error) {
	var st cmndState
	var out []Rule
	for {
		p.ws()
		changed, err := p.cmndPrefix(&st)
		if err != nil {
			return nil, err
		}
		neg := false
		for p.peek() == '!' {
			neg = !neg
			p.i++
			p.ws()
		}
		c := p.command()
		if !validCommand(c) {
			return nil, fmt.Errorf("bad command %q", truncate(c))
		}
		if neg {
			c = "!" + c
		}
		if len(out) == 0 || changed && !sameState(&out[len(out)-1], &st) {
			out = append(out, Rule{
				Users: users, Hosts: hosts,
				RunasUsers: st.runasUsers, RunasGroups: st.runasGroups,
				Tags: slices.Clone(st.tags), Options: slices.Clone(st.options),
			})
		}
		r := &out[len(out)-1]
		r.Commands = append(r.Commands, c)
		if p.peek() != ',' {
			return out, nil
		}
		p.i++
	}
}

// cmndPrefix reads the optional "(runas)", option specs and tags before a
// command, updating st. changed reports whether anything was given.
func (p *scanner) cmndPrefix(st *cmndState) (changed bool, err error) {
	if p.peek() == '(' {
		p.i++
		changed = true
		st.runasUsers, st.runasGroups = nil, nil
		p.ws()
		if p.peek() != ':' && p.peek() != ')' {
			if st.runasUsers, err = p.list(",:=()", false); err != nil {
				return false, fmt.Errorf("bad runas user list")
			}
		}
		if p.peek() == ':' {
			p.i++
			p.ws()
			if p.peek() != ')' {
				if st.runasGroups, err = p.list(",:=()", false); err != nil {
					return false, fmt.Errorf("bad runas group list")
				}
			}
		}
		p.ws()
		if p.peek() != ')' {
			return false, fmt.Errorf("expected ')' after runas list")
		}
		p.i++
		p.ws()
	}
	for {
		if k := p.keyword('='); optionNames[k] {
			p.i += len(k) + 1
			v := p.word(",:")
			st.options = setPrefixed(st.options, k, k+"="+v)
			changed = true
			p.ws()
			continue
		}
		if k := p.keyword(':'); tagNames[k] {
			p.i += len(k) + 1
			st.tags = setTag(st.tags, k)
			changed = true
			p.ws()
			continue
		}
		return changed, nil
	}
}

// setTag adds tag, replacing its opposite (NOPASSWD replaces PASSWD).
func setTag(tags []string, tag string) []string {
	opp := "NO" + tag
	if len(tag) > 2 && tag[:2] == "NO" {
		opp = tag[2:]
	}
	out := make([]string, 0, len(tags)+1)
	for _, t := range tags {
		if t != tag && t != opp {
			out = append(out, t)
		}
	}
	return append(out, tag)
}

func setPrefixed(opts []string, key, val string) []string {
	out := make([]string, 0, len(opts)+1)
	for _, o := range opts {
		if len(o) <= len(key) || o[:len(key)+1] != key+"=" {
			out = append(out, o)
		}
	}
	return append(out, val)
}

func sameState(r *Rule, st *cmndState) bool {
	return slices.Equal(r.RunasUsers, st.runasUsers) && slices.Equal(r.RunasGroups, st.runasGroups) &&
		slices.Equal(r.Tags, st.tags) && slices.Equal(r.Options, st.options)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
