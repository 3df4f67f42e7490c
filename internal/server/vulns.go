package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/httpapi"
	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/inventory/system"
	"github.com/vigil-sec/vigil/internal/store"
	"github.com/vigil-sec/vigil/internal/transport"
	"github.com/vigil-sec/vigil/internal/vuln"
	"github.com/vigil-sec/vigil/internal/vuln/vulndb"
)

// VulnDBFile is the advisory database in the data dir (vigil vuln db
// import PATH --data DIR).
const VulnDBFile = "vuln.db"

// DefaultVulnCheckInterval is how often the matcher looks for a changed
// advisory database.
const DefaultVulnCheckInterval = 10 * time.Second

// VulnDBPath is the advisory database of the server with data dir dir.
func VulnDBPath(dir string) string { return filepath.Join(dir, VulnDBFile) }

// vulnMatcher matches each host's latest inventory against DIR/vuln.db and
// stores the findings as the host's "vulnerabilities" document: a host at
// once when its agent sends an inventory, every host at start and whenever
// the database files change (an import or update by another process).
type vulnMatcher struct {
	st    store.Store
	path  string
	now   func() time.Time
	log   *slog.Logger
	every time.Duration

	mu    sync.Mutex
	dirty map[string]bool // hosts whose inventory changed
	wake  chan struct{}

	db  *vulndb.DB
	rev string // database revision last matched against
}

func newVulnMatcher(st store.Store, dataDir string, every time.Duration, now func() time.Time, log *slog.Logger) *vulnMatcher {
	if every <= 0 {
		every = DefaultVulnCheckInterval
	}
	return &vulnMatcher{st: st, path: VulnDBPath(dataDir), now: now, log: log.With("component", "vuln"),
		every: every, dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// afterDocument is the transport's hook: a new inventory queues its host.
func (m *vulnMatcher) afterDocument(_ context.Context, hostID, kind string) {
	if kind != transport.DocInventory {
		return
	}
	m.mu.Lock()
	m.dirty[hostID] = true
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// run matches until ctx ends, then closes the database.
func (m *vulnMatcher) run(ctx context.Context) {
	defer func() {
		if m.db != nil {
			m.db.Close()
		}
	}()
	t := time.NewTicker(m.every)
	defer t.Stop()
	for {
		if err := m.pass(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("vulnerability matching", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// revision identifies the state of the database files: size and
// modification time of the database and its write-ahead log. Writers
// (imports) change one of them at every commit; readers do not.
func (m *vulnMatcher) revision() (string, error) {
	rev := ""
	for _, p := range []string{m.path, m.path + "-wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			rev += "-;"
			continue
		}
		if err != nil {
			return "", err
		}
		rev += fmt.Sprintf("%d@%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return rev, nil
}

// pass re-matches every host when the database changed, else the hosts
// whose inventory changed.
func (m *vulnMatcher) pass(ctx context.Context) error {
	if m.db == nil {
		if _, err := os.Stat(m.path); err != nil {
			return nil // no database yet: nothing to match against
		}
		db, err := vulndb.Open(ctx, m.path)
		if err != nil {
			return fmt.Errorf("open %s: %w", m.path, err)
		}
		m.db = db
	}
	rev, err := m.revision()
	if err != nil {
		return fmt.Errorf("advisory database: %w", err)
	}
	m.mu.Lock()
	dirty := m.dirty
	m.dirty = map[string]bool{}
	m.mu.Unlock()
	var ids []string
	if rev != m.rev {
		hosts, err := m.st.Hosts(ctx)
		if err != nil {
			m.requeue(dirty)
			return fmt.Errorf("hosts: %w", err)
		}
		for _, h := range hosts {
			ids = append(ids, h.ID)
		}
		m.log.Info("advisory database changed; matching every host", "hosts", len(ids))
	} else {
		for id := range dirty {
			ids = append(ids, id)
		}
	}
	var errs []error
	for _, id := range ids {
		if err := m.matchHost(ctx, id, rev); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		m.rev = rev
	} else {
		m.requeue(dirty)
	}
	return errors.Join(errs...)
}

func (m *vulnMatcher) requeue(ids map[string]bool) {
	m.mu.Lock()
	for id := range ids {
		m.dirty[id] = true
	}
	m.mu.Unlock()
}

// inventoryPackages is the part of an inventory document matching needs.
type inventoryPackages struct {
	Host     system.Host        `json:"host"`
	Packages []packages.Package `json:"packages"`
}

// matchHost matches one host's latest inventory and stores the findings. A
// host without an inventory is skipped.
func (m *vulnMatcher) matchHost(ctx context.Context, id, rev string) error {
	at, doc, err := m.st.Document(ctx, id, transport.DocInventory)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inventory of %s: %w", id, err)
	}
	var inv inventoryPackages
	if err := json.Unmarshal(doc, &inv); err != nil {
		m.log.Warn("inventory not understood; host not matched", "host_id", id, "err", err)
		return nil
	}
	rep, err := vuln.Scan(ctx, &vuln.Host{Hostname: inv.Host.Hostname, OS: inv.Host.OS, Packages: inv.Packages}, m.db)
	if err != nil {
		return fmt.Errorf("match %s: %w", id, err)
	}
	hv := httpapi.HostVulnerabilities{Report: *rep, HostID: id, MatchedAt: m.now().UTC(), InventoryAt: at, Database: rev}
	out, err := json.Marshal(hv)
	if err != nil {
		return fmt.Errorf("match %s: %w", id, err)
	}
	if err := m.st.PutDocument(ctx, id, httpapi.DocVulnerabilities, hv.MatchedAt, out); err != nil {
		return fmt.Errorf("store findings of %s: %w", id, err)
	}
	return nil
}
