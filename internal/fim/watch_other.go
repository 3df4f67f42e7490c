//go:build !linux

package fim

import (
	"errors"
	"fmt"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

func newFanotify(hostfs.Root, *Scanner) (Watcher, error) {
	return nil, fmt.Errorf("fanotify: %w", errors.ErrUnsupported)
}

func newInotify(hostfs.Root, *Scanner, int) (Watcher, error) {
	return nil, fmt.Errorf("inotify: %w", errors.ErrUnsupported)
}
