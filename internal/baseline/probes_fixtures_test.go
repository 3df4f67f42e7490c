package baseline

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/fixturetree"
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
	return envFor(t, fixturetree.Copy(t, filepath.Join("..", "..", "testdata", "rootfs", distro)))
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
		{probe: "accounts.uid0", has: []string{"toor"}, hasNot: []string{"root"}},
		{probe: "accounts.duplicate_uid", has: []string{"0 root,toor"}},
		{probe: "accounts.system_with_shell", has: []string{"www-data"}},
		{probe: "accounts.stale", has: []string{"bob last_change=2023-03-04"}},
		{probe: "sudo.nopasswd", has: []string{"/etc/sudoers.d/deploy:6 deploy,alice"}},
		{probe: "sudo.defaults", has: []string{"use_pty"}},
		{probe: "sshkeys.root", prefix: []string{"ssh-ed25519 256 SHA256:", "ssh-rsa 2048 SHA256:"}},
		{probe: "services.enabled", has: []string{"ssh.service", "nginx.service"}, hasNot: []string{"auditd.service", "rpcbind.service"}},
		{probe: "services.active", na: true},
		{probe: "processes", has: []string{"sshd /usr/sbin/sshd"}},
		{probe: "listening", has: []string{"tcp 0.0.0.0 22 sshd", "tcp 127.0.0.1 5432 -"}},
		{probe: "modules.loaded", has: []string{"usb_storage"}},
		{probe: "modprobe.disabled", has: []string{"dccp install=/bin/false blacklist=yes", "cramfs install=/bin/true blacklist=yes"}, hasNot: []string{"usb_storage install=/bin/false blacklist=yes"}},
		{probe: "cron.entries", prefix: []string{"root @reboot ", "root * * * * * "}},
		{probe: "packages.installed", args: []string{"^openssh-server$"}, has: []string{"openssh-server 1:9.2p1-2+deb12u2 amd64"}},
		{probe: "packages.installed", args: []string{"^apache2$"}, hasNot: []string{"apache2 2.4.57-2 amd64"}},
		{probe: "firewall.state", has: []string{"nf_tables loaded"}},
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
		{probe: "accounts.duplicate_uid", has: []string{"1001 jdoe,john"}},
		{probe: "accounts.empty_password", has: []string{"guest"}},
		{probe: "accounts.duplicate_group", has: []string{"sudo 27,2000"}},
		{probe: "sudo.nopasswd", has: []string{"/etc/sudoers.d/90-cloud-init-users:4 ubuntu"}, hasNot: []string{"/etc/sudoers.d/old.bak:1 "}},
		{probe: "sudo.all_grants", has: []string{"/etc/sudoers.d/90-cloud-init-users:4 ubuntu"}},
		{probe: "sudo.defaults", has: []string{"!authenticate (Defaults:guest)"}},
		{probe: "services.enabled", has: []string{"telnet.socket", "redis-server.service"}, hasNot: []string{"apport.service"}},
		{probe: "listening", has: []string{"tcp 0.0.0.0 6379 redis-server", "tcp6 :: 23 systemd"}},
		{probe: "processes", has: []string{"xmrig /home/jdoe/.local/bin/miner"}},
		{probe: "modules.loaded", has: []string{"dccp"}},
		{probe: "cron.entries", prefix: []string{"jdoe @reboot nohup"}},
		{probe: "sshd.effective", has: []string{"permitrootlogin yes", "permitemptypasswords yes", "passwordauthentication yes", "maxauthtries 10",
			"ciphers aes128-ctr,aes256-ctr,3des-cbc,aes256-cbc", "macs hmac-sha1,hmac-md5,hmac-sha2-256", "kexalgorithms diffie-hellman-group1-sha1,curve25519-sha256"}},
		{probe: "sysctl.runtime", has: []string{"net.ipv4.ip_forward = 1", "fs.suid_dumpable = 2", "net.ipv4.conf.all.accept_redirects = 1"}},
		{probe: "sysctl.configured", args: []string{"net.ipv4.ip_forward", "kernel.yama.ptrace_scope"}, has: []string{"net.ipv4.ip_forward = 1", "kernel.yama.ptrace_scope = 1"}},
	})
}

func TestFixtureAlma9(t *testing.T) {
	runFixtureCases(t, "alma9", []fixtureCase{
		{probe: "accounts.system_with_shell", has: []string{"daemon"}},
		{probe: "accounts.uid0", hasNot: []string{"root2"}},
		{probe: "sudo.nopasswd", has: []string{"/etc/sudoers.d/ops:1 %ops"}},
		{probe: "sudo.all_grants", has: []string{"/etc/sudoers.d/ops:1 %ops"}},
		{probe: "sshkeys.weak", has: []string{"dba /home/dba/.ssh/authorized_keys:2 ssh-dss 1024"}},
		{probe: "firewall.state", has: []string{"firewalld.service masked"}},
		{probe: "modprobe.disabled", has: []string{"usb_storage install=/bin/false blacklist=yes"}},
		{probe: "listening", has: []string{"tcp 0.0.0.0 5432 postmaster", "udp 0.0.0.0 123 chronyd"}},
		{probe: "packages.installed", args: []string{"^openssl$"}, has: []string{"openssl 1:3.0.7-27.el9 x86_64"}},
		{probe: "updates.security", na: true},
		{probe: "sshd.effective", has: []string{"port 22", "port 2222", "permitrootlogin prohibit-password", "x11forwarding yes", "allowgroups wheel", "allowgroups ops", "loglevel VERBOSE", "clientalivecountmax 0", "maxauthtries 3"},
			hasNot: []string{"x11forwarding no", "permitrootlogin yes"}},
		{probe: "sysctl.configured", args: []string{"kernel.yama.ptrace_scope", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.eth0.rp_filter", "vm.swappiness", "kernel.sysrq", "kernel.dmesg_restrict"},
			has: []string{"kernel.yama.ptrace_scope = 1", "net.ipv4.conf.all.rp_filter = 1", "net.ipv4.conf.eth0.rp_filter = 2", "vm.swappiness = 1", "kernel.sysrq = 16", "kernel.dmesg_restrict = 1"}},
		{probe: "sysctl.runtime", has: []string{"kernel.yama.ptrace_scope = 0"}},
	})
}

func TestFixtureAlpine3(t *testing.T) {
	runFixtureCases(t, "alpine3", []fixtureCase{
		{probe: "accounts.empty_password", has: []string{"root"}},
		{probe: "sudo.nopasswd", prefix: []string{"/etc/sudoers:", "/etc/sudoers.d/ops:1 ops"}},
		{probe: "services.enabled", has: []string{"sshd", "nginx"}, hasNot: []string{"telnetd"}},
		{probe: "processes", has: []string{"init /bin/busybox"}},
		{probe: "listening", has: []string{"udp 0.0.0.0 123 chronyd", "tcp 0.0.0.0 443 nginx"}},
		{probe: "modules.loaded", has: []string{"usb_storage"}},
		{probe: "sshkeys.root", prefix: []string{"ssh-ed25519 256 SHA256:"}},
		{probe: "updates.security", na: true},
		{probe: "sshd.effective", has: []string{"permitrootlogin yes", "passwordauthentication yes", "permitemptypasswords yes"}},
		{probe: "sysctl.runtime", has: []string{"kernel.randomize_va_space = 1", "net.ipv4.ip_forward = 1", "kernel.dmesg_restrict = 0", "kernel.kptr_restrict = 0"}},
		{probe: "sysctl.configured", has: []string{"net.ipv4.ip_forward = 1", "kernel.randomize_va_space = 1"}},
	})
}
