package accounts

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

func mustCollect(t *testing.T, dir string) (Accounts, skipped.List) {
	t.Helper()
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, sk, err := Collect(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	return a, sk
}

func TestCollectFixture(t *testing.T) {
	a, sk := mustCollect(t, "testdata/rootfs")
	if a.NISLines != 4 {
		t.Errorf("NISLines = %d, want 4", a.NISLines)
	}
	if !a.ShadowReadable {
		t.Error("ShadowReadable = false")
	}
	wantSkipped := map[string]bool{
		"/etc/passwd:13": true, "/etc/passwd:14": true,
		"/etc/shadow:11": true, "/etc/shadow:12": true,
		"/etc/group:10": true, "/etc/group:11": true,
	}
	got := map[string]bool{}
	for _, l := range sk {
		got[l.File+":"+strconv.Itoa(l.Line)] = true
	}
	if !reflect.DeepEqual(got, wantSkipped) {
		t.Errorf("skipped = %v, want %v", sk, wantSkipped)
	}

	tests := []struct {
		name   string
		state  string
		hashed bool
		algo   string
		login  bool
		groups []string
	}{
		{"root", StateLocked, false, "", true, []string{"root"}},
		{"daemon", StateLocked, false, "", false, []string{"daemon"}},
		{"sync", StateLocked, false, "", false, nil},
		{"toor", StateSet, true, "sha512", true, []string{"root"}},
		{"alice", StateSet, true, "yescrypt", true, []string{"alice", "adm", "sudo"}},
		{"bob", StateLocked, true, "sha512", true, []string{"bob", "sudo"}},
		{"carol", StateLocked, false, "", true, []string{"bob", "wheel"}},
		{"legacy", StateSet, true, "md5", true, nil},
		{"nopass", StateEmpty, false, "", true, []string{"users"}},
		{"ghost", StateUnknown, false, "", true, []string{"users"}},
		{"svc", StateLocked, false, "", false, []string{"svc", "adm"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := a.User(tt.name)
			if !ok {
				t.Fatalf("user %s missing", tt.name)
			}
			if u.PasswordState != tt.state || u.PasswordHashed != tt.hashed || u.HashAlgorithm != tt.algo {
				t.Errorf("password = %s/%v/%q, want %s/%v/%q", u.PasswordState, u.PasswordHashed, u.HashAlgorithm, tt.state, tt.hashed, tt.algo)
			}
			if u.LoginShell != tt.login {
				t.Errorf("LoginShell = %v, want %v (shell %q)", u.LoginShell, tt.login, u.Shell)
			}
			if !reflect.DeepEqual(u.Groups, tt.groups) {
				t.Errorf("Groups = %v, want %v", u.Groups, tt.groups)
			}
		})
	}

	toor, _ := a.User("toor")
	if toor.LastChange != "2023-05-23" || toor.Expire != "2024-10-04" ||
		*toor.MinAge != 1 || *toor.MaxAge != 90 || *toor.Warn != 14 || *toor.Inactive != 30 || toor.MustChange {
		b, _ := json.Marshal(toor)
		t.Errorf("toor aging wrong: %s", b)
	}
	bob, _ := a.User("bob")
	if !bob.MustChange || bob.LastChange != "" || bob.MaxAge != nil {
		t.Errorf("bob: MustChange=%v LastChange=%q MaxAge=%v", bob.MustChange, bob.LastChange, bob.MaxAge)
	}
	svc, _ := a.User("svc")
	if svc.MaxAge != nil {
		t.Errorf("svc max age -1 should be nil, got %d", *svc.MaxAge)
	}
	if !reflect.DeepEqual(a.ShadowOnly, []string{"orphan"}) {
		t.Errorf("ShadowOnly = %v", a.ShadowOnly)
	}
	sudo, _ := a.Group("sudo")
	if !reflect.DeepEqual(sudo.Admins, []string{"alice"}) || !reflect.DeepEqual(sudo.Members, []string{"alice", "bob", "alice"}) {
		t.Errorf("sudo group = %+v", sudo)
	}
}

func TestQueries(t *testing.T) {
	a, _ := mustCollect(t, "testdata/rootfs")
	if got, want := a.UIDZero(), []string{"root", "toor"}; !reflect.DeepEqual(got, want) {
		t.Errorf("UIDZero = %v, want %v", got, want)
	}
	if got, want := a.DuplicateUIDs(), []Duplicate{{0, []string{"root", "toor"}}, {1001, []string{"bob", "carol"}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("DuplicateUIDs = %v, want %v", got, want)
	}
	if got, want := a.DuplicateGIDs(), []Duplicate{{1000, []string{"alice", "wheel"}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("DuplicateGIDs = %v, want %v", got, want)
	}
	if got, want := a.DuplicateUserNames(), []string{"alice"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DuplicateUserNames = %v, want %v", got, want)
	}
	if got := a.DuplicateGroupNames(); len(got) != 0 {
		t.Errorf("DuplicateGroupNames = %v, want none", got)
	}
	var missing []string
	for _, u := range a.MissingPrimaryGroup() {
		missing = append(missing, u.Name)
	}
	if want := []string{"sync", "legacy"}; !reflect.DeepEqual(missing, want) {
		t.Errorf("MissingPrimaryGroup = %v, want %v", missing, want)
	}
}

func TestPasswordState(t *testing.T) {
	tests := []struct {
		field  string
		state  string
		hashed bool
	}{
		{"", StateEmpty, false},
		{"*", StateLocked, false},
		{"!", StateLocked, false},
		{"!!", StateLocked, false},
		{"!*", StateLocked, false},
		{"*LK*", StateLocked, false},
		{"!$6$salt$hashhashhash", StateLocked, true},
		{"$6$salt$hashhashhash", StateSet, true},
		{"abcdefghijklm", StateSet, true},
		{"!abcdefghijklm", StateLocked, true},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			s, h := PasswordState(tt.field)
			if s != tt.state || h != tt.hashed {
				t.Errorf("PasswordState(%q) = %s,%v want %s,%v", tt.field, s, h, tt.state, tt.hashed)
			}
		})
	}
}

func TestNoShadow(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"passwd", "group"} {
		b, err := os.ReadFile(filepath.Join("testdata/rootfs/etc", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "etc", f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, sk := mustCollect(t, dir)
	if a.ShadowReadable {
		t.Error("ShadowReadable = true without shadow")
	}
	alice, _ := a.User("alice")
	if alice.PasswordState != StateUnknown {
		t.Errorf("alice state = %s, want unknown", alice.PasswordState)
	}
	legacy, _ := a.User("legacy")
	if legacy.PasswordState != StateSet {
		t.Errorf("legacy (hash in passwd) state = %s, want set", legacy.PasswordState)
	}
	found := 0
	for _, l := range sk {
		if l.File == "/etc/shadow" || l.File == "/etc/gshadow" {
			found++
		}
	}
	if found != 2 {
		t.Errorf("missing shadow files not recorded: %v", sk)
	}
}

func TestCollectNoPasswd(t *testing.T) {
	root, err := hostfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Collect(context.Background(), root); err == nil {
		t.Fatal("want error without /etc/passwd")
	}
}

// TestLiveHost checks this machine's files parse cleanly and match getent.
func TestLiveHost(t *testing.T) {
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Skip("no /etc/passwd")
	}
	a, sk := mustCollect(t, "/")
	for _, l := range sk {
		if l.Line > 0 {
			t.Errorf("skipped on live host: %v", l)
		}
	}
	out, err := exec.Command("getent", "passwd").Output()
	if err != nil {
		t.Skipf("getent: %v", err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ":")
		want[f[0]] = strings.Join([]string{f[2], f[3], f[4], f[5], f[6]}, ":")
	}
	got := map[string]string{}
	for _, u := range a.Users {
		got[u.Name] = strings.Join([]string{strconv.Itoa(int(u.UID)), strconv.Itoa(int(u.GID)), u.GECOS, u.Home, u.Shell}, ":")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("users differ from getent passwd:\n got %v\nwant %v", got, want)
	}
	gout, err := exec.Command("getent", "group").Output()
	if err == nil {
		n := len(strings.Split(strings.TrimSpace(string(gout)), "\n"))
		if n != len(a.Groups) {
			t.Errorf("%d groups, getent has %d", len(a.Groups), n)
		}
	}
}
