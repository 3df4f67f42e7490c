// Package inventory assembles a host's inventory from the per-area packages
// below it (system, packages, accounts, sudoers, sshkeys, procs, sockets, modules,
// services, cron): one snapshot of what a host is and runs, read through a
// hostfs.Root. A part that fails is reported in Errors and leaves the others
// intact; lines that a parser could not understand are counted in Skipped.
package inventory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/inventory/cron"
	"github.com/vigil-sec/vigil/internal/inventory/modules"
	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/inventory/procs"
	"github.com/vigil-sec/vigil/internal/inventory/services"
	"github.com/vigil-sec/vigil/internal/inventory/sockets"
	"github.com/vigil-sec/vigil/internal/inventory/sshkeys"
	"github.com/vigil-sec/vigil/internal/inventory/sudoers"
	"github.com/vigil-sec/vigil/internal/inventory/system"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Inventory is one snapshot of a host. The JSON keys are the contract of
// `vigil inventory --format json` (docs/inventory.md).
type Inventory struct {
	CollectedAt time.Time          `json:"collected_at"`
	Host        system.Host        `json:"host"`
	Interfaces  []system.Interface `json:"interfaces"`
	Packages    []packages.Package `json:"packages"`
	Users       []accounts.User    `json:"users"`
	Groups      []accounts.Group   `json:"groups"`
	Sudoers     []sudoers.Rule     `json:"sudoers"`
	SudoDefault []sudoers.Default  `json:"sudo_defaults,omitempty"`
	SSHKeys     []sshkeys.Key      `json:"ssh_keys"`
	Processes   []procs.Process    `json:"processes"`
	Listening   []sockets.Listener `json:"listening"`
	Modules     []modules.Module   `json:"modules"`
	Services    []services.Service `json:"services"`
	Cron        []cron.Entry       `json:"cron"`

	// Skipped lists input lines the parsers could not understand.
	Skipped skipped.List `json:"skipped,omitempty"`
	// Errors names the parts that could not be collected, with the reason.
	Errors []string `json:"errors,omitempty"`

	mu sync.Mutex
}

// Options control a collection.
type Options struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Collect reads the whole inventory of the host under root. Parts run
// concurrently; it fails only when ctx is cancelled.
func Collect(ctx context.Context, root hostfs.Root, opts Options) (*Inventory, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	inv := &Inventory{CollectedAt: now().UTC()}

	// Accounts first: process owners and SSH keys need the users.
	acc, sk, err := accounts.Collect(ctx, root)
	inv.record("accounts", sk, err)
	inv.Users, inv.Groups = acc.Users, acc.Groups
	uidNames := make(map[uint32]string, len(acc.Users))
	for _, u := range acc.Users {
		if _, dup := uidNames[u.UID]; !dup {
			uidNames[u.UID] = u.Name
		}
	}

	parts := []func(){
		func() {
			h, sk, err := system.Collect(ctx, root)
			inv.record("host", sk, err)
			inv.mu.Lock()
			inv.Host = h
			inv.mu.Unlock()
		},
		func() {
			ifs, sk, err := system.Interfaces(ctx, root)
			inv.record("interfaces", sk, err)
			inv.mu.Lock()
			inv.Interfaces = ifs
			inv.mu.Unlock()
		},
		func() {
			pkgs, sk, err := packages.Collect(ctx, root)
			inv.record("packages", sk, err)
			inv.mu.Lock()
			inv.Packages = pkgs
			inv.mu.Unlock()
		},
		func() {
			m, sk, err := modules.Collect(ctx, root)
			inv.record("modules", sk, err)
			inv.mu.Lock()
			inv.Modules = m.Loaded
			inv.mu.Unlock()
		},
		func() {
			svcs, sk, err := services.Collect(ctx, root)
			inv.record("services", sk, err)
			inv.mu.Lock()
			inv.Services = svcs
			inv.mu.Unlock()
		},
		func() {
			entries, sk, err := cron.Collect(ctx, root)
			inv.record("cron", sk, err)
			inv.mu.Lock()
			inv.Cron = entries
			inv.mu.Unlock()
		},
		func() {
			s, sk, err := sudoers.Collect(ctx, root)
			inv.record("sudoers", sk, err)
			inv.mu.Lock()
			inv.Sudoers, inv.SudoDefault = s.Rules, s.Defaults
			inv.mu.Unlock()
		},
		func() {
			keys, sk, err := sshkeys.Collect(ctx, root, acc.Users, nil)
			inv.record("ssh_keys", sk, err)
			inv.mu.Lock()
			inv.SSHKeys = keys
			inv.mu.Unlock()
		},
		func() {
			res, sk, err := procs.Collect(ctx, root, procs.Options{Users: uidNames})
			inv.record("processes", sk, err)
			inv.mu.Lock()
			inv.Processes = res.Processes
			inv.mu.Unlock()
		},
		func() {
			res, sk, err := sockets.Collect(ctx, root, sockets.Options{})
			inv.record("listening", sk, err)
			inv.mu.Lock()
			inv.Listening = res.Listeners
			inv.mu.Unlock()
		},
	}
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv.fillEmpty()
	return inv, nil
}

// fillEmpty makes absent lists empty, so JSON shows [] (none found) rather
// than null.
func (inv *Inventory) fillEmpty() {
	if inv.Interfaces == nil {
		inv.Interfaces = []system.Interface{}
	}
	if inv.Packages == nil {
		inv.Packages = []packages.Package{}
	}
	if inv.Modules == nil {
		inv.Modules = []modules.Module{}
	}
	if inv.Services == nil {
		inv.Services = []services.Service{}
	}
	if inv.Cron == nil {
		inv.Cron = []cron.Entry{}
	}
	if inv.Users == nil {
		inv.Users = []accounts.User{}
	}
	if inv.Groups == nil {
		inv.Groups = []accounts.Group{}
	}
	if inv.Sudoers == nil {
		inv.Sudoers = []sudoers.Rule{}
	}
	if inv.SSHKeys == nil {
		inv.SSHKeys = []sshkeys.Key{}
	}
	if inv.Processes == nil {
		inv.Processes = []procs.Process{}
	}
	if inv.Listening == nil {
		inv.Listening = []sockets.Listener{}
	}
}

func (inv *Inventory) record(part string, sk skipped.List, err error) {
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.Skipped = append(inv.Skipped, sk...)
	if err != nil {
		inv.Errors = append(inv.Errors, fmt.Sprintf("%s: %v", part, err))
	}
}
