package system

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// maxLine bounds one line of a /proc/net file; longer lines end the parse.
const maxLine = 64 << 10

// FibEntry is one route of /proc/net/fib_trie.
type FibEntry struct {
	Table  string       // "Main", "Local", "Id 100"
	Prefix netip.Prefix // 192.0.2.0/24
	Scope  string       // "host", "link", "universe", ...
	Type   string       // "LOCAL", "UNICAST", "BROADCAST", ...
}

// ParseFibTrie parses /proc/net/fib_trie: table headers ("Main:"), leaves
// ("|-- 192.0.2.2") and their routes ("/32 host LOCAL"). Trie nodes ("+--") are
// ignored. The error is non-nil only for a read failure or an over-long line.
func ParseFibTrie(r io.Reader) ([]FibEntry, skipped.List, error) {
	const file = "/proc/net/fib_trie"
	var (
		out   []FibEntry
		skip  skipped.List
		table string
		leaf  netip.Addr
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		t := strings.TrimSpace(line)
		switch {
		case t == "":
		case line[0] != ' ' && strings.HasSuffix(t, ":"):
			table, leaf = strings.TrimSuffix(t, ":"), netip.Addr{}
		case strings.HasPrefix(t, "+--"):
			leaf = netip.Addr{}
		case strings.HasPrefix(t, "|--"):
			a, err := netip.ParseAddr(strings.TrimSpace(t[3:]))
			if err != nil || !a.Is4() {
				skip.Add(file, n, "bad leaf address %q", t[3:])
				leaf = netip.Addr{}
				continue
			}
			leaf = a
		case strings.HasPrefix(t, "/"):
			e, err := fibRoute(table, leaf, t)
			if err != nil {
				skip.Add(file, n, "%v", err)
				continue
			}
			out = append(out, e)
		default:
			skip.Add(file, n, "unrecognised line")
		}
	}
	if err := sc.Err(); err != nil {
		return out, skip, fmt.Errorf("read %s: %w", file, err)
	}
	return out, skip, nil
}

// fibRoute parses "/24 link UNICAST" (optionally followed by "tos N") for leaf.
func fibRoute(table string, leaf netip.Addr, t string) (FibEntry, error) {
	if !leaf.IsValid() {
		return FibEntry{}, fmt.Errorf("route without a leaf address")
	}
	f := strings.Fields(t[1:])
	if len(f) < 3 {
		return FibEntry{}, fmt.Errorf("short route line")
	}
	bits, err := strconv.Atoi(f[0])
	if err != nil || bits < 0 || bits > 32 {
		return FibEntry{}, fmt.Errorf("bad prefix length %q", f[0])
	}
	return FibEntry{Table: table, Prefix: netip.PrefixFrom(leaf, bits), Scope: f[1], Type: f[2]}, nil
}

// Route is one IPv4 route of /proc/net/route.
type Route struct {
	Iface       string
	Destination netip.Prefix
	Gateway     netip.Addr
	Flags       uint32
}

// rtfGateway is the RTF_GATEWAY route flag.
const rtfGateway = 0x2

// ParseRoute parses /proc/net/route. Addresses are hexadecimal 32-bit numbers in
// the kernel's byte order, which is little-endian on every architecture vigil
// fixtures come from.
func ParseRoute(r io.Reader) ([]Route, skipped.List, error) {
	const file = "/proc/net/route"
	var (
		out  []Route
		skip skipped.List
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || (n == 1 && f[0] == "Iface") {
			continue
		}
		rt, err := routeLine(f)
		if err != nil {
			skip.Add(file, n, "%v", err)
			continue
		}
		out = append(out, rt)
	}
	if err := sc.Err(); err != nil {
		return out, skip, fmt.Errorf("read %s: %w", file, err)
	}
	return out, skip, nil
}

func routeLine(f []string) (Route, error) {
	if len(f) < 8 {
		return Route{}, fmt.Errorf("short route line")
	}
	dst, err1 := hexIPv4(f[1])
	gw, err2 := hexIPv4(f[2])
	mask, err3 := hexIPv4(f[7])
	flags, err4 := strconv.ParseUint(f[3], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return Route{}, fmt.Errorf("bad route field")
	}
	bits, ok := maskBits(mask)
	if !ok {
		return Route{}, fmt.Errorf("non-contiguous mask %s", mask)
	}
	return Route{
		Iface:       f[0],
		Destination: netip.PrefixFrom(dst, bits).Masked(),
		Gateway:     gw,
		Flags:       uint32(flags),
	}, nil
}

