package pki

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCAAndMutualTLS(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	ca, err := LoadOrCreateCA(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{CAKeyFile} {
		fi, _ := os.Stat(filepath.Join(dir, f))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, fi.Mode().Perm())
		}
	}
	again, err := LoadOrCreateCA(dir, now)
	if err != nil || Fingerprint(again.Cert) != Fingerprint(ca.Cert) {
		t.Fatalf("reload gave another CA: %v", err)
	}
	certPath, keyPath, err := ca.EnsureServerCert(dir, []string{"127.0.0.1", "localhost"}, now)
	if err != nil {
		t.Fatal(err)
	}
	st1, _ := os.Stat(certPath)
	if _, _, err := ca.EnsureServerCert(dir, []string{"127.0.0.1"}, now); err != nil {
		t.Fatal(err)
	}
	if st2, _ := os.Stat(certPath); !st2.ModTime().Equal(st1.ModTime()) {
		t.Error("a covering server certificate was re-issued")
	}

	agentKey := filepath.Join(dir, "agent.key")
	csr, err := NewKeyAndCSR(agentKey, "ignored-name")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := ca.SignAgent(csr, "agent-42", now)
	if err != nil {
		t.Fatal(err)
	}
	agentCert, _ := ParseCert(certPEM)
	if agentCert.Subject.CommonName != "agent-42" {
		t.Errorf("agent CN %q", agentCert.Subject.CommonName)
	}

	serverPair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{serverPair}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	gotCN := make(chan string, 2)
	go func() {
		for range 2 {
			c, err := ln.Accept()
			if err != nil {
				gotCN <- ""
				return
			}
			tc := c.(*tls.Conn)
			if err := tc.Handshake(); err != nil {
				gotCN <- "handshake: " + err.Error()
				c.Close()
				continue
			}
			gotCN <- tc.ConnectionState().PeerCertificates[0].Subject.CommonName
			io.WriteString(c, "ok")
			c.Close()
		}
	}()
	keyPEM, _ := os.ReadFile(agentKey)
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{pair}, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(conn)
	conn.Close()
	if cn := <-gotCN; cn != "agent-42" {
		t.Errorf("server saw client %q", cn)
	}

	// A client without a certificate is refused.
	bad, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err == nil {
		bad.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = io.ReadAll(bad)
		bad.Close()
	}
	if cn := <-gotCN; !strings.HasPrefix(cn, "handshake:") {
		t.Errorf("a client without certificate: server saw %q, want a failed handshake", cn)
	}
}

func TestRejects(t *testing.T) {
	dir := t.TempDir()
	ca, _ := LoadOrCreateCA(dir, time.Now())
	if _, err := ca.SignAgent([]byte("garbage"), "a", time.Now()); err == nil {
		t.Error("garbage CSR signed")
	}
	os.Chmod(filepath.Join(dir, CAKeyFile), 0o644)
	if _, err := LoadOrCreateCA(dir, time.Now()); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key accepted: %v", err)
	}
	other, _ := LoadOrCreateCA(t.TempDir(), time.Now())
	if Fingerprint(other.Cert) == Fingerprint(ca.Cert) {
		t.Error("two CAs share a fingerprint")
	}
	if _, err := x509.ParseCertificate(other.Cert.Raw); err != nil {
		t.Error(err)
	}
}
