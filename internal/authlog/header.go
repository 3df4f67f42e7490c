package authlog

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// Header is the syslog envelope of one line: when, which host, which
// program (with its pid) and the free-text message.
type Header struct {
	Time time.Time
	Host string
	// Program is the tag without the pid ("sshd", "sudo"). The legacy PAM
	// form "sshd(pam_unix)" is split: Program "sshd", Module "pam_unix".
	Program string
	Module  string
	// PID is -1 when the line has none.
	PID int64
	Msg string
}

// Options tell the parser how to read timestamps and name events.
type Options struct {
	// Ref is the reference time for RFC 3164 lines, which carry no year:
	// the year is the one that puts the line closest to, and not more than
	// a day after, Ref (the file's modification time or the clock).
	Ref time.Time
	// Loc is the zone of timestamps without an offset (default time.Local).
	Loc *time.Location
	// Source names the file the line came from; it is part of event IDs.
	Source string
}

// lineTime is the timestamp of Line: rsyslog's RSYSLOG_FileFormat.
const lineTime = "2006-01-02T15:04:05.000000-07:00"

// Line writes the header and message as one syslog line, the way rsyslog's
// RSYSLOG_FileFormat writes it: "2024-05-01T08:00:00.000000+00:00 host
// prog[pid]: msg" (an empty host is "-"; the tag is left out without a
// program and the pid without one). The time is written in UTC so that the
// line, which is part of event IDs, does not depend on the reader's zone.
// ParseHeader reads the line back into the same header.
func (h Header) Line() string {
	var b strings.Builder
	b.Grow(len(lineTime) + len(h.Host) + len(h.Program) + len(h.Module) + len(h.Msg) + 32)
	b.WriteString(h.Time.UTC().Format(lineTime))
	b.WriteByte(' ')
	if h.Host == "" {
		b.WriteByte('-')
	} else {
		b.WriteString(h.Host)
	}
	b.WriteByte(' ')
	if h.Program != "" {
		b.WriteString(h.Program)
		if h.Module != "" {
			b.WriteString("(" + h.Module + ")")
		}
		if h.PID >= 0 {
			b.WriteString("[" + strconv.FormatInt(h.PID, 10) + "]")
		}
		b.WriteString(": ")
	}
	b.WriteString(h.Msg)
	return b.String()
}

var months = map[string]time.Month{
	"Jan": time.January, "Feb": time.February, "Mar": time.March, "Apr": time.April,
	"May": time.May, "Jun": time.June, "Jul": time.July, "Aug": time.August,
	"Sep": time.September, "Oct": time.October, "Nov": time.November, "Dec": time.December,
}

// ParseHeader splits a syslog line into its header and message. It accepts
// RFC 3164 ("Mmm dd hh:mm:ss host tag[pid]: msg", optionally preceded by
// "<PRI>"), RFC 5424 ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG") and
// lines starting with an RFC 3339 timestamp as rsyslog's
// RSYSLOG_FileFormat writes them (also "YYYY-MM-DD hh:mm:ss.frac-0700"). It
// returns false when the line has none of these shapes.
func ParseHeader(line []byte, opts Options) (Header, bool) {
	if opts.Loc == nil {
		opts.Loc = time.Local
	}
	s := string(bytes.TrimRight(line, "\r\n"))
	s, pri := cutPRI(s)
	if pri && len(s) > 2 && s[0] == '1' && s[1] == ' ' {
		return parse5424(s[2:], opts)
	}
	var h Header
	var rest string
	var ok bool
	if len(s) >= 15 && months[s[:3]] != 0 && s[3] == ' ' {
		h.Time, rest, ok = parse3164Time(s, opts)
	} else {
		h.Time, rest, ok = parseISOTime(s, opts.Loc)
	}
	if !ok {
		return Header{}, false
	}
	host, rest, ok := nextField(rest)
	if !ok {
		return Header{}, false
	}
	h.Host = host
	rest = strings.TrimLeft(rest, " \t")
	if rest2, found := strings.CutPrefix(rest, "-- "); found {
		// sysklogd wrote an empty tag as "--" (e.g. "-- root[2421]: ROOT LOGIN").
		rest = strings.TrimLeft(rest2, " \t")
	}
	if !parseTag(&h, rest) {
		return Header{}, false
	}
	return h, true
}

func cutPRI(s string) (string, bool) {
	if len(s) < 3 || s[0] != '<' {
		return s, false
	}
	for i := 1; i < len(s) && i <= 4; i++ {
		if s[i] == '>' {
			if i == 1 {
				return s, false
			}
			if _, err := strconv.Atoi(s[1:i]); err != nil {
				return s, false
			}
			return s[i+1:], true
		}
	}
	return s, false
}

// parse3164Time reads "Mmm dd hh:mm:ss" (day space-padded) and infers the year.
func parse3164Time(s string, opts Options) (time.Time, string, bool) {
	mon := months[s[:3]]
	dayStr := s[4:6]
	if dayStr[0] == ' ' {
		dayStr = dayStr[1:]
	}
	day, err := strconv.Atoi(dayStr)
	if err != nil || day < 1 || day > 31 || s[6] != ' ' {
		return time.Time{}, "", false
	}
	hh, mm, ss, ok := clock(s[7:15])
	if !ok {
		return time.Time{}, "", false
	}
	rest := s[15:]
	if len(rest) > 0 && rest[0] != ' ' {
		return time.Time{}, "", false
	}
	ref := opts.Ref
	if ref.IsZero() {
		ref = time.Now()
	}
	ref = ref.In(opts.Loc)
	t := inferYear(ref, mon, day, hh, mm, ss, opts.Loc)
	return t, rest, true
}

