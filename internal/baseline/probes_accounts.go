package baseline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/inventory/accounts"
	"github.com/vigil-sec/vigil/internal/sca"
)

func init() {
	sca.RegisterProbe("accounts.uid0", probeUID0)
	sca.RegisterProbe("accounts.empty_password", accountsProbe("accounts.empty_password", emptyPasswords))
	sca.RegisterProbe("accounts.duplicate_uid", accountsProbe("accounts.duplicate_uid", func(a accounts.Accounts, _ loginDefs) []string {
		return dupLines(a.DuplicateUIDs())
	}))
	sca.RegisterProbe("accounts.duplicate_gid", accountsProbe("accounts.duplicate_gid", func(a accounts.Accounts, _ loginDefs) []string {
		return dupLines(a.DuplicateGIDs())
	}))
	sca.RegisterProbe("accounts.duplicate_user", accountsProbe("accounts.duplicate_user", duplicateUsers))
	sca.RegisterProbe("accounts.duplicate_group", accountsProbe("accounts.duplicate_group", duplicateGroups))
	sca.RegisterProbe("accounts.system_with_shell", accountsProbe("accounts.system_with_shell", systemWithShell))
	sca.RegisterProbe("accounts.missing_group", accountsProbe("accounts.missing_group", func(a accounts.Accounts, _ loginDefs) []string {
		var out []string
		for _, u := range a.MissingPrimaryGroup() {
			out = append(out, fmt.Sprintf("%s %d", u.Name, u.GID))
		}
		return out
	}))
	sca.RegisterProbe("accounts.no_max_age", accountsProbe("accounts.no_max_age", noMaxAge))
	sca.RegisterProbe("accounts.stale", probeStale)
	sca.RegisterProbe("accounts.home_problems", probeHomeProblems)
	sca.RegisterProbe("accounts.shadow_group_members", accountsProbe("accounts.shadow_group_members", shadowMembers))
}

// loginDefs holds the login.defs values the account checks use.
type loginDefs struct {
	UIDMin      uint32
	PassMaxDays int // -1 when unset
}

// parseLoginDefs reads UID_MIN and PASS_MAX_DAYS from login.defs ("NAME VALUE"
// lines, "#" comments); unreadable values keep the defaults (1000, unset).
func parseLoginDefs(data []byte) loginDefs {
	d := loginDefs{UIDMin: 1000, PassMaxDays: -1}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "UID_MIN":
			if n, err := strconv.ParseUint(f[1], 10, 32); err == nil {
				d.UIDMin = uint32(n)
			}
		case "PASS_MAX_DAYS":
			if n, err := strconv.Atoi(f[1]); err == nil {
				d.PassMaxDays = n
			}
		}
	}
	return d
}

func readLoginDefs(env *sca.Env) loginDefs {
	v, _ := env.Shared("login.defs", func() (any, error) {
		b, err := env.Root.ReadFile("/etc/login.defs", 1<<20)
		if err != nil {
			return parseLoginDefs(nil), nil
		}
		return parseLoginDefs(b), nil
	})
	return v.(loginDefs)
}

// accountsProbe wraps a query over the accounts into a probe without arguments.
func accountsProbe(name string, q func(accounts.Accounts, loginDefs) []string) sca.ProbeFunc {
	return func(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
		if err := noArgs(name, args); err != nil {
			return nil, err
		}
		a, err := loadAccounts(ctx, env)
		if err != nil {
			return nil, err
		}
		return q(a, readLoginDefs(env)), nil
	}
}

func probeUID0(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	return accountsProbe("accounts.uid0", func(a accounts.Accounts, _ loginDefs) []string {
		return slices.DeleteFunc(a.UIDZero(), func(n string) bool { return n == "root" })
	})(ctx, env, args)
}

func emptyPasswords(a accounts.Accounts, _ loginDefs) []string {
	var out []string
	for _, u := range a.Users {
		if u.PasswordState == accounts.StateEmpty {
			out = append(out, u.Name)
		}
	}
	return out
}

func dupLines(ds []accounts.Duplicate) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d %s", d.ID, strings.Join(d.Names, ",")))
	}
	return out
}

// duplicateUsers: "NAME uid1,uid2" per user name that appears more than once.
func duplicateUsers(a accounts.Accounts, _ loginDefs) []string {
	var out []string
	for _, n := range a.DuplicateUserNames() {
		var ids []string
		for _, u := range a.Users {
			if u.Name == n {
				ids = append(ids, strconv.FormatUint(uint64(u.UID), 10))
			}
		}
		out = append(out, n+" "+strings.Join(ids, ","))
	}
	return out
}

