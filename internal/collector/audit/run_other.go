//go:build !linux

package audit

import (
	"context"
	"fmt"

	"github.com/vigil-sec/vigil/internal/collector"
	"github.com/vigil-sec/vigil/internal/event"
)

func available(deps collector.Deps) (bool, string) { return false, "Linux audit only exists on Linux" }

// Run returns collector.ErrUnavailable outside Linux.
func (c *Collector) Run(ctx context.Context, emit collector.Emit, h *collector.Health) error {
	h.Set(event.CollectorStateFailed, "Linux audit only exists on Linux")
	return fmt.Errorf("%w: audit is Linux only", collector.ErrUnavailable)
}
