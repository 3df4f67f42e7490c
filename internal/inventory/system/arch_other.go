//go:build !linux

package system

// unameMachine is only implemented on Linux.
func unameMachine() string { return "" }
