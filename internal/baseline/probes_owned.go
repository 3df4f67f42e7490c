package baseline

import (
	"context"
	"fmt"

	"github.com/vigil-sec/vigil/internal/inventory/packages"
	"github.com/vigil-sec/vigil/internal/sca"
)

func init() {
	sca.RegisterProbe("fs.suid_sgid_unpackaged", probeFSSUIDSGIDUnpackaged)
}

// ownedFiles reads the installed packages' file lists once per scan. A
// database that fails to read does not fail the probe when the others gave
// paths; with none at all, the error is returned.
func ownedFiles(ctx context.Context, env *sca.Env) (*packages.FileSet, error) {
	v, err := env.Shared("packages.owned_files", func() (any, error) {
		s, _, err := packages.OwnedFiles(ctx, env.Root)
		if err != nil && s.Len() == 0 {
			return nil, err
		}
		return s, nil
	})
	if err != nil {
		return nil, fmt.Errorf("read package file lists: %w", err)
	}
	return v.(*packages.FileSet), nil
}

// probeFSSUIDSGIDUnpackaged: "PATH suid|sgid|suid,sgid OWNER" for every
// setuid or setgid regular file of the scan's file system walk that no
// installed package owns. Not applicable when the host has no package file
// lists (dpkg info/*.list, apk installed, rpm headers) to compare against.
func probeFSSUIDSGIDUnpackaged(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("fs.suid_sgid_unpackaged", args); err != nil {
		return nil, err
	}
	owned, err := ownedFiles(ctx, env)
	if err != nil {
		return nil, err
	}
	if owned.Len() == 0 {
		return nil, notApplicable("no package file lists to compare setuid/setgid files against")
	}
	s, err := scanFS(ctx, env)
	if err != nil {
		return nil, err
	}
	var names idNames
	if a, err := loadAccounts(ctx, env); err == nil {
		names = namesOf(a)
	}
	var lines []string
	for _, e := range s.SUIDSGID {
		if owned.Contains(e.Path) {
			continue
		}
		lines = append(lines, e.Path+" "+suidLabel(e.Mode)+" "+names.user(e.UID))
	}
	return capLines(lines), nil
}
