package audit

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// Sockaddr is a decoded SOCKADDR record (saddr=, a struct sockaddr in hex).
type Sockaddr struct {
	// Family is "ipv4", "ipv6", "unix", "netlink" or the number.
	Family string
	Addr   netip.Addr // ipv4 and ipv6
	Port   int        // ipv4 and ipv6
	Path   string     // unix; a leading "@" marks the abstract namespace
}

// ParseSockaddr decodes the hex saddr= value of a SOCKADDR record. The
// family is host-endian (little-endian on the architectures vigil runs on);
// port and addresses are network order. It returns false for input too
// short for its family.
func ParseSockaddr(s string) (Sockaddr, bool) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) < 2 {
		return Sockaddr{}, false
	}
	fam := binary.LittleEndian.Uint16(b)
	switch fam {
	case 2: // AF_INET
		if len(b) < 8 {
			return Sockaddr{}, false
		}
		return Sockaddr{Family: "ipv4", Port: int(binary.BigEndian.Uint16(b[2:])),
			Addr: netip.AddrFrom4([4]byte(b[4:8]))}, true
	case 10: // AF_INET6
		if len(b) < 24 {
			return Sockaddr{}, false
		}
		return Sockaddr{Family: "ipv6", Port: int(binary.BigEndian.Uint16(b[2:])),
			Addr: netip.AddrFrom16([16]byte(b[8:24])).Unmap()}, true
	case 1: // AF_UNIX
		p := b[2:]
		if len(p) > 0 && p[0] == 0 {
			return Sockaddr{Family: "unix", Path: "@" + strings.TrimRight(string(p[1:]), "\x00")}, true
		}
		if i := strings.IndexByte(string(p), 0); i >= 0 {
			p = p[:i]
		}
		return Sockaddr{Family: "unix", Path: string(p)}, true
	case 16:
		return Sockaddr{Family: "netlink"}, true
	}
	return Sockaddr{Family: strconv.Itoa(int(fam))}, true
}
