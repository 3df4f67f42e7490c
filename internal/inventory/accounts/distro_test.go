package accounts

import (
	"reflect"
	"strconv"
	"testing"
)

func fixture(t *testing.T, distro string) (Accounts, []string) {
	t.Helper()
	a, sk := mustCollect(t, "../../../testdata/rootfs/"+distro)
	var at []string
	for _, l := range sk {
		at = append(at, l.File+":"+strconv.Itoa(l.Line))
	}
	return a, at
}

func userOf(t *testing.T, a Accounts, name string) User {
	t.Helper()
	u, ok := a.User(name)
	if !ok {
		t.Fatalf("user %s missing", name)
	}
	return u
}

func ip(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// TestDistroFixtures checks the deliberate account findings of the shared
// fixture trees (testdata/rootfs/README.md).
func TestDistroFixtures(t *testing.T) {
	t.Run("debian12", func(t *testing.T) {
		a, sk := fixture(t, "debian12")
		if want := []string{"/etc/passwd:28", "/etc/group:46"}; !reflect.DeepEqual(sk, want) {
			t.Errorf("skipped %v, want %v", sk, want)
		}
		if got := a.UIDZero(); !reflect.DeepEqual(got, []string{"root", "toor"}) {
			t.Errorf("UIDZero = %v", got)
		}
		if u := userOf(t, a, "toor"); u.PasswordState != StateSet || u.HashAlgorithm != "sha512" {
			t.Errorf("toor = %s %s", u.PasswordState, u.HashAlgorithm)
		}
		if u := userOf(t, a, "www-data"); !u.LoginShell || u.UID >= 1000 {
			t.Errorf("www-data login shell = %v", u.LoginShell)
		}
		if u := userOf(t, a, "deploy"); u.PasswordState != StateLocked || !u.PasswordHashed {
			t.Errorf("deploy = %s hashed=%v", u.PasswordState, u.PasswordHashed)
		}
		u := userOf(t, a, "alice")
		if ip(u.MinAge) != 1 || ip(u.MaxAge) != 90 || ip(u.Warn) != 14 || ip(u.Inactive) != 30 {
			t.Errorf("alice aging %d/%d/%d/%d", ip(u.MinAge), ip(u.MaxAge), ip(u.Warn), ip(u.Inactive))
		}
		if want := []string{"alice", "adm", "cdrom", "sudo"}; !reflect.DeepEqual(u.Groups, want) {
			t.Errorf("alice groups = %v, want %v", u.Groups, want)
		}
		if u := userOf(t, a, "bob"); u.LastChange != epochDate(19420) || ip(u.MaxAge) != 99999 {
			t.Errorf("bob last change %s max %d", u.LastChange, ip(u.MaxAge))
		}
	})
	t.Run("ubuntu2204", func(t *testing.T) {
		a, sk := fixture(t, "ubuntu2204")
		if want := []string{"/etc/passwd:34", "/etc/shadow:34"}; !reflect.DeepEqual(sk, want) {
			t.Errorf("skipped %v, want %v", sk, want)
		}
		if got := a.DuplicateUIDs(); !reflect.DeepEqual(got, []Duplicate{{1001, []string{"jdoe", "john"}}}) {
			t.Errorf("DuplicateUIDs = %v", got)
		}
		if got := a.DuplicateGroupNames(); !reflect.DeepEqual(got, []string{"sudo"}) {
			t.Errorf("DuplicateGroupNames = %v", got)
		}
		if u := userOf(t, a, "john"); u.PasswordState != StateLocked || u.PasswordHashed {
			t.Errorf("john = %s hashed=%v", u.PasswordState, u.PasswordHashed)
		}
		if u := userOf(t, a, "guest"); u.PasswordState != StateEmpty {
			t.Errorf("guest = %s", u.PasswordState)
		}
		if u := userOf(t, a, "jdoe"); u.Expire != epochDate(19500) || ip(u.Inactive) != 30 {
			t.Errorf("jdoe expire %s inactive %d", u.Expire, ip(u.Inactive))
		}
		if u := userOf(t, a, "lxd"); u.LoginShell {
			t.Error("lxd has /bin/false, LoginShell should be false")
		}
	})
	t.Run("alma9", func(t *testing.T) {
		a, sk := fixture(t, "alma9")
		if want := []string{"/etc/passwd:24"}; !reflect.DeepEqual(sk, want) {
			t.Errorf("skipped %v, want %v", sk, want)
		}
		if got := a.UIDZero(); !reflect.DeepEqual(got, []string{"root"}) {
			t.Errorf("UIDZero = %v (root2 has 8 fields and must be skipped)", got)
		}
		if !reflect.DeepEqual(a.ShadowOnly, []string{"root2"}) {
			t.Errorf("ShadowOnly = %v", a.ShadowOnly)
		}
		if u := userOf(t, a, "root"); u.LastChange != "" || u.MustChange {
			t.Errorf("root last change %q must change %v", u.LastChange, u.MustChange)
		}
		if u := userOf(t, a, "daemon"); !u.LoginShell {
			t.Error("daemon has /bin/sh")
		}
		if u := userOf(t, a, "olduser"); u.PasswordState != StateLocked || !u.PasswordHashed || u.Expire != epochDate(19000) {
			t.Errorf("olduser = %s hashed=%v expire=%s", u.PasswordState, u.PasswordHashed, u.Expire)
		}
		u := userOf(t, a, "rocky")
		if ip(u.MinAge) != 7 || ip(u.MaxAge) != 60 || ip(u.Warn) != 14 || ip(u.Inactive) != 30 {
			t.Errorf("rocky aging %d/%d/%d/%d", ip(u.MinAge), ip(u.MaxAge), ip(u.Warn), ip(u.Inactive))
		}
		if g, _ := a.Group("ops"); g.GID != 1500 || !reflect.DeepEqual(g.Members, []string{"dba", "rocky"}) {
			t.Errorf("ops = %+v", g)
		}
	})
	t.Run("alpine3", func(t *testing.T) {
		a, sk := fixture(t, "alpine3")
		if want := []string{"/etc/gshadow:0"}; !reflect.DeepEqual(sk, want) {
			t.Errorf("skipped %v, want %v", sk, want)
		}
		if u := userOf(t, a, "root"); u.PasswordState != StateEmpty || !u.LoginShell {
			t.Errorf("root = %s login=%v", u.PasswordState, u.LoginShell)
		}
		if u := userOf(t, a, "ops"); u.PasswordState != StateSet {
			t.Errorf("ops = %s", u.PasswordState)
		}
		if u := userOf(t, a, "svc-backup"); u.PasswordState != StateLocked {
			t.Errorf("svc-backup = %s", u.PasswordState)
		}
		for _, u := range a.Users {
			if u.UID > 0 && u.UID < 1000 && u.LoginShell {
				t.Errorf("system account %s has login shell %s", u.Name, u.Shell)
			}
		}
	})
}
