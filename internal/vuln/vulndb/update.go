package vulndb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// DefaultBaseURL is osv.dev's public bucket; <base>/<ecosystem>/all.zip holds
// every advisory of an ecosystem.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// DefaultEcosystems are the distributions vigil matches.
var DefaultEcosystems = []string{"Debian", "Ubuntu", "AlmaLinux", "Rocky Linux", "Red Hat", "Alpine"}

// maxArchive bounds one downloaded archive.
const maxArchive = 4 << 30

// ErrDownload reports that an archive could not be fetched.
var ErrDownload = errors.New("cannot download advisories")

// Update downloads <baseURL>/<ecosystem>/all.zip for each ecosystem into a
// temporary directory and imports it. It stops at the first archive that
// cannot be fetched, with an error wrapping ErrDownload that says why (no
// network, HTTP status) and what to do instead.
func (db *DB) Update(ctx context.Context, client *http.Client, baseURL string, ecosystems []string) ([]ImportStats, error) {
	tmp, err := os.MkdirTemp("", "vigil-osv-")
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	defer os.RemoveAll(tmp)
	var out []ImportStats
	for _, eco := range ecosystems {
		u := strings.TrimSuffix(baseURL, "/") + "/" + url.PathEscape(eco) + "/all.zip"
		path := filepath.Join(tmp, "all.zip")
		if err := download(ctx, client, u, path); err != nil {
			return out, err
		}
		st, err := db.Import(ctx, path)
		out = append(out, st)
		if err != nil {
			return out, fmt.Errorf("import %s: %w", u, err)
		}
	}
	return out, nil
}

func download(ctx context.Context, client *http.Client, u, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w from %s: %v", ErrDownload, u, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w from %s: %s (%v); fetch the archive on a connected machine and run 'vigil vuln db import all.zip --db FILE'",
			ErrDownload, u, netReason(err), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w from %s: HTTP %s", ErrDownload, u, resp.Status)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrDownload, err)
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxArchive+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w from %s: %v", ErrDownload, u, err)
	}
	if n > maxArchive {
		return fmt.Errorf("%w from %s: archive larger than %d bytes", ErrDownload, u, int64(maxArchive))
	}
	return nil
}

// netReason names the likely cause of a failed request.
func netReason(err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return "timed out; is there a network connection?"
	case errors.As(err, &dnsErr):
		return "cannot resolve " + dnsErr.Name + "; no network connection or DNS?"
	case errors.As(err, &opErr):
		return "cannot connect; no network connection?"
	}
	return "request failed"
}
