package sockets

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestParseNetTCP(t *testing.T) {
	const tail = " 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0"
	tests := []struct {
		name  string
		proto Proto
		line  string
		want  Socket
		ok    bool
	}{
		{"ipv4 listen", TCP, "0: 0100007F:1F90 00000000:0000 0A" + tail,
			Socket{Proto: TCP, LocalAddr: netip.MustParseAddr("127.0.0.1"), LocalPort: 8080, RemoteAddr: netip.MustParseAddr("0.0.0.0"), State: StateListen, UID: 1000, Inode: 4242}, true},
		{"ipv4 established", TCP, "1: 0500000A:0016 0200000A:D431 01 0000000A:00000024 02:0009A3E6 00000000     0        0 99 4 0",
			Socket{Proto: TCP, LocalAddr: netip.MustParseAddr("10.0.0.5"), LocalPort: 22, RemoteAddr: netip.MustParseAddr("10.0.0.2"), RemotePort: 54321, State: StateEstablished, TxQueue: 10, RxQueue: 36, Inode: 99}, true},
		{"ipv6 any", TCP6, "0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A" + tail,
			Socket{Proto: TCP6, LocalAddr: netip.IPv6Unspecified(), LocalPort: 22, RemoteAddr: netip.IPv6Unspecified(), State: StateListen, UID: 1000, Inode: 4242}, true},
		{"ipv6 words little-endian", TCP6, "0: B80D0120000000000000000005000000:01BB 00000000000000000000000001000000:0000 0A" + tail,
			Socket{Proto: TCP6, LocalAddr: netip.MustParseAddr("2001:db8::5"), LocalPort: 443, RemoteAddr: netip.MustParseAddr("::1"), State: StateListen, UID: 1000, Inode: 4242}, true},
		{"ipv4-mapped", TCP6, "0: 0000000000000000FFFF00000100007F:0CEA 00000000000000000000000000000000:0000 0A" + tail,
			Socket{Proto: TCP6, LocalAddr: netip.MustParseAddr("::ffff:127.0.0.1"), LocalPort: 3306, RemoteAddr: netip.IPv6Unspecified(), State: StateListen, UID: 1000, Inode: 4242}, true},
		{"udp", UDP, "7: 3500007F:0035 00000000:0000 07" + tail,
			Socket{Proto: UDP, LocalAddr: netip.MustParseAddr("127.0.0.53"), LocalPort: 53, RemoteAddr: netip.MustParseAddr("0.0.0.0"), State: StateClose, UID: 1000, Inode: 4242}, true},
		{"v4 address in v6 table", TCP6, "0: 0100007F:1F90 00000000:0000 0A" + tail, Socket{}, false},
		{"v6 address in v4 table", TCP, "0: 00000000000000000000000000000000:0016 00000000:0000 0A" + tail, Socket{}, false},
		{"bad hex", TCP, "0: 0100007G:1F90 00000000:0000 0A" + tail, Socket{}, false},
		{"bad port", TCP, "0: 0100007F:1F9 00000000:0000 0A" + tail, Socket{}, false},
		{"bad state", TCP, "0: 0100007F:1F90 00000000:0000 XYZ" + tail, Socket{}, false},
		{"bad uid", TCP, "0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  -1 0 4242", Socket{}, false},
		{"short", TCP, "0: 0100007F:1F90 00000000:0000 0A", Socket{}, false},
		{"no sl", TCP, "0100007F:1F90 00000000:0000 0A" + tail, Socket{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" + tt.line + "\n"
			got, skip, err := ParseNetTCP(strings.NewReader(in), tt.proto)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok {
				if len(got) != 0 || len(skip) != 1 || skip[0].Line != 2 {
					t.Errorf("got %+v skipped %v; want line 2 skipped", got, skip)
				}
				return
			}
			if len(skip) != 0 || len(got) != 1 {
				t.Fatalf("got %+v skipped %v", got, skip)
			}
			if got[0] != tt.want {
				t.Errorf("got  %+v\nwant %+v", got[0], tt.want)
			}
		})
	}
}

func TestListening(t *testing.T) {
	any4 := netip.MustParseAddr("0.0.0.0")
	tests := []struct {
		name string
		s    Socket
		want bool
	}{
		{"tcp listen", Socket{Proto: TCP, State: StateListen, LocalPort: 22}, true},
		{"tcp established", Socket{Proto: TCP6, State: StateEstablished, LocalPort: 22}, false},
		{"udp bound", Socket{Proto: UDP, State: StateClose, LocalPort: 53, RemoteAddr: any4}, true},
		{"udp connected", Socket{Proto: UDP, State: StateEstablished, LocalPort: 5353, RemotePort: 53}, false},
		{"udp unbound", Socket{Proto: UDP6, State: StateClose}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Listening(); got != tt.want {
				t.Errorf("Listening() = %v, want %v", got, tt.want)
			}
		})
	}
	if StateName(StateListen) != "LISTEN" || StateName(0x42) != "0x42" || StateName(0) != "0x00" {
		t.Error("StateName")
	}
}

