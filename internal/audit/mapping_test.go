package audit

import (
	"slices"
	"testing"

	"github.com/vigil-sec/vigil/internal/event"
)

func TestMapExec(t *testing.T) {
	evs, _, skip := replayFile(t, "testdata/exec.log", Config{})
	if len(skip) != 0 || len(evs) != 1 {
		t.Fatalf("got %d events, skipped %v", len(evs), skip)
	}
	if evs[0].TimedOut || evs[0].Incomplete || len(evs[0].Records) != 6 {
		t.Fatalf("event: timedOut %v incomplete %v records %d", evs[0].TimedOut, evs[0].Incomplete, len(evs[0].Records))
	}
	names := map[string]string{"0": "root", "1000": "alice"}
	m := &Mapper{HostID: "h1", UserName: func(uid string) (string, bool) { n, ok := names[uid]; return n, ok }}
	ev, ok := m.Map(evs[0])
	if !ok {
		t.Fatal("not mapped")
	}
	mustValid(t, &ev)
	p := ev.Process
	wantArgs := []string{"sh", "-c", "echo \"a b\" 'c' \t\n", "foo\n"}
	if !slices.Equal(p.Args, wantArgs) {
		t.Errorf("args = %q, want %q", p.Args, wantArgs)
	}
	checks := map[string]any{
		"event.action":                  event.ActionExec,
		"event.outcome":                 event.OutcomeSuccess,
		"process.pid":                   int64(11),
		"process.ppid":                  int64(10),
		"process.parent.pid":            int64(10),
		"process.executable":            "/usr/bin/dash",
		"process.name":                  "dash",
		"process.args_count":            int64(4),
		"process.command_line":          "sh -c echo \"a b\" 'c' \t\n foo\n",
		"process.working_directory":     "/tmp/a b c",
		"process.title":                 "sh -c echo",
		"user.id":                       "0",
		"user.name":                     "root",
		"user.effective.id":             "0",
		"user.audit.id":                 "1000",
		"user.audit.name":               "alice",
		"user.terminal":                 "pts1",
		"auditd.sequence":               int64(100),
		"auditd.session":                "3",
		"auditd.result":                 "success",
		"auditd.data.type":              "EXECVE",
		"auditd.data.SYSCALL":           "execve",
		"auditd.data.syscall":           "59",
		"auditd.data.a0":                "sh",
		"auditd.data.a3":                "foo\n",
		"auditd.data.key":               "vigil_exec",
		"auditd.data.exe":               "/usr/bin/dash",
		"auditd.data.comm":              "sh",
		"auditd.data.nametype":          "NORMAL",
		"process.tty.char_device.major": int64(136),
	}
	for k, want := range checks {
		got, ok := ev.Get(k)
		if !ok || got != want {
			t.Errorf("%s = %#v (present %v), want %#v", k, got, ok, want)
		}
	}
	if _, ok := ev.Auditd.Data["a3[0]"]; ok {
		t.Error("split argument pieces kept in auditd.data")
	}
	if p.EntityID == "" || ev.Event.ID == "" {
		t.Error("missing entity or event id")
	}
	again, _ := m.Map(evs[0])
	if again.Event.ID != ev.Event.ID || again.Process.EntityID != p.EntityID {
		t.Error("IDs are not deterministic")
	}
	if other, _ := (&Mapper{HostID: "h2"}).Map(evs[0]); other.Event.ID == ev.Event.ID || other.Process.EntityID == p.EntityID {
		t.Error("IDs do not depend on the host")
	}
}
