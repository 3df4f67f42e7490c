//go:build !linux

package baseline

import (
	"context"
	"errors"
)

// walkFS is only implemented for Linux.
func walkFS(ctx context.Context, rootDir string, p walkPlan) (*fsScan, error) {
	return nil, errors.ErrUnsupported
}
