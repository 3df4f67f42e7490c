package network

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// maxNetDev bounds /proc/net/dev (a line per interface).
const maxNetDev = 16 << 20

// sampleTraffic reads the interface counters and emits one traffic event per
// interface with what it carried since the previous sample. The first sample
// is the baseline.
func (c *Collector) sampleTraffic(emit collector.Emit, h *collector.Health) {
	b, err := c.root.ReadFile("/proc/net/dev", maxNetDev)
	if err != nil {
		h.Add("traffic_errors", 1)
		h.Set(event.CollectorStateDegraded, "read /proc/net/dev: "+err.Error())
		return
	}
	var sk skipped.List
	cur := ParseNetDev("/proc/net/dev", b, &sk)
	h.Add("traffic_skipped_lines", int64(len(sk)))
	now := c.now()
	if c.traffic != nil {
		names := make([]string, 0, len(cur))
		for n := range cur {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			prev, existed := c.traffic[n] // a new interface counts from zero
			emit(trafficEvent(n, delta(prev, cur[n]), now.Sub(c.trafficAt), existed, now))
			h.Add("traffic_samples", 1)
		}
	}
	c.traffic, c.trafficAt = cur, now
}

// clamp converts a counter delta to the int64 of the schema.
func clamp(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// satAdd adds two deltas without wrapping.
func satAdd(a, b uint64) int64 {
	if a > math.MaxUint64-b {
		return math.MaxInt64
	}
	return clamp(a + b)
}

func trafficEvent(iface string, d Counters, period time.Duration, existed bool, now time.Time) event.Event {
	msg := fmt.Sprintf("%s: received %d bytes in %d packets, sent %d bytes in %d packets in %s",
		iface, d.RxBytes, d.RxPackets, d.TxBytes, d.TxPackets, period.Round(time.Second))
	if !existed {
		msg += " (interface appeared)"
	}
	itf := &event.Interface{Name: iface}
	return event.Event{
		Timestamp: now,
		Event: event.Meta{
			Kind: event.KindMetric, Category: []string{event.CategoryNetwork}, Type: []string{event.TypeInfo},
			Action: event.ActionTraffic,
		},
		Message: msg,
		Observer: &event.Observer{
			Ingress: &event.ObserverSide{Interface: itf},
			Egress:  &event.ObserverSide{Interface: itf},
		},
		Network: &event.Network{
			Bytes:   new(satAdd(d.RxBytes, d.TxBytes)),
			Packets: new(satAdd(d.RxPackets, d.TxPackets)),
		},
		Source:      &event.Endpoint{Bytes: new(clamp(d.TxBytes)), Packets: new(clamp(d.TxPackets))},
		Destination: &event.Endpoint{Bytes: new(clamp(d.RxBytes)), Packets: new(clamp(d.RxPackets))},
	}
}
