//go:build unix

package journal

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs journalctl in its own process group and makes
// cancellation kill the whole group: journalctl only reads journal files, so
// a kill loses nothing, and the agent's stop is not held up by it. If the
// agent itself is killed, journalctl --follow sees its output pipe close and
// exits by itself.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
