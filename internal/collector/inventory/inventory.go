// Package inventory is the agent's inventory collector: it snapshots the host
// periodically with the inventory packages (packages, accounts, modules,
// services, cron, sshkeys and, when asked, sockets) and hands the items to the
// collector runner, which diffs consecutive snapshots into package_installed,
// package_removed, package_updated, user_added/removed/changed,
// group_added/removed/changed, module_loaded/unloaded,
// service_enabled/disabled, cron_changed, ssh_key_added/removed and
// listen_opened/closed events, and re-emits the full state as existing_*
// events.
//
// Items and what makes them change:
//
//   - package: key type/name/arch, digest the version. When several versions
//     of one name and arch are installed side by side (rpm kernels,
//     gpg-pubkey) each is its own item keyed with its version, so installing
//     a second kernel is package_installed, not an update.
//   - user: key the name (the first entry wins when passwd repeats a name, as
//     getpwnam does), digest uid, gid, home, shell, password state, hash
//     scheme, last password change and groups; a password change therefore
//     shows as user_changed.
//   - group: key the name, digest gid and members.
//   - module: key the name; loading and unloading only.
//   - service: only enabled services are items (created = service_enabled,
//     deleted = service_disabled); the unit name is in file.name, its unit
//     file in file.path.
//   - cron: key file, user, schedule and command (plus an occurrence number
//     for identical lines), not the line number: a line inserted above a job
//     does not report every job below it as changed. Any change is
//     cron_changed.
//   - ssh_key: key user and fingerprint; the fingerprint is in related.hash
//     and the message, the file in file.path. A change of the key's options
//     (from=, command=) is reported as removed + added.
//   - socket (part "sockets", off by default because the network collector
//     reports listening sockets every few seconds): key
//     proto/address/port, listen_opened/listen_closed.
//
// A part that fails (an unreadable database) keeps its items of the last
// good snapshot, so a transient read error never reports everything as
// removed; when a part has never been read successfully since the agent
// started, the whole snapshot fails (the runner reports the collector
// degraded and diffs nothing) rather than report its items as removed
// against the snapshot saved before a restart.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
)

// Part names, as the "parts" configuration lists them.
const (
	PartPackages = "packages"
	PartUsers    = "users" // users and groups
	PartModules  = "modules"
	PartServices = "services"
	PartCron     = "cron"
	PartSSHKeys  = "ssh_keys"
	PartSockets  = "sockets"
)

// allParts is every part, in the order they are read.
var allParts = []string{PartPackages, PartUsers, PartModules, PartServices, PartCron, PartSSHKeys, PartSockets}

// Config is the collector's configuration section (collectors.inventory).
type Config struct {
	Interval time.Duration `yaml:"interval" doc:"how often the inventory is snapshot and diffed"`
	Parts    []string      `yaml:"parts" doc:"what to inventory: packages, users (and groups), modules, services, cron, ssh_keys, sockets (listening sockets; the network collector already reports them)"`
}

// DefaultConfig returns the defaults: every 10 minutes, every part but sockets.
func DefaultConfig() *Config {
	return &Config{
		Interval: 10 * time.Minute,
		Parts:    []string{PartPackages, PartUsers, PartModules, PartServices, PartCron, PartSSHKeys},
	}
}

func init() {
	collector.Register(collector.Registration{
		Name:          "inventory",
		Doc:           "packages, users, groups, kernel modules, services, cron jobs and authorized keys, diffed into change events",
		DefaultConfig: func() any { return DefaultConfig() },
		Available:     func(collector.Deps) (bool, string) { return true, "" },
		New: func(cfg any, deps collector.Deps) (any, error) {
			c, ok := cfg.(*Config)
			if !ok {
				return nil, fmt.Errorf("inventory: config is %T, want *inventory.Config", cfg)
			}
			return New(*c, deps)
		},
	})
}

// Collector is the inventory Snapshotter.
type Collector struct {
	cfg    Config
	root   hostfs.Root
	logger *slog.Logger

	mu       sync.Mutex
	lastGood map[string][]collector.Item // per part, the items of its last successful read
}

// New checks cfg and returns the collector.
func New(cfg Config, deps collector.Deps) (*Collector, error) {
	if cfg.Interval <= 0 {
		return nil, fmt.Errorf("inventory: interval %v must be positive", cfg.Interval)
	}
	var errs []error
	for _, p := range cfg.Parts {
		if !slices.Contains(allParts, p) {
			errs = append(errs, fmt.Errorf("inventory: unknown part %q (known: %v)", p, allParts))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{cfg: cfg, root: deps.Root, logger: logger, lastGood: map[string][]collector.Item{}}, nil
}

// Interval implements collector.Snapshotter.
func (c *Collector) Interval() time.Duration { return c.cfg.Interval }

// Snapshot implements collector.Snapshotter: it reads every configured part
// and returns their items, with keys unique across parts.
func (c *Collector) Snapshot(ctx context.Context) ([]collector.Item, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var (
		items []collector.Item
		errs  []error
		acc   *accounts.Accounts
	)
	for _, part := range allParts {
		if !slices.Contains(c.cfg.Parts, part) {
			continue
		}
		got, err := c.readPart(ctx, part, &acc)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			prev, ok := c.lastGood[part]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %w", part, err))
				continue
			}
			c.logger.Warn("inventory part unreadable; keeping its last items", "part", part, "err", err)
			got = prev
		} else {
			c.lastGood[part] = got
		}
		items = append(items, got...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("inventory: %w", err)
	}
	return items, nil
}

// readPart reads one part. acc caches the accounts, which the ssh_keys part
// needs too.
func (c *Collector) readPart(ctx context.Context, part string, acc **accounts.Accounts) ([]collector.Item, error) {
	accounts := func() (*accounts.Accounts, error) {
		if *acc != nil {
			return *acc, nil
		}
		a, _, err := accounts.Collect(ctx, c.root)
		if err != nil {
			return nil, err
		}
		*acc = &a
		return *acc, nil
	}
	switch part {
	case PartPackages:
		return packageItems(ctx, c.root)
	case PartUsers:
		a, err := accounts()
		if err != nil {
			return nil, err
		}
		return accountItems(*a), nil
	case PartModules:
		return moduleItems(ctx, c.root)
	case PartServices:
		return serviceItems(ctx, c.root)
	case PartCron:
		return cronItems(ctx, c.root)
	case PartSSHKeys:
		a, err := accounts()
		if err != nil {
			return nil, err
		}
		return sshKeyItems(ctx, c.root, a.Users)
	case PartSockets:
		return socketItems(ctx, c.root)
	}
	return nil, fmt.Errorf("unknown part %q", part)
}
