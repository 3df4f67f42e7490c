package authlog

import (
	"regexp"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

var (
	rePAMPrefix   = regexp.MustCompile(`^(pam_[A-Za-z0-9_]+)\(([^:()]+):([a-z]+)\): (.*)$`)
	reSessionOpen = regexp.MustCompile(`^session opened for user (\S+?)(?:\(uid=(\d+)\))? by (\S*?)(?:\(uid=(\d+)\))?$`)
	reSessionEnd  = regexp.MustCompile(`^session closed for user (\S+)$`)
	rePwChanged   = regexp.MustCompile(`^password changed for (\S+)$`)
)

// pam reads "pam_mod(service:type): msg" and the legacy "svc(pam_mod)[pid]:
// msg" form. It reports false when the line is not a PAM message it knows.
func (b *builder) pam(msg string) ([]event.Event, bool) {
	body := msg
	if m := rePAMPrefix.FindStringSubmatch(msg); m != nil {
		body = m[4]
	} else if b.h.Module == "" {
		return nil, false
	}
	if m := reSessionOpen.FindStringSubmatch(body); m != nil {
		e := b.ev(event.ActionUserLogin, event.OutcomeSuccess,
			[]string{event.CategoryAuthentication, event.CategorySession}, []string{event.TypeStart})
		setUser(&e, m[1])
		e.User.ID = m[2]
		if m[3] != "LOGIN" {
			relateUser(&e, m[3])
		}
		return []event.Event{e}, true
	}
	if m := reSessionEnd.FindStringSubmatch(body); m != nil {
		e := b.ev(event.ActionUserLogout, "", []string{event.CategorySession}, []string{event.TypeEnd})
		setUser(&e, m[1])
		return []event.Event{e}, true
	}
	if rest, ok := strings.CutPrefix(body, "authentication failure; "); ok {
		return b.pamFailure(rest), true
	}
	if strings.HasPrefix(body, "check pass; user unknown") {
		return []event.Event{b.auth(ActionPAMUserUnknown, event.OutcomeFailure)}, true
	}
	if m := rePAMMore.FindStringSubmatch(body); m != nil {
		return b.pamRepeated(m[1], m[2]), true
	}
	if m := rePwChanged.FindStringSubmatch(body); m != nil {
		e := b.iam(event.ActionPasswordChanged, event.TypeChange)
		setUser(&e, m[1])
		return []event.Event{e}, true
	}
	if rest, ok := strings.CutPrefix(body, "auth could not identify password for ["); ok {
		e := b.auth(ActionPAMAuthFailure, event.OutcomeFailure)
		setUser(&e, strings.TrimSuffix(rest, "]"))
		return []event.Event{e}, true
	}
	return nil, b.h.Module != ""
}

// pamKV reads PAM's "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root".
func pamKV(s string) map[string]string {
	kv := map[string]string{}
	for _, f := range strings.Fields(s) {
		if k, v, ok := strings.Cut(f, "="); ok {
			kv[k] = v
		}
	}
	return kv
}

func (b *builder) pamFailure(fields string) []event.Event {
	kv := pamKV(fields)
	e := b.auth(ActionPAMAuthFailure, event.OutcomeFailure)
	setUser(&e, kv["user"])
	if kv["user"] == "" {
		setUser(&e, kv["ruser"])
	}
	setSource(&e, kv["rhost"], "")
	setTerminal(&e, kv["tty"])
	return []event.Event{e}
}

func (b *builder) pamRepeated(count, fields string) []event.Event {
	kv := pamKV(fields)
	e := b.auth(ActionPAMRepeatedFailures, event.OutcomeFailure)
	e.Auth = &event.Auth{Attempts: atoi(count)}
	setUser(&e, kv["user"])
	setSource(&e, kv["rhost"], "")
	return []event.Event{e}
}
