package sockets

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

// TestDebianTree checks the listeners of the shared debian12 fixture against its
// README: sshd and nginx on both families, chronyd on loopback, an orphan
// PostgreSQL socket and an unowned DHCP client socket.
func TestDebianTree(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "testdata", "rootfs", "debian12")
	if _, err := os.Stat(dir); err != nil {
		t.Skip(err)
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, skip, err := Collect(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) > 0 {
		t.Errorf("skipped: %v", skip)
	}
	got := make(map[string]int)
	for _, l := range res.Listeners {
		got[string(l.Proto)+" "+l.Address+" "+itoa(int(l.Port))] = l.PID
	}
	want := map[string]int{
		"tcp 0.0.0.0 22": 612, "tcp6 :: 22": 612,
		"tcp 0.0.0.0 80": 803, "tcp6 :: 80": 803,
		"tcp 127.0.0.1 5432": 0,
		"udp 127.0.0.1 323":  655, "udp6 ::1 323": 655,
		"udp 10.0.2.15 68": 0,
	}
	if len(got) != len(want) {
		t.Errorf("listeners %v, want %v", got, want)
	}
	for k, pid := range want {
		if g, ok := got[k]; !ok || g != pid {
			t.Errorf("%s: pid %d (listed %v), want %d", k, g, ok, pid)
		}
	}
	// The established connection to 203.0.113.7:4444 is in the full table.
	socks, _, err := ReadTable(root, TCP)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range socks {
		if s.RemoteAddr.String() == "203.0.113.7" && s.RemotePort == 4444 && s.State == StateEstablished {
			found = true
		}
	}
	if !found {
		t.Errorf("connection to 203.0.113.7:4444 not found in %+v", socks)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
