package event

import (
	"slices"
	"strings"
)

// ecsTypes maps each ECS category to the event types ECS expects with it
// (ECS 8.x "expected event types for category").
var ecsTypes = map[string][]string{
	CategoryAPI:                {TypeAccess, TypeAdmin, TypeAllowed, TypeChange, TypeCreation, TypeDeletion, TypeDenied, TypeEnd, TypeInfo, TypeStart, TypeUser},
	CategoryAuthentication:     {TypeStart, TypeEnd, TypeInfo},
	CategoryConfiguration:      {TypeAccess, TypeChange, TypeCreation, TypeDeletion, TypeInfo},
	CategoryDatabase:           {TypeAccess, TypeChange, TypeInfo, TypeError},
	CategoryDriver:             {TypeChange, TypeEnd, TypeInfo, TypeStart},
	CategoryFile:               {TypeAccess, TypeChange, TypeCreation, TypeDeletion, TypeInfo},
	CategoryHost:               {TypeAccess, TypeChange, TypeDevice, TypeEnd, TypeInfo, TypeStart},
	CategoryIAM:                {TypeAdmin, TypeChange, TypeCreation, TypeDeletion, TypeGroup, TypeInfo, TypeUser},
	CategoryIntrusionDetection: {TypeAllowed, TypeDenied, TypeInfo},
	CategoryLibrary:            {TypeStart},
	CategoryMalware:            {TypeInfo},
	CategoryNetwork:            {TypeAccess, TypeAllowed, TypeConnection, TypeDenied, TypeEnd, TypeInfo, TypeProtocol, TypeStart},
	CategoryPackage:            {TypeAccess, TypeChange, TypeDeletion, TypeInfo, TypeInstallation, TypeStart},
	CategoryProcess:            {TypeAccess, TypeChange, TypeEnd, TypeInfo, TypeStart},
	CategoryRegistry:           {TypeAccess, TypeChange, TypeCreation, TypeDeletion},
	CategorySession:            {TypeStart, TypeEnd, TypeInfo},
	CategoryThreat:             {TypeIndicator},
	CategoryVulnerability:      {TypeInfo},
	CategoryWeb:                {TypeAccess, TypeError, TypeInfo},
}

var allTypes = []string{
	TypeAccess, TypeAdmin, TypeAllowed, TypeChange, TypeConnection, TypeCreation,
	TypeDeletion, TypeDenied, TypeDevice, TypeEnd, TypeError, TypeGroup,
	TypeIndicator, TypeInfo, TypeInstallation, TypeProtocol, TypeStart, TypeUser,
}

// ValidCategory reports whether c is an ECS event.category value.
func ValidCategory(c string) bool {
	_, ok := ecsTypes[c]
	return ok
}

// ValidType reports whether t is an ECS event.type value.
func ValidType(t string) bool { return slices.Contains(allTypes, t) }

// ValidPair reports whether ECS expects event type t with category c.
func ValidPair(category, typ string) bool {
	return slices.Contains(ecsTypes[category], typ)
}

// ValidKind reports whether k is one of the four kinds vigil emits.
func ValidKind(k string) bool {
	switch k {
	case KindEvent, KindState, KindAlert, KindMetric:
		return true
	}
	return false
}

// Spec is the agreed categorisation of one catalogue action: an event with
// this action must carry Category among its categories and at least one of
// Types among its types. It may carry more values when they are valid ECS
// pairs (e.g. iam + ["user", "creation"]).
type Spec struct {
	Action   string
	Kind     string
	Category string
	Types    []string
}

func spec(kind, category, action string, types ...string) Spec {
	return Spec{Action: action, Kind: kind, Category: category, Types: types}
}

