package sshkeys

import (
	"context"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory/accounts"
)

// TestDistroFixtures checks the keys of the shared fixture trees and, where
// ssh-keygen is installed, that every fingerprint equals its output.
func TestDistroFixtures(t *testing.T) {
	tests := []struct {
		distro  string
		perUser string // user:count, sorted by first appearance
		skipped []string
		check   func(t *testing.T, keys []Key)
	}{
		{"debian12", "root:2 alice:2 bob:1 deploy:1 toor:2", []string{"/home/alice/.ssh/authorized_keys:3"}, func(t *testing.T, keys []Key) {
			if k := keys[1]; k.Type != "ssh-rsa" || k.Bits != 2048 || len(k.Options) != 4 || !strings.HasPrefix(k.Options[0], `from="10.0.0.0/8,`) {
				t.Errorf("root rsa key = %+v", k)
			}
		}},
		{"ubuntu2204", "root:2 ubuntu:3 jdoe:2 guest:1", []string{"/home/ubuntu/.ssh/authorized_keys:5"}, func(t *testing.T, keys []Key) {
			var jdoe, guest string
			for _, k := range keys {
				switch {
				case k.User == "guest":
					guest = k.Fingerprint
					if !strings.HasSuffix(k.File, "authorized_keys2") {
						t.Errorf("guest key from %s", k.File)
					}
				case k.User == "jdoe" && k.Type == "ssh-rsa":
					jdoe = k.Fingerprint
				}
			}
			if jdoe == "" || jdoe != guest {
				t.Errorf("jdoe and guest should share an RSA key: %q %q", jdoe, guest)
			}
			if o := keys[0].Options; len(o) != 4 || !strings.Contains(o[3], `\"ubuntu\"`) {
				t.Errorf("root cloud key options = %q", o)
			}
		}},
		{"alma9", "root:2 operator:2 rocky:2 dba:2 olduser:1", nil, func(t *testing.T, keys []Key) {
			var dss, ca bool
			for _, k := range keys {
				dss = dss || k.Type == "ssh-dss" && k.Bits == 1024
				ca = ca || k.User == "rocky" && len(k.Options) == 2 && k.Options[0] == "cert-authority"
			}
			if !dss || !ca {
				t.Errorf("DSA key found %v, cert-authority key found %v", dss, ca)
			}
		}},
		{"alpine3", "root:2 operator:2 ops:2", []string{"/root/.ssh/authorized_keys:3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.distro, func(t *testing.T) {
			dir := filepath.Join("../../../testdata/rootfs", tt.distro)
			root, err := hostfs.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			a, _, err := accounts.Collect(context.Background(), root)
			if err != nil {
				t.Fatal(err)
			}
			keys, sk, err := Collect(context.Background(), root, a.Users, nil)
			if err != nil {
				t.Fatal(err)
			}
			var order []string
			count := map[string]int{}
			for _, k := range keys {
				if count[k.User] == 0 {
					order = append(order, k.User)
				}
				count[k.User]++
			}
			var got []string
			for _, u := range order {
				got = append(got, u+":"+strconv.Itoa(count[u]))
			}
			if strings.Join(got, " ") != tt.perUser {
				t.Errorf("keys per user %q, want %q", strings.Join(got, " "), tt.perUser)
			}
			var at []string
			for _, l := range sk {
				at = append(at, l.File+":"+strconv.Itoa(l.Line))
			}
			if !reflect.DeepEqual(at, tt.skipped) {
				t.Errorf("skipped %v, want %v", sk, tt.skipped)
			}
			if tt.check != nil && len(keys) > 0 {
				tt.check(t, keys)
			}
			if _, err := exec.LookPath("ssh-keygen"); err != nil {
				return
			}
			for _, k := range keys {
				out, _ := exec.Command("ssh-keygen", "-lf", root.Path(k.File)).Output()
				want := strconv.Itoa(k.Bits) + " " + k.Fingerprint
				if !strings.Contains(string(out), want) {
					t.Errorf("%s:%d: %q not in ssh-keygen output:\n%s", k.File, k.Line, want, out)
				}
			}
		})
	}
}
