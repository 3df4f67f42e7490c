package network

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/inventory/sockets"
)

// ipString gives an address as ECS wants it: IPv4-mapped IPv6 addresses as
// IPv4, no zone.
func ipString(a netip.Addr) string {
	return a.Unmap().WithZone("").String()
}

func netType(a netip.Addr) string {
	if a.Unmap().Is4() {
		return "ipv4"
	}
	return "ipv6"
}

// processUser fills process.* and user.* of ev from the socket's owner and uid.
func processUser(ev *event.Event, o sockets.Owner, uid uint32, users map[string]string) {
	if o.PID != 0 {
		ev.Process = &event.Process{PID: new(int64(o.PID)), Name: o.Name, Executable: o.Exe}
	}
	id := strconv.FormatUint(uint64(uid), 10)
	ev.User = &event.User{ID: id, Name: users[id]}
	if ev.User.Name != "" {
		ev.Related.User = []string{ev.User.Name}
	}
}

func who(o sockets.Owner) string {
	switch {
	case o.Exe != "":
		return " by " + o.Exe + " (pid " + strconv.Itoa(o.PID) + ")"
	case o.PID != 0:
		return " by " + o.Name + " (pid " + strconv.Itoa(o.PID) + ")"
	}
	return ""
}

// listenerEvent is the listen_opened event of a listener (the action and type
// are set when it is emitted).
func listenerEvent(s sockets.Socket, o sockets.Owner, users map[string]string) event.Event {
	tr := transport(s.Proto)
	ip := ipString(s.LocalAddr)
	ev := event.Event{
		Event:   event.Meta{Category: []string{event.CategoryNetwork}},
		Message: "listening " + tr + " " + netip.AddrPortFrom(s.LocalAddr.Unmap(), s.LocalPort).String() + who(o),
		Network: &event.Network{Transport: tr, Type: netType(s.LocalAddr)},
		Source:  &event.Endpoint{IP: ip, Port: new(int64(s.LocalPort))},
		Related: &event.Related{IP: []string{ip}},
	}
	processUser(&ev, o, s.UID, users)
	return ev
}

// connectionEvent builds the connection_opened event of s and tags it
// first_seen when its executable never had this peer before.
func (c *Collector) connectionEvent(s sockets.Socket, listening map[string]bool, o sockets.Owner, users map[string]string, now time.Time, h *collector.Health) event.Event {
	tr := transport(s.Proto)
	local := &event.Endpoint{IP: ipString(s.LocalAddr), Port: new(int64(s.LocalPort))}
	remote := &event.Endpoint{IP: ipString(s.RemoteAddr), Port: new(int64(s.RemotePort))}
	ev := event.Event{
		Timestamp: now,
		Event: event.Meta{
			Category: []string{event.CategoryNetwork}, Type: []string{event.TypeConnection},
			Action: event.ActionConnectionOpened,
		},
		Network: &event.Network{Transport: tr, Type: netType(s.RemoteAddr)},
		Related: &event.Related{IP: uniq(local.IP, remote.IP)},
	}
	la := netip.AddrPortFrom(s.LocalAddr.Unmap(), s.LocalPort).String()
	ra := netip.AddrPortFrom(s.RemoteAddr.Unmap(), s.RemotePort).String()
	var seenKey string
	if listening[tr+"/"+strconv.Itoa(int(s.LocalPort))] {
		ev.Network.Direction = event.DirectionInbound
		ev.Source, ev.Destination = remote, local
		ev.Message = "inbound " + tr + " " + ra + " -> " + la + who(o)
		seenKey = o.Exe + "|in|" + tr + "|" + remote.IP
	} else {
		ev.Network.Direction = event.DirectionOutbound
		ev.Source, ev.Destination = local, remote
		ev.Message = "outbound " + tr + " " + la + " -> " + ra + who(o)
		seenKey = o.Exe + "|out|" + tr + "|" + ra
	}
	processUser(&ev, o, s.UID, users)
	if o.Exe != "" {
		before := c.seen.Evicted
		if c.seen.Seen(seenKey, now) {
			ev.Tags = append(ev.Tags, event.TagFirstSeen)
			h.Add("first_seen", 1)
		}
		h.Add("first_seen_evicted", c.seen.Evicted-before)
	}
	return ev
}

func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}
