package sshkeys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func sshString(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// blobOf decodes the base64 field of a public key line.
func blobOf(t *testing.T, line string) []byte {
	t.Helper()
	f := strings.Fields(line)
	b, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// skLines builds security-key public keys from ordinary keys' material, since
// no hardware token is available to generate them.
func skLines(t *testing.T, edPub, ecPub string) []string {
	t.Helper()
	w := &wire{b: blobOf(t, edPub)}
	w.bytes()
	pk, _ := w.bytes()
	ed := append(sshString([]byte("sk-ssh-ed25519@openssh.com")), sshString(pk)...)
	ed = append(ed, sshString([]byte("ssh:"))...)
	w = &wire{b: blobOf(t, ecPub)}
	w.bytes()
	curve, _ := w.bytes()
	q, _ := w.bytes()
	ec := append(sshString([]byte("sk-ecdsa-sha2-nistp256@openssh.com")), sshString(curve)...)
	ec = append(ec, sshString(q)...)
	ec = append(ec, sshString([]byte("ssh:"))...)
	return []string{
		"sk-ssh-ed25519@openssh.com " + base64.StdEncoding.EncodeToString(ed) + " token one",
		"sk-ecdsa-sha2-nistp256@openssh.com " + base64.StdEncoding.EncodeToString(ec) + " token two",
	}
}

// TestAgainstSSHKeygen generates keys of every type and checks that bits and
// fingerprints equal what ssh-keygen -lf prints for the same file.
func TestAgainstSSHKeygen(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	dir := t.TempDir()
	gen := func(name string, args ...string) string {
		t.Helper()
		f := filepath.Join(dir, name)
		cmd := exec.Command("ssh-keygen", append([]string{"-q", "-N", "", "-f", f, "-C", name + " comment"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("ssh-keygen %v: %v %s", args, err, out)
		}
		b, err := os.ReadFile(f + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	var lines []string
	lines = append(lines, gen("rsa1024", "-t", "rsa", "-b", "1024"))
	lines = append(lines, `from="10.0.0.0/8,192.168.1.1",command="echo \"a, b\"",no-pty `+gen("rsa3072", "-t", "rsa", "-b", "3072"))
	for _, b := range []string{"256", "384", "521"} {
		lines = append(lines, "restrict "+gen("ecdsa"+b, "-t", "ecdsa", "-b", b))
	}
	ed := gen("ed25519", "-t", "ed25519")
	lines = append(lines, ed)
	if out, err := exec.Command("ssh-keygen", "-q", "-N", "", "-t", "dsa", "-f", filepath.Join(dir, "dsa")).CombinedOutput(); err == nil {
		b, _ := os.ReadFile(filepath.Join(dir, "dsa.pub"))
		lines = append(lines, strings.TrimSpace(string(b)))
	} else {
		t.Logf("no DSA support: %s", out)
	}
	gen("ca", "-t", "ed25519")
	for _, k := range []string{"rsa1024", "ecdsa384", "ed25519"} {
		out, err := exec.Command("ssh-keygen", "-q", "-s", filepath.Join(dir, "ca"), "-I", "id", "-n", "alice", filepath.Join(dir, k+".pub")).CombinedOutput()
		if err != nil {
			t.Fatalf("sign: %v %s", err, out)
		}
		b, _ := os.ReadFile(filepath.Join(dir, k+"-cert.pub"))
		lines = append(lines, `cert-authority,principals="alice,bob" `+strings.TrimSpace(string(b)))
	}
	lines = append(lines, skLines(t, ed, lines[2][len("restrict "):])...)

	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ssh-keygen", "-lf", ak).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -lf: %v", err)
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")

	var sk skipped.List
	data, _ := os.ReadFile(ak)
	keys := Parse("authorized_keys", data, &sk)
	if len(sk) != 0 {
		t.Fatalf("skipped: %v", sk)
	}
	if len(keys) != len(want) {
		t.Fatalf("%d keys, ssh-keygen lists %d:\n%s", len(keys), len(want), out)
	}
	for i, k := range keys {
		t.Run(k.Type+"/"+strconv.Itoa(k.Bits), func(t *testing.T) {
			got := strconv.Itoa(k.Bits) + " " + k.Fingerprint + " " + k.Comment + " ("
			if !strings.HasPrefix(want[i], got) {
				t.Errorf("line %d: got %q, ssh-keygen %q", k.Line, got, want[i])
			}
		})
	}
	if got := keys[1].Options; !reflect.DeepEqual(got, []string{`from="10.0.0.0/8,192.168.1.1"`, `command="echo \"a, b\""`, "no-pty"}) {
		t.Errorf("options = %q", got)
	}
}

func TestParseTable(t *testing.T) {
	ed := "AAAAC3NzaC1lZDI1NTE5AAAAII5XFu9jfcBQC5RxHsMHBq3t10eTffCgZAviiLhP4oLV"
	tests := []struct {
		name, line string
		reason     string // "" when the key must parse
		opts       int
		comment    string
	}{
		{"plain", "ssh-ed25519 " + ed, "", 0, ""},
		{"comment with spaces", "ssh-ed25519 " + ed + "  a b  c", "", 0, "a b  c"},
		{"options", `no-agent-forwarding,command="x y,z" ssh-ed25519 ` + ed + " c", "", 2, "c"},
		{"escaped quote", `command="a\" b" ssh-ed25519 ` + ed, "", 1, ""},
		{"unterminated quote", `command="a ssh-ed25519 ` + ed, "bad options", 0, ""},
		{"empty option", `,no-pty ssh-ed25519 ` + ed, "bad options", 0, ""},
		{"type mismatch", "ssh-rsa " + ed, "key data is ssh-ed25519 but line says ssh-rsa", 0, ""},
		{"bad base64", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII5XF", "bad base64 key data", 0, ""},
		{"truncated", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII5X", "truncated key blob", 0, ""},
		{"short blob", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==", "truncated key blob", 0, ""},
		{"protocol 1", "1024 35 12345 user@host", "SSH protocol 1 key not supported", 0, ""},
		{"unknown type", "ssh-foo AAAA", "unknown key type", 0, ""},
		{"options only", "no-pty", "bad options", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sk skipped.List
			keys := Parse("f", []byte("# comment\n\n"+tt.line+"\n"), &sk)
			if tt.reason != "" {
				if len(keys) != 0 || len(sk) != 1 || sk[0].Reason != tt.reason || sk[0].Line != 3 {
					t.Errorf("keys=%v skipped=%v, want skipped %q", keys, sk, tt.reason)
				}
				return
			}
			if len(keys) != 1 || len(sk) != 0 {
				t.Fatalf("keys=%v skipped=%v", keys, sk)
			}
			k := keys[0]
			if k.Bits != 256 || k.Fingerprint != "SHA256:NGac9zT5i4sew7XB3WvrshCGZ9+JWaEzYQRoUaXdlo8" || len(k.Options) != tt.opts || k.Comment != tt.comment {
				t.Errorf("key = %+v", k)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		pat, want string
		ok        bool
	}{
		{".ssh/authorized_keys", "/home/al/.ssh/authorized_keys", true},
		{"%h/.ssh/keys", "/home/al/.ssh/keys", true},
		{"/etc/ssh/keys/%u", "/etc/ssh/keys/al", true},
		{"/etc/ssh/100%%/%u", "/etc/ssh/100%/al", true},
		{"/etc/%x", "", false},
		{"/etc/%", "", false},
		{"none", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pat, func(t *testing.T) {
			got, ok := Expand(tt.pat, "al", "/home/al")
			if got != tt.want || ok != tt.ok {
				t.Errorf("Expand(%q) = %q,%v want %q,%v", tt.pat, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCollect(t *testing.T) {
	root, err := hostfs.New("testdata/rootfs")
	if err != nil {
		t.Fatal(err)
	}
	users := []accounts.User{
		{Name: "alice", Home: "/home/alice"},
		{Name: "bob", Home: "/home/bob"},
		{Name: "nobody", Home: "/nonexistent"},
		{Name: "svc", Home: "/srv/shared"},
		{Name: "svc2", Home: "/srv/shared"},
	}
	keys, sk, err := Collect(context.Background(), root, users, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.User+" "+k.File+":"+strconv.Itoa(k.Line)+" "+k.Type)
	}
	want := []string{
		"alice /home/alice/.ssh/authorized_keys:2 ssh-ed25519",
		"alice /home/alice/.ssh/authorized_keys:3 ssh-ed25519",
		"bob /home/bob/.ssh/authorized_keys2:1 ssh-ed25519",
		"svc /srv/shared/.ssh/authorized_keys:1 ssh-ed25519",
		"svc2 /srv/shared/.ssh/authorized_keys:1 ssh-ed25519",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keys:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(sk) != 1 || sk[0].Line != 4 {
		t.Errorf("skipped = %v", sk)
	}
	keys, _, _ = Collect(context.Background(), root, users[:1], []string{"/etc/ssh/keys/%u"})
	if len(keys) != 1 || keys[0].File != "/etc/ssh/keys/alice" {
		t.Errorf("pattern keys = %+v", keys)
	}
}

func TestLiveHost(t *testing.T) {
	a, _, err := accounts.Collect(context.Background(), hostfs.Live())
	if err != nil {
		t.Skip(err)
	}
	keys, sk, err := Collect(context.Background(), hostfs.Live(), a.Users, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sk {
		t.Errorf("skipped on live host: %v", l)
	}
	for _, k := range keys {
		out, err := exec.Command("ssh-keygen", "-lf", k.File).Output()
		if err != nil {
			continue
		}
		if !bytes.Contains(out, []byte(k.Fingerprint)) {
			t.Errorf("%s:%d fingerprint %s not in ssh-keygen output", k.File, k.Line, k.Fingerprint)
		}
	}
}
