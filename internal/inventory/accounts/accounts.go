package accounts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Password states of a User.
const (
	StateSet     = "set"     // a usable hash is stored
	StateEmpty   = "empty"   // no password: login without one may be possible
	StateLocked  = "locked"  // "!" or "*" prefix; see User.PasswordHashed
	StateUnknown = "unknown" // passwd says "x" but shadow is absent or has no entry
)

// User is one local account.
type User struct {
	Name  string `json:"name"`
	UID   uint32 `json:"uid"`
	GID   uint32 `json:"gid"`
	GECOS string `json:"gecos,omitempty"`
	Home  string `json:"home"`
	Shell string `json:"shell"`
	// LoginShell is false for nologin, false, true, /dev/null and the
	// one-command shells sync, shutdown and halt.
	LoginShell bool `json:"login_shell"`

	// PasswordState is one of the State constants.
	PasswordState string `json:"password_state"`
	// PasswordHashed reports a stored crypt hash, also behind a "!" lock: such
	// an account becomes usable again by removing the "!". "*" and "!!" alone
	// mean the password was never set.
	PasswordHashed bool `json:"password_hashed"`
	// HashAlgorithm names the crypt scheme ("sha512", "yescrypt", "md5", "des",
	// ...) when a hash is stored.
	HashAlgorithm string `json:"hash_algorithm,omitempty"`

	// LastChange is the ISO date of the last password change, empty when
	// unknown. MustChange is set when shadow holds 0 (change at next login).
	LastChange string `json:"last_change,omitempty"`
	MustChange bool   `json:"must_change,omitempty"`
	MinAge     *int   `json:"min_age"`  // days; nil when not set
	MaxAge     *int   `json:"max_age"`  // days; nil when not set
	Warn       *int   `json:"warn"`     // days; nil when not set
	Inactive   *int   `json:"inactive"` // days; nil when not set
	// Expire is the ISO date the account expires, empty when it does not.
	Expire string `json:"expire,omitempty"`

	// Groups lists the primary group first (when it exists), then the
	// supplementary groups from /etc/group member lists, as `id -Gn` does.
	Groups []string `json:"groups"`

	passwd string // the passwd password field, only for Merge
}

// Group is one local group.
type Group struct {
	Name    string   `json:"name"`
	GID     uint32   `json:"gid"`
	Members []string `json:"members"`
	// Admins lists the group administrators from gshadow.
	Admins []string `json:"admins,omitempty"`
}

// Accounts is the joined view of the four account files.
type Accounts struct {
	Users  []User  `json:"users"`
	Groups []Group `json:"groups"`
	// NISLines counts "+"/"-" NIS compat lines in all four files; they name
	// accounts that live elsewhere and are not listed.
	NISLines int `json:"nis_lines,omitempty"`
	// ShadowOnly lists shadow entries that have no passwd user.
	ShadowOnly []string `json:"shadow_only,omitempty"`
	// ShadowReadable is false when /etc/shadow could not be read; password
	// states are then "unknown".
	ShadowReadable bool `json:"shadow_readable"`
}

// Size limits for the account files; far above any real system.
const (
	maxFile = 64 << 20
)

