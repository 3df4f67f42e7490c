package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/pki"
	"github.com/vigil-sec/vigil/internal/store"
)

// HostFacts describe the enrolling host.
type HostFacts struct {
	// Name is the host's name in vigil (vigil agent --name), default the
	// hostname.
	Name         string `json:"name,omitempty"`
	Hostname     string `json:"hostname,omitempty"`
	OS           string `json:"os,omitempty"`
	AgentVersion string `json:"agent_version,omitempty"`
}

// EnrollRequest is the body of POST /api/v1/enroll.
type EnrollRequest struct {
	Token string    `json:"token"`
	CSR   string    `json:"csr"` // PEM
	Host  HostFacts `json:"host"`
}

// EnrollResponse is the answer to a successful enrollment.
type EnrollResponse struct {
	AgentID     string `json:"agent_id"`
	Certificate string `json:"certificate"` // PEM, CN = AgentID
	CA          string `json:"ca"`          // PEM
}

func (s *Server) handleCA(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(s.ca.CertPEM)
}

// handleEnroll checks the token, signs the CSR for a new agent id and
// records the host. The CSR is checked before the token is used, so a bad
// request does not cost a use.
func (s *Server) handleEnroll(w http.ResponseWriter, r *http.Request) {
	var req EnrollRequest
	if err := readJSON(w, r, 64<<10, &req); err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	tok, err := ParseToken(req.Token)
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if tok.CAPin != pki.Fingerprint(s.ca.Cert) {
		s.fail(w, http.StatusBadRequest, "the token was made for another server's CA")
		return
	}
	if err := checkCSR([]byte(req.CSR)); err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.opts.Now().UTC()
	switch err := s.store.UseToken(r.Context(), tok.ID, SecretHash(tok.Secret), now); {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, http.StatusUnauthorized, "unknown enrollment token or wrong secret")
		return
	case errors.Is(err, store.ErrConflict):
		s.fail(w, http.StatusForbidden, "enrollment token expired or used up")
		return
	case err != nil:
		s.log.Error("use token", "err", err)
		s.fail(w, http.StatusServiceUnavailable, "store unavailable")
		return
	}
	agentID := event.NewID(now)
	cert, err := s.ca.SignAgent([]byte(req.CSR), agentID, now)
	if err != nil {
		s.fail(w, http.StatusBadRequest, err.Error())
		return
	}
	name := req.Host.Name
	if name == "" {
		name = req.Host.Hostname
	}
	if name == "" {
		name = agentID
	}
	host := store.Host{ID: agentID, Name: name, Hostname: req.Host.Hostname, OS: req.Host.OS,
		AgentVersion: req.Host.AgentVersion, EnrolledAt: now, LastSeen: now, Status: "online"}
	if err := s.store.UpsertHost(r.Context(), host); err != nil {
		s.log.Error("record enrolled host", "agent_id", agentID, "err", err)
		s.fail(w, http.StatusServiceUnavailable, "store unavailable")
		return
	}
	s.log.Info("agent enrolled", "agent_id", agentID, "name", name, "token_id", tok.ID)
	writeJSON(w, http.StatusOK, EnrollResponse{AgentID: agentID, Certificate: string(cert), CA: string(s.ca.CertPEM)})
}

func checkCSR(data []byte) error {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return errors.New("csr: no PEM certificate request")
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return fmt.Errorf("csr: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return fmt.Errorf("csr signature: %w", err)
	}
	return nil
}

// Files of an agent's identity in its state directory.
const (
	AgentKeyFile  = "agent.key"
	AgentCertFile = "agent.crt"
	AgentCAFile   = "server-ca.crt"
	AgentIDFile   = "enrolled.id"
)

// Identity is an enrolled agent's credentials.
type Identity struct {
	AgentID  string
	CertFile string
	KeyFile  string
	CAFile   string
}

// ErrNotEnrolled is returned by LoadIdentity when the state directory holds
// no complete identity.
var ErrNotEnrolled = errors.New("agent not enrolled")

// LoadIdentity loads the identity Enroll stored in stateDir.
func LoadIdentity(stateDir string) (Identity, error) {
	id := Identity{
		CertFile: filepath.Join(stateDir, AgentCertFile),
		KeyFile:  filepath.Join(stateDir, AgentKeyFile),
		CAFile:   filepath.Join(stateDir, AgentCAFile),
	}
	b, err := os.ReadFile(filepath.Join(stateDir, AgentIDFile))
	if errors.Is(err, os.ErrNotExist) {
		return Identity{}, ErrNotEnrolled
	}
	if err != nil {
		return Identity{}, fmt.Errorf("identity: %w", err)
	}
	id.AgentID = strings.TrimSpace(string(b))
	for _, p := range []string{id.CertFile, id.KeyFile, id.CAFile} {
		if _, err := os.Stat(p); err != nil {
			return Identity{}, fmt.Errorf("%w: %w", ErrNotEnrolled, err)
		}
	}
	return id, nil
}

