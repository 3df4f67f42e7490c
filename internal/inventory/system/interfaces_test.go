package system

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func TestInterfacesFixture(t *testing.T) {
	got, skip, err := Interfaces(context.Background(), mustRoot(t, "testdata/rootfs/web1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) > 0 {
		t.Errorf("skipped: %v", skip)
	}
	want := []Interface{
		{Name: "eth0", MAC: "52:54:00:12:34:56", MTU: 1500, State: "up",
			Addresses: []string{"10.0.0.5/24", "10.0.0.6/24", "2001:db8::5/64", "fe80::5054:ff:fe12:3456/64"}},
		{Name: "eth1", MAC: "52:54:00:ab:cd:ef", MTU: 9000, State: "up",
			Addresses: []string{"172.16.5.1/16", "fe80::5054:ff:feab:cdef/64"}},
		{Name: "eth2", MAC: "52:54:00:00:00:02", MTU: 1500, State: "down"},
		{Name: "lo", MAC: "00:00:00:00:00:00", MTU: 65536, State: "unknown", Loopback: true,
			Addresses: []string{"127.0.0.1/8", "::1/128"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// ipAddrs runs `ip -o addr` and returns interface -> sorted CIDRs.
func ipAddrs(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "addr").Output()
	if err != nil {
		t.Skipf("ip -o addr: %v", err)
	}
	m := make(map[string][]string)
	for line := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || (f[2] != "inet" && f[2] != "inet6") {
			continue
		}
		name, _, _ := strings.Cut(f[1], "@")
		m[name] = append(m[name], f[3])
	}
	for _, v := range m {
		slices.Sort(v)
	}
	return m
}

func sortedAddrs(ifs []Interface) map[string][]string {
	m := make(map[string][]string)
	for _, i := range ifs {
		if len(i.Addresses) > 0 {
			m[i.Name] = slices.Sorted(slices.Values(i.Addresses))
		}
	}
	return m
}

// TestInterfacesLive compares both address sources, netlink and the /proc/net
// reconstruction, with `ip -o addr`.
func TestInterfacesLive(t *testing.T) {
	if _, err := os.Stat("/proc/net/fib_trie"); err != nil {
		t.Skip("no /proc/net/fib_trie")
	}
	want := ipAddrs(t)
	got, skip, err := Interfaces(context.Background(), hostfs.Live())
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) > 0 {
		t.Errorf("skipped: %v", skip)
	}
	if g := sortedAddrs(got); !reflect.DeepEqual(g, want) {
		t.Errorf("netlink addresses %v, ip -o addr %v", g, want)
	}
	c := collector{root: hostfs.Live()}
	proc := c.procAddrs(got)
	fromProc := make([]Interface, 0, len(got))
	for _, i := range got {
		fromProc = append(fromProc, Interface{Name: i.Name, Addresses: cidrs(proc[i.Name])})
	}
	if g := sortedAddrs(fromProc); !reflect.DeepEqual(g, want) {
		t.Errorf("/proc/net addresses %v, ip -o addr %v (skipped %v)", g, want, c.skip)
	}
}

func TestParseFibTrie(t *testing.T) {
	in := "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 10.1.2.3\n        /32 host LOCAL\n" +
		"        /24 link UNICAST tos 16\n     |-- bogus\n        /8 host LOCAL\n" +
		"        /99 host LOCAL\n  ???\n        /8 host\nId 100:\n     |-- 0.0.0.0\n        /0 universe UNICAST\n"
	got, skip, err := ParseFibTrie(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Main 10.1.2.3/32 host LOCAL", "Main 10.1.2.3/24 link UNICAST", "Id 100 0.0.0.0/0 universe UNICAST"}
	var gs []string
	for _, e := range got {
		gs = append(gs, e.Table+" "+e.Prefix.String()+" "+e.Scope+" "+e.Type)
	}
	if !reflect.DeepEqual(gs, want) {
		t.Errorf("entries %q, want %q", gs, want)
	}
	var lines []int
	for _, s := range skip {
		lines = append(lines, s.Line)
	}
	// bogus leaf, its orphan route, bad length, garbage, short route.
	if wantLines := []int{6, 7, 8, 9, 10}; !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("skipped lines %v (%v), want %v", lines, skip, wantLines)
	}
}

func TestParseRoute(t *testing.T) {
	tests := []struct {
		name, line, want string
		ok               bool
	}{
		{"default", "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0", "eth0 0.0.0.0/0 10.0.0.1 3", true},
		{"subnet", "eth1\t000010AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0", "eth1 172.16.0.0/16 0.0.0.0 1", true},
		{"host bits masked", "eth1\t050010AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0", "eth1 172.16.0.0/16 0.0.0.0 1", true},
		{"non-contiguous mask", "eth1\t000010AC\t00000000\t0001\t0\t0\t0\t00FF00FF\t0\t0\t0", "", false},
		{"bad hex", "eth1\tZZ0010AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0", "", false},
		{"short", "eth1\t000010AC", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skip, err := ParseRoute(strings.NewReader("Iface\tDestination\tGateway\tFlags\n" + tt.line + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.ok {
				if len(got) != 0 || len(skip) != 1 {
					t.Errorf("got %v skipped %v, want one skipped line", got, skip)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %v (skipped %v)", got, skip)
			}
			r := got[0]
			if s := fmt.Sprintf("%s %s %s %d", r.Iface, r.Destination, r.Gateway, r.Flags); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

func TestParseIfInet6(t *testing.T) {
	in := "fe80000000000000505400fffe123456 02 40 20 80     eth0\n" +
		"00000000000000000000000000000001 01 80 10 80       lo\n" +
		"xx000000000000000000000000000001 01 80 10 80       lo\n" +
		"00000000000000000000000000000001 01 81 10 80       lo\n" +
		"0000000000000000000000000000001 01 80 10 80\n"
	got, skip, err := ParseIfInet6(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Prefix.String() != "fe80::5054:ff:fe12:3456/64" || got[0].Iface != "eth0" ||
		got[0].Scope != 0x20 || got[1].Prefix.String() != "::1/128" {
		t.Errorf("got %+v", got)
	}
	if len(skip) != 3 {
		t.Errorf("skipped %v, want 3", skip)
	}
}

func TestLocalIPv4Unplaced(t *testing.T) {
	fib, _, _ := ParseFibTrie(strings.NewReader("Local:\n  |-- 203.0.113.9\n     /32 host LOCAL\n"))
	got := LocalIPv4(fib, nil, "lo")
	if len(got[""]) != 1 || got[""][0].String() != "203.0.113.9/32" {
		t.Errorf("got %v, want 203.0.113.9/32 unplaced", got)
	}
}

// seedFiles adds the files matching pattern, in this package's testdata and in
// the shared fixture trees at the module root, to the fuzz corpus.
func seedFiles(f *testing.F, pattern string) {
	paths, _ := filepath.Glob(pattern)
	shared, _ := filepath.Glob(filepath.Join("..", "..", "..", pattern))
	for _, p := range append(paths, shared...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func FuzzFibTrie(f *testing.F) {
	seedFiles(f, "testdata/rootfs/*/proc/net/fib_trie")
	f.Fuzz(func(t *testing.T, b []byte) {
		fib, _, _ := ParseFibTrie(strings.NewReader(string(b)))
		for _, e := range fib {
			if !e.Prefix.IsValid() || !e.Prefix.Addr().Is4() {
				t.Fatalf("bad prefix %v", e.Prefix)
			}
		}
		LocalIPv4(fib, nil, "lo")
	})
}

func FuzzRoute(f *testing.F) {
	seedFiles(f, "testdata/rootfs/*/proc/net/route")
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, _, _ := ParseRoute(strings.NewReader(string(b)))
		for _, r := range rs {
			if r.Destination != r.Destination.Masked() {
				t.Fatalf("unmasked destination %v", r.Destination)
			}
		}
	})
}

func FuzzIfInet6(f *testing.F) {
	seedFiles(f, "testdata/rootfs/*/proc/net/if_inet6")
	f.Fuzz(func(t *testing.T, b []byte) {
		as, _, _ := ParseIfInet6(strings.NewReader(string(b)))
		for _, a := range as {
			if !a.Prefix.IsValid() {
				t.Fatalf("invalid prefix from %q", b)
			}
		}
	})
}

func BenchmarkInterfacesLive(b *testing.B) {
	for b.Loop() {
		if _, _, err := Interfaces(context.Background(), hostfs.Live()); err != nil {
			b.Fatal(err)
		}
	}
}
