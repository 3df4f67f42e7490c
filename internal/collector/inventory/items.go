package inventory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/inventory/cron"
	"github.com/vigil-sec/vigil/internal/inventory/modules"
	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/inventory/services"
	"github.com/vigil-sec/vigil/internal/inventory/sockets"
	"github.com/vigil-sec/vigil/internal/inventory/sshkeys"
)

// Item kinds, as collector.Item.Kind and the runner's action table name them.
const (
	KindPackage = "package"
	KindUser    = "user"
	KindGroup   = "group"
	KindModule  = "module"
	KindService = "service"
	KindCron    = "cron"
	KindSSHKey  = "ssh_key"
	KindSocket  = "socket"
)

// digest hashes fields, each length-prefixed so that ("ab","c") and ("a","bc")
// differ.
func digest(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// key joins a kind and the parts identifying an item.
func key(kind string, parts ...string) string {
	return kind + "|" + strings.Join(parts, "|")
}

// state returns the skeleton of an item's event; the runner sets kind, action
// and type.
func state(category, message string) event.Event {
	return event.Event{Event: event.Meta{Category: []string{category}}, Message: message}
}

func packageItems(ctx context.Context, root hostfs.Root) ([]collector.Item, error) {
	pkgs, _, err := packages.Collect(ctx, root)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, p := range pkgs {
		count[key(KindPackage, p.Type, p.Name, p.Architecture)]++
	}
	items := make([]collector.Item, 0, len(pkgs))
	seen := map[string]bool{}
	for _, p := range pkgs {
		k := key(KindPackage, p.Type, p.Name, p.Architecture)
		if count[k] > 1 {
			k = key(KindPackage, p.Type, p.Name, p.Architecture, p.Version)
		}
		if seen[k] {
			continue // the same name, arch and version listed twice
		}
		seen[k] = true
		ev := state(event.CategoryPackage, "package "+p.Name+" "+p.Version)
		ev.Package = &event.Package{Name: p.Name, Version: p.Version, Architecture: p.Architecture, Type: p.Type, Installed: p.InstallTime}
		items = append(items, collector.Item{Key: k, Digest: digest(p.Version), State: ev, Kind: KindPackage})
	}
	return items, nil
}

func accountItems(a accounts.Accounts) []collector.Item {
	items := make([]collector.Item, 0, len(a.Users)+len(a.Groups))
	seen := map[string]bool{}
	groupNames := map[uint32]string{}
	for _, g := range a.Groups {
		if _, dup := groupNames[g.GID]; !dup {
			groupNames[g.GID] = g.Name
		}
	}
	for _, u := range a.Users {
		k := key(KindUser, u.Name)
		if seen[k] {
			continue
		}
		seen[k] = true
		uid, gid := strconv.FormatUint(uint64(u.UID), 10), strconv.FormatUint(uint64(u.GID), 10)
		ev := state(event.CategoryIAM, "user "+u.Name+" uid "+uid+" gid "+gid+" home "+u.Home+" shell "+u.Shell+" password "+u.PasswordState)
		ev.User = &event.User{Name: u.Name, ID: uid, Group: &event.Group{ID: gid}}
		ev.User.Group.Name = groupNames[u.GID]
		ev.Related = &event.Related{User: []string{u.Name}}
		d := digest(uid, gid, u.Home, u.Shell, u.PasswordState, u.HashAlgorithm, u.LastChange, strings.Join(u.Groups, ","))
		items = append(items, collector.Item{Key: k, Digest: d, State: ev, Kind: KindUser})
	}
	for _, g := range a.Groups {
		k := key(KindGroup, g.Name)
		if seen[k] {
			continue
		}
		seen[k] = true
		gid := strconv.FormatUint(uint64(g.GID), 10)
		members := slices.Clone(g.Members)
		slices.Sort(members)
		ev := state(event.CategoryIAM, "group "+g.Name+" gid "+gid+" members "+strings.Join(members, ","))
		ev.Group = &event.Group{Name: g.Name, ID: gid}
		if len(members) > 0 {
			ev.Related = &event.Related{User: members}
		}
		items = append(items, collector.Item{Key: k, Digest: digest(gid, strings.Join(members, ",")), State: ev, Kind: KindGroup})
	}
	return items
}

func moduleItems(ctx context.Context, root hostfs.Root) ([]collector.Item, error) {
	inv, _, err := modules.Collect(ctx, root)
	if err != nil {
		return nil, err
	}
	items := make([]collector.Item, 0, len(inv.Loaded))
	seen := map[string]bool{}
	for _, m := range inv.Loaded {
		k := key(KindModule, m.Name)
		if seen[k] {
			continue
		}
		seen[k] = true
		ev := state(event.CategoryDriver, "kernel module "+m.Name)
		ev.Vigil = &event.Vigil{Module: &event.Module{Name: m.Name}}
		items = append(items, collector.Item{Key: k, State: ev, Kind: KindModule})
	}
	return items, nil
}

func serviceItems(ctx context.Context, root hostfs.Root) ([]collector.Item, error) {
	svcs, _, err := services.Collect(ctx, root)
	if err != nil {
		return nil, err
	}
	var items []collector.Item
	seen := map[string]bool{}
	for _, s := range svcs {
		if !s.Enabled() {
			continue
		}
		k := key(KindService, s.Manager, s.Name)
		if seen[k] {
			continue
		}
		seen[k] = true
		msg := "service " + s.Name + " (" + s.Manager + ") " + s.State
		if len(s.EnabledBy) > 0 {
			msg += " by " + strings.Join(s.EnabledBy, ",")
		}
		ev := state(event.CategoryConfiguration, msg)
		ev.File = &event.File{Name: s.Name, Path: s.UnitFile}
		items = append(items, collector.Item{Key: k, Digest: digest(s.Manager), State: ev, Kind: KindService})
	}
	return items, nil
}

func cronItems(ctx context.Context, root hostfs.Root) ([]collector.Item, error) {
	entries, _, err := cron.Collect(ctx, root)
	if err != nil {
		return nil, err
	}
	items := make([]collector.Item, 0, len(entries))
	seen := map[string]int{}
	for _, e := range entries {
		base := key(KindCron, e.File, e.User, e.Schedule, e.Command, e.Stdin)
		seen[base]++
		k := base + "|" + strconv.Itoa(seen[base])
		line := e.Schedule + " " + e.User + " " + e.Command
		ev := state(event.CategoryConfiguration, "cron "+e.File+":"+strconv.Itoa(e.Line)+": "+line)
		ev.File = &event.File{Path: e.File, Name: path.Base(e.File)}
		if e.User != "" {
			ev.User = &event.User{Name: e.User}
		}
		items = append(items, collector.Item{Key: k, State: ev, Kind: KindCron})
	}
	return items, nil
}

func sshKeyItems(ctx context.Context, root hostfs.Root, users []accounts.User) ([]collector.Item, error) {
	keys, _, err := sshkeys.Collect(ctx, root, users, nil)
	if err != nil {
		return nil, err
	}
	items := make([]collector.Item, 0, len(keys))
	seen := map[string]bool{}
	for _, sk := range keys {
		k := key(KindSSHKey, sk.User, sk.Fingerprint)
		if seen[k] {
			continue // the same key in two files of one user
		}
		seen[k] = true
		msg := "authorized key of " + sk.User + ": " + sk.Type + " " + sk.Fingerprint
		if sk.Comment != "" {
			msg += " " + sk.Comment
		}
		ev := state(event.CategoryConfiguration, msg)
		ev.User = &event.User{Name: sk.User}
		ev.File = &event.File{Path: sk.File, Name: path.Base(sk.File)}
		ev.Related = &event.Related{User: []string{sk.User}, Hash: []string{sk.Fingerprint}}
		items = append(items, collector.Item{Key: k, Digest: digest(strings.Join(sk.Options, ",")), State: ev, Kind: KindSSHKey})
	}
	return items, nil
}

func socketItems(ctx context.Context, root hostfs.Root) ([]collector.Item, error) {
	res, _, err := sockets.Collect(ctx, root, sockets.Options{})
	if err != nil {
		return nil, err
	}
	items := make([]collector.Item, 0, len(res.Listeners))
	seen := map[string]bool{}
	for _, l := range res.Listeners {
		port := strconv.Itoa(int(l.Port))
		k := key(KindSocket, string(l.Proto), l.Address, port)
		if seen[k] {
			continue // SO_REUSEPORT groups
		}
		seen[k] = true
		transport := "udp"
		if l.Proto.IsTCP() {
			transport = "tcp"
		}
		ev := state(event.CategoryNetwork, "listening "+transport+" "+l.Address+":"+port)
		ev.Network = &event.Network{Transport: transport}
		ev.Source = &event.Endpoint{IP: l.Address, Port: new(int64(l.Port))}
		ev.User = &event.User{ID: strconv.FormatUint(uint64(l.UID), 10)}
		if l.PID != 0 {
			ev.Process = &event.Process{PID: new(int64(l.PID)), Name: l.Process, Executable: l.Exe}
		}
		items = append(items, collector.Item{Key: k, Digest: digest(l.Exe), State: ev, Kind: KindSocket})
	}
	return items, nil
}
