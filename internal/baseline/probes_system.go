package baseline

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/inventory/cron"
	"github.com/vigil-sec/vigil/internal/inventory/modules"
	"github.com/vigil-sec/vigil/internal/inventory/procs"
	"github.com/vigil-sec/vigil/internal/inventory/services"
	"github.com/vigil-sec/vigil/internal/inventory/sockets"
	"github.com/vigil-sec/vigil/internal/sca"
)

func init() {
	sca.RegisterProbe("packages.installed", probePackagesInstalled)
	sca.RegisterProbe("services.enabled", probeServicesEnabled)
	sca.RegisterProbe("services.active", probeServicesActive)
	sca.RegisterProbe("processes", probeProcesses)
	sca.RegisterProbe("listening", probeListening)
	sca.RegisterProbe("modules.loaded", probeModulesLoaded)
	sca.RegisterProbe("modprobe.disabled", probeModprobeDisabled)
	sca.RegisterProbe("cron.entries", probeCronEntries)
	sca.RegisterProbe("firewall.state", probeFirewallState)
}

// probePackagesInstalled: [NAME-REGEX]; NAME VERSION ARCH per installed package.
func probePackagesInstalled(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	re, err := optionalRegexp("packages.installed", args)
	if err != nil {
		return nil, err
	}
	pkgs, err := installedPackages(ctx, env)
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return nil, notApplicable("no package database")
	}
	var out []string
	for _, p := range pkgs {
		if re == nil || re.MatchString(p.Name) {
			out = append(out, p.Name+" "+p.Version+" "+p.Architecture)
		}
	}
	return out, nil
}

