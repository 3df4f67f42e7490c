//go:build !unix

package journal

import "os/exec"

// setProcessGroup is a no-op where process groups do not exist;
// cancellation kills only journalctl itself.
func setProcessGroup(cmd *exec.Cmd) {}
