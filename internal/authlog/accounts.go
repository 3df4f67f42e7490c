package authlog

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/event"
)

var (
	reSuOK      = regexp.MustCompile(`^Successful su for (\S+) by (\S+)$`)
	reSuFailed  = regexp.MustCompile(`^FAILED su for (\S+) by (\S+)$`)
	reSuTo      = regexp.MustCompile(`^(?:\+ )?\(to (\S+)\) (\S+) on (\S+)$`)
	reSuBad     = regexp.MustCompile(`^BAD SU (\S+) to (\S+)(?: on (\S+))?$`)
	reSuOld     = regexp.MustCompile(`^(\S+) to (\S+) on (\S+)$`)
	reSuFail2   = regexp.MustCompile(`^failed: (\S+) changing from (\S+) to (\S+)$`)
	reFailedLog = regexp.MustCompile(`^FAILED LOGIN \(?\d+\)? (?:on|ON|FROM|from) '?([^' ]*)'? FOR '?([^', ]*)'?`)
	reRootLogin = regexp.MustCompile(`^ROOT LOGIN +(?:on|ON) '?([^' ]+)'?(?: FROM '?([^' ]+)'?)?`)
	reLoginOn   = regexp.MustCompile(`^LOGIN ON (\S+) BY (\S+)(?: FROM (\S+))?`)
	reNewSess   = regexp.MustCompile(`^New session (\S+) of user (\S+?)\.?$`)
	reRmSess    = regexp.MustCompile(`^Removed session (\S+?)\.?$`)
)

// suEvent makes a user_login event for su: user.name is the caller,
// user.effective.name the target.
func (b *builder) suEvent(outcome, caller, target, tty string) []event.Event {
	e := b.auth(event.ActionUserLogin, outcome)
	setUser(&e, caller)
	setEffective(&e, target)
	setTerminal(&e, tty)
	return []event.Event{e}
}

func (b *builder) su(msg string) []event.Event {
	if m := reSuOK.FindStringSubmatch(msg); m != nil {
		return b.suEvent(event.OutcomeSuccess, m[2], m[1], "")
	}
	if m := reSuFailed.FindStringSubmatch(msg); m != nil {
		return b.suEvent(event.OutcomeFailure, m[2], m[1], "")
	}
	if m := reSuTo.FindStringSubmatch(msg); m != nil {
		return b.suEvent(event.OutcomeSuccess, m[2], m[1], m[3])
	}
	if m := reSuBad.FindStringSubmatch(msg); m != nil {
		return b.suEvent(event.OutcomeFailure, m[1], m[2], m[3])
	}
	if m := reSuFail2.FindStringSubmatch(msg); m != nil {
		return b.suEvent(event.OutcomeFailure, m[2], m[3], m[1])
	}
	if m := reSuOld.FindStringSubmatch(msg); m != nil {
		return b.suEvent(event.OutcomeSuccess, m[1], m[2], m[3])
	}
	return nil
}

// login reads login(1) lines, whatever tag they carry.
func (b *builder) login(msg string) []event.Event {
	if m := reFailedLog.FindStringSubmatch(msg); m != nil {
		e := b.auth(event.ActionUserLogin, event.OutcomeFailure)
		setUser(&e, m[2])
		b.loginPlace(&e, m[1])
		return []event.Event{e}
	}
	if m := reRootLogin.FindStringSubmatch(msg); m != nil {
		e := b.auth(event.ActionUserLogin, event.OutcomeSuccess)
		setUser(&e, "root")
		setTerminal(&e, m[1])
		setSource(&e, m[2], "")
		return []event.Event{e}
	}
	if m := reLoginOn.FindStringSubmatch(msg); m != nil {
		e := b.auth(event.ActionUserLogin, event.OutcomeSuccess)
		setUser(&e, m[2])
		setTerminal(&e, m[1])
		setSource(&e, m[3], "")
		return []event.Event{e}
	}
	return nil
}

// loginPlace sets the terminal, or the source when login names a host.
func (b *builder) loginPlace(e *event.Event, place string) {
	if strings.HasPrefix(place, "/dev/") || strings.HasPrefix(place, "tty") || strings.HasPrefix(place, "pts") {
		setTerminal(e, place)
		return
	}
	setSource(e, place, "")
}

