package sshdconfig

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// sshdT runs `sshd -T -f cfg` and returns its lines, skipping the test when sshd
// cannot run here (not installed, not root, no host keys, no privilege
// separation directory).
func sshdT(t *testing.T, cfg string) []string {
	t.Helper()
	bin, err := exec.LookPath("sshd")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/sshd"); err2 != nil {
			t.Skip("sshd not installed")
		}
		bin = "/usr/sbin/sshd"
	}
	out, err := exec.Command(bin, "-T", "-f", cfg).CombinedOutput()
	if err != nil {
		t.Skipf("sshd -T cannot run here: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// compareWithSshd checks that every line sshd -T prints for a keyword vigil
// knows is among vigil's lines, and that vigil prints no value sshd does not.
func compareWithSshd(t *testing.T, ours, theirs []string) {
	t.Helper()
	theirKW := map[string]bool{}
	for _, l := range theirs {
		kw, _, _ := strings.Cut(l, " ")
		theirKW[kw] = true
		if !known(kw) || kw == "listenaddress" {
			continue
		}
		if kw == "permitrootlogin" {
			l = strings.Replace(l, "without-password", "prohibit-password", 1)
		}
		if !slices.Contains(ours, l) {
			t.Errorf("sshd -T has %q; vigil does not", l)
		}
	}
	for _, l := range ours {
		kw, _, _ := strings.Cut(l, " ")
		if known(kw) && !theirKW[kw] {
			t.Errorf("vigil has %q; sshd -T prints no %s", l, kw)
		}
	}
}

func TestLiveAgainstSshdT(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "etc/ssh/sshd_config")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	// No Include here: sshd would take relative includes from the live /etc/ssh.
	conf := `PermitRootLogin no
permitrootlogin yes
PasswordAuthentication NO
LoginGraceTime 1m30s
ClientAliveInterval 5m
ClientAliveCountMax 0
MaxAuthTries 3
X11Forwarding yes
Ciphers -*cbc,chacha20*
MACs ^hmac-sha2-512
KexAlgorithms +diffie-hellman-group14-sha1
AcceptEnv LANG LC_*
AcceptEnv TZ
AllowUsers alice bob
Banner /etc/issue.net
LogLevel VERBOSE
MaxStartups 7
Port 22
Port 2222
Subsystem sftp internal-sftp
HostKey /etc/ssh/ssh_host_ed25519_key
Match User backup
	PasswordAuthentication yes
`
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	theirs := sshdT(t, cfg)
	r, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(context.Background(), r, DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	compareWithSshd(t, c.Effective(), theirs)
}

func TestLiveHostConfig(t *testing.T) {
	if _, err := os.Stat(DefaultPath); err != nil {
		t.Skip("no sshd_config on this host")
	}
	theirs := sshdT(t, DefaultPath)
	c, err := Load(context.Background(), hostfs.Live(), DefaultPath)
	if err != nil {
		t.Fatal(err)
	}
	compareWithSshd(t, c.Effective(), theirs)
}
