package rules

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sec/vigil/internal/event"
)

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func newEvent(action, category, typ string) *event.Event {
	e := &event.Event{Timestamp: t0, Host: &event.Host{Name: "web1"}}
	e.Event.ID = event.NewID(t0)
	e.Event.Kind = event.KindEvent
	e.Event.Action = action
	e.Event.Category = []string{category}
	e.Event.Type = []string{typ}
	return e
}

// execEvent is an exec event as the audit collector makes it.
func execEvent(exe string, args ...string) *event.Event {
	e := newEvent(event.ActionExec, event.CategoryProcess, event.TypeStart)
	e.Event.Dataset = "vigil.audit"
	e.Event.Module = "auditd"
	name := exe[strings.LastIndexByte(exe, '/')+1:]
	e.Process = &event.Process{Executable: exe, Name: name, Args: args, CommandLine: strings.Join(args, " "),
		Parent: &event.ProcessRef{Executable: "/usr/bin/bash", Name: "bash"}}
	e.User = &event.User{ID: "1000", Name: "alice"}
	e.Auditd = &event.Auditd{Data: map[string]string{"syscall": "execve", "exe": exe, "comm": name}}
	return e
}

// fileEvent is a file event of the file integrity collector.
func fileEvent(action, path string) *event.Event {
	typ := event.TypeChange
	if action == event.ActionCreated {
		typ = event.TypeCreation
	}
	e := newEvent(action, event.CategoryFile, typ)
	e.Event.Dataset = "vigil.fim"
	e.File = &event.File{Path: path}
	return e
}

// auditPathEvent is a file event built from audit SYSCALL+PATH records.
func auditPathEvent(path string) *event.Event {
	e := fileEvent(event.ActionUpdated, path)
	e.Event.Dataset = "vigil.audit"
	e.Event.Module = "auditd"
	e.Auditd = &event.Auditd{Data: map[string]string{"name": path, "nametype": "NORMAL"}}
	return e
}

// connEvent is an outgoing connection of the network collector.
func connEvent(exe, ip string, port int64) *event.Event {
	e := newEvent(event.ActionConnectionOpened, event.CategoryNetwork, event.TypeConnection)
	e.Event.Dataset = "vigil.network"
	e.Process = &event.Process{Executable: exe}
	e.Destination = &event.Endpoint{IP: ip, Port: new(port)}
	e.Network = &event.Network{Direction: event.DirectionEgress, Transport: "tcp"}
	return e
}

// logEvent is a line of an authentication log as the login collector reads it.
func logEvent(program, line string) *event.Event {
	e := newEvent("log", event.CategoryAuthentication, event.TypeInfo)
	e.Event.Dataset = "vigil.login"
	e.Message = line
	e.Process = &event.Process{Name: program}
	return e
}

// sshLogin is an ssh_login event of the login collector.
func sshLogin(at time.Time, ip, user, outcome string) *event.Event {
	e := newEvent(event.ActionSSHLogin, event.CategoryAuthentication, event.TypeStart)
	e.Timestamp = at
	e.Event.ID = event.DeterministicID(at, ip, user, outcome)
	e.Event.Dataset = "vigil.login"
	e.Event.Outcome = outcome
	e.Source = &event.Endpoint{IP: ip}
	e.User = &event.User{Name: user}
	e.Process = &event.Process{Name: "sshd"}
	e.Message = "sshd[1]: Failed password for " + user + " from " + ip + " port 22 ssh2"
	return e
}

// sharedRules returns the SigmaHQ rule directory of the shared test data.
func sharedRules(tb testing.TB) string {
	tb.Helper()
	for _, d := range []string{"../../../shared/data/sigma_linux_rules", "/work/shared/data/sigma_linux_rules"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	tb.Skip("shared sigma_linux_rules data not present")
	return ""
}

func mustCompile(tb testing.TB, opts Options, paths ...string) *Set {
	tb.Helper()
	var src Source
	if err := src.AddPaths(paths...); err != nil {
		tb.Fatal(err)
	}
	for _, p := range src.Problems {
		tb.Errorf("parse: %s", p)
	}
	return Compile(src.Rules, opts)
}

func mustCompileText(tb testing.TB, text string) *Set {
	tb.Helper()
	var src Source
	src.Add("inline.yml", []byte(text))
	for _, p := range src.Problems {
		tb.Fatalf("parse: %s", p)
	}
	s := Compile(src.Rules, Options{})
	for _, p := range s.Problems {
		tb.Fatalf("compile: %s", p)
	}
	return s
}

func matchedIDs(v *Evaluator, e *event.Event) []string {
	var ids []string
	for _, r := range v.Match(e) {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}
