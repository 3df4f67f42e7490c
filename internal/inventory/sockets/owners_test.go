package sockets

import (
	"context"
	"reflect"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestFindOwners(t *testing.T) {
	root, err := hostfs.New("testdata/rootfs/srv1")
	if err != nil {
		t.Fatal(err)
	}
	nginx := Owner{PID: 1200, PIDs: []int{1200, 1201}, Name: "nginx", Exe: "/usr/sbin/nginx"}
	tests := []struct {
		name string
		want map[uint64]bool
		got  map[uint64]Owner
	}{
		{"none wanted", nil, map[uint64]Owner{}},
		{"shared socket", map[uint64]bool{21002: true}, map[uint64]Owner{21002: nginx}},
		{"one holder, deleted exe", map[uint64]bool{21001: true, 21010: true}, map[uint64]Owner{
			21001: {PID: 812, Name: "sshd", Exe: "/usr/sbin/sshd (deleted)"},
			21010: {PID: 812, Name: "sshd", Exe: "/usr/sbin/sshd (deleted)"},
		}},
		{"no holder", map[uint64]bool{21004: true, 424242: true}, map[uint64]Owner{}},
		{"not wanted is not looked up", map[uint64]bool{21012: true}, map[uint64]Owner{21012: nginx}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, skip, err := FindOwners(context.Background(), root, tt.want, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(skip) != 0 {
				t.Errorf("skipped %v", skip)
			}
			if !reflect.DeepEqual(res.ByInode, tt.got) {
				t.Errorf("got %+v, want %+v", res.ByInode, tt.got)
			}
		})
	}
}

func TestFindOwnersCanceled(t *testing.T) {
	root, err := hostfs.New("testdata/rootfs/srv1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := FindOwners(ctx, root, map[uint64]bool{21002: true}, Options{}); err == nil {
		t.Error("canceled context: no error")
	}
}