// TLSConfig returns the client configuration: the agent's certificate, and
// the server verified against the pinned CA only.
func (id Identity) TLSConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(id.CertFile, id.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("agent certificate: %w", err)
	}
	caPEM, err := os.ReadFile(id.CAFile)
	if err != nil {
		return nil, fmt.Errorf("server CA: %w", err)
	}
	ca, err := pki.ParseCert(caPEM)
	if err != nil {
		return nil, fmt.Errorf("server CA: %w", err)
	}
	cfg := pinnedConfig(ca)
	cfg.Certificates = []tls.Certificate{cert}
	return cfg, nil
}

// pinnedConfig verifies the server's certificate chain against ca alone,
// requiring the server-auth usage. The host name is not checked: only this
// private CA can issue the certificate, and it issues server-auth
// certificates only to the server, so the pin is the identity (and agents
// may reach the server under any address).
func pinnedConfig(ca *x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
			if err != nil {
				return fmt.Errorf("server certificate not issued by the pinned CA: %w", err)
			}
			return nil
		},
	}
}

// Enroll enrolls the agent with serverURL using token, unless stateDir
// already holds an identity, which it returns. It fetches the server's CA
// and checks it against the token's pin before sending anything secret,
// creates the key (mode 0600) and CSR in stateDir, and stores the
// certificate, the CA and the agent id there.
func Enroll(ctx context.Context, serverURL, token, stateDir string, facts HostFacts) (Identity, error) {
	if id, err := LoadIdentity(stateDir); err == nil {
		return id, nil
	} else if !errors.Is(err, ErrNotEnrolled) {
		return Identity{}, err
	}
	tok, err := ParseToken(token)
	if err != nil {
		return Identity{}, err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return Identity{}, fmt.Errorf("enroll: %w", err)
	}
	ca, caPEM, err := fetchPinnedCA(ctx, serverURL, tok.CAPin)
	if err != nil {
		return Identity{}, err
	}
	keyPath := filepath.Join(stateDir, AgentKeyFile)
	csr, err := pki.NewKeyAndCSR(keyPath, facts.Hostname)
	if err != nil {
		return Identity{}, fmt.Errorf("enroll: key: %w", err)
	}
	body, _ := json.Marshal(EnrollRequest{Token: token, CSR: string(csr), Host: facts})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: pinnedConfig(ca)}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var resp EnrollResponse
	if err := postJSON(ctx, client, serverURL+PathEnroll, body, &resp); err != nil {
		return Identity{}, fmt.Errorf("enroll: %w", err)
	}
	cert, err := pki.ParseCert([]byte(resp.Certificate))
	if err != nil || cert.CheckSignatureFrom(ca) != nil || cert.Subject.CommonName != resp.AgentID {
		return Identity{}, errors.New("enroll: the server returned a certificate the pinned CA did not sign for this agent")
	}
	id := Identity{AgentID: resp.AgentID, KeyFile: keyPath,
		CertFile: filepath.Join(stateDir, AgentCertFile), CAFile: filepath.Join(stateDir, AgentCAFile)}
	for _, f := range []struct {
		path string
		data []byte
	}{{id.CertFile, []byte(resp.Certificate)}, {id.CAFile, caPEM}, {filepath.Join(stateDir, AgentIDFile), []byte(resp.AgentID + "\n")}} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return Identity{}, fmt.Errorf("enroll: %w", err)
		}
	}
	return id, nil
}

// fetchPinnedCA downloads the server's CA (without verifying the server:
// nothing secret is sent) and accepts it only when its fingerprint is pin
// and the server's own certificate chains to it.
func fetchPinnedCA(ctx context.Context, serverURL, pin string) (*x509.Certificate, []byte, error) {
	var leaf *x509.Certificate
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true, // checked against the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) > 0 {
				leaf = cs.PeerCertificates[0]
			}
			return nil
		}}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, serverURL+PathEnrollCA, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("enroll: %w", err)
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("enroll: fetch CA: %w", err)
	}
	defer res.Body.Close()
	caPEM, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("enroll: fetch CA: status %d: %v", res.StatusCode, err)
	}
	ca, err := pki.ParseCert(caPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("enroll: server CA: %w", err)
	}
	if got := pki.Fingerprint(ca); got != pin {
		return nil, nil, fmt.Errorf("enroll: the server's CA fingerprint %s does not match the token's pin %s", got, pin)
	}
	if leaf == nil || leaf.CheckSignatureFrom(ca) != nil {
		return nil, nil, errors.New("enroll: the server's certificate is not signed by the pinned CA")
	}
	return ca, bytes.Clone(caPEM), nil
}

// postJSON posts body and decodes a 200 answer into out; other answers
// become errors carrying the server's message.
func postJSON(ctx context.Context, client *http.Client, url string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return statusError(res.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// StatusError is a non-200 answer from the server.
type StatusError struct {
	Status  int
	Code    string
	Message string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

func statusError(status int, body []byte) error {
	var ae apiError
	if json.Unmarshal(body, &ae) != nil || ae.Message == "" {
		ae.Message = strings.TrimSpace(string(body))
	}
	return &StatusError{Status: status, Code: ae.Code, Message: ae.Message}
}
