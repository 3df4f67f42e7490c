package baseline

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigil-sec/vigil/internal/inventory/sshkeys"
	"github.com/vigil-sec/vigil/internal/inventory/sudoers"
	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/sshdconfig"
)

func init() {
	sca.RegisterProbe("sudo.nopasswd", sudoProbe("sudo.nopasswd", sudoNoPasswd))
	sca.RegisterProbe("sudo.all_grants", sudoProbe("sudo.all_grants", sudoAllGrants))
	sca.RegisterProbe("sudo.defaults", sudoProbe("sudo.defaults", sudoDefaults))
	sca.RegisterProbe("sshkeys.weak", keysProbe("sshkeys.weak", weakKeys))
	sca.RegisterProbe("sshkeys.root", keysProbe("sshkeys.root", rootKeys))
}

// loadSudoers parses the sudo policy once per scan; NotApplicable without
// /etc/sudoers.
func loadSudoers(ctx context.Context, env *sca.Env) (sudoers.Sudoers, error) {
	v, err := env.Shared("sudoers", func() (any, error) {
		s, _, err := sudoers.Collect(ctx, env.Root)
		return s, err
	})
	if err != nil {
		return sudoers.Sudoers{}, fmt.Errorf("read sudoers: %w", err)
	}
	s := v.(sudoers.Sudoers)
	if !s.Present {
		return s, notApplicable("no %s", sudoers.MainFile)
	}
	return s, nil
}

func sudoProbe(name string, q func(sudoers.Sudoers) []string) sca.ProbeFunc {
	return func(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
		if err := noArgs(name, args); err != nil {
			return nil, err
		}
		s, err := loadSudoers(ctx, env)
		if err != nil {
			return nil, err
		}
		return q(s), nil
	}
}

func sudoNoPasswd(s sudoers.Sudoers) []string {
	var out []string
	for _, r := range s.Rules {
		if r.NoPasswd {
			out = append(out, fmt.Sprintf("%s:%d %s", r.File, r.Line, strings.Join(r.Users, ",")))
		}
	}
	return out
}

// sudoAllGrantExempt are the principals expected to hold ALL.
var sudoAllGrantExempt = []string{"root", "%sudo", "%wheel", "%admin"}

func sudoAllGrants(s sudoers.Sudoers) []string {
	var out []string
	for _, r := range s.Rules {
		if !r.AllCommands {
			continue
		}
		var who []string
		for _, u := range r.Users {
			if !slices.Contains(sudoAllGrantExempt, u) {
				who = append(who, u)
			}
		}
		if len(who) > 0 {
			out = append(out, fmt.Sprintf("%s:%d %s", r.File, r.Line, strings.Join(who, ",")))
		}
	}
	return out
}

// sudoDefaults: one line per Defaults setting; scoped ones name their scope:
// "!authenticate (Defaults:guest)".
func sudoDefaults(s sudoers.Sudoers) []string {
	var out []string
	for _, d := range s.Defaults {
		scope := ""
		if d.Scope != "global" && d.Scope != "" {
			sep := map[string]string{"user": ":", "runas": ">", "host": "@", "command": "!"}[d.Scope]
			scope = " (Defaults" + sep + strings.Join(d.Targets, ",") + ")"
		}
		for _, st := range d.Settings {
			line := st.Name
			if st.Negated {
				line = "!" + line
			}
			if st.Op != "" {
				line += st.Op + st.Value
			}
			out = append(out, line+scope)
		}
	}
	return out
}

// loadKeys reads every user's authorized keys once per scan, from the files
// sshd's AuthorizedKeysFile names.
func loadKeys(ctx context.Context, env *sca.Env) ([]sshkeys.Key, error) {
	a, err := loadAccounts(ctx, env)
	if err != nil {
		return nil, err
	}
	v, err := env.Shared("sshkeys", func() (any, error) {
		var patterns []string
		if c, err := sshdconfig.Load(ctx, env.Root, sshdconfig.DefaultPath); err == nil {
			if v, ok := c.Value("authorizedkeysfile"); ok && v != "none" {
				patterns = strings.Fields(v)
			}
		}
		keys, _, err := sshkeys.Collect(ctx, env.Root, a.Users, patterns)
		return keys, err
	})
	if err != nil {
		return nil, fmt.Errorf("read authorized keys: %w", err)
	}
	return v.([]sshkeys.Key), nil
}

func keysProbe(name string, q func([]sshkeys.Key) []string) sca.ProbeFunc {
	return func(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
		if err := noArgs(name, args); err != nil {
			return nil, err
		}
		keys, err := loadKeys(ctx, env)
		if err != nil {
			return nil, err
		}
		return q(keys), nil
	}
}

// isWeakKey: DSA at any size, RSA under 2048 bits, ECDSA under 256.
func isWeakKey(k sshkeys.Key) bool {
	t := strings.TrimSuffix(k.Type, "-cert-v01@openssh.com")
	switch {
	case t == "ssh-dss":
		return true
	case t == "ssh-rsa":
		return k.Bits < 2048
	case strings.HasPrefix(t, "ecdsa-"), strings.HasPrefix(t, "sk-ecdsa-"):
		return k.Bits < 256
	}
	return false
}

func weakKeys(keys []sshkeys.Key) []string {
	var out []string
	for _, k := range keys {
		if isWeakKey(k) {
			out = append(out, k.User+" "+k.File+":"+strconv.Itoa(k.Line)+" "+k.Type+" "+strconv.Itoa(k.Bits))
		}
	}
	return out
}

func rootKeys(keys []sshkeys.Key) []string {
	var out []string
	for _, k := range keys {
		if k.User == "root" {
			out = append(out, strings.TrimSpace(k.Type+" "+strconv.Itoa(k.Bits)+" "+k.Fingerprint+" "+k.Comment))
		}
	}
	return out
}
