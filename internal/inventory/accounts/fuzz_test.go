package accounts

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func seed(f *testing.F, name string) {
	b, err := os.ReadFile(filepath.Join("testdata/rootfs/etc", name))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("a:x:1:1::/:/bin/sh\n+\n-x\n\r\n"))
}

func FuzzParsePasswd(f *testing.F) {
	seed(f, "passwd")
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		users, _ := ParsePasswd("p", data, &sk)
		groups, _ := ParseGroup("g", data, &sk)
		a := Merge(users, groups, nil, nil, false)
		a.DuplicateUIDs()
		a.MissingPrimaryGroup()
		for _, u := range a.Users {
			if u.Name == "" || u.PasswordState == "" {
				t.Fatalf("bad user %+v", u)
			}
		}
	})
}

func FuzzParseShadow(f *testing.F) {
	seed(f, "shadow")
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		sh, _ := ParseShadow("s", data, &sk)
		gs, _ := ParseGShadow("gs", data, &sk)
		users := []User{{Name: "root", passwd: "x"}}
		for _, s := range sh {
			users = append(users, User{Name: s.Name, passwd: "x"})
			HashAlgorithm(s.Password)
		}
		Merge(users, []Group{{Name: "root"}}, sh, gs, true)
	})
}

func FuzzParseGroup(f *testing.F) {
	seed(f, "group")
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		groups, _ := ParseGroup("g", data, &sk)
		gs, _ := ParseGShadow("gs", data, &sk)
		a := Merge(nil, groups, nil, gs, true)
		a.DuplicateGIDs()
		a.DuplicateGroupNames()
	})
}
