package audit

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/audit/netlink"
	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestContainerID(t *testing.T) {
	tests := []struct{ file, want string }{
		{"cgroup_docker", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		{"cgroup_k8s", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"},
		{"cgroup_host", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := ContainerID(b); got != tt.want {
				t.Errorf("ContainerID = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzContainerID(f *testing.F) {
	for _, n := range []string{"cgroup_docker", "cgroup_k8s", "cgroup_host"} {
		b, _ := os.ReadFile("testdata/" + n)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if id := ContainerID(b); id != "" && !isHex64(id) {
			t.Fatalf("ContainerID = %q", id)
		}
	})
}

// procDatagram builds a proc connector datagram for event what.
func procDatagram(what, pid, tgid uint32) []byte {
	b := make([]byte, nlHeaderLen+cnMsgLen+24)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(len(b)))
	cn := b[nlHeaderLen:]
	le.PutUint32(cn[0:], cnIdxProc)
	le.PutUint32(cn[4:], cnValProc)
	le.PutUint16(cn[16:], 24)
	ev := cn[cnMsgLen:]
	le.PutUint32(ev[0:], what)
	le.PutUint32(ev[16:], pid)
	le.PutUint32(ev[20:], tgid)
	return b
}

func TestParseProcEvent(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want procExec
		ok   bool
	}{
		{"exec", procDatagram(procEventExec, 42, 41), procExec{PID: 42, TGID: 41}, true},
		{"fork", procDatagram(1, 42, 41), procExec{}, false},
		{"short", procDatagram(procEventExec, 1, 1)[:30], procExec{}, false},
		{"other connector", func() []byte { b := procDatagram(procEventExec, 1, 1); b[16] = 9; return b }(), procExec{}, false},
		{"len past end", func() []byte { b := procDatagram(procEventExec, 1, 1); b[32] = 200; return b }(), procExec{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseProcEvent(tt.b)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseProcEvent = %+v, %v", got, ok)
			}
		})
	}
}

func FuzzParseProcEvent(f *testing.F) {
	f.Add(procDatagram(procEventExec, 42, 41))
	f.Add(procDatagram(1, 1, 1))
	f.Fuzz(func(t *testing.T, b []byte) { parseProcEvent(b) })
}

func TestSplitCmdlineAndStatus(t *testing.T) {
	if got := splitCmdline([]byte("/bin/true\x00a b\x00\x00")); !slices.Equal(got, []string{"/bin/true", "a b", ""}) {
		t.Errorf("splitCmdline = %q", got)
	}
	if got := splitCmdline(nil); got != nil {
		t.Errorf("splitCmdline(nil) = %q", got)
	}
	ppid, uid, euid, ok := statusFields([]byte("Name:\ttrue\nPPid:\t77\nUid:\t1000\t0\t0\t0\n"))
	if !ok || ppid != 77 || uid != "1000" || euid != "0" {
		t.Errorf("statusFields = %d %q %q %v", ppid, uid, euid, ok)
	}
	if _, _, _, ok := statusFields([]byte("garbage\nPPid: x\n")); ok {
		t.Error("statusFields accepted garbage")
	}
}

func TestDefaultRulesParse(t *testing.T) {
	for _, s := range append(DefaultRules(), connectRules()...) {
		r, err := netlink.ParseRule(s)
		if err != nil && s != "" {
			// pid!=self is replaced before parsing
			continue
		}
		if err == nil && !r.HasKeyPrefix(keyPrefix) {
			t.Errorf("default rule without a vigil key: %s", s)
		}
	}
}

// TestBuildRules runs on a fixture tree: pid!=self replaced, directories
// become directory watches, watches on absent paths are skipped, ~/.ssh of
// accounts watched, rules without a vigil key rejected.
func TestBuildRules(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"etc/sudoers.d", "home/alice/.ssh", "etc/ssh"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n",
		"etc/group":  "root:x:0:\n", "etc/sudoers": "", "etc/ssh/sshd_config": "",
	}
	for p, c := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := *DefaultConfig()
	rules, skipped, err := buildRules(context.Background(), cfg, root, 4242, nil)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, r := range rules {
		texts = append(texts, r.String())
	}
	want := []string{
		"-a always,exit -F arch=b64 -S execve,execveat -F pid!=4242 -F key=vigil-exec",
		"-w /etc/passwd -p wa -k vigil-identity",
		"-w /etc/sudoers.d -p wa -k vigil-sudoers",
		"-w /home/alice/.ssh -p wa -k vigil-sshkeys",
		"-w /etc/shadow -p wa -k vigil-identity", // absent file, parent exists
	}
	for _, w := range want {
		if !slices.Contains(texts, w) {
			t.Errorf("missing rule %q in\n%q", w, texts)
		}
	}
	for _, r := range rules {
		if p, _ := r.WatchPath(); p == "/etc/sudoers.d" && r.Fields[0].Type != netlink.FieldDir {
			t.Error("/etc/sudoers.d is not a directory watch")
		}
	}
	if !slices.Contains(skipped, "/etc/systemd/system") || !slices.Contains(skipped, "/var/spool/cron") {
		t.Errorf("skipped = %q", skipped)
	}
	cfg.ExtraRules = []string{"-w /etc/passwd -p wa -k other"}
	if _, _, err := buildRules(context.Background(), cfg, root, 1, nil); err == nil {
		t.Error("a rule without a vigil key was accepted")
	}
}
