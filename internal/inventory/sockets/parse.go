package sockets

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Proto is a socket table: the name of its /proc/net file.
type Proto string

// The socket tables read by Collect.
const (
	TCP  Proto = "tcp"
	TCP6 Proto = "tcp6"
	UDP  Proto = "udp"
	UDP6 Proto = "udp6"
)

// IPv6 reports whether the table holds IPv6 sockets.
func (p Proto) IPv6() bool { return p == TCP6 || p == UDP6 }

// IsTCP reports whether the table holds TCP sockets.
func (p Proto) IsTCP() bool { return p == TCP || p == TCP6 }

// Kernel socket states (include/net/tcp_states.h); UDP uses the same numbers.
const (
	StateEstablished uint8 = 0x01
	StateClose       uint8 = 0x07 // an unconnected UDP socket
	StateListen      uint8 = 0x0A
)

var stateNames = [...]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
	6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
	11: "CLOSING", 12: "NEW_SYN_RECV",
}

// StateName names a kernel socket state, or gives it in hex when unknown.
func StateName(s uint8) string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return fmt.Sprintf("0x%02X", s)
}

// Socket is one row of a /proc/net/{tcp,tcp6,udp,udp6} table.
type Socket struct {
	Proto      Proto      `json:"proto"`
	LocalAddr  netip.Addr `json:"local_address"`
	LocalPort  uint16     `json:"local_port"`
	RemoteAddr netip.Addr `json:"remote_address"`
	RemotePort uint16     `json:"remote_port"`
	State      uint8      `json:"state"`
	TxQueue    uint64     `json:"tx_queue"`
	RxQueue    uint64     `json:"rx_queue"`
	UID        uint32     `json:"uid"`
	Inode      uint64     `json:"inode"`
}

// Listening reports whether the socket accepts connections or datagrams: a TCP
// socket in LISTEN, or a UDP socket bound to a port and connected to no peer.
func (s Socket) Listening() bool {
	if s.Proto.IsTCP() {
		return s.State == StateListen
	}
	return s.State == StateClose && s.LocalPort != 0 && s.RemotePort == 0
}

// maxLine bounds one table line; a longer one ends the parse with an error.
const maxLine = 4096

// ParseNetTCP parses a socket table of /proc/net: tcp, tcp6, udp or udp6 (they
// share one format), in every state. proto says which table it is; addresses of
// the wrong length for it are skipped. Addresses are printed by the kernel as
// 32-bit words in host byte order; they are decoded as little-endian, the order
// of every host vigil targets. The error is non-nil only for a read failure or
// an over-long line.
func ParseNetTCP(r io.Reader, proto Proto) ([]Socket, skipped.List, error) {
	file := "/proc/net/" + string(proto)
	var (
		out  []Socket
		skip skipped.List
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var buf [10]string
	for n := 1; sc.Scan(); n++ {
		f := fields(sc.Text(), &buf)
		if len(f) == 0 || (n == 1 && f[0] == "sl") {
			continue
		}
		s, err := parseLine(f, proto)
		if err != nil {
			skip.Add(file, n, "%v", err)
			continue
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return out, skip, fmt.Errorf("read %s: %w", file, err)
	}
	return out, skip, nil
}

// fields splits line on blanks into buf, keeping at most len(buf) fields (the
// columns after the inode are not used), without allocating.
func fields(line string, buf *[10]string) []string {
	n, i := 0, 0
	for n < len(buf) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		buf[n] = line[start:i]
		n++
	}
	return buf[:n]
}

func parseLine(f []string, proto Proto) (Socket, error) {
	if len(f) < 10 || !strings.HasSuffix(f[0], ":") {
		return Socket{}, errors.New("not a socket line")
	}
	s := Socket{Proto: proto}
	var err error
	if s.LocalAddr, s.LocalPort, err = hexEndpoint(f[1], proto.IPv6()); err != nil {
		return Socket{}, fmt.Errorf("local address: %w", err)
	}
	if s.RemoteAddr, s.RemotePort, err = hexEndpoint(f[2], proto.IPv6()); err != nil {
		return Socket{}, fmt.Errorf("remote address: %w", err)
	}
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return Socket{}, fmt.Errorf("bad state %q", f[3])
	}
	s.State = uint8(st)
	tx, rx, ok := strings.Cut(f[4], ":")
	s.TxQueue, err = strconv.ParseUint(tx, 16, 64)
	if err == nil && ok {
		s.RxQueue, err = strconv.ParseUint(rx, 16, 64)
	}
	if err != nil || !ok {
		return Socket{}, fmt.Errorf("bad queues %q", f[4])
	}
	uid, err := strconv.ParseUint(f[7], 10, 32)
	if err != nil {
		return Socket{}, fmt.Errorf("bad uid %q", f[7])
	}
	s.UID = uint32(uid)
	if s.Inode, err = strconv.ParseUint(f[9], 10, 64); err != nil {
		return Socket{}, fmt.Errorf("bad inode %q", f[9])
	}
	return s, nil
}

// hexEndpoint decodes "0100007F:0050" (IPv4) or 32 hex digits and a port (IPv6).
func hexEndpoint(s string, v6 bool) (netip.Addr, uint16, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok || len(p) != 4 {
		return netip.Addr{}, 0, fmt.Errorf("bad endpoint %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("bad port %q", p)
	}
	want := 8
	if v6 {
		want = 32
	}
	if len(a) != want {
		return netip.Addr{}, 0, fmt.Errorf("address %q: want %d hex digits", a, want)
	}
	raw := make([]byte, want/2)
	if _, err := hex.Decode(raw, []byte(a)); err != nil {
		return netip.Addr{}, 0, fmt.Errorf("bad address %q", a)
	}
	// Each 32-bit word is in host (little-endian) order: reverse its bytes.
	for i := 0; i < len(raw); i += 4 {
		binary.BigEndian.PutUint32(raw[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return addr, uint16(port), nil
}