func loadServices(ctx context.Context, env *sca.Env) ([]services.Service, error) {
	v, err := env.Shared("services", func() (any, error) {
		s, _, err := services.Collect(ctx, env.Root)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return v.([]services.Service), nil
}

func probeServicesEnabled(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("services.enabled", args); err != nil {
		return nil, err
	}
	list, err := loadServices(ctx, env)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notApplicable("no init system services found")
	}
	var out []string
	for _, s := range list {
		if s.Enabled() {
			out = append(out, s.Name)
		}
	}
	return out, nil
}

func probeServicesActive(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("services.active", args); err != nil {
		return nil, err
	}
	list, err := loadServices(ctx, env)
	if err != nil {
		return nil, err
	}
	known := false
	var out []string
	for _, s := range list {
		if s.Active != services.ActiveUnknown {
			known = true
		}
		if s.Active == services.ActiveActive {
			out = append(out, s.Name)
		}
	}
	if !known {
		return nil, notApplicable("service activity is not knowable here")
	}
	return out, nil
}

func probeProcesses(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("processes", args); err != nil {
		return nil, err
	}
	v, err := env.Shared("procs", func() (any, error) {
		r, _, err := procs.Collect(ctx, env.Root, procs.Options{})
		return r, err
	})
	if err != nil {
		return nil, notApplicable("no process table: %v", err)
	}
	var out []string
	for _, p := range v.(procs.Result).Processes {
		if p.KernelThread {
			continue
		}
		exe := p.Exe
		if exe == "" {
			exe = "-"
		}
		out = append(out, p.Name+" "+exe)
	}
	return out, nil
}

func probeListening(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("listening", args); err != nil {
		return nil, err
	}
	if _, err := env.Root.Stat("/proc/net/tcp"); err != nil {
		return nil, notApplicable("no /proc/net socket tables")
	}
	r, _, err := sockets.Collect(ctx, env.Root, sockets.Options{})
	if err != nil {
		return nil, fmt.Errorf("list sockets: %w", err)
	}
	var out []string
	for _, l := range r.Listeners {
		proc := l.Process
		if proc == "" {
			proc = "-"
		}
		out = append(out, fmt.Sprintf("%s %s %d %s", l.Proto, l.Address, l.Port, proc))
	}
	return out, nil
}

func loadModules(ctx context.Context, env *sca.Env) (modules.Inventory, error) {
	v, err := env.Shared("modules", func() (any, error) {
		inv, _, err := modules.Collect(ctx, env.Root)
		return inv, err
	})
	if err != nil {
		return modules.Inventory{}, fmt.Errorf("read modules: %w", err)
	}
	return v.(modules.Inventory), nil
}

func probeModulesLoaded(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("modules.loaded", args); err != nil {
		return nil, err
	}
	inv, err := loadModules(ctx, env)
	if err != nil {
		return nil, err
	}
	if !inv.LoadedKnown {
		return nil, notApplicable("no /proc/modules")
	}
	out := make([]string, 0, len(inv.Loaded))
	for _, m := range inv.Loaded {
		out = append(out, m.Name)
	}
	return out, nil
}

// probeModprobeDisabled: NAME install=CMD blacklist=yes|no per module the
// configuration keeps from loading (install to false/true) or blacklists.
func probeModprobeDisabled(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("modprobe.disabled", args); err != nil {
		return nil, err
	}
	inv, err := loadModules(ctx, env)
	if err != nil {
		return nil, err
	}
	cfg := inv.Config
	var names []string
	install := map[string]string{}
	for _, d := range cfg.Directives {
		switch d.Command {
		case "install":
			if _, seen := install[d.Module]; !seen && len(d.Args) > 0 {
				install[d.Module] = strings.Join(d.Args, " ")
			}
			names = append(names, d.Module)
		case "blacklist":
			names = append(names, d.Module)
		}
	}
	for _, k := range cfg.KernelBlacklist {
		names = append(names, modules.Normalize(k))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var out []string
	for _, n := range names {
		disabled, _ := cfg.Disabled(n)
		black, _ := cfg.Blacklisted(n)
		if !disabled && !black {
			continue
		}
		inst := "-"
		if disabled {
			inst = install[n]
			if inst == "" {
				inst = "module_blacklist"
			}
		}
		bl := "no"
		if black {
			bl = "yes"
		}
		out = append(out, n+" install="+strings.ReplaceAll(inst, " ", "_")+" blacklist="+bl)
	}
	return out, nil
}

func probeCronEntries(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("cron.entries", args); err != nil {
		return nil, err
	}
	entries, _, err := cron.Collect(ctx, env.Root)
	if err != nil {
		return nil, fmt.Errorf("read cron: %w", err)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.User+" "+e.Schedule+" "+e.Command)
	}
	return out, nil
}

// firewallModules are the kernel modules that show packet filtering is loaded.
var firewallModules = []string{"nf_tables", "ip_tables", "ip6_tables", "iptable_filter", "ip6table_filter", "x_tables", "ebtables", "arp_tables"}

// probeFirewallState describes the firewall machinery present: loaded
// netfilter modules, iptables tables in use, ufw's and firewalld's state.
func probeFirewallState(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("firewall.state", args); err != nil {
		return nil, err
	}
	var out []string
	if inv, err := loadModules(ctx, env); err == nil {
		for _, m := range firewallModules {
			if inv.IsLoaded(m) {
				out = append(out, m+" loaded")
			}
		}
	}
	for _, t := range []struct{ file, label string }{{"/proc/net/ip_tables_names", "ip_tables"}, {"/proc/net/ip6_tables_names", "ip6_tables"}} {
		if b, err := env.Root.ReadFile(t.file, 64<<10); err == nil {
			for _, name := range strings.Fields(string(b)) {
				out = append(out, t.label+" "+name)
			}
		}
	}
	if b, err := env.Root.ReadFile("/etc/ufw/ufw.conf", 64<<10); err == nil {
		state := "disabled"
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && strings.TrimSpace(k) == "ENABLED" {
				if strings.EqualFold(strings.Trim(strings.TrimSpace(v), `"'`), "yes") {
					state = "enabled"
				}
			}
		}
		out = append(out, "ufw "+state)
	}
	pkgs, _ := installedPackages(ctx, env)
	for _, p := range pkgs {
		switch p.Name {
		case "firewalld", "ufw", "nftables", "iptables", "iptables-persistent", "netfilter-persistent", "shorewall":
			out = append(out, p.Name+" installed")
		}
	}
	if list, err := loadServices(ctx, env); err == nil {
		for _, s := range list {
			base := strings.TrimSuffix(s.Name, ".service")
			switch base {
			case "firewalld", "ufw", "nftables", "iptables", "ip6tables", "netfilter-persistent", "shorewall":
				out = append(out, s.Name+" "+s.State)
			}
		}
	}
	for _, f := range []string{"/etc/nftables.conf", "/etc/sysconfig/nftables.conf", "/etc/iptables/rules.v4", "/etc/sysconfig/iptables"} {
		if _, err := env.Root.Stat(f); err == nil {
			out = append(out, "config "+f)
		}
	}
	return out, nil
}
