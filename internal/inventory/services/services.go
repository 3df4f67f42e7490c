package services

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Managers.
const (
	ManagerSystemd = "systemd"
	ManagerOpenRC  = "openrc"
	ManagerSysV    = "sysv"
)

// States, as `systemctl list-unit-files` names them where they exist.
const (
	StateEnabled        = "enabled"
	StateEnabledRuntime = "enabled-runtime" // linked from /run only
	StateDisabled       = "disabled"
	StateStatic         = "static" // no [Install] section: started only as a dependency
	StateIndirect       = "indirect"
	StateMasked         = "masked"
	StateAlias          = "alias"  // another name of Target
	StateLinked         = "linked" // unit file outside the unit directories
	StateBad            = "bad"    // unit file unreadable
)

// Activity.
const (
	ActiveActive   = "active"
	ActiveInactive = "inactive"
	ActiveUnknown  = "unknown"
)

// Service is one unit or init script.
type Service struct {
	Name     string `json:"name"`
	Manager  string `json:"manager"`
	State    string `json:"state"`
	Active   string `json:"active"`
	UnitFile string `json:"unit_file,omitempty"`
	// Target is what an alias or linked unit points to.
	Target      string `json:"target,omitempty"`
	Description string `json:"description,omitempty"`
	// EnabledBy lists the targets (systemd) or runlevels (OpenRC, SysV) that
	// start the service.
	EnabledBy []string `json:"enabled_by,omitempty"`
}

// Enabled reports whether the service starts on its own (enabled, also only
// for this boot).
func (s Service) Enabled() bool {
	return s.State == StateEnabled || s.State == StateEnabledRuntime
}

// Collect lists systemd units, OpenRC services and SysV init scripts below
// root. Units and scripts it cannot read are recorded in the skipped list.
func Collect(ctx context.Context, root hostfs.Root) ([]Service, skipped.List, error) {
	var sk skipped.List
	units, err := collectSystemd(ctx, root, &sk)
	if err != nil {
		return nil, nil, err
	}
	out := units
	have := map[string]bool{}
	for _, u := range units {
		if base, ok := cutSuffix(u.Name, ".service"); ok {
			have[base] = true
		}
	}
	if isOpenRC(root) {
		out = append(out, collectOpenRC(root, &sk)...)
	} else {
		for _, s := range collectSysV(root, &sk) {
			if !have[strings.TrimSuffix(s.Name, ".sh")] { // as systemd-sysv-generator names them
				out = append(out, s)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Manager != out[j].Manager {
			return out[i].Manager > out[j].Manager // systemd, sysv, openrc
		}
		return out[i].Name < out[j].Name
	})
	return out, sk, nil
}

// Find returns the service named name ("ssh.service", or "sshd" for
// init scripts), following an alias to its target.
func Find(list []Service, name string) (Service, bool) {
	i := slices.IndexFunc(list, func(s Service) bool { return s.Name == name })
	if i < 0 {
		return Service{}, false
	}
	s := list[i]
	if s.State == StateAlias && s.Target != "" {
		if j := slices.IndexFunc(list, func(t Service) bool { return t.Name == s.Target }); j >= 0 {
			return list[j], true
		}
	}
	return s, true
}

func cutSuffix(s, suf string) (string, bool) {
	if len(s) > len(suf) && s[len(s)-len(suf):] == suf {
		return s[:len(s)-len(suf)], true
	}
	return s, false
}