func TestCollectFixture(t *testing.T) {
	root, err := hostfs.New("testdata/rootfs/srv1")
	if err != nil {
		t.Fatal(err)
	}
	res, skip, err := Collect(context.Background(), root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) != 2 {
		t.Errorf("skipped %v, want the 2 bad udp6 lines", skip)
	}
	want := []Listener{
		{Proto: TCP, Address: "0.0.0.0", Port: 22, Inode: 21001, PID: 812, Process: "sshd", Exe: "/usr/sbin/sshd (deleted)"},
		{Proto: TCP, Address: "127.0.0.1", Port: 8080, Inode: 21002, UID: 33, PID: 1200, PIDs: []int{1200, 1201}, Process: "nginx", Exe: "/usr/sbin/nginx"},
		{Proto: TCP, Address: "127.0.0.1", Port: 6379, Inode: 21004, UID: 1000},
		{Proto: UDP, Address: "127.0.0.53", Port: 53, Inode: 21020, UID: 101, PID: 500, Process: "systemd-resolve", Exe: "/usr/lib/systemd/systemd-resolved"},
		{Proto: UDP, Address: "0.0.0.0", Port: 68, Inode: 21022, PID: 600, Process: "dhclient", Exe: "/usr/sbin/dhclient"},
		{Proto: TCP6, Address: "::", Port: 22, Inode: 21010, PID: 812, Process: "sshd", Exe: "/usr/sbin/sshd (deleted)"},
		{Proto: TCP6, Address: "::ffff:127.0.0.1", Port: 3306, Inode: 21011, UID: 106, PID: 900, Process: "mysqld", Exe: "/usr/sbin/mysqld"},
		{Proto: TCP6, Address: "2001:db8::5", Port: 443, Inode: 21012, PID: 1200, PIDs: []int{1200, 1201}, Process: "nginx", Exe: "/usr/sbin/nginx"},
		{Proto: UDP6, Address: "::", Port: 514, Inode: 21030, PID: 700, Process: "rsyslogd", Exe: "/usr/sbin/rsyslogd"},
	}
	if !reflect.DeepEqual(res.Listeners, want) {
		t.Errorf("got:\n%+v\nwant:\n%+v", res.Listeners, want)
	}
}

// TestCollectLive opens its own listeners and finds them, then compares the
// whole list with ss.
func TestCollectLive(t *testing.T) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer pc.Close()
	res, skip, err := Collect(context.Background(), hostfs.Live(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) > 0 {
		t.Errorf("skipped: %v", skip)
	}
	exe, _ := os.Executable()
	mine := map[string]bool{
		"tcp 127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port): false,
		"udp6 ::1:" + strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port): false,
	}
	for _, l := range res.Listeners {
		k := string(l.Proto) + " " + l.Address + ":" + strconv.Itoa(int(l.Port))
		if _, ok := mine[k]; ok {
			mine[k] = true
			if l.PID != os.Getpid() || l.Exe != exe {
				t.Errorf("%s: pid %d exe %q, want %d %q", k, l.PID, l.Exe, os.Getpid(), exe)
			}
		}
	}
	for k, found := range mine {
		if !found {
			t.Errorf("own listener %s not found in %+v", k, res.Listeners)
		}
	}
	compareSS(t, res)
}

// compareSS checks that ss and Collect see the same listening inodes and, when
// ss names a process (root only), the same PID.
func compareSS(t *testing.T, res Result) {
	t.Helper()
	out, err := exec.Command("ss", "-ltnupHe").Output()
	if err != nil {
		t.Logf("ss: %v", err)
		return
	}
	ino := regexp.MustCompile(`\bino:(\d+)`)
	pid := regexp.MustCompile(`\bpid=(\d+)`)
	ours := make(map[string]int)
	for _, l := range res.Listeners {
		ours[strconv.FormatUint(l.Inode, 10)] = l.PID
	}
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		m := ino.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n++
		got, ok := ours[m[1]]
		if !ok {
			t.Errorf("ss lists inode %s we do not: %s", m[1], line)
			continue
		}
		if os.Geteuid() == 0 {
			if p := pid.FindStringSubmatch(line); p != nil && strconv.Itoa(got) != p[1] && !hasPID(res, m[1], p[1]) {
				t.Errorf("inode %s: ss says pid %s, we %d", m[1], p[1], got)
			}
		}
	}
	if n != len(res.Listeners) {
		t.Errorf("ss lists %d listeners, we %d", n, len(res.Listeners))
	}
}

func hasPID(res Result, inode, pid string) bool {
	for _, l := range res.Listeners {
		if strconv.FormatUint(l.Inode, 10) != inode {
			continue
		}
		for _, p := range l.PIDs {
			if strconv.Itoa(p) == pid {
				return true
			}
		}
	}
	return false
}

func FuzzNetTCP(f *testing.F) {
	paths, _ := filepath.Glob("testdata/rootfs/*/proc/net/*")
	shared, _ := filepath.Glob("../../../testdata/rootfs/*/proc/net/*")
	paths = append(paths, shared...)
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, filepath.Base(p) == "tcp6" || filepath.Base(p) == "udp6")
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		proto := TCP
		if v6 {
			proto = TCP6
		}
		socks, _, _ := ParseNetTCP(strings.NewReader(string(b)), proto)
		for _, s := range socks {
			if s.LocalAddr.Is6() != v6 || s.RemoteAddr.Is6() != v6 {
				t.Fatalf("address family mismatch: %+v", s)
			}
		}
	})
}

func BenchmarkCollectLive(b *testing.B) {
	for b.Loop() {
		if _, _, err := Collect(context.Background(), hostfs.Live(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseNetTCP(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n")
	for i := range 10000 {
		sb.WriteString("   " + strconv.Itoa(i) + ": 0500000A:0016 0200000A:D431 01 00000000:00000000 02:0009A3E6 00000000     0        0 21003 4 0000000000000000 20 4 29 10 -1\n")
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := ParseNetTCP(strings.NewReader(data), TCP); err != nil {
			b.Fatal(err)
		}
	}
}
