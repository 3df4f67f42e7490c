//go:build !unix

// Package procgroup runs a child command in a process group of its own where
// the system has them.
package procgroup

import "os/exec"

// Set is a no-op where process groups do not exist: cancellation kills only
// the direct child.
func Set(cmd *exec.Cmd) {}