// duplicateGroups: "NAME gid1,gid2" per group name that appears more than once.
func duplicateGroups(a accounts.Accounts, _ loginDefs) []string {
	var out []string
	for _, n := range a.DuplicateGroupNames() {
		var ids []string
		for _, g := range a.Groups {
			if g.Name == n {
				ids = append(ids, strconv.FormatUint(uint64(g.GID), 10))
			}
		}
		out = append(out, n+" "+strings.Join(ids, ","))
	}
	return out
}

// isHuman reports whether u is a person's account: UID_MIN or above, not nobody.
func isHuman(u accounts.User, d loginDefs) bool {
	return u.UID >= d.UIDMin && u.UID != 65534 && u.Name != "nobody"
}

func systemWithShell(a accounts.Accounts, d loginDefs) []string {
	var out []string
	for _, u := range a.Users {
		switch u.Name {
		case "root", "sync", "shutdown", "halt":
			continue
		}
		if u.UID < d.UIDMin && u.LoginShell {
			out = append(out, u.Name)
		}
	}
	return out
}

func noMaxAge(a accounts.Accounts, d loginDefs) []string {
	var out []string
	for _, u := range a.Users {
		if !isHuman(u, d) || u.PasswordState != accounts.StateSet {
			continue
		}
		if u.MaxAge == nil || *u.MaxAge > 365 || *u.MaxAge < 0 {
			out = append(out, u.Name)
		}
	}
	return out
}

func shadowMembers(a accounts.Accounts, _ loginDefs) []string {
	g, ok := a.Group("shadow")
	if !ok {
		return nil
	}
	out := slices.Clone(g.Members)
	for _, u := range a.Users {
		if u.GID == g.GID && !slices.Contains(out, u.Name) {
			out = append(out, u.Name)
		}
	}
	return out
}

// probeStale: [DAYS]; human accounts with a usable password older than DAYS.
func probeStale(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	days := 90
	if len(args) > 1 {
		return nil, fmt.Errorf("accounts.stale takes at most DAYS, got %q", args)
	}
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("accounts.stale: bad day count %q", args[0])
		}
		days = n
	}
	a, err := loadAccounts(ctx, env)
	if err != nil {
		return nil, err
	}
	d := readLoginDefs(env)
	limit := time.Now().UTC().AddDate(0, 0, -days).Format(time.DateOnly)
	var out []string
	for _, u := range a.Users {
		if !isHuman(u, d) || u.PasswordState != accounts.StateSet || u.LastChange == "" {
			continue
		}
		if u.LastChange < limit { // both YYYY-MM-DD
			out = append(out, u.Name+" last_change="+u.LastChange)
		}
	}
	return out, nil
}

// probeHomeProblems: "USER PATH problem" for homes that are missing,
// world- or group-writable or owned by someone else, and world-writable dot files.
func probeHomeProblems(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("accounts.home_problems", args); err != nil {
		return nil, err
	}
	a, err := loadAccounts(ctx, env)
	if err != nil {
		return nil, err
	}
	d := readLoginDefs(env)
	var out []string
	for _, u := range a.Users {
		if !(isHuman(u, d) || u.UID == 0) || !u.LoginShell || u.Home == "" || u.Home == "/" {
			continue
		}
		fi, err := env.Root.Stat(u.Home)
		if err != nil {
			out = append(out, u.Name+" "+u.Home+" missing")
			continue
		}
		m := unixMode(fi)
		if m&0o002 != 0 {
			out = append(out, u.Name+" "+u.Home+" world-writable")
		}
		if m&0o020 != 0 {
			out = append(out, u.Name+" "+u.Home+" group-writable")
		}
		if uid, _, ok := owner(fi); ok && uid != u.UID {
			out = append(out, fmt.Sprintf("%s %s owned by uid %d", u.Name, u.Home, uid))
		}
		out = append(out, dotFileProblems(env, u)...)
	}
	return out, nil
}

func dotFileProblems(env *sca.Env, u accounts.User) []string {
	ents, err := env.Root.ReadDir(u.Home)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), ".") || e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		p := strings.TrimSuffix(u.Home, "/") + "/" + e.Name()
		fi, err := env.Root.Lstat(p)
		if err == nil && unixMode(fi)&0o002 != 0 {
			out = append(out, u.Name+" "+p+" world-writable")
		}
	}
	return out
}
