package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// TLS modes of an e-mail channel.
const (
	// TLSStartTLS upgrades the connection with STARTTLS and fails when the
	// server does not offer it (the default).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "tls"
	// TLSNone sends in clear; for a relay on the same host only.
	TLSNone = "none"
)

// EmailConfig configures an e-mail channel.
type EmailConfig struct {
	Name string `yaml:"name"`
	// Host and Port of the SMTP server (port default 587).
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
	// TLS is TLSStartTLS (default), TLSImplicit or TLSNone.
	TLS string `yaml:"tls"`
	// CAFile is a PEM bundle trusted instead of the system roots.
	CAFile string `yaml:"ca_file"`
	// Username and Password authenticate with AUTH PLAIN when set; the
	// password is never sent in clear except to localhost.
	Username string   `yaml:"username"`
	Password string   `yaml:"password"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	// SubjectPrefix starts every subject (default "[vigil]").
	SubjectPrefix string `yaml:"subject_prefix"`
	// Timeout bounds the whole SMTP conversation (default 30 s).
	Timeout time.Duration `yaml:"timeout"`
	// TLSConfig overrides CAFile (tests).
	TLSConfig *tls.Config `yaml:"-"`
}

// Email sends each message as one e-mail with a plain-text and an HTML part.
type Email struct {
	cfg  EmailConfig
	tls  *tls.Config
	from string
	to   []string
}

// NewEmail checks cfg and returns the channel.
func NewEmail(cfg EmailConfig) (*Email, error) {
	var errs []error
	if cfg.Host == "" {
		errs = append(errs, errors.New("email needs an SMTP host"))
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.TLS != TLSStartTLS && cfg.TLS != TLSImplicit && cfg.TLS != TLSNone {
		errs = append(errs, fmt.Errorf("email tls %q is not starttls, tls or none", cfg.TLS))
	}
	e := &Email{cfg: cfg}
	if a, err := mail.ParseAddress(cfg.From); err != nil {
		errs = append(errs, fmt.Errorf("email from %q: %w", cfg.From, err))
	} else {
		e.from = a.Address
	}
	if len(cfg.To) == 0 {
		errs = append(errs, errors.New("email needs at least one recipient"))
	}
	for _, t := range cfg.To {
		a, err := mail.ParseAddress(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("email to %q: %w", t, err))
			continue
		}
		e.to = append(e.to, a.Address)
	}
	e.tls = cfg.TLSConfig
	if e.tls == nil {
		e.tls = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			pool := x509.NewCertPool()
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				errs = append(errs, fmt.Errorf("email ca_file %s: no certificates (%v)", cfg.CAFile, err))
			}
			e.tls.RootCAs = pool
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if e.cfg.Name == "" {
		e.cfg.Name = "email " + cfg.Host
	}
	if e.cfg.SubjectPrefix == "" {
		e.cfg.SubjectPrefix = "[vigil]"
	}
	if e.cfg.Timeout <= 0 {
		e.cfg.Timeout = 30 * time.Second
	}
	return e, nil
}

// Name implements Channel.
func (e *Email) Name() string { return e.cfg.Name }

// Send implements Channel: one SMTP conversation per message.
func (e *Email) Send(ctx context.Context, m Message) error {
	msg, err := e.compose(m, time.Now())
	if err != nil {
		return fmt.Errorf("compose email: %w", err)
	}
	if err := e.deliver(ctx, msg); err != nil {
		return fmt.Errorf("email %s: %w", e.cfg.Name, err)
	}
	return nil
}

func (e *Email) deliver(ctx context.Context, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	addr := net.JoinHostPort(e.cfg.Host, strconv.Itoa(e.cfg.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if e.cfg.TLS == TLSImplicit {
		conn = tls.Client(conn, e.tls)
	}
	c, err := smtp.NewClient(conn, e.cfg.Host)
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if e.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("server does not offer STARTTLS")
		}
		if err := c.StartTLS(e.tls); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if e.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("server does not offer AUTH")
		}
		// PlainAuth refuses to send the password unless the connection is
		// TLS or to localhost.
		if err := c.Auth(smtp.PlainAuth("", e.cfg.Username, e.cfg.Password, e.cfg.Host)); err != nil {
			return fmt.Errorf("auth: %w", err)
		}
	}
	if err := c.Mail(e.from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("rcpt to %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return c.Quit()
}

// Subject returns the subject of m: the level and rule title of an alert,
// or the count of a digest.
func Subject(prefix string, m Message) string {
	if m.Digest || len(m.Alerts) != 1 {
		return fmt.Sprintf("%s digest: %d alerts held back by the rate limit", prefix, m.Total)
	}
	a := m.Alerts[0]
	return fmt.Sprintf("%s %s: %s on %s", prefix, strings.ToUpper(a.Rule.Level), a.Rule.Name, a.Host.Name)
}

// compose builds the RFC 5322 message: headers, then multipart/alternative
// with quoted-printable text and HTML parts.
func (e *Email) compose(m Message, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	var id [12]byte
	_, _ = rand.Read(id[:])
	domain := e.from[strings.LastIndexByte(e.from, '@')+1:]
	hdr := []string{
		"From: " + e.from,
		"To: " + strings.Join(e.to, ", "),
		"Subject: " + mime.QEncoding.Encode("utf-8", oneLine(Subject(e.cfg.SubjectPrefix, m))),
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: <" + hex.EncodeToString(id[:]) + "@" + domain + ">",
		"MIME-Version: 1.0",
		"Auto-Submitted: auto-generated",
		"Content-Type: multipart/alternative; boundary=" + mw.Boundary(),
	}
	var out bytes.Buffer
	out.WriteString(strings.Join(hdr, "\r\n") + "\r\n\r\n")
	var html bytes.Buffer
	if err := htmlBody.Execute(&html, view(m)); err != nil {
		return nil, err
	}
	for _, part := range []struct{ typ, body string }{
		{"text/plain", PlainText(m)},
		{"text/html", html.String()},
	} {
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", part.typ+"; charset=utf-8")
		h.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	out.Write(buf.Bytes())
	return out.Bytes(), nil
}

// oneLine replaces line breaks and other control characters with spaces so
// a value cannot add header lines.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

type alertView struct {
	Level, Title, Host, RuleID, ID, Tags, First, Last string
	Count                                             int
}

type messageView struct {
	Digest   bool
	Total    int
	From, To string
	Alerts   []alertView
}

func view(m Message) messageView {
	v := messageView{Digest: m.Digest, Total: m.Total,
		From: m.From.UTC().Format(time.RFC3339), To: m.To.UTC().Format(time.RFC3339)}
	for _, a := range m.Alerts {
		v.Alerts = append(v.Alerts, alertView{Level: a.Rule.Level, Title: oneLine(a.Rule.Name), Host: oneLine(a.Host.Name),
			RuleID: a.Rule.ID, ID: a.ID, Tags: strings.Join(a.Tags, ", "), Count: a.Count,
			First: a.FirstSeen.UTC().Format(time.RFC3339), Last: a.LastSeen.UTC().Format(time.RFC3339)})
	}
	return v
}

// PlainText is the text part of the e-mail for m.
func PlainText(m Message) string {
	v := view(m)
	var b strings.Builder
	if v.Digest {
		fmt.Fprintf(&b, "%d alerts were held back by the rate limit between %s and %s", v.Total, v.From, v.To)
		if v.Total > len(v.Alerts) {
			fmt.Fprintf(&b, " (the first %d are listed)", len(v.Alerts))
		}
		b.WriteString(".\n\n")
	}
	for _, a := range v.Alerts {
		fmt.Fprintf(&b, "%s  %s\n  host:       %s\n  rule:       %s\n  alert:      %s\n  count:      %d\n  first seen: %s\n  last seen:  %s\n  tags:       %s\n\n",
			strings.ToUpper(a.Level), a.Title, a.Host, a.RuleID, a.ID, a.Count, a.First, a.Last, a.Tags)
	}
	b.WriteString("Triage with: vigil alerts --status open\n")
	return b.String()
}

var htmlBody = template.Must(template.New("alert").Parse(`<!DOCTYPE html>
<html><body style="font-family:sans-serif">
{{if .Digest}}<p>{{.Total}} alerts were held back by the rate limit between {{.From}} and {{.To}}{{if gt .Total (len .Alerts)}} (the first {{len .Alerts}} are listed){{end}}.</p>{{end}}
<table border="1" cellpadding="4" style="border-collapse:collapse">
<tr><th>Level</th><th>Rule</th><th>Host</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Tags</th></tr>
{{range .Alerts}}<tr><td>{{.Level}}</td><td>{{.Title}}<br><small>{{.RuleID}} / alert {{.ID}}</small></td><td>{{.Host}}</td><td>{{.Count}}</td><td>{{.First}}</td><td>{{.Last}}</td><td>{{.Tags}}</td></tr>
{{end}}</table>
<p>Triage with: <code>vigil alerts --status open</code></p>
</body></html>
`))
