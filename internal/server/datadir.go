package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/pki"
)

// DataDir is a server's data directory: CA and server certificate, admin
// token, server.json (where the server listens) and the store's files.
type DataDir struct {
	Path       string
	CA         *pki.CA
	CertPath   string
	KeyPath    string
	AdminToken string
}

// InitDataDir creates what is missing in dir (CA, server certificate
// covering listen's host, localhost and this machine's name, admin token)
// and loads what exists, so a first start initialises and later starts reuse.
func InitDataDir(dir, listen string, now time.Time) (*DataDir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	ca, err := pki.LoadOrCreateCA(dir, now)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	certPath, keyPath, err := ca.EnsureServerCert(dir, certHosts(listen), now)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	tok, err := loadOrCreateToken(filepath.Join(dir, httpapi.AdminTokenFile))
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return &DataDir{Path: dir, CA: ca, CertPath: certPath, KeyPath: keyPath, AdminToken: tok}, nil
}

// certHosts are the names the server certificate covers.
func certHosts(listen string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if h, _, err := net.SplitHostPort(listen); err == nil && h != "" {
		if ip := net.ParseIP(h); ip == nil || !ip.IsUnspecified() {
			hosts = append(hosts, h)
		}
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		hosts = append(hosts, name)
	}
	return hosts
}

// loadOrCreateToken reads the admin token, or writes a new one (32 random
// bytes, hex, mode 0600). A token file readable by others is refused.
func loadOrCreateToken(path string) (string, error) {
	if fi, err := os.Stat(path); err == nil {
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("%s: mode %04o: the admin token must not be readable by group or others (chmod 600)", path, fi.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		tok := strings.TrimSpace(string(b))
		if len(tok) < 32 {
			return "", fmt.Errorf("%s: token too short", path)
		}
		return tok, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("admin token: %w", err)
	}
	return tok, f.Close()
}

// writeServerInfo records where the server listens in DIR/server.json.
func writeServerInfo(dir string, addr net.Addr) error {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	info := httpapi.ServerInfo{URL: "https://" + net.JoinHostPort(host, port), Listen: addr.String(), PID: os.Getpid()}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, httpapi.ServerInfoFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("server info: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, httpapi.ServerInfoFile))
}

// ReadServerInfo reads DIR/server.json.
func ReadServerInfo(dir string) (httpapi.ServerInfo, error) {
	var info httpapi.ServerInfo
	b, err := os.ReadFile(filepath.Join(dir, httpapi.ServerInfoFile))
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("%s: %w", httpapi.ServerInfoFile, err)
	}
	return info, nil
}

// LoadCA loads the CA of an initialised data dir without creating one.
func LoadCA(dir string) (*pki.CA, error) {
	if _, err := os.Stat(filepath.Join(dir, pki.CACertFile)); err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	return pki.LoadOrCreateCA(dir, time.Now())
}
