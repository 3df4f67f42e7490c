package notify

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigil-sec/vigil/internal/detect"
)

// parseRecord checks an RFC 5424 record strictly and returns its SD-PARAMs
// (in order, unescaped) and its MSG.
func parseRecord(rec string) (params [][2]string, msg string, err error) {
	if !utf8.ValidString(rec) {
		return nil, "", fmt.Errorf("not UTF-8")
	}
	if !strings.HasPrefix(rec, "<") {
		return nil, "", fmt.Errorf("no PRI")
	}
	end := strings.IndexByte(rec, '>')
	if end < 2 || end > 4 {
		return nil, "", fmt.Errorf("bad PRI")
	}
	if pri, err := strconv.Atoi(rec[1:end]); err != nil || pri > 191 || pri < 0 {
		return nil, "", fmt.Errorf("PRI %q", rec[1:end])
	}
	fields := strings.SplitN(rec[end+1:], " ", 7)
	if len(fields) != 7 || fields[0] != "1" {
		return nil, "", fmt.Errorf("header %q", fields)
	}
	for i, f := range fields[1:6] {
		if f == "" {
			return nil, "", fmt.Errorf("empty header field %d", i)
		}
		for _, c := range []byte(f) {
			if c < 33 || c > 126 {
				return nil, "", fmt.Errorf("header field %q has byte %d", f, c)
			}
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, fields[1]); err != nil && fields[1] != "-" {
		return nil, "", fmt.Errorf("timestamp %q", fields[1])
	}
	rest := fields[6]
	if !strings.HasPrefix(rest, "[") {
		return nil, "", fmt.Errorf("no structured data")
	}
	i := 1
	for i < len(rest) && rest[i] != ' ' && rest[i] != ']' {
		i++
	}
	for i < len(rest) && rest[i] == ' ' {
		i++
		eq := strings.IndexByte(rest[i:], '=')
		if eq < 1 || i+eq+1 >= len(rest) || rest[i+eq+1] != '"' {
			return nil, "", fmt.Errorf("param at %d", i)
		}
		name := rest[i : i+eq]
		i += eq + 2
		var v strings.Builder
		for {
			if i >= len(rest) {
				return nil, "", fmt.Errorf("unterminated value")
			}
			c := rest[i]
			if c == '\\' && i+1 < len(rest) && strings.IndexByte(`"\]`, rest[i+1]) >= 0 {
				v.WriteByte(rest[i+1])
				i += 2
				continue
			}
			if c == '"' || c == ']' {
				if c == ']' {
					return nil, "", fmt.Errorf("unescaped ] in value")
				}
				i++
				break
			}
			v.WriteByte(c)
			i++
		}
		params = append(params, [2]string{name, v.String()})
	}
	if i >= len(rest) || rest[i] != ']' {
		return nil, "", fmt.Errorf("structured data not closed at %d", i)
	}
	rest = rest[i+1:]
	if rest != "" && !strings.HasPrefix(rest, " ") {
		return nil, "", fmt.Errorf("no space before MSG")
	}
	return params, strings.TrimPrefix(rest, " "), nil
}

func FuzzFormatSyslog(f *testing.F) {
	f.Add("Download Piped Into A Shell", "web1", "high", "attack.t1059.004", "vigil-server", false, 2048)
	f.Add(`Quote " bracket ] backslash \`, `db"1]\x`, "critical", "a]b", "h", false, 2048)
	f.Add("line\nbreak\x00\xff", "ümlaut\r\n", "weird", "", "", true, 4096)
	f.Fuzz(func(t *testing.T, title, host, level, tag, hostname string, digest bool, limit int) {
		limit = 2048 + (limit&0xffff)%8192
		a := detect.Alert{}
		a.ID, a.Rule.ID, a.Rule.Name, a.Rule.Level, a.Host.Name = "id-1", "rule-1", title, level, host
		a.Tags = []string{tag, tag + tag}
		a.Count = 1
		m := Message{Alerts: []detect.Alert{a}, Total: 1}
		if digest {
			m = Message{Digest: true, Total: 3, Alerts: []detect.Alert{a, a}}
		}
		h := SyslogHeader{Facility: 10, Time: time.Unix(1700000000, 0), Hostname: hostname, AppName: "vigil", ProcID: "1", SDID: DefaultSDID}
		rec := FormatSyslog(m, h, limit)
		if len(rec) > limit {
			t.Fatalf("record of %d bytes, limit %d", len(rec), limit)
		}
		params, _, err := parseRecord(string(rec))
		if err != nil {
			t.Fatalf("invalid record %q: %v", rec, err)
		}
		if digest {
			return
		}
		for _, p := range params {
			want := ""
			switch p[0] {
			case "host":
				want = host
			case "level":
				want = level
			default:
				continue
			}
			if want = cutUTF8(strings.ToValidUTF8(want, "?"), 255); p[1] != want {
				t.Errorf("param %s = %q, want %q", p[0], p[1], want)
			}
		}
	})
}
