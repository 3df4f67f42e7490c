package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigil-sec/vigil/internal/detect"
)

// SyslogConfig configures a syslog channel.
type SyslogConfig struct {
	Name string `yaml:"name"`
	// Network is "udp" (RFC 5426) or "tcp" (RFC 6587 octet counting).
	Network string `yaml:"network"`
	Address string `yaml:"address"`
	// Facility is the numeric facility (default 10, authpriv: alerts name
	// users and commands, and Debian keeps authpriv logs root-only).
	Facility *int `yaml:"facility"`
	// Hostname is the HOSTNAME field (default the server's host name); the
	// alert's host goes in the structured data.
	Hostname string `yaml:"hostname"`
	// AppName is the APP-NAME field (default "vigil").
	AppName string `yaml:"app_name"`
	// SDID is the structured data ID (default DefaultSDID).
	SDID string `yaml:"sd_id"`
	// MaxSize bounds one message in bytes (default 2048 for UDP, 8192 for
	// TCP); the free text is cut to fit.
	MaxSize int `yaml:"max_size"`
	// Timeout bounds a dial or write (default 5 s).
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultSDID names vigil's structured data element. 32473 is the private
// enterprise number RFC 5612 reserves for documentation; set SDID to one of
// your own if your receiver cares.
const DefaultSDID = "vigil@32473"

// Syslog sends each message as one RFC 5424 record.
type Syslog struct {
	cfg  SyslogConfig
	fac  int
	pid  string
	mu   sync.Mutex
	conn net.Conn
}

// NewSyslog checks cfg and returns the channel; it connects on first use.
func NewSyslog(cfg SyslogConfig) (*Syslog, error) {
	var errs []error
	if cfg.Network != "udp" && cfg.Network != "tcp" {
		errs = append(errs, fmt.Errorf("syslog network %q is not udp or tcp", cfg.Network))
	}
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		errs = append(errs, fmt.Errorf("syslog address %q: %w", cfg.Address, err))
	}
	fac := 10
	if cfg.Facility != nil {
		fac = *cfg.Facility
	}
	if fac < 0 || fac > 23 {
		errs = append(errs, fmt.Errorf("syslog facility %d is not 0..23", fac))
	}
	if cfg.SDID == "" {
		cfg.SDID = DefaultSDID
	}
	if !validName(cfg.SDID, 32) {
		errs = append(errs, fmt.Errorf("syslog sd_id %q is not 1-32 printable characters without '=', ']', '\"' or space", cfg.SDID))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "syslog " + cfg.Network + " " + cfg.Address
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.AppName == "" {
		cfg.AppName = "vigil"
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = 2048
		if cfg.Network == "tcp" {
			cfg.MaxSize = 8192
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &Syslog{cfg: cfg, fac: fac, pid: strconv.Itoa(os.Getpid())}, nil
}

// Name implements Channel.
func (s *Syslog) Name() string { return s.cfg.Name }

// Send implements Channel: one record per message; on a write error the
// connection is redialled and the record sent once more.
func (s *Syslog) Send(ctx context.Context, m Message) error {
	rec := FormatSyslog(m, s.header(m), s.cfg.MaxSize)
	if s.cfg.Network == "tcp" {
		rec = append([]byte(strconv.Itoa(len(rec))+" "), rec...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if err = ctx.Err(); err != nil {
			break
		}
		if s.conn == nil {
			d := net.Dialer{Timeout: s.cfg.Timeout}
			if s.conn, err = d.DialContext(ctx, s.cfg.Network, s.cfg.Address); err != nil {
				s.conn = nil
				continue
			}
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.cfg.Timeout))
		if _, err = s.conn.Write(rec); err == nil {
			return nil
		}
		s.conn.Close()
		s.conn = nil
	}
	return fmt.Errorf("syslog %s: %w", s.cfg.Name, err)
}

// Close closes the connection, if any.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// SyslogHeader holds the fixed fields of a record.
type SyslogHeader struct {
	Facility int
	Time     time.Time
	Hostname string
	AppName  string
	ProcID   string
	SDID     string
}

func (s *Syslog) header(m Message) SyslogHeader {
	return SyslogHeader{Facility: s.fac, Time: time.Now(), Hostname: s.cfg.Hostname,
		AppName: s.cfg.AppName, ProcID: s.pid, SDID: s.cfg.SDID}
}

// Severity maps a Sigma level to a syslog severity: critical 2 (crit),
// high 3 (err), medium 4 (warning), low 5 (notice), informational and
// unknown levels 6 (info).
func Severity(level string) int {
	switch detect.LevelRank(level) {
	case 4:
		return 2
	case 3:
		return 3
	case 2:
		return 4
	case 1:
		return 5
	}
	return 6
}

// FormatSyslog renders m as one RFC 5424 record (without TCP framing) of
// at most limit bytes (for a limit of at least 2048; header fields and
// SD-PARAM values are cut to 255 bytes each, tags left out when they do not
// fit in half the limit): MSGID "alert" with SD-PARAMs alert_id, rule_id, level,
// host, count and one tag per Sigma tag, or MSGID "digest" with total, from
// and to. The free text is cut at a UTF-8 boundary to fit.
func FormatSyslog(m Message, h SyslogHeader, limit int) []byte {
	sev, msgID := 6, "digest"
	var sd, text strings.Builder
	sd.WriteString("[" + h.SDID)
	if !m.Digest && len(m.Alerts) == 1 {
		a := m.Alerts[0]
		sev, msgID = Severity(a.Rule.Level), "alert"
		param(&sd, "alert_id", a.ID)
		param(&sd, "rule_id", a.Rule.ID)
		param(&sd, "level", a.Rule.Level)
		param(&sd, "host", a.Host.Name)
		param(&sd, "count", strconv.Itoa(a.Count))
		for _, t := range a.Tags {
			var p strings.Builder
			param(&p, "tag", t)
			if sd.Len()+p.Len() > limit/2 {
				break
			}
			sd.WriteString(p.String())
		}
		fmt.Fprintf(&text, "%s: %s on %s (rule %s, count %d)", a.Rule.Level, a.Rule.Name, a.Host.Name, a.Rule.ID, a.Count)
	} else {
		top := -1
		for _, a := range m.Alerts {
			top = max(top, detect.LevelRank(a.Rule.Level))
		}
		if top >= 0 {
			sev = Severity(levels[top])
		}
		param(&sd, "total", strconv.Itoa(m.Total))
		param(&sd, "from", m.From.UTC().Format(time.RFC3339))
		param(&sd, "to", m.To.UTC().Format(time.RFC3339))
		fmt.Fprintf(&text, "digest: %d alerts held back by the rate limit", m.Total)
		for _, a := range m.Alerts {
			fmt.Fprintf(&text, "; %s: %s on %s", a.Rule.Level, a.Rule.Name, a.Host.Name)
		}
	}
	sd.WriteString("]")
	ts := "-"
	if !h.Time.IsZero() {
		ts = h.Time.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	head := fmt.Sprintf("<%d>1 %s %s %s %s %s %s ", h.Facility*8+sev, ts,
		headerField(h.Hostname, 255), headerField(h.AppName, 48), headerField(h.ProcID, 128), msgID, sd.String())
	msg := strings.ToValidUTF8(text.String(), "?")
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if room := limit - len(head); len(msg) > room {
		msg = cutUTF8(msg, room)
	}
	return append([]byte(head), msg...)
}

var levels = []string{"informational", "low", "medium", "high", "critical"}

// param appends an SD-PARAM, escaping '"', '\' and ']' as RFC 5424 says.
func param(b *strings.Builder, name, value string) {
	value = cutUTF8(strings.ToValidUTF8(value, "?"), 255)
	b.WriteString(" " + name + `="`)
	for _, r := range value {
		if r == '"' || r == '\\' || r == ']' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
}

// headerField returns v as a header field: printable US-ASCII without
// spaces, at most n bytes, "-" when empty.
func headerField(v string, n int) string {
	v = strings.Map(func(r rune) rune {
		if r < 33 || r > 126 {
			return -1
		}
		return r
	}, v)
	v = cutUTF8(v, n)
	if v == "" {
		return "-"
	}
	return v
}

// validName reports whether v is an SD-NAME of at most n bytes.
func validName(v string, n int) bool {
	if v == "" || len(v) > n {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 33 || c > 126 || c == '=' || c == ']' || c == '"' || c == ' ' {
			return false
		}
	}
	return true
}

// cutUTF8 returns the longest prefix of s of at most n bytes that ends on a
// rune boundary.
func cutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
