package baseline

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/vigil-sec/vigil/internal/sca"
)

// PolicyID is the id of the built-in policy, shared by every category file.
const PolicyID = "vigil_baseline"

// Categories lists the check categories of the built-in policy, in report
// order. Each has one file policy/<category>.yml.
var Categories = []string{
	"ssh", "authentication", "access_control", "file_permissions", "filesystem",
	"kernel", "kernel_modules", "services", "network", "audit", "logging", "time",
	"firewall", "cron", "banners", "updates", "boot",
}

//go:embed policy/*.yml
var policyFS embed.FS

// Files returns the embedded category files, name (policy/<category>.yml) to
// content, for tools that show or export the policy.
func Files() (map[string][]byte, error) {
	names, err := fs.Glob(policyFS, "policy/*.yml")
	if err != nil {
		return nil, fmt.Errorf("list baseline policy: %w", err)
	}
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		data, err := policyFS.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read baseline policy: %w", err)
		}
		out[n] = data
	}
	return out, nil
}

// Load loads every category file with the SCA loader and merges them into one
// policy with id vigil_baseline. Checks keep their file order, categories the
// order of Categories. It fails when a file does not load, a category file is
// missing or unexpected, a file's policy id is not vigil_baseline, a check's
// category differs from its file, or a check id or vigil_id repeats.
func Load() (*sca.Policy, error) {
	files, err := Files()
	if err != nil {
		return nil, err
	}
	merged := &sca.Policy{
		ID:          PolicyID,
		File:        "vigil_baseline",
		Name:        "vigil built-in baseline",
		Description: "vigil's own server hardening checks: SSH, authentication, accounts and sudo, file permissions, file systems, kernel, services, network, audit, logging, time, firewall, cron, banners, updates and boot.",
		RegexType:   sca.RegexPCRE2,
		Source:      "builtin:vigil_baseline",
		Variables:   map[string]string{},
	}
	var errs []error
	ids := map[int]string{}
	vids := map[string]string{}
	for _, cat := range Categories {
		name := "policy/" + cat + ".yml"
		data, ok := files[name]
		if !ok {
			errs = append(errs, fmt.Errorf("baseline: category %s has no file %s", cat, name))
			continue
		}
		delete(files, name)
		p, err := sca.Load(name, data)
		if err != nil {
			errs = append(errs, fmt.Errorf("baseline: %w", err))
			continue
		}
		if p.ID != PolicyID {
			errs = append(errs, fmt.Errorf("baseline: %s: policy id %q, want %q", name, p.ID, PolicyID))
		}
		for _, c := range p.Checks {
			where := fmt.Sprintf("%s:%d", name, c.Line)
			if c.Category != cat {
				errs = append(errs, fmt.Errorf("baseline: %s: check %d has category %q in file of %q", where, c.ID, c.Category, cat))
			}
			if prev, dup := ids[c.ID]; dup {
				errs = append(errs, fmt.Errorf("baseline: %s: check id %d already used at %s", where, c.ID, prev))
			}
			if prev, dup := vids[c.VigilID]; dup {
				errs = append(errs, fmt.Errorf("baseline: %s: vigil_id %s already used at %s", where, c.VigilID, prev))
			}
			ids[c.ID], vids[c.VigilID] = where, where
			merged.Checks = append(merged.Checks, c)
		}
	}
	extra := make([]string, 0, len(files))
	for n := range files {
		extra = append(extra, path.Base(n))
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		errs = append(errs, fmt.Errorf("baseline: files of unknown categories: %s", strings.Join(extra, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return merged, nil
}
