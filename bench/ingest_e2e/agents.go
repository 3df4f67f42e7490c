package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/spool"
	"github.com/vigil-sec/vigil/internal/store/storetest"
	"github.com/vigil-sec/vigil/internal/transport"
)

// fleet is the running simulated agents.
type fleet struct {
	wg       sync.WaitGroup
	shippers []*transport.Shipper
}

// wait waits for the agents to stop and returns their summed counters.
func (f *fleet) wait() transport.ShipperStats {
	f.wg.Wait()
	var t transport.ShipperStats
	for _, sh := range f.shippers {
		s := sh.Stats()
		t.Batches += s.Batches
		t.Events += s.Events
		t.Retries += s.Retries
		t.Rejected += s.Rejected
	}
	return t
}

// startFleet enrolls one agent per token and starts, per agent, its shipper
// and a generator that appends batches to the spool while fewer than
// backlog batches are pending (so the generator runs at the pace of the
// server, and its CPU is what that pace costs).
func startFleet(ctx context.Context, dir, url string, tokens []string, batch, backlog int) (*fleet, error) {
	f := &fleet{}
	for k, tok := range tokens {
		name := fmt.Sprintf("bench-%02d", k)
		state, err := mkdir(dir, name)
		if err != nil {
			return nil, err
		}
		id, err := transport.Enroll(ctx, url, tok, state, transport.HostFacts{Name: name, Hostname: name, AgentVersion: "bench"})
		if err != nil {
			return nil, fmt.Errorf("enroll %s: %w", name, err)
		}
		sp, err := spool.Open(filepath.Join(state, "spool"), spool.Options{Encode: transport.EncodeBatch})
		if err != nil {
			return nil, err
		}
		cfg, err := id.TLSConfig()
		if err != nil {
			return nil, err
		}
		sh, err := transport.NewShipper(transport.ShipperOptions{ServerURL: url, TLS: cfg, Spool: sp, AgentVersion: "bench", Hostname: name})
		if err != nil {
			return nil, err
		}
		f.shippers = append(f.shippers, sh)
		f.wg.Add(2)
		go func() { defer f.wg.Done(); sh.Run(ctx) }()
		go func() {
			defer f.wg.Done()
			generate(ctx, sh, sp, name, uint64(k+1), batch, backlog)
			sp.Close()
		}()
	}
	return f, nil
}

// generate writes batches of fleet events stamped with the current time.
func generate(ctx context.Context, sh *transport.Shipper, sp *spool.Spool, name string, seed uint64, batch, backlog int) {
	g := storetest.NewFleetGen(1<<40, time.Now(), 1, seed)
	evs := make([]event.Event, 0, batch)
	for n := 0; ctx.Err() == nil; {
		if sp.Stats().Pending >= uint64(backlog) {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		evs = evs[:0]
		for len(evs) < batch {
			// Stamped now, as a live agent does, with an id unique per
			// agent (the generator's own ids repeat across seeds).
			ts := time.Now().UTC()
			evs = append(evs, g.NextLive(ts, event.DeterministicID(ts, name, strconv.Itoa(n))))
			n++
		}
		if err := sh.Write(ctx, evs); err != nil {
			return
		}
	}
}