// Collect reads /etc/passwd, /etc/group, /etc/shadow and /etc/gshadow below root.
// A missing or unreadable passwd or group file is an error; missing shadow files
// only leave password states unknown and are recorded as skipped.
func Collect(ctx context.Context, root hostfs.Root) (Accounts, skipped.List, error) {
	var sk skipped.List
	if err := ctx.Err(); err != nil {
		return Accounts{}, nil, err
	}
	pw, err := root.ReadFile("/etc/passwd", maxFile)
	if err != nil {
		return Accounts{}, nil, fmt.Errorf("read passwd: %w", err)
	}
	gr, err := root.ReadFile("/etc/group", maxFile)
	if err != nil {
		return Accounts{}, nil, fmt.Errorf("read group: %w", err)
	}
	users, n1 := ParsePasswd("/etc/passwd", pw, &sk)
	groups, n2 := ParseGroup("/etc/group", gr, &sk)

	var shadow []Shadow
	var gshadow []GShadow
	var n3, n4 int
	sh, err := root.ReadFile("/etc/shadow", maxFile)
	shadowOK := err == nil
	if err == nil {
		shadow, n3 = ParseShadow("/etc/shadow", sh, &sk)
	} else {
		noteMissing(&sk, "/etc/shadow", err)
	}
	if gs, err := root.ReadFile("/etc/gshadow", maxFile); err == nil {
		gshadow, n4 = ParseGShadow("/etc/gshadow", gs, &sk)
	} else {
		noteMissing(&sk, "/etc/gshadow", err)
	}
	if err := ctx.Err(); err != nil {
		return Accounts{}, nil, err
	}
	a := Merge(users, groups, shadow, gshadow, shadowOK)
	a.NISLines = n1 + n2 + n3 + n4
	return a, sk, nil
}

func noteMissing(sk *skipped.List, file string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		sk.Add(file, 0, "not present")
		return
	}
	sk.Add(file, 0, "unreadable: %v", err)
}

// Merge joins parsed account files. shadowOK tells whether shadow was read at
// all; without it, users whose passwd field is "x" get StateUnknown.
func Merge(users []User, groups []Group, shadow []Shadow, gshadow []GShadow, shadowOK bool) Accounts {
	a := Accounts{Users: users, Groups: groups, ShadowReadable: shadowOK}
	byShadow := make(map[string]*Shadow, len(shadow))
	for i := range shadow {
		if _, dup := byShadow[shadow[i].Name]; !dup {
			byShadow[shadow[i].Name] = &shadow[i]
		}
	}
	byGShadow := make(map[string]*GShadow, len(gshadow))
	for i := range gshadow {
		if _, dup := byGShadow[gshadow[i].Name]; !dup {
			byGShadow[gshadow[i].Name] = &gshadow[i]
		}
	}
	gidName := make(map[uint32]string, len(groups))
	memberOf := make(map[string][]string)
	for i := range a.Groups {
		g := &a.Groups[i]
		if _, dup := gidName[g.GID]; !dup {
			gidName[g.GID] = g.Name
		}
		if gs := byGShadow[g.Name]; gs != nil {
			g.Admins = gs.Admins
		}
		for _, m := range g.Members {
			memberOf[m] = appendUnique(memberOf[m], g.Name)
		}
	}
	seen := make(map[string]bool, len(users))
	for i := range a.Users {
		u := &a.Users[i]
		seen[u.Name] = true
		applyPassword(u, byShadow[u.Name])
		u.Groups = nil
		if name, ok := gidName[u.GID]; ok {
			u.Groups = append(u.Groups, name)
		}
		for _, g := range memberOf[u.Name] {
			u.Groups = appendUnique(u.Groups, g)
		}
	}
	for _, s := range shadow {
		if !seen[s.Name] {
			a.ShadowOnly = appendUnique(a.ShadowOnly, s.Name)
		}
	}
	return a
}

func applyPassword(u *User, s *Shadow) {
	field := u.passwd
	if field == "x" {
		if s == nil {
			u.PasswordState = StateUnknown
			return
		}
		field = s.Password
	}
	u.PasswordState, u.PasswordHashed = PasswordState(field)
	u.HashAlgorithm = HashAlgorithm(field)
	if s == nil {
		return
	}
	if s.LastChange != nil {
		if *s.LastChange == 0 {
			u.MustChange = true
		} else {
			u.LastChange = epochDate(*s.LastChange)
		}
	}
	u.MinAge, u.MaxAge, u.Warn, u.Inactive = s.MinAge, s.MaxAge, s.Warn, s.Inactive
	if s.Expire != nil {
		u.Expire = epochDate(*s.Expire)
	}
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
