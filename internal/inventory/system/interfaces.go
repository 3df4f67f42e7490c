package system

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Interface is one network interface.
type Interface struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	MTU       int      `json:"mtu,omitempty"`
	State     string   `json:"state,omitempty"` // operstate: up, down, unknown, ...
	Loopback  bool     `json:"loopback,omitempty"`
	Addresses []string `json:"addresses,omitempty"` // CIDR, IPv4 then IPv6
}

// arphrdLoopback is the /sys/class/net/*/type of a loopback device.
const arphrdLoopback = 772

// iffLoopback is the IFF_LOOPBACK bit of /sys/class/net/*/flags.
const iffLoopback = 0x8

// Interfaces lists the network interfaces from /sys/class/net and their
// addresses. On the live host the addresses come from the kernel over netlink
// (the standard library's net.Interfaces); on a fixture root, or if netlink
// fails, from /proc/net/fib_trie, /proc/net/route and /proc/net/if_inet6 (see
// LocalIPv4 for the limits of that reconstruction). The error is non-nil when
// /sys/class/net cannot be listed or ctx is done.
func Interfaces(ctx context.Context, root hostfs.Root) ([]Interface, skipped.List, error) {
	c := collector{root: root}
	ents, err := root.ReadDir("/sys/class/net")
	if err != nil {
		return nil, nil, fmt.Errorf("list interfaces: %w", err)
	}
	var out []Interface
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return out, c.skip, err
		}
		out = append(out, c.iface(e.Name()))
	}
	var addrs map[string][]netip.Prefix
	if root.IsLive() {
		addrs, err = netlinkAddrs()
		if err != nil {
			c.skip.Add("netlink", 0, "interface addresses: %v", err)
		}
	}
	if addrs == nil {
		addrs = c.procAddrs(out)
	}
	for i := range out {
		out[i].Addresses = cidrs(addrs[out[i].Name])
	}
	if lost := addrs[""]; len(lost) > 0 {
		c.skip.Add("/proc/net/fib_trie", 0, "no interface found for %s", strings.Join(cidrs(lost), ", "))
	}
	return out, c.skip, ctx.Err()
}

func (c *collector) iface(name string) Interface {
	dir := "/sys/class/net/" + name + "/"
	ifc := Interface{
		Name:  name,
		MAC:   c.first(dir + "address"),
		State: c.first(dir + "operstate"),
	}
	if v, err := strconv.Atoi(c.first(dir + "mtu")); err == nil {
		ifc.MTU = v
	}
	ifc.Loopback = c.loopback(dir, name)
	return ifc
}

// loopback tells a loopback device by its type, else its flags, else (a tree
// with neither file) by the conventional name "lo".
func (c *collector) loopback(dir, name string) bool {
	if t, err := strconv.Atoi(c.first(dir + "type")); err == nil {
		return t == arphrdLoopback
	}
	if f, err := strconv.ParseUint(strings.TrimPrefix(c.first(dir+"flags"), "0x"), 16, 32); err == nil {
		return f&iffLoopback != 0
	}
	return name == "lo"
}

// procAddrs reconstructs addresses from /proc/net files.
func (c *collector) procAddrs(ifs []Interface) map[string][]netip.Prefix {
	loopback := ""
	for _, i := range ifs {
		if i.Loopback {
			loopback = i.Name
			break
		}
	}
	var (
		fib    []FibEntry
		routes []Route
		v6     []IfInet6
	)
	if b, ok := c.read("/proc/net/fib_trie", 16<<20); ok {
		v, skip, err := ParseFibTrie(bytes.NewReader(b))
		fib = keep(c, "/proc/net/fib_trie", v, skip, err)
	}
	if b, ok := c.read("/proc/net/route", 16<<20); ok {
		v, skip, err := ParseRoute(bytes.NewReader(b))
		routes = keep(c, "/proc/net/route", v, skip, err)
	}
	out := LocalIPv4(fib, routes, loopback)
	for _, p := range out {
		slices.SortFunc(p, comparePrefix)
	}
	if b, ok := c.read("/proc/net/if_inet6", 16<<20); ok {
		v, skip, err := ParseIfInet6(bytes.NewReader(b))
		v6 = keep(c, "/proc/net/if_inet6", v, skip, err)
	}
	for _, a := range v6 {
		out[a.Iface] = append(out[a.Iface], a.Prefix)
	}
	return out
}

// keep records a parser's skipped lines and error and returns its result.
func keep[T any](c *collector, file string, v []T, skip skipped.List, err error) []T {
	c.skip = append(c.skip, skip...)
	if err != nil {
		c.skip.Add(file, 0, "%v", err)
	}
	return v
}

func netlinkAddrs() (map[string][]netip.Prefix, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]netip.Prefix)
	var errs []error
	for _, ifc := range ifs {
		as, err := ifc.Addrs()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ifc.Name, err))
			continue
		}
		for _, a := range as {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			ones, _ := ipn.Mask.Size()
			out[ifc.Name] = append(out[ifc.Name], netip.PrefixFrom(ip.Unmap(), ones))
		}
	}
	return out, errors.Join(errs...)
}

func comparePrefix(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) }

func cidrs(ps []netip.Prefix) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
