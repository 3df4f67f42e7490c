package authlog

import (
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

// sudo reads "user : [problem ; ]TTY=pts/0 ; PWD=/home/x ; USER=root ;
// COMMAND=/bin/ls -l". COMMAND is always last and may itself contain " ; ".
func (b *builder) sudo(msg string) []event.Event {
	caller, rest, ok := strings.Cut(strings.TrimLeft(msg, " "), " : ")
	if !ok || caller == "" || strings.Contains(caller, " ") {
		return nil
	}
	var command string
	if i := strings.Index(rest, "COMMAND="); i >= 0 {
		command = rest[i+len("COMMAND="):]
		rest = rest[:i]
	}
	kv := map[string]string{}
	var problem string
	for f := range strings.SplitSeq(rest, ";") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if ok && k != "" && strings.ToUpper(k) == k && !strings.Contains(k, " ") {
			kv[k] = v
		} else if problem == "" {
			problem = f
		}
	}
	var e event.Event
	switch {
	case problem == "":
		if command == "" {
			return nil
		}
		e = b.ev(event.ActionSudo, event.OutcomeSuccess, []string{event.CategoryProcess}, []string{event.TypeStart})
	case strings.Contains(problem, "incorrect password attempt"):
		e = b.auth(event.ActionSudoAuth, event.OutcomeFailure)
		n, _ := strconv.ParseInt(strings.Fields(problem)[0], 10, 64)
		e.Auth = &event.Auth{Attempts: max(n, 1)}
	default:
		// "user NOT in sudoers", "command not allowed", "a password is required", ...
		e = b.auth(ActionSudoDenied, event.OutcomeFailure)
		e.Event.Type = []string{event.TypeInfo}
	}
	setUser(&e, caller)
	setEffective(&e, kv["USER"])
	setTerminal(&e, kv["TTY"])
	e.Process.CommandLine = command
	e.Process.WorkingDirectory = kv["PWD"]
	return []event.Event{e}
}
