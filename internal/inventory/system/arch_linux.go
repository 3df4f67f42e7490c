package system

import "golang.org/x/sys/unix"

// unameMachine returns the live kernel's machine name (uname -m).
func unameMachine() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Machine[:])
}