// catalogue is EVENTS.md as data.
var catalogue = func() map[string]Spec {
	specs := []Spec{
		spec(KindEvent, CategoryProcess, ActionExec, TypeStart),
		spec(KindEvent, CategoryProcess, ActionExit, TypeEnd),
		spec(KindEvent, CategoryAuthentication, ActionSSHLogin, TypeStart),
		spec(KindEvent, CategoryAuthentication, ActionUserLogin, TypeStart),
		spec(KindEvent, CategorySession, ActionUserLogout, TypeEnd),
		spec(KindEvent, CategoryProcess, ActionSudo, TypeStart),
		spec(KindEvent, CategoryAuthentication, ActionSudoAuth, TypeStart),
		spec(KindEvent, CategoryIAM, ActionUserAdded, TypeCreation),
		spec(KindEvent, CategoryIAM, ActionUserRemoved, TypeDeletion),
		spec(KindEvent, CategoryIAM, ActionUserChanged, TypeChange),
		spec(KindEvent, CategoryIAM, ActionGroupAdded, TypeCreation),
		spec(KindEvent, CategoryIAM, ActionGroupRemoved, TypeDeletion),
		spec(KindEvent, CategoryIAM, ActionGroupChanged, TypeChange),
		spec(KindEvent, CategoryIAM, ActionPasswordChanged, TypeChange),
		spec(KindEvent, CategoryFile, ActionCreated, TypeCreation),
		spec(KindEvent, CategoryFile, ActionUpdated, TypeChange),
		spec(KindEvent, CategoryFile, ActionDeleted, TypeDeletion),
		spec(KindEvent, CategoryFile, ActionAttributesModified, TypeChange),
		spec(KindEvent, CategoryFile, ActionMoved, TypeChange),
		spec(KindEvent, CategoryNetwork, ActionListenOpened, TypeStart),
		spec(KindEvent, CategoryNetwork, ActionListenClosed, TypeEnd),
		spec(KindEvent, CategoryNetwork, ActionConnectionOpened, TypeConnection),
		spec(KindMetric, CategoryNetwork, ActionTraffic, TypeInfo),
		spec(KindEvent, CategoryPackage, ActionPackageInstalled, TypeInstallation),
		spec(KindEvent, CategoryPackage, ActionPackageRemoved, TypeDeletion),
		spec(KindEvent, CategoryPackage, ActionPackageUpdated, TypeChange),
		spec(KindEvent, CategoryDriver, ActionModuleLoaded, TypeStart),
		spec(KindEvent, CategoryDriver, ActionModuleUnloaded, TypeEnd),
		spec(KindEvent, CategoryConfiguration, ActionServiceEnabled, TypeChange),
		spec(KindEvent, CategoryConfiguration, ActionServiceDisabled, TypeChange),
		spec(KindEvent, CategoryConfiguration, ActionCronChanged, TypeChange),
		spec(KindEvent, CategoryConfiguration, ActionSSHKeyAdded, TypeChange),
		spec(KindEvent, CategoryConfiguration, ActionSSHKeyRemoved, TypeChange),
		spec(KindEvent, CategoryHost, ActionAuditEventsLost, TypeInfo),
		spec(KindEvent, CategoryHost, ActionEventsDropped, TypeInfo),
		spec(KindMetric, CategoryHost, ActionCollectorHealth, TypeInfo),
		spec(KindEvent, CategoryHost, ActionHostOffline, TypeInfo),
		spec(KindEvent, CategoryHost, ActionHostOnline, TypeInfo),
		spec(KindState, CategoryPackage, ActionExistingPackage, TypeInfo),
		spec(KindState, CategoryIAM, ActionExistingUser, TypeInfo),
		spec(KindState, CategoryIAM, ActionExistingGroup, TypeInfo),
		spec(KindState, CategoryProcess, ActionExistingProcess, TypeInfo),
		spec(KindState, CategoryNetwork, ActionExistingSocket, TypeInfo),
		spec(KindState, CategoryDriver, ActionExistingModule, TypeInfo),
		spec(KindState, CategoryConfiguration, ActionExistingService, TypeInfo),
		spec(KindState, CategoryConfiguration, ActionExistingCron, TypeInfo),
		spec(KindState, CategoryConfiguration, ActionExistingSSHKey, TypeInfo),
	}
	m := make(map[string]Spec, len(specs))
	for _, s := range specs {
		m[s.Action] = s
	}
	return m
}()

// Lookup returns the catalogue entry of an action.
func Lookup(action string) (Spec, bool) {
	s, ok := catalogue[action]
	if ok {
		s.Types = slices.Clone(s.Types)
	}
	return s, ok
}

// Catalogue returns every catalogue entry, sorted by action.
func Catalogue() []Spec {
	out := make([]Spec, 0, len(catalogue))
	for _, s := range catalogue {
		s.Types = slices.Clone(s.Types)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Spec) int { return strings.Compare(a.Action, b.Action) })
	return out
}
