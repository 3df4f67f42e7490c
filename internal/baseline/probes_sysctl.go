package baseline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func init() {
	sca.RegisterProbe("sysctl.runtime", probeSysctlRuntime)
	sca.RegisterProbe("sysctl.configured", probeSysctlConfigured)
}

// securitySysctls are the kernel settings sysctl.runtime reports by default.
var securitySysctls = func() []string {
	keys := []string{
		"kernel.randomize_va_space", "kernel.kptr_restrict", "kernel.dmesg_restrict",
		"kernel.yama.ptrace_scope", "kernel.sysrq", "kernel.core_uses_pid", "kernel.core_pattern",
		"kernel.unprivileged_bpf_disabled", "kernel.perf_event_paranoid", "kernel.kexec_load_disabled",
		"kernel.unprivileged_userns_clone", "kernel.modules_disabled",
		"fs.suid_dumpable", "fs.protected_hardlinks", "fs.protected_symlinks",
		"fs.protected_fifos", "fs.protected_regular",
		"net.ipv4.ip_forward", "net.ipv4.icmp_echo_ignore_broadcasts",
		"net.ipv4.icmp_ignore_bogus_error_responses", "net.ipv4.tcp_syncookies",
		"net.ipv4.tcp_timestamps", "net.core.bpf_jit_harden",
		"dev.tty.ldisc_autoload", "vm.mmap_min_addr", "vm.unprivileged_userfaultfd",
		"user.max_user_namespaces",
	}
	for _, scope := range []string{"all", "default"} {
		for _, k := range []string{"accept_redirects", "secure_redirects", "send_redirects", "accept_source_route", "rp_filter", "log_martians"} {
			keys = append(keys, "net.ipv4.conf."+scope+"."+k)
		}
		for _, k := range []string{"accept_ra", "accept_redirects", "accept_source_route", "forwarding"} {
			keys = append(keys, "net.ipv6.conf."+scope+"."+k)
		}
	}
	sort.Strings(keys)
	return keys
}()

// sysctlKey normalises a key written with "/" or "." separators to dots, as
// systemd-sysctl does: when the first separator is "/", slashes and dots swap
// (net/ipv4/conf/eth0.100/rp_filter -> net.ipv4.conf.eth0/100.rp_filter).
func sysctlKey(k string) string {
	i := strings.IndexAny(k, "./")
	if i < 0 || k[i] == '.' {
		return k
	}
	return swapSeparators(k)
}

// sysctlPath maps a dotted key to its /proc/sys file: dots become slashes and
// slashes (dots inside a name such as a VLAN interface) become dots.
func sysctlPath(key string) string {
	return "/proc/sys/" + swapSeparators(key)
}

func swapSeparators(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, k)
}

func probeSysctlRuntime(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	keys := securitySysctls
	if len(args) > 0 {
		keys = args
	}
	if _, err := env.Root.Stat("/proc/sys/kernel"); err != nil {
		return nil, notApplicable("no /proc/sys on this host")
	}
	var out []string
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		k = sysctlKey(k)
		b, err := env.Root.ReadFile(sysctlPath(k), 64<<10)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read sysctl %s: %w", k, err)
		}
		out = append(out, k+" = "+strings.Join(strings.Fields(string(b)), " "))
	}
	return out, nil
}

// sysctlDirs are where sysctl.d fragments live, in precedence order: a file
// name in an earlier directory masks the same name in later ones.
var sysctlDirs = []string{"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d"}

// sysctlSetting is one assignment in a sysctl configuration file.
type sysctlSetting struct {
	Key, Value string
	File       string
	Line       int
	Excluded   bool // "-key" without a value: keep glob patterns off this key
	order      int  // position in boot order over all files
}

// parseSysctlConf reads a sysctl.conf-format file: "key = value" lines, "#" and
// ";" comments, a leading "-" (ignore errors) dropped. Lines without "=" are
// recorded as skipped.
func parseSysctlConf(file string, data []byte, skip *skipped.List) []sysctlSetting {
	var out []sysctlSetting
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		excl := !ok && strings.HasPrefix(k, "-")
		k = strings.TrimPrefix(k, "-")
		if (!ok && !excl) || k == "" || strings.ContainsAny(k, " \t") {
			skip.Add(file, n, "not a key = value line")
			continue
		}
		out = append(out, sysctlSetting{Key: sysctlKey(k), Value: strings.Join(strings.Fields(v), " "), Excluded: excl, File: file, Line: n})
	}
	if sc.Err() != nil {
		skip.Add(file, n+1, "line too long; rest of file ignored")
	}
	return out
}

// configuredSysctls applies the sysctl.d files in boot order and returns the
// final value of each key.
func configuredSysctls(ctx context.Context, env *sca.Env) (map[string]sysctlSetting, error) {
	v, err := env.Shared("sysctl.configured", func() (any, error) {
		byName := map[string]string{}
		for _, dir := range sysctlDirs {
			names, _ := env.Root.Glob(dir + "/*.conf")
			for _, n := range names {
				if _, dup := byName[path.Base(n)]; !dup {
					byName[path.Base(n)] = n
				}
			}
		}
		bases := make([]string, 0, len(byName))
		for b := range byName {
			bases = append(bases, b)
		}
		sort.Strings(bases)
		files := make([]string, 0, len(bases)+1)
		for _, b := range bases {
			files = append(files, byName[b])
		}
		files = append(files, "/etc/sysctl.conf")
		final := map[string]sysctlSetting{}
		var skip skipped.List
		order := 0
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b, err := env.Root.ReadFile(f, 1<<20)
			if err != nil {
				continue // dangling links and unreadable files set nothing at boot either
			}
			for _, s := range parseSysctlConf(f, b, &skip) {
				order++
				s.order = order
				final[s.Key] = s
			}
		}
		return final, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]sysctlSetting), nil
}

func probeSysctlConfigured(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	final, err := configuredSysctls(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []string
	if len(args) == 0 {
		for k, s := range final {
			if !s.Excluded {
				out = append(out, k+" = "+s.Value)
			}
		}
		return sorted(out), nil
	}
	for _, k := range args {
		k = sysctlKey(k)
		if s, ok := configuredValue(final, k); ok {
			out = append(out, k+" = "+s.Value)
		}
	}
	return out, nil
}

// configuredValue finds the setting for key: an explicit assignment wins over a
// glob pattern ("net.ipv4.conf.*.rp_filter"), as in systemd-sysctl; among
// several matching patterns the last one read wins.
func configuredValue(final map[string]sysctlSetting, key string) (sysctlSetting, bool) {
	if s, ok := final[key]; ok {
		return s, !s.Excluded
	}
	var best sysctlSetting
	found := false
	for k, s := range final {
		if s.Excluded || !strings.ContainsAny(k, "*?[") {
			continue
		}
		if ok, _ := path.Match(k, key); ok && (!found || s.order > best.order) {
			best, found = s, true
		}
	}
	return best, found
}
