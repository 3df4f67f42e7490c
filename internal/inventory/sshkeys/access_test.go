package sshkeys

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/inventory/accounts"
)

func TestReadableBy(t *testing.T) {
	alice := accounts.User{Name: "alice", UID: 1000, GID: 1000}
	root := accounts.User{Name: "root", UID: 0, GID: 0}
	tests := []struct {
		name string
		kf   keyFile
		u    accounts.User
		want bool
	}{
		{"own file", keyFile{uid: 1000, gid: 1000, mode: 0o600}, alice, true},
		{"root's private file through a link", keyFile{uid: 0, gid: 0, mode: 0o600}, alice, false},
		{"world-readable", keyFile{uid: 0, gid: 0, mode: 0o644}, alice, true},
		{"group-readable, user's group", keyFile{uid: 0, gid: 1000, mode: 0o640}, alice, true},
		{"group-readable, other group", keyFile{uid: 0, gid: 4, mode: 0o640}, alice, false},
		{"own file without read bit", keyFile{uid: 1000, gid: 1000, mode: 0o200}, alice, false},
		{"root reads anything", keyFile{uid: 1000, gid: 1000, mode: 0o600}, root, true},
	}
	for _, tt := range tests {
		if got := tt.kf.readableBy(tt.u); got != tt.want {
			t.Errorf("%s: readableBy = %v, want %v", tt.name, got, tt.want)
		}
	}
}
