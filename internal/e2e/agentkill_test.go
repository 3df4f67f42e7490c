package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

// TestAgentKill9 is reliability test 3 of the issue: the agent is killed
// with SIGKILL while it reads a backlog of 100,000 lines, right after the
// login collector first saved its position (it once saved positions before
// the events reached the spool, and a kill lost a queue of them), and three
// more times while it follows the log growing at 5,000 lines/s; after each
// restart its spool replays, and in the end every line's event is stored
// exactly once (the login collector reads no kernel source, so nothing may
// be missing).
func TestAgentKill9(t *testing.T) {
	needBinary(t)
	const backlog, rate, kills = 100_000, 5000, 3
	srv := newServer(t)
	ag := newAgent(t, srv, "agentkill", marker("k9a"))
	ag.start(srv.token())
	ag.id()

	for ag.log.n < backlog {
		ag.log.write(10_000)
	}
	// Kill right after the first saved position: the events of the lines
	// before it must be in the spool already, not only in the agent's queue.
	deadline := time.Now().Add(time.Minute)
	for ag.savedOffset() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the agent saved no position within a minute")
		}
		time.Sleep(2 * time.Millisecond)
	}
	ag.p.kill()
	t.Logf("kill -9 of the agent in the backlog at saved offset %d of %d, %d of %d events stored",
		ag.savedOffset(), ag.log.size, srv.dbRows(ag.log.marker), backlog)
	ag.start("")

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ag.log.writeAt(rate, time.Duration(kills+1)*4*time.Second, stop)
	}()
	for k := 1; k <= kills; k++ {
		time.Sleep(4 * time.Second)
		ag.p.kill()
		t.Logf("kill -9 #%d of the agent after %d lines written, %d stored", k, ag.log.n, srv.dbRows(ag.log.marker))
		time.Sleep(300 * time.Millisecond)
		ag.start("")
	}
	<-done
	ag.readAll(time.Minute)
	waitStored(t, srv, ag.log.marker, ag.log.n, 2*time.Minute)
	t.Logf("%d events written, all stored", ag.log.n)
	checkExactlyOnce(t, srv, ag.log)
	ag.p.stop()
}

// TestSpoolFull is reliability test 4 of the issue: with the smallest spool
// (1 MiB) and the server down, the agent drops its oldest events and stores
// an events_dropped event with the exact number: stored + reported dropped
// = produced.
func TestSpoolFull(t *testing.T) {
	needBinary(t)
	const total = 150_000 // about 4.5 MiB in the spool: it must drop
	srv := newServer(t)
	ag := newAgent(t, srv, "spoolfull", marker("sf"), "--set", "spool.max_bytes=1048576")
	ag.start(srv.token())
	ag.id()
	srv.stop()
	for ag.log.n < total {
		ag.log.write(min(5000, total-ag.log.n))
	}
	ag.readAll(2 * time.Minute)
	srv.start()

	var stored, dropped int64
	eventually(t, 2*time.Minute, "stored + dropped to reach the lines written", func() bool {
		stored = srv.apiCount("user.name:" + ag.log.marker)
		dropped = 0
		for _, raw := range srv.search("event.action:events_dropped and vigil.loss.stage:spool") {
			var ev event.Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Vigil == nil || ev.Vigil.Loss == nil || ev.Vigil.Loss.Reason != "spool_full" {
				t.Fatalf("spool loss event without a spool_full loss: %s", raw)
			}
			dropped += ev.Vigil.Loss.Count
		}
		return stored+dropped >= int64(total)
	})
	t.Logf("%d events produced: %d stored, %d reported dropped by the spool", total, stored, dropped)
	if stored+dropped != total || dropped == 0 || stored == 0 {
		t.Errorf("stored %d + dropped %d != produced %d (both must be non-zero)", stored, dropped, total)
	}
	if c := srv.dbCounts(ag.log.marker); c.rows != stored || c.ids != stored || c.sources != stored {
		t.Errorf("store: %d rows, %d ids, %d sources; want %d of each", c.rows, c.ids, c.sources, stored)
	}
	ag.p.stop()
}
