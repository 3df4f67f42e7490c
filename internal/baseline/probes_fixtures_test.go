package baseline

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/sca"
)

// fixtureCase asserts something about one probe on one fixture tree
// (testdata/rootfs/<distro>, see its README for the deliberate findings).
type fixtureCase struct {
	probe  string
	args   []string
	has    []string // lines that must be returned
	hasNot []string // lines that must not be returned
	prefix []string // some line must start with each
	na     bool     // must be not applicable
}

func fixtureEnv(t *testing.T, distro string) *sca.Env {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "rootfs", distro)
	return envFor(t, dir)
}

func runFixtureCases(t *testing.T, distro string, cases []fixtureCase) {
	env := fixtureEnv(t, distro)
	for _, c := range cases {
		name := strings.TrimSpace(c.probe + " " + strings.Join(c.args, " "))
		t.Run(distro+"/"+name, func(t *testing.T) {
			lines, err := runProbe(t, env, c.probe, c.args...)
			if c.na {
				if !errors.Is(err, sca.ErrNotApplicable) {
					t.Fatalf("err = %v, want not applicable (lines %q)", err, lines)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.has {
				if !hasLine(lines, w) {
					t.Errorf("missing %q in %q", w, lines)
				}
			}
			for _, w := range c.hasNot {
				if hasLine(lines, w) {
					t.Errorf("unexpected %q", w)
				}
			}
			for _, w := range c.prefix {
				if !hasPrefix(lines, w) {
					t.Errorf("no line starts with %q in %q", w, lines)
				}
			}
		})
	}
}

func TestFixtureDebian12(t *testing.T) {
	runFixtureCases(t, "debian12", []fixtureCase{
		{probe: "sshd.effective", has: []string{"permitrootlogin prohibit-password", "maxauthtries 4", "passwordauthentication yes", "x11forwarding yes"}},
		{probe: "sysctl.runtime", has: []string{"kernel.yama.ptrace_scope = 0", "kernel.kptr_restrict = 0", "net.ipv4.ip_forward = 0"}},
		{probe: "sysctl.runtime", args: []string{"net/ipv4/tcp_syncookies", "no.such.key"}, has: []string{"net.ipv4.tcp_syncookies = 1"}, hasNot: []string{"no.such.key = "}},
		{probe: "sysctl.configured", has: []string{"net.ipv4.conf.all.accept_redirects = 0", "vm.swappiness = 10"}},
		{probe: "sysctl.configured", args: []string{"net.ipv4.conf.all.accept_redirects", "kernel.kptr_restrict"}, has: []string{"net.ipv4.conf.all.accept_redirects = 0"}, hasNot: []string{"kernel.kptr_restrict = 0"}},
		{probe: "mounts", has: []string{"/tmp tmpfs rw,nosuid,nodev,relatime,inode64", "/ ext4 rw,relatime,errors=remount-ro"}},
		{probe: "fstab", has: []string{"/tmp tmpfs defaults,nosuid,nodev", "none swap sw"}},
		{probe: "file.stat", args: []string{"/etc/passwd", "/etc/nonexistent"}, prefix: []string{"/etc/passwd mode=", "/etc/nonexistent missing"}},
		{probe: "file.perms", args: []string{"/etc/no-such-file", "0600"}, na: true},
	})
}

func TestFixtureUbuntu2204(t *testing.T) {
	runFixtureCases(t, "ubuntu2204", []fixtureCase{
		{probe: "sshd.effective", has: []string{"permitrootlogin yes", "permitemptypasswords yes", "passwordauthentication yes", "maxauthtries 10",
			"ciphers aes128-ctr,aes256-ctr,3des-cbc,aes256-cbc", "macs hmac-sha1,hmac-md5,hmac-sha2-256", "kexalgorithms diffie-hellman-group1-sha1,curve25519-sha256"}},
		{probe: "sysctl.runtime", has: []string{"net.ipv4.ip_forward = 1", "fs.suid_dumpable = 2", "net.ipv4.conf.all.accept_redirects = 1"}},
		{probe: "sysctl.configured", args: []string{"net.ipv4.ip_forward", "kernel.yama.ptrace_scope"}, has: []string{"net.ipv4.ip_forward = 1", "kernel.yama.ptrace_scope = 1"}},
	})
}

func TestFixtureAlma9(t *testing.T) {
	runFixtureCases(t, "alma9", []fixtureCase{
		{probe: "sshd.effective", has: []string{"port 22", "port 2222", "permitrootlogin prohibit-password", "x11forwarding yes", "allowgroups wheel", "allowgroups ops", "loglevel VERBOSE", "clientalivecountmax 0", "maxauthtries 3"},
			hasNot: []string{"x11forwarding no", "permitrootlogin yes"}},
		{probe: "sysctl.configured", args: []string{"kernel.yama.ptrace_scope", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.eth0.rp_filter", "vm.swappiness", "kernel.sysrq", "kernel.dmesg_restrict"},
			has: []string{"kernel.yama.ptrace_scope = 1", "net.ipv4.conf.all.rp_filter = 1", "net.ipv4.conf.eth0.rp_filter = 2", "vm.swappiness = 1", "kernel.sysrq = 16", "kernel.dmesg_restrict = 1"}},
		{probe: "sysctl.runtime", has: []string{"kernel.yama.ptrace_scope = 0"}},
	})
}

func TestFixtureAlpine3(t *testing.T) {
	runFixtureCases(t, "alpine3", []fixtureCase{
		{probe: "sshd.effective", has: []string{"permitrootlogin yes", "passwordauthentication yes", "permitemptypasswords yes"}},
		{probe: "sysctl.runtime", has: []string{"kernel.randomize_va_space = 1", "net.ipv4.ip_forward = 1", "kernel.dmesg_restrict = 0", "kernel.kptr_restrict = 0"}},
		{probe: "sysctl.configured", has: []string{"net.ipv4.ip_forward = 1", "kernel.randomize_va_space = 1"}},
	})
}
