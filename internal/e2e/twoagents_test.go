package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestTwoAgentsRevoke is the "done when" of enrollment: two agents
// enrolled with tokens on one server appear in `vigil hosts --format json`;
// after `vigil hosts revoke` one of them is refused (403, logged by the
// agent as an error) while the other keeps delivering.
func TestTwoAgentsRevoke(t *testing.T) {
	needBinary(t)
	srv := newServer(t)
	tok := srv.token("--uses", "2")
	web := newAgent(t, srv, "web-1", marker("web"))
	db := newAgent(t, srv, "db-1", marker("db"))
	web.start(tok)
	db.start(tok)
	webID, dbID := web.id(), db.id()
	if webID == dbID {
		t.Fatalf("both agents got id %s", webID)
	}
	web.log.write(10)
	db.log.write(10)
	waitStored(t, srv, web.log.marker, 10, time.Minute)
	waitStored(t, srv, db.log.marker, 10, time.Minute)

	hosts := map[string]map[string]any{}
	for _, h := range srv.hosts() {
		hosts[h["id"].(string)] = h
	}
	for id, name := range map[string]string{webID: "web-1", dbID: "db-1"} {
		h, ok := hosts[id]
		if !ok {
			t.Fatalf("vigil hosts lacks %s (%s): %v", name, id, hosts)
		}
		if h["name"] != name || h["status"] != "online" || h["last_seen"] == nil || h["agent_version"] == "" {
			t.Errorf("host %s: %v", name, h)
		}
	}
	if len(hosts) != 2 {
		t.Errorf("vigil hosts lists %d hosts, want 2", len(hosts))
	}

	runVigil(t, "hosts", "revoke", dbID, "--data", srv.dir)
	db.log.write(5)
	web.log.write(5)
	waitStored(t, srv, web.log.marker, 15, time.Minute)
	eventually(t, 30*time.Second, "the revoked agent to log its refusal", func() bool {
		return strings.Contains(db.p.log(), "server refuses this agent")
	})
	line := ""
	for _, l := range strings.Split(db.p.log(), "\n") {
		if strings.Contains(l, "server refuses this agent") {
			line = l
		}
	}
	if !strings.Contains(line, "level=ERROR") || !strings.Contains(line, "status=403") || !strings.Contains(line, "revoked") {
		t.Errorf("refusal not logged clearly: %s", line)
	}
	if n := srv.apiCount("user.name:" + db.log.marker); n != 10 {
		t.Errorf("%d events of the revoked agent stored, want the 10 from before the revocation", n)
	}
	for _, h := range srv.hosts() {
		if h["id"] == dbID && h["revoked"] != true {
			t.Errorf("revoked host listed as %v", h)
		}
	}
	web.p.stop()
	db.p.stop()
}
