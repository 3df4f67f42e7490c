package modules

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Inventory is the loaded modules and the modprobe configuration.
type Inventory struct {
	// LoadedKnown is false when /proc/modules is absent (no module support,
	// or a fixture without /proc); Loaded is then empty.
	LoadedKnown bool           `json:"loaded_known"`
	Loaded      []Module       `json:"loaded"`
	Config      ModprobeConfig `json:"config"`
}

// IsLoaded reports whether a module of that name is loaded.
func (inv Inventory) IsLoaded(name string) bool {
	name = Normalize(name)
	for _, m := range inv.Loaded {
		if Normalize(m.Name) == name {
			return true
		}
	}
	return false
}

// ConfigDirs are kmod's configuration directories in order of precedence: a
// file in an earlier one hides a file of the same name in a later one.
var ConfigDirs = []string{
	"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
	"/usr/lib/modprobe.d", "/lib/modprobe.d",
}

const maxFile = 4 << 20

// Collect reads /proc/modules, the modprobe.d directories and /proc/cmdline
// below root.
func Collect(ctx context.Context, root hostfs.Root) (Inventory, skipped.List, error) {
	var sk skipped.List
	var inv Inventory
	data, err := root.ReadFile("/proc/modules", maxFile)
	switch {
	case err == nil:
		inv.LoadedKnown = true
		inv.Loaded = ParseProcModules("/proc/modules", data, &sk)
	case !errors.Is(err, fs.ErrNotExist):
		sk.Add("/proc/modules", 0, "unreadable: %v", err)
	}
	cfg, err := CollectConfig(ctx, root, &sk)
	if err != nil {
		return Inventory{}, nil, err
	}
	inv.Config = cfg
	return inv, sk, nil
}

// CollectConfig reads the modprobe configuration: *.conf files of ConfigDirs
// in kmod's order (sorted by file name across directories) and the kernel
// command line.
func CollectConfig(ctx context.Context, root hostfs.Root, sk *skipped.List) (ModprobeConfig, error) {
	var cfg ModprobeConfig
	byName := map[string]string{}
	for _, dir := range ConfigDirs {
		ents, err := root.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			if !strings.HasSuffix(n, ".conf") || e.IsDir() {
				continue
			}
			if _, hidden := byName[n]; !hidden {
				byName[n] = path.Join(dir, n)
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return ModprobeConfig{}, err
		}
		file := byName[n]
		data, err := root.ReadFile(file, maxFile)
		if err != nil {
			sk.Add(file, 0, "unreadable: %v", err)
			continue
		}
		cfg.Files = append(cfg.Files, file)
		cfg.Directives = append(cfg.Directives, ParseModprobe(file, data, sk)...)
	}
	if data, err := root.ReadFile("/proc/cmdline", 64<<10); err == nil {
		cfg.KernelBlacklist, cfg.CmdlineBlacklist = ParseCmdline(data)
	}
	return cfg, nil
}