// hexIPv4 decodes a little-endian hexadecimal IPv4 address ("0100007F").
func hexIPv4(s string) (netip.Addr, error) {
	if len(s) != 8 {
		return netip.Addr{}, fmt.Errorf("bad address %q", s)
	}
	var b [4]byte
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return netip.Addr{}, fmt.Errorf("bad address %q", s)
	}
	v := binary.LittleEndian.Uint32(b[:])
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b), nil
}

func maskBits(m netip.Addr) (int, bool) {
	b := m.As4()
	v := binary.BigEndian.Uint32(b[:])
	ones := 0
	for v&0x80000000 != 0 {
		ones++
		v <<= 1
	}
	return ones, v == 0
}

// IfInet6 is one address line of /proc/net/if_inet6.
type IfInet6 struct {
	Iface  string
	Prefix netip.Prefix // address with its prefix length
	Scope  uint8
}

// ParseIfInet6 parses /proc/net/if_inet6: address (32 hex digits in network
// order), interface index, prefix length, scope, flags (all hex), name.
func ParseIfInet6(r io.Reader) ([]IfInet6, skipped.List, error) {
	const file = "/proc/net/if_inet6"
	var (
		out  []IfInet6
		skip skipped.List
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var raw [16]byte
		plen, err1 := strconv.ParseUint(safeField(f, 2), 16, 8)
		scope, err2 := strconv.ParseUint(safeField(f, 3), 16, 8)
		if len(f) != 6 || len(f[0]) != 32 || err1 != nil || err2 != nil || plen > 128 {
			skip.Add(file, n, "malformed line")
			continue
		}
		if _, err := hex.Decode(raw[:], []byte(f[0])); err != nil {
			skip.Add(file, n, "bad address %q", f[0])
			continue
		}
		out = append(out, IfInet6{
			Iface:  f[5],
			Prefix: netip.PrefixFrom(netip.AddrFrom16(raw), int(plen)),
			Scope:  uint8(scope),
		})
	}
	if err := sc.Err(); err != nil {
		return out, skip, fmt.Errorf("read %s: %w", file, err)
	}
	return out, skip, nil
}

func safeField(f []string, i int) string {
	if i < len(f) {
		return f[i]
	}
	return ""
}

// LocalIPv4 derives each interface's IPv4 addresses, with prefix length, from
// the kernel's routes: every "/32 host LOCAL" route of the FIB is an address of
// the host; its prefix length is that of the longest link-scope unicast route (or
// local network route, as 127.0.0.0/8) containing it, and its interface is the one
// /proc/net/route gives for that prefix, or loopback for local network routes.
// Addresses that cannot be placed are returned under the key "".
//
// This is a reconstruction: two interfaces in one subnet, or an address whose
// prefix route was deleted, can be mapped wrongly. On the live host netlink gives
// the exact answer.
func LocalIPv4(fib []FibEntry, routes []Route, loopback string) map[string][]netip.Prefix {
	out := make(map[string][]netip.Prefix)
	seen := make(map[netip.Addr]bool)
	for _, e := range fib {
		if e.Type != "LOCAL" || e.Prefix.Bits() != 32 || seen[e.Prefix.Addr()] {
			continue
		}
		a := e.Prefix.Addr()
		seen[a] = true
		net, viaLocal := containingRoute(fib, a)
		iface := ""
		switch {
		case viaLocal:
			iface = loopback
		default:
			iface = routeIface(routes, net, a)
		}
		out[iface] = append(out[iface], netip.PrefixFrom(a, net.Bits()))
	}
	return out
}

// containingRoute returns the longest on-link prefix holding a (a/32 when none),
// and whether it is a local network route (loopback style).
func containingRoute(fib []FibEntry, a netip.Addr) (netip.Prefix, bool) {
	best, local := netip.PrefixFrom(a, 32), false
	found := false
	for _, e := range fib {
		if e.Prefix.Bits() >= 32 || !e.Prefix.Masked().Contains(a) {
			continue
		}
		isLocalNet := e.Type == "LOCAL" && e.Scope == "host"
		isLink := e.Type == "UNICAST" && e.Scope == "link"
		if !isLocalNet && !isLink {
			continue
		}
		if !found || e.Prefix.Bits() > best.Bits() {
			best, local, found = e.Prefix.Masked(), isLocalNet, true
		}
	}
	return best, local
}

// routeIface finds the interface of the direct route for net, else the longest
// direct route holding a.
func routeIface(routes []Route, net netip.Prefix, a netip.Addr) string {
	iface, bits := "", -1
	for _, r := range routes {
		if r.Flags&rtfGateway != 0 {
			continue
		}
		if r.Destination == net {
			return r.Iface
		}
		if r.Destination.Contains(a) && r.Destination.Bits() > bits {
			iface, bits = r.Iface, r.Destination.Bits()
		}
	}
	return iface
}
