package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
)

// Files a server keeps in its data directory that clients read.
const (
	ServerInfoFile = "server.json"
	AdminTokenFile = "admin.token"
	CAFile         = "ca.crt"
)

// ServerInfo is DIR/server.json: where a local server listens.
type ServerInfo struct {
	// URL is the base URL clients on this machine use.
	URL string `json:"url"`
	// Listen is the address the server bound.
	Listen string `json:"listen"`
	PID    int    `json:"pid,omitempty"`
}

// Endpoint says how to reach a server: base URL, admin token, CA (PEM).
type Endpoint struct {
	URL   string
	Token string
	CA    []byte
}

// Locate are the places a client looks for its endpoint, by priority: the
// explicit Server/Token/CA (flags), then DataDir's files (--data), then
// VIGIL_SERVER, VIGIL_TOKEN and VIGIL_CA (a CA file path) from Getenv.
type Locate struct {
	Server, Token, CAPath string
	DataDir               string
	Getenv                func(string) string
}

// Resolve finds the endpoint.
func (l Locate) Resolve() (Endpoint, error) {
	getenv := l.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var ep Endpoint
	var info ServerInfo
	if l.DataDir != "" {
		b, err := os.ReadFile(filepath.Join(l.DataDir, ServerInfoFile))
		if err != nil {
			return ep, fmt.Errorf("server address: %w (has a server run with --data %s?)", err, l.DataDir)
		}
		if err := json.Unmarshal(b, &info); err != nil {
			return ep, fmt.Errorf("%s: %w", filepath.Join(l.DataDir, ServerInfoFile), err)
		}
	}
	ep.URL = first(l.Server, info.URL, getenv("VIGIL_SERVER"))
	ep.Token = l.Token
	if ep.Token == "" && l.DataDir != "" {
		b, err := os.ReadFile(filepath.Join(l.DataDir, AdminTokenFile))
		if err != nil {
			return ep, fmt.Errorf("admin token: %w", err)
		}
		ep.Token = strings.TrimSpace(string(b))
	}
	ep.Token = first(ep.Token, getenv("VIGIL_TOKEN"))
	caPath := first(l.CAPath, dataFile(l.DataDir, CAFile), getenv("VIGIL_CA"))
	if caPath != "" {
		b, err := os.ReadFile(caPath)
		if err != nil {
			return ep, fmt.Errorf("CA certificate: %w", err)
		}
		ep.CA = b
	}
	switch {
	case ep.URL == "":
		return ep, errors.New("no server: give --server URL, --data DIR or set VIGIL_SERVER")
	case ep.Token == "":
		return ep, errors.New("no admin token: give --token, --data DIR or set VIGIL_TOKEN")
	}
	if !strings.Contains(ep.URL, "://") {
		ep.URL = "https://" + ep.URL
	}
	ep.URL = strings.TrimRight(ep.URL, "/")
	return ep, nil
}

func dataFile(dir, name string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, name)
}

func first(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// Client calls the admin API.
type Client struct {
	ep   Endpoint
	http *http.Client
}

// NewClient returns a client for ep; with a CA it trusts only that CA.
func NewClient(ep Endpoint) (*Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if len(ep.CA) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ep.CA) {
			return nil, errors.New("CA certificate: no PEM certificate")
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &Client{ep: ep, http: &http.Client{Transport: tr, Timeout: time.Minute}}, nil
}

// APIError is an error answer of the server.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("server: %s (%d %s)", e.Message, e.Status, e.Code)
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.ep.URL+path, rd)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.ep.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("server unreachable: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var eb errorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
			return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
		}
		return &APIError{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(data))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer of %s: %w", path, err)
	}
	return nil
}

// SearchParams are the parameters of an events search.
type SearchParams struct {
	Query, From, To, Since string
	// Limit is the total number of hits wanted (default 100).
	Limit int
}

// Search calls fn with each hit (raw ECS JSON), newest first, following the
// cursor until Limit hits or the last page.
func (c *Client) Search(ctx context.Context, p SearchParams, fn func(json.RawMessage) error) error {
	if p.Limit <= 0 {
		p.Limit = DefaultLimit
	}
	left, cursor := p.Limit, ""
	for left > 0 {
		v := url.Values{}
		for k, s := range map[string]string{"q": p.Query, "from": p.From, "to": p.To, "since": p.Since, "cursor": cursor} {
			if s != "" {
				v.Set(k, s)
			}
		}
		v.Set("limit", strconv.Itoa(min(left, MaxLimit)))
		var page SearchPage
		if err := c.do(ctx, http.MethodGet, "/api/v1/events?"+v.Encode(), nil, &page); err != nil {
			return err
		}
		for _, e := range page.Events[:min(len(page.Events), left)] {
			if err := fn(e); err != nil {
				return err
			}
		}
		left -= len(page.Events)
		if page.Cursor == "" || len(page.Events) == 0 {
			return nil
		}
		cursor = page.Cursor
	}
	return nil
}

// Hosts lists the hosts.
func (c *Client) Hosts(ctx context.Context) (HostList, error) {
	var l HostList
	return l, c.do(ctx, http.MethodGet, "/api/v1/hosts", nil, &l)
}

// Revoke revokes a host.
func (c *Client) Revoke(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/hosts/"+url.PathEscape(id)+"/revoke", nil, nil)
}

// CreateToken creates an enrollment token.
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (TokenResponse, error) {
	var t TokenResponse
	return t, c.do(ctx, http.MethodPost, "/api/v1/tokens", req, &t)
}

// Healthy checks /healthz.
func (c *Client) Healthy(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil)
}

// HTTP is the client's TLS-configured HTTP client (for endpoints the Client
// has no method for, such as /metrics).
func (c *Client) HTTP() *http.Client { return c.http }

// AlertParams select alerts (see ParseAlertFilter); empty fields do not
// filter.
type AlertParams struct {
	Status, Level, Since, Host, Rule string
	Limit                            int
}

// Alerts lists alerts, most recent last_seen first.
func (c *Client) Alerts(ctx context.Context, p AlertParams) ([]detect.Alert, error) {
	v := url.Values{}
	for k, s := range map[string]string{"status": p.Status, "level": p.Level, "since": p.Since, "host": p.Host, "rule": p.Rule} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if p.Limit > 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	var l AlertList
	err := c.do(ctx, http.MethodGet, "/api/v1/alerts?"+v.Encode(), nil, &l)
	return l.Alerts, err
}

// UpdateAlert changes an alert's status and/or adds a note.
func (c *Client) UpdateAlert(ctx context.Context, id string, p AlertPatch) (detect.Alert, error) {
	var a detect.Alert
	return a, c.do(ctx, http.MethodPatch, "/api/v1/alerts/"+url.PathEscape(id), p, &a)
}
