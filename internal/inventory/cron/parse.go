package cron

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Sources of entries.
const (
	SourceSystem   = "system"
	SourceUser     = "user"
	SourcePeriodic = "periodic"
)

// Entry is one scheduled job.
type Entry struct {
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Schedule string `json:"schedule"` // five fields, "@daily", or "anacron <period>"
	User     string `json:"user"`
	Command  string `json:"command"`
	// Stdin is the text after the command's first unescaped '%', with '%'
	// turned into newlines, as cron feeds it to the job.
	Stdin  string `json:"stdin,omitempty"`
	Source string `json:"source"`
}

const maxLine = 64 << 10

var keywords = map[string]bool{
	"@reboot": true, "@yearly": true, "@annually": true, "@monthly": true,
	"@weekly": true, "@daily": true, "@midnight": true, "@hourly": true,
}

var envLine = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*\s*=`)

// ParseCrontab parses a crontab. System crontabs (/etc/crontab, /etc/cron.d)
// have a user field after the schedule; for user crontabs pass the owner as
// user and withUser false.
func ParseCrontab(file string, data []byte, withUser bool, user, source string, sk *skipped.List) []Entry {
	var out []Entry
	n := 0
	for len(data) > 0 {
		n++
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		if len(raw) > maxLine {
			sk.Add(file, n, "line too long")
			continue
		}
		line := strings.TrimSpace(string(bytes.TrimRight(raw, "\r")))
		if line == "" || line[0] == '#' || envLine.MatchString(line) {
			continue
		}
		e, reason := parseJob(line, withUser)
		if reason != "" {
			sk.Add(file, n, "%s", reason)
			continue
		}
		if !withUser {
			e.User = user
		}
		e.File, e.Line, e.Source = file, n, source
		out = append(out, e)
	}
	return out
}

func parseJob(line string, withUser bool) (Entry, string) {
	var e Entry
	rest := line
	if line[0] == '@' {
		kw, r := cut(line)
		if !keywords[kw] {
			return e, "unknown keyword " + kw
		}
		e.Schedule, rest = kw, r
	} else {
		fields := make([]string, 5)
		for i := range fields {
			fields[i], rest = cut(rest)
			if fields[i] == "" {
				return e, "too few schedule fields"
			}
			if err := checkField(fields[i], specs[i]); err != "" {
				return e, specs[i].name + " field: " + err
			}
		}
		e.Schedule = strings.Join(fields, " ")
	}
	if withUser {
		e.User, rest = cut(rest)
		if e.User == "" {
			return e, "missing user"
		}
	}
	if rest == "" {
		return e, "missing command"
	}
	e.Command, e.Stdin = splitPercent(rest)
	if e.Command == "" {
		return e, "missing command"
	}
	return e, ""
}

func cut(s string) (string, string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// splitPercent splits a command at its first unescaped '%'; "\%" is a '%'.
func splitPercent(s string) (cmd, stdin string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '%':
			b.WriteByte('%')
			i++
		case s[i] == '%':
			in := strings.ReplaceAll(s[i+1:], `\%`, "\x00")
			in = strings.ReplaceAll(in, "%", "\n")
			return strings.TrimSpace(b.String()), strings.ReplaceAll(in, "\x00", "%")
		default:
			b.WriteByte(s[i])
		}
	}
	return strings.TrimSpace(b.String()), ""
}

type fieldSpec struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var specs = []fieldSpec{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{name: "day of week", min: 0, max: 7, names: []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// checkField validates one schedule field: a comma list of "*", "N", "N-M",
// each optionally followed by "/step".
func checkField(f string, sp fieldSpec) string {
	for _, item := range strings.Split(f, ",") {
		rng, step, hasStep := strings.Cut(item, "/")
		if hasStep {
			s, err := strconv.Atoi(step)
			if err != nil || s <= 0 || s > sp.max+1 {
				return "bad step " + strconv.Quote(step)
			}
		}
		if rng == "*" {
			continue
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, ok := sp.value(lo)
		if !ok {
			return "bad value " + strconv.Quote(lo)
		}
		if !isRange {
			continue
		}
		b, ok := sp.value(hi)
		if !ok {
			return "bad value " + strconv.Quote(hi)
		}
		if a > b {
			return "reversed range " + strconv.Quote(rng)
		}
	}
	return ""
}

func (sp fieldSpec) value(s string) (int, bool) {
	for i, n := range sp.names {
		if strings.EqualFold(s, n) {
			return sp.min + i, true
		}
	}
	if s == "" || len(s) > 2 {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < sp.min || v > sp.max || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	return v, true
}

// ParseAnacrontab parses /etc/anacrontab: "period delay job-id command".
func ParseAnacrontab(file string, data []byte, sk *skipped.List) []Entry {
	var out []Entry
	n := 0
	for len(data) > 0 {
		n++
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		line := strings.TrimSpace(string(bytes.TrimRight(raw, "\r")))
		if len(raw) > maxLine {
			sk.Add(file, n, "line too long")
			continue
		}
		if line == "" || line[0] == '#' || envLine.MatchString(line) {
			continue
		}
		period, r := cut(line)
		delay, r := cut(r)
		id, cmd := cut(r)
		if !validPeriod(period) || !isNumber(delay) || id == "" || cmd == "" {
			sk.Add(file, n, "not an anacron job")
			continue
		}
		out = append(out, Entry{File: file, Line: n, Schedule: "anacron " + period, User: "root",
			Command: cmd, Source: SourceSystem})
	}
	return out
}

func validPeriod(p string) bool {
	switch p {
	case "@daily", "@weekly", "@monthly", "@yearly", "@annually":
		return true
	}
	return isNumber(p)
}

func isNumber(s string) bool {
	if s == "" || len(s) > 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
