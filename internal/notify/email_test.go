package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

// smtpd is a real SMTP server (aiosmtpd, run by testdata/smtpd.py).
type smtpd struct {
	port int
	out  string
	pool *x509.CertPool
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and returns the
// pool that trusts it.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test smtpd"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

func startSMTPD(t *testing.T, mode string) *smtpd {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import aiosmtpd").Run(); err != nil {
		t.Skip("aiosmtpd is not available (apt-get install python3-aiosmtpd):", err)
	}
	script, err := filepath.Abs("testdata/smtpd.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	cert, key, pool := selfSigned(t, dir)
	s := &smtpd{port: freePort(t, "tcp"), out: out, pool: pool}
	cmd := exec.Command(py, script, "127.0.0.1", strconv.Itoa(s.port), out, mode, cert, key, "vigil", "s3cret")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start aiosmtpd:", err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- strings.TrimSpace(line) == "READY"
		io.Copy(io.Discard, stdout)
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Skipf("aiosmtpd did not start: %s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Skipf("aiosmtpd not ready after 30 s: %s", stderr.String())
	}
	return s
}

func (s *smtpd) email(t *testing.T, mode, password string) *Email {
	t.Helper()
	e, err := NewEmail(EmailConfig{Host: "127.0.0.1", Port: s.port, TLS: mode, Username: "vigil", Password: password,
		From: "vigil <vigil@example.org>", To: []string{"ops@example.org", "Sec Team <sec@example.org>"},
		Timeout: 20 * time.Second, TLSConfig: &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type received struct {
	MailFrom string   `json:"mail_from"`
	RcptTos  []string `json:"rcpt_tos"`
	Login    string   `json:"login"`
	TLS      bool     `json:"tls"`
	msg      *mail.Message
	parts    map[string]string
}

func (s *smtpd) received(t *testing.T, n int) received {
	t.Helper()
	base := filepath.Join(s.out, strconv.Itoa(n))
	var r received
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatalf("message %d not received: %v", n, err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(base + ".eml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if r.msg, err = mail.ReadMessage(f); err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(r.msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r.parts = map[string]string{}
	mr := multipart.NewReader(r.msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			break
		}
		body, _ := io.ReadAll(p)
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		r.parts[typ] = string(body)
	}
	return r
}

func subject(t *testing.T, r received) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(r.msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEmailSTARTTLS(t *testing.T) {
	s := startSMTPD(t, "starttls")
	ctx := context.Background()
	a := alert(1, "high")
	a.Rule.Name = "Reverse shell <script>alert(1)</script> über /dev/tcp"
	if err := s.email(t, TLSStartTLS, "s3cret").Send(ctx, Message{Alerts: []detect.Alert{a}, Total: 1}); err != nil {
		t.Fatal(err)
	}
	r := s.received(t, 1)
	if !r.TLS || r.Login != "vigil" || r.MailFrom != "vigil@example.org" || strings.Join(r.RcptTos, ",") != "ops@example.org,sec@example.org" {
		t.Errorf("envelope %+v, want TLS, login vigil and both recipients", r)
	}
	if got, want := subject(t, r), "[vigil] HIGH: "+a.Rule.Name+" on web1"; got != want {
		t.Errorf("subject %q, want %q", got, want)
	}
	text, html := r.parts["text/plain"], r.parts["text/html"]
	if !strings.Contains(text, a.Rule.Name) || !strings.Contains(text, "rule-1") || !strings.Contains(text, "attack.t1059.004") {
		t.Errorf("text part lacks the alert:\n%s", text)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || !strings.Contains(html, "über") {
		t.Errorf("html part does not escape the title:\n%s", html)
	}

	d := Message{Digest: true, Total: 7, Alerts: []detect.Alert{alert(2, "low"), alert(3, "medium")}, From: a.FirstSeen, To: a.FirstSeen.Add(10 * time.Minute)}
	if err := s.email(t, TLSStartTLS, "s3cret").Send(ctx, d); err != nil {
		t.Fatal(err)
	}
	r = s.received(t, 2)
	if got := subject(t, r); got != "[vigil] digest: 7 alerts held back by the rate limit" {
		t.Errorf("digest subject %q", got)
	}
	if !strings.Contains(r.parts["text/plain"], "the first 2 are listed") || !strings.Contains(r.parts["text/html"], "title of rule-3") {
		t.Errorf("digest body:\n%s", r.parts["text/plain"])
	}
}

func TestEmailRefused(t *testing.T) {
	s := startSMTPD(t, "starttls")
	ctx := context.Background()
	m := Message{Alerts: []detect.Alert{alert(1, "high")}, Total: 1}
	if err := s.email(t, TLSStartTLS, "wrong").Send(ctx, m); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Errorf("wrong password: %v, want an auth error", err)
	}
	// Without TLS the server refuses authentication, and the client refuses
	// to send the password in clear to a host that is not localhost.
	if err := s.email(t, TLSNone, "s3cret").Send(ctx, m); err == nil {
		t.Error("sending without STARTTLS to a server that requires it succeeded")
	}
	untrusted := s.email(t, TLSStartTLS, "s3cret")
	untrusted.tls = &tls.Config{ServerName: "127.0.0.1"}
	if err := untrusted.Send(ctx, m); err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Errorf("untrusted certificate: %v, want a starttls error", err)
	}
	if _, err := os.Stat(filepath.Join(s.out, "1.eml")); err == nil {
		t.Error("a refused message was delivered")
	}
}

func TestEmailPlainAuth(t *testing.T) {
	s := startSMTPD(t, "plain")
	ctx := context.Background()
	m := Message{Alerts: []detect.Alert{alert(1, "critical")}, Total: 1}
	if err := s.email(t, TLSStartTLS, "s3cret").Send(ctx, m); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("starttls against a server without it: %v", err)
	}
	if err := s.email(t, TLSNone, "s3cret").Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	r := s.received(t, 1)
	if r.TLS || r.Login != "vigil" || !strings.HasPrefix(subject(t, r), "[vigil] CRITICAL: title of rule-1") {
		t.Errorf("plain delivery %+v subject %q", r, subject(t, r))
	}
}

func TestNewEmailErrors(t *testing.T) {
	for _, c := range []EmailConfig{
		{From: "a@b", To: []string{"c@d"}},
		{Host: "h", To: []string{"c@d"}},
		{Host: "h", From: "a@b"},
		{Host: "h", From: "a@b", To: []string{"not an address"}},
		{Host: "h", From: "a@b", To: []string{"c@d"}, TLS: "ssl3"},
		{Host: "h", From: "a@b", To: []string{"c@d"}, CAFile: "/nonexistent.pem"},
	} {
		if _, err := NewEmail(c); err == nil {
			t.Errorf("NewEmail(%+v) succeeded", c)
		}
	}
}