func (b *builder) logind(msg string) []event.Event {
	if m := reNewSess.FindStringSubmatch(msg); m != nil {
		e := b.ev(event.ActionUserLogin, event.OutcomeSuccess,
			[]string{event.CategoryAuthentication, event.CategorySession}, []string{event.TypeStart})
		setUser(&e, m[2])
		return []event.Event{e}
	}
	if reRmSess.MatchString(msg) {
		return []event.Event{b.ev(event.ActionUserLogout, "", []string{event.CategorySession}, []string{event.TypeEnd})}
	}
	return nil
}

func (b *builder) iam(action, typ string) event.Event {
	kind := event.TypeUser
	if strings.HasPrefix(action, "group_") {
		kind = event.TypeGroup
	}
	return b.ev(action, event.OutcomeSuccess, []string{event.CategoryIAM}, []string{kind, typ})
}

var (
	reNewUser     = regexp.MustCompile(`^new user: name=([^,]+), UID=(\d+)`)
	reNewGroup    = regexp.MustCompile(`^(?:new group|group added to /etc/group): name=([^,]+), GID=(\d+)`)
	reFailAdd     = regexp.MustCompile(`^failed adding user '([^']*)'`)
	reDelUser     = regexp.MustCompile(`^delete user '([^']*)'`)
	reRmGroup     = regexp.MustCompile(`^(?:removed group '([^']*)'|group '([^']*)' removed from /etc/group)`)
	reMember      = regexp.MustCompile(`^(?:add '([^']*)' to group '([^']*)'|delete '([^']*)' from group '([^']*)'|user (\S+) (?:added|removed) by \S+ (?:to|from) group (\S+)|members of group (\S+) set by )`)
	reGroupChange = regexp.MustCompile(`^group changed in /etc/group \(group ([^/ ]+)`)
	reUserPw      = regexp.MustCompile(`^(?:change user '([^']*)' password|password for '([^']*)' changed by|changed password expiry for (\S+))`)
	reUserChange  = regexp.MustCompile(`^(?:change user '([^']*)'|(?:lock|unlock) user '([^']*)'|change user name '([^']*)'|changed user '([^']*)' information)`)
)

// shadow reads the messages of the shadow-utils tools. The gshadow twins of
// group lines ("add 'x' to shadow group", "removed shadow group") are not
// separate events.
func (b *builder) shadow(msg string) []event.Event {
	one := func(action, typ, user, group, id string) []event.Event {
		e := b.iam(action, typ)
		setUser(&e, user)
		if user != "" && strings.HasPrefix(action, "user_") {
			e.User.ID = id
		}
		if group != "" {
			e.Group = &event.Group{Name: group}
			if strings.HasPrefix(action, "group_") {
				e.Group.ID = id
			}
		}
		return []event.Event{e}
	}
	switch {
	case strings.Contains(msg, "shadow group") || strings.Contains(msg, "/etc/gshadow"):
		return nil
	}
	if m := reNewUser.FindStringSubmatch(msg); m != nil {
		return one(event.ActionUserAdded, event.TypeCreation, m[1], "", m[2])
	}
	if m := reNewGroup.FindStringSubmatch(msg); m != nil {
		return one(event.ActionGroupAdded, event.TypeCreation, "", m[1], m[2])
	}
	if m := reFailAdd.FindStringSubmatch(msg); m != nil {
		evs := one(event.ActionUserAdded, event.TypeCreation, m[1], "", "")
		evs[0].Event.Outcome = event.OutcomeFailure
		return evs
	}
	if m := reDelUser.FindStringSubmatch(msg); m != nil {
		return one(event.ActionUserRemoved, event.TypeDeletion, m[1], "", "")
	}
	if m := reRmGroup.FindStringSubmatch(msg); m != nil {
		return one(event.ActionGroupRemoved, event.TypeDeletion, "", m[1]+m[2], "")
	}
	if m := reMember.FindStringSubmatch(msg); m != nil {
		return one(event.ActionGroupChanged, event.TypeChange, m[1]+m[3]+m[5], m[2]+m[4]+m[6]+m[7], "")
	}
	if m := reGroupChange.FindStringSubmatch(msg); m != nil {
		return one(event.ActionGroupChanged, event.TypeChange, "", m[1], "")
	}
	if m := reUserPw.FindStringSubmatch(msg); m != nil {
		action := event.ActionPasswordChanged
		if m[3] != "" {
			action = event.ActionUserChanged
		}
		return one(action, event.TypeChange, m[1]+m[2]+m[3], "", "")
	}
	if m := reUserChange.FindStringSubmatch(msg); m != nil {
		return one(event.ActionUserChanged, event.TypeChange, m[1]+m[2]+m[3]+m[4], "", "")
	}
	return nil
}

func atoi(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
