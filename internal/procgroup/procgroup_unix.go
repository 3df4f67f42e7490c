//go:build unix

// Package procgroup runs a child command in a process group of its own, so
// that cancelling its context kills the whole group (a pipeline's children,
// a follower's helpers), not only the direct child.
package procgroup

import (
	"os/exec"
	"syscall"
)

// Set makes cmd start in its own process group and makes its cancellation
// (exec.CommandContext) kill that group with SIGKILL. Call it before
// cmd.Start.
func Set(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
