package e2e

import (
	"os"
	"testing"
	"time"
)

// envDuration reads a duration from the environment (for quick local runs),
// or returns def.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration", name, v)
	}
	return d
}

// checkExactlyOnce asserts that the n lines of the agent's log are stored
// once each: through the API (count of the marker's events) and in the
// store (rows, distinct event ids and distinct source addresses all n).
func checkExactlyOnce(t *testing.T, srv *server, log *authLog) {
	t.Helper()
	want := int64(log.n)
	if got := srv.apiCount("user.name:" + log.marker); got != want {
		t.Errorf("API counts %d events of %s, want %d", got, log.marker, want)
	}
	c := srv.dbCounts(log.marker)
	if c.rows != want || c.ids != want || c.sources != want {
		t.Errorf("store: %d rows, %d distinct ids, %d distinct sources; want %d of each", c.rows, c.ids, c.sources, want)
	}
	if evs := srv.search("event.action:events_dropped"); len(evs) != 0 {
		t.Errorf("%d events_dropped events stored, want none; first: %s", len(evs), evs[0])
	}
}

// waitStored waits until the API counts want events of the marker, and
// returns how long that took.
func waitStored(t *testing.T, srv *server, marker string, want int, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var got int64
	deadline := start.Add(d)
	for {
		got = srv.apiCount("user.name:" + marker)
		if got >= int64(want) {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the API counts %d of %d events", d, got, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestServerOutage is reliability test 1 of the issue: the server is down
// for 60 s while an agent produces 1,000 events/s; afterwards every event
// is stored exactly once. VIGIL_E2E_OUTAGE shortens the outage for a quick
// local run.
func TestServerOutage(t *testing.T) {
	needBinary(t)
	outage := envDuration(t, "VIGIL_E2E_OUTAGE", 60*time.Second)
	const rate = 1000
	const around = 5 * time.Second // produced before the outage, and after it

	srv := newServer(t)
	ag := newAgent(t, srv, "outage", marker("out"))
	ag.start(srv.token())
	ag.id()

	done := make(chan struct{})
	go func() {
		defer close(done)
		ag.log.writeAt(rate, 2*around+outage, nil)
	}()
	time.Sleep(around)
	srv.stop()
	down := time.Now()
	time.Sleep(outage)
	srv.start()
	t.Logf("server down %s", time.Since(down).Round(time.Millisecond))
	back := time.Now()
	<-done
	written := time.Now()
	waitStored(t, srv, ag.log.marker, ag.log.n, 3*time.Minute)
	t.Logf("%d events written at %d/s; all stored %s after the server's return, %s after the last line",
		ag.log.n, rate, time.Since(back).Round(time.Millisecond), time.Since(written).Round(time.Millisecond))
	checkExactlyOnce(t, srv, ag.log)
	if want := int((2*around + outage).Seconds() * rate); ag.log.n != want {
		t.Errorf("wrote %d lines, want %d", ag.log.n, want)
	}
	ag.p.stop()
}

// TestServerKill9 is reliability test 2 of the issue: the server is killed
// with SIGKILL 5 times while an agent ingests 500,000 events; afterwards the
// stored count equals the sent count, without duplicates. The kills are
// spread over the ingest by progress (after each further seventh of the
// events is stored), so that each one hits a server in the middle of
// committing batches. Measured on the 2-core machine: 1.5 to 2 min alone, about
// 3 min while other test packages ran beside it; the full size
// fits, so it is kept.
func TestServerKill9(t *testing.T) {
	needBinary(t)
	const total, kills = 500_000, 5
	srv := newServer(t)
	ag := newAgent(t, srv, "kill9", marker("k9s"))
	for ag.log.n < total {
		ag.log.write(min(10_000, total-ag.log.n))
	}
	start := time.Now()
	ag.start(srv.token())
	for k := 1; k <= kills; k++ {
		mark := int64(total * k / (kills + 2))
		eventually(t, 3*time.Minute, "ingest progress", func() bool {
			return srv.dbRows(ag.log.marker) >= mark
		})
		srv.kill9()
		stored := srv.dbRows(ag.log.marker)
		t.Logf("kill -9 #%d of the server at %d stored events (%s)", k, stored, time.Since(start).Round(time.Millisecond))
		if stored == total {
			t.Fatalf("ingest finished before kill %d: the test did not kill during the ingest", k)
		}
		time.Sleep(500 * time.Millisecond)
		srv.start()
	}
	waitStored(t, srv, ag.log.marker, total, 3*time.Minute)
	t.Logf("%d events stored in %s with %d server kills", total, time.Since(start).Round(time.Millisecond), kills)
	checkExactlyOnce(t, srv, ag.log)
	ag.p.stop()
}
