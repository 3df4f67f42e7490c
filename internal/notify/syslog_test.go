package notify

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/detect/detecttest"
)

// rsyslog is a real rsyslogd started by a test, receiving on UDP and TCP
// and writing what it parsed of each record to a file.
type rsyslog struct {
	udp, tcp string
	out      string
}

const fieldSep = "|#|"

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startRsyslog(t *testing.T) *rsyslog {
	t.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		t.Skip("rsyslogd is not installed (apt-get install rsyslog):", err)
	}
	dir := t.TempDir()
	r := &rsyslog{
		udp: fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp")),
		tcp: fmt.Sprintf("127.0.0.1:%d", freePort(t, "tcp")),
		out: filepath.Join(dir, "out.log"),
	}
	_, up, _ := net.SplitHostPort(r.udp)
	_, tp, _ := net.SplitHostPort(r.tcp)
	var tmpl strings.Builder
	for i, p := range []string{"inputname", "pri", "timereported:::date-rfc3339", "hostname", "app-name", "procid", "msgid", "structured-data", "msg"} {
		if i > 0 {
			fmt.Fprintf(&tmpl, "constant(value=%q)\n", fieldSep)
		}
		name, format, _ := strings.Cut(p, ":::")
		if format != "" {
			fmt.Fprintf(&tmpl, "property(name=%q dateFormat=%q)\n", name, "rfc3339")
		} else {
			fmt.Fprintf(&tmpl, "property(name=%q)\n", name)
		}
	}
	conf := fmt.Sprintf(`global(workDirectory=%q)
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port=%q)
input(type="imtcp" address="127.0.0.1" port=%q)
template(name="fields" type="list") {
%sconstant(value="\n")
}
*.* action(type="omfile" file=%q template="fields")
`, dir, up, tp, tmpl.String(), r.out)
	confPath := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(bin, "-n", "-f", confPath, "-i", filepath.Join(dir, "rsyslogd.pid"))
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start rsyslogd:", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.tcp, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Skipf("rsyslogd exited at start: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Skipf("rsyslogd does not listen on %s: %s", r.tcp, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

// records waits until rsyslogd has written n records and returns their
// fields keyed by property name.
func (r *rsyslog) records(t *testing.T, n int) []map[string]string {
	t.Helper()
	names := []string{"inputname", "pri", "time", "hostname", "app-name", "procid", "msgid", "structured-data", "msg"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(r.out)
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			// Skip empty lines and the UDP readiness probes (rule-0).
			if l != "" && !strings.Contains(l, `rule_id="rule-0"`) {
				lines = append(lines, l)
			}
		}
		if len(lines) >= n {
			var out []map[string]string
			for _, l := range lines {
				f := strings.Split(l, fieldSep)
				if len(f) != len(names) {
					t.Fatalf("rsyslog wrote %q", l)
				}
				m := map[string]string{}
				for i, name := range names {
					m[name] = f[i]
				}
				m["msg"] = strings.TrimSpace(m["msg"])
				out = append(out, m)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("rsyslogd wrote %d records, want %d: %q", len(lines), n, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newTestSyslog(t *testing.T, network, addr string) *Syslog {
	t.Helper()
	s, err := NewSyslog(SyslogConfig{Network: network, Address: addr, Hostname: "vigil-server"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSyslogRsyslog(t *testing.T) {
	r := startRsyslog(t)
	ctx := context.Background()
	udp := newTestSyslog(t, "udp", r.udp)
	// UDP may be lost before rsyslogd's UDP input is up: probe until one arrives.
	probe := alert(0, "informational")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if err := udp.Send(ctx, Message{Alerts: []detect.Alert{probe}, Total: 1}); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(r.out); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no UDP record reached rsyslogd")
		}
		time.Sleep(50 * time.Millisecond)
	}

	tricky := alert(1, "high")
	tricky.Rule.Name = `Quote " bracket ] backslash \ Ümlaut`
	tricky.Host.Name = `db"1]\x`
	if err := udp.Send(ctx, Message{Alerts: []detect.Alert{tricky}, Total: 1}); err != nil {
		t.Fatal(err)
	}
	tcp := newTestSyslog(t, "tcp", r.tcp)
	multi := alert(2, "critical")
	multi.Host.Name = "line\nbreak"
	multi.Rule.Name = "title with\nnewline"
	digest := Message{Digest: true, Total: 3, Alerts: []detect.Alert{alert(3, "low"), alert(4, "medium")},
		From: detecttest.Base, To: detecttest.Base.Add(10 * time.Minute)}
	for _, m := range []Message{{Alerts: []detect.Alert{multi}, Total: 1}, digest, {Alerts: []detect.Alert{alert(5, "low")}, Total: 1}} {
		if err := tcp.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// Records may be written in any order across the two inputs.
	byInput := map[string][]map[string]string{}
	for _, rec := range r.records(t, 4) {
		byInput[rec["inputname"]] = append(byInput[rec["inputname"]], rec)
	}
	if len(byInput["imudp"]) != 1 || len(byInput["imtcp"]) != 3 {
		t.Fatalf("records per input: udp %d tcp %d, want 1 and 3 (octet counting keeps a newline inside one record)",
			len(byInput["imudp"]), len(byInput["imtcp"]))
	}
	u := byInput["imudp"][0]
	wantSD := `[vigil@32473 alert_id="` + tricky.ID + `" rule_id="rule-1" level="high" host="db\"1\]\\x" count="1" tag="attack.execution" tag="attack.t1059.004"]`
	checks := map[string]string{
		"pri": "83", "hostname": "vigil-server", "app-name": "vigil", "procid": fmt.Sprint(os.Getpid()),
		"msgid": "alert", "structured-data": wantSD,
		"msg": `high: Quote " bracket ] backslash \ Ümlaut on db"1]\x (rule rule-1, count 1)`,
	}
	for k, want := range checks {
		if u[k] != want {
			t.Errorf("udp %s = %q, want %q", k, u[k], want)
		}
	}
	if ts, err := time.Parse(time.RFC3339, u["time"]); err != nil || time.Since(ts) > time.Hour || time.Since(ts) < -time.Hour {
		t.Errorf("rsyslog parsed timestamp %q: %v", u["time"], err)
	}
	tc := byInput["imtcp"]
	if tc[0]["pri"] != "82" || tc[0]["msgid"] != "alert" || !strings.Contains(tc[0]["structured-data"], `host="line`) {
		t.Errorf("tcp record 1: %v", tc[0])
	}
	if tc[1]["msgid"] != "digest" || tc[1]["pri"] != "84" ||
		!strings.Contains(tc[1]["structured-data"], `total="3"`) || !strings.Contains(tc[1]["msg"], "3 alerts held back") ||
		!strings.Contains(tc[1]["msg"], "title of rule-4") {
		t.Errorf("tcp digest record: %v", tc[1])
	}
	if tc[2]["pri"] != "85" || !strings.Contains(tc[2]["structured-data"], `rule_id="rule-5"`) {
		t.Errorf("tcp record 3: %v", tc[2])
	}
}

func TestSyslogReconnects(t *testing.T) {
	r := startRsyslog(t)
	tcp := newTestSyslog(t, "tcp", r.tcp)
	ctx := context.Background()
	if err := tcp.Send(ctx, Message{Alerts: []detect.Alert{alert(1, "low")}, Total: 1}); err != nil {
		t.Fatal(err)
	}
	r.records(t, 1)
	// Break the connection under the channel; the next send redials.
	tcp.mu.Lock()
	tcp.conn.Close()
	tcp.mu.Unlock()
	if err := tcp.Send(ctx, Message{Alerts: []detect.Alert{alert(2, "low")}, Total: 1}); err != nil {
		t.Fatal(err)
	}
	if recs := r.records(t, 2); !strings.Contains(recs[1]["structured-data"], `rule_id="rule-2"`) {
		t.Errorf("after redial: %v", recs[1])
	}
}

func TestNewSyslogErrors(t *testing.T) {
	bad := 24
	for _, c := range []SyslogConfig{
		{Network: "tls", Address: "127.0.0.1:514"},
		{Network: "udp", Address: "nohost"},
		{Network: "udp", Address: "127.0.0.1:514", Facility: &bad},
		{Network: "udp", Address: "127.0.0.1:514", SDID: "has space"},
	} {
		if _, err := NewSyslog(c); err == nil {
			t.Errorf("NewSyslog(%+v) succeeded", c)
		}
	}
}
