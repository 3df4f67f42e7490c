//go:build !unix

package sca

import "os/exec"

// setProcessGroup is a no-op where process groups do not exist; cancellation
// kills only the direct child.
func setProcessGroup(cmd *exec.Cmd) {}