// inferYear picks the latest year whose date is not more than a day after ref;
// dates that do not exist in that year (29 Feb) move to the previous leap year.
func inferYear(ref time.Time, mon time.Month, day, hh, mm, ss int, loc *time.Location) time.Time {
	limit := ref.Add(24 * time.Hour)
	for y := ref.Year() + 1; y >= ref.Year()-8; y-- {
		t := time.Date(y, mon, day, hh, mm, ss, 0, loc)
		if t.Month() != mon || t.After(limit) {
			continue
		}
		return t
	}
	return time.Date(ref.Year(), mon, day, hh, mm, ss, 0, loc)
}

func clock(s string) (hh, mm, ss int, ok bool) {
	if len(s) != 8 || s[2] != ':' || s[5] != ':' {
		return 0, 0, 0, false
	}
	h, e1 := strconv.Atoi(s[0:2])
	m, e2 := strconv.Atoi(s[3:5])
	sec, e3 := strconv.Atoi(s[6:8])
	if e1 != nil || e2 != nil || e3 != nil || h > 23 || m > 59 || sec > 60 || h < 0 || m < 0 || sec < 0 {
		return 0, 0, 0, false
	}
	if sec == 60 {
		sec = 59
	}
	return h, m, sec, true
}

var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
}

var isoLocalLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// parseISOTime reads an RFC 3339 timestamp, or the "date time" form with a
// space between date and time (which makes it two fields).
func parseISOTime(s string, loc *time.Location) (time.Time, string, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, "", false
	}
	end := strings.IndexAny(s, " \t")
	if s[10] == ' ' {
		// "2020-03-23 06:47:42.801612-0700"
		e2 := strings.IndexAny(s[11:], " \t")
		if e2 < 0 {
			return time.Time{}, "", false
		}
		end = 11 + e2
	}
	if end < 0 {
		return time.Time{}, "", false
	}
	ts := s[:end]
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, ts); err == nil {
			return t, s[end:], true
		}
	}
	for _, l := range isoLocalLayouts {
		if t, err := time.ParseInLocation(l, ts, loc); err == nil {
			return t, s[end:], true
		}
	}
	return time.Time{}, "", false
}

// parse5424 reads "TIMESTAMP HOST APP PROCID MSGID SD MSG" (after "<PRI>1 ").
func parse5424(s string, opts Options) (Header, bool) {
	var h Header
	h.PID = -1
	var f [5]string
	rest := s
	for i := range f {
		var ok bool
		f[i], rest, ok = nextField(rest)
		if !ok {
			return Header{}, false
		}
	}
	if f[0] != "-" {
		t, _, ok := parseISOTime(f[0]+" ", opts.Loc)
		if !ok {
			return Header{}, false
		}
		h.Time = t
	}
	h.Host, h.Program = nilDash(f[1]), nilDash(f[2])
	if pid, err := strconv.ParseInt(f[3], 10, 64); err == nil && pid >= 0 {
		h.PID = pid
	}
	rest = skipSD(strings.TrimLeft(rest, " \t"))
	rest, _ = strings.CutPrefix(rest, "\ufeff")
	h.Msg = rest
	splitModule(&h)
	return h, true
}

func nilDash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// skipSD drops RFC 5424 structured data ("-" or "[id k="v"]...").
func skipSD(s string) string {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		return strings.TrimLeft(rest, " \t")
	}
	for len(s) > 0 && s[0] == '[' {
		i, esc := 1, false
		for ; i < len(s); i++ {
			if esc {
				esc = false
				continue
			}
			if s[i] == '\\' {
				esc = true
			} else if s[i] == ']' {
				break
			}
		}
		if i >= len(s) {
			return ""
		}
		s = s[i+1:]
	}
	return strings.TrimLeft(s, " \t")
}

// parseTag reads "prog[pid]: msg", "prog: msg" or "prog(module)[pid]: msg".
func parseTag(h *Header, s string) bool {
	h.PID = -1
	colon := -1
	for i := 0; i < len(s) && i < 256; i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ') {
			colon = i
			break
		}
		if s[i] == ' ' {
			break
		}
	}
	if colon <= 0 {
		// RFC 3164 allows a message without a tag ("syslogd 1.4.1: restart.").
		h.Msg = s
		return s != ""
	}
	tag := s[:colon]
	h.Msg = strings.TrimLeft(s[colon+1:], " \t")
	if i := strings.LastIndexByte(tag, '['); i > 0 && tag[len(tag)-1] == ']' {
		if pid, err := strconv.ParseInt(tag[i+1:len(tag)-1], 10, 64); err == nil && pid >= 0 {
			h.PID = pid
		}
		tag = tag[:i]
	}
	h.Program = tag
	splitModule(h)
	return true
}

func splitModule(h *Header) {
	tag := h.Program
	if i := strings.LastIndexByte(tag, '('); i > 0 && tag[len(tag)-1] == ')' {
		h.Program, h.Module = tag[:i], tag[i+1:len(tag)-1]
	}
}

func nextField(s string) (field, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return "", "", false
	}
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", true
	}
	return s[:i], s[i:], true
}
