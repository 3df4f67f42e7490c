package sca

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// categoryKeywords derives a category for checks of external (Wazuh) policies,
// which carry none, from words of their titles. The first entry with a keyword
// in the lower-cased title wins, so the more specific subjects come first.
var categoryKeywords = []struct {
	category string
	words    []string
}{
	{"ssh", []string{"ssh"}},
	{"sudo", []string{"sudo"}},
	{"audit", []string{"auditd", "audit ", "audit_", "audit log", "auditing"}},
	{"logging", []string{"rsyslog", "journald", "syslog", "logfile", "log files", "logging"}},
	{"firewall", []string{"firewall", "ufw", "nftables", "iptables", "ip6tables", "nft "}},
	{"boot", []string{"bootloader", "grub", "boot "}},
	{"authentication", []string{"password", "pam", "pwquality", "faillock", "lockout", "shadow", "login", "su command"}},
	{"accounts", []string{"account", "user", "group", "root", "uid", "gid", "umask", "shell", "home director"}},
	{"kernel", []string{"kernel", "module", "sysctl", "aslr", "address space", "ptrace", "core dump"}},
	{"network", []string{"ipv4", "ipv6", "ip forward", "icmp", "redirect", "packet", "tcp", "wireless", "bluetooth", "network"}},
	{"filesystem", []string{"partition", "mount", "nodev", "nosuid", "noexec", "/tmp", "/dev/shm", "sticky bit", "world writable", "unowned", "ungrouped", "suid", "sgid"}},
	{"permissions", []string{"permissions", "owner"}},
	{"time", []string{"chrony", "ntp", "timesync", "time synchronization"}},
	{"scheduling", []string{"cron", "at "}},
	{"integrity", []string{"aide", "integrity"}},
	{"mac", []string{"apparmor", "selinux"}},
	{"banners", []string{"banner", "motd", "issue"}},
	{"services", []string{"service", "server", "daemon", "client", "installed", "enabled"}},
}

// applyDefaults fills the vigil metadata of a check that its policy left out:
// an ID "<policy id>:<check id>", severity medium, and a category derived from
// the title (see categoryKeywords), falling back to the policy id.
func applyDefaults(p *Policy, c *Check) {
	if c.VigilID == "" {
		c.VigilID = p.ID + ":" + strconv.Itoa(c.ID)
	}
	if c.Severity == "" {
		c.Severity = SeverityMedium
	}
	if c.Category == "" {
		c.Category = deriveCategory(c.Title, p.ID)
	}
	for i, d := range c.Distros {
		c.Distros[i] = strings.ToLower(strings.TrimSpace(d))
	}
}

func deriveCategory(title, fallback string) string {
	t := strings.ToLower(title) + " "
	for _, ck := range categoryKeywords {
		for _, w := range ck.words {
			if strings.Contains(t, w) {
				return ck.category
			}
		}
	}
	return fallback
}

// flattenCompliance turns the compliance shapes found in Wazuh policies (a list
// of one-key maps, or one map) and the mitre block (tactic/technique/
// subtechnique with id lists) into one map of framework to identifiers.
func flattenCompliance(compliance, mitre any) map[string][]string {
	out := map[string][]string{}
	add := func(k string, v any) {
		out[k] = append(out[k], stringList(v)...)
	}
	switch c := compliance.(type) {
	case map[string]any:
		for k, v := range c {
			add(k, v)
		}
	case []any:
		for _, item := range c {
			if m, ok := item.(map[string]any); ok {
				for k, v := range m {
					add(k, v)
				}
			}
		}
	}
	if m, ok := mitre.(map[string]any); ok {
		for kind, v := range m {
			if sub, ok := v.(map[string]any); ok {
				add("mitre_"+kind, sub["id"])
			}
		}
	}
	for k, v := range out {
		if len(v) == 0 {
			delete(out, k)
			continue
		}
		slices.Sort(v)
		out[k] = slices.Compact(v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func stringList(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, stringList(x)...)
		}
		return out
	case string:
		return []string{v}
	default:
		return []string{fmt.Sprint(v)}
	}
}

// Frameworks returns the compliance framework names of a check, sorted.
func (c *Check) Frameworks() []string {
	keys := make([]string, 0, len(c.Compliance))
	for k := range c.Compliance {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	return keys
}
