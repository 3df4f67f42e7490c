package audit

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/audit/netlink"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
)

// keyPrefix tags every rule vigil installs.
const keyPrefix = "vigil"

// DefaultRules are the built-in rules (see the package doc): execs of all
// users but the agent, module load/unload, time changes and mounts for both
// native arches, and write/attribute watches on identity, sudo, ssh, cron,
// preload, systemd, rc.local and PAM files.
func DefaultRules() []string {
	var r []string
	for _, arch := range []string{"b64", "b32"} {
		time := "adjtimex,settimeofday,clock_settime"
		if arch == "b32" {
			time += ",stime,clock_settime64"
		}
		r = append(r,
			"-a always,exit -F arch="+arch+" -S execve,execveat -F pid!=self -k vigil-exec",
			"-a always,exit -F arch="+arch+" -S init_module,finit_module,delete_module -k vigil-module",
			"-a always,exit -F arch="+arch+" -S "+time+" -k vigil-time",
			"-a always,exit -F arch="+arch+" -S mount,umount2 -k vigil-mount",
		)
	}
	watches := []struct{ key, paths string }{
		{"identity", "/etc/passwd /etc/shadow /etc/group /etc/gshadow"},
		{"sudoers", "/etc/sudoers /etc/sudoers.d"},
		{"sshd", "/etc/ssh/sshd_config /etc/ssh/sshd_config.d"},
		{"cron", "/etc/crontab /etc/cron.d /etc/cron.hourly /etc/cron.daily /etc/cron.weekly /etc/cron.monthly /var/spool/cron"},
		{"preload", "/etc/ld.so.preload"},
		{"systemd", "/etc/systemd/system /usr/lib/systemd/system"},
		{"rclocal", "/etc/rc.local"},
		{"pam", "/etc/pam.d /etc/security"},
	}
	for _, w := range watches {
		for _, p := range strings.Fields(w.paths) {
			r = append(r, "-w "+p+" -p wa -k vigil-"+w.key)
		}
	}
	return r
}

// connectRules record connect() calls.
func connectRules() []string {
	return []string{
		"-a always,exit -F arch=b64 -S connect -F pid!=self -k vigil-connect",
		"-a always,exit -F arch=b32 -S connect,socketcall -F pid!=self -k vigil-connect",
	}
}

// buildRules returns the rules to install: the configured or default specs
// with pid!=self replaced by pid, then, with watch_fim_paths, watches on
// fimPaths (last, so that a file also under another watch keeps that
// watch's key), watches on directories turned into directory watches, and
// watches whose path and parent do not exist under root dropped (returned
// in skipped).
func buildRules(ctx context.Context, cfg Config, root hostfs.Root, pid int, fimPaths []string) (rules []*netlink.Rule, skipped []string, err error) {
	specs := cfg.Rules
	if len(specs) == 0 {
		specs = DefaultRules()
		if cfg.Connect {
			specs = append(specs, connectRules()...)
		}
	}
	specs = append(specs, cfg.ExtraRules...)
	if cfg.WatchAuthorizedKeys {
		specs = append(specs, sshDirWatches(ctx, root)...)
	}
	if cfg.WatchFIMPaths {
		specs = append(specs, fimWatches(ctx, root, fimPaths)...)
	}
	isDir := func(p string) bool { fi, err := root.Stat(p); return err == nil && fi.IsDir() }
	exists := func(p string) bool { _, err := root.Lstat(p); return err == nil }
	seen := map[string]bool{}
	for i, spec := range specs {
		spec = strings.ReplaceAll(spec, "pid!=self", "pid!="+strconv.Itoa(pid))
		r, err := netlink.ParseRule(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("audit rule %d %q: %w", i+1, spec, err)
		}
		if len(r.Keys()) == 0 || !r.HasKeyPrefix(keyPrefix) {
			return nil, nil, fmt.Errorf("audit rule %d %q: needs a key vigil or vigil-<purpose> (-k) so that it can be removed", i+1, spec)
		}
		if p, ok := r.WatchPath(); ok {
			if !exists(p) && !isDir(path.Dir(p)) {
				skipped = append(skipped, p)
				continue
			}
			r.WatchDirs(isDir)
		}
		if s := r.String(); !seen[s] {
			seen[s] = true
			rules = append(rules, r)
		}
	}
	return rules, skipped, nil
}

// sshDirWatches watches ~/.ssh of every account whose home exists, so that
// authorized_keys being created, changed or replaced is seen.
func sshDirWatches(ctx context.Context, root hostfs.Root) []string {
	acc, _, err := accounts.Collect(ctx, root)
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, u := range acc.Users {
		if u.Home == "" || u.Home == "/" || !strings.HasPrefix(u.Home, "/") || strings.ContainsAny(u.Home, " \t'\"") {
			continue
		}
		p := path.Join(u.Home, ".ssh")
		if seen[p] {
			continue
		}
		seen[p] = true
		if fi, err := root.Stat(p); err == nil && fi.IsDir() {
			out = append(out, "-w "+p+" -p wa -k vigil-sshkeys")
		}
	}
	return out
}
