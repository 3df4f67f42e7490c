package collector

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteStateFile replaces dir/name with data atomically: a temporary file in
// dir, fsync, rename. A reader (or a restart after a crash) sees the old
// content or the new one, never a mix. Collectors keep their positions,
// baselines and seen-sets in Deps.StateDir with it.
func WriteStateFile(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		return fmt.Errorf("write state %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write state %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("write state %s: %w", name, err)
	}
	return nil
}
