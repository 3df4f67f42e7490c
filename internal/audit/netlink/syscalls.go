package netlink

import (
	"runtime"
	"slices"
)

// Audit architecture values (AUDIT_ARCH_*): the ELF machine with the 64-bit
// and little-endian bits.
const (
	ArchX8664   uint32 = 0xC000003E
	ArchI386    uint32 = 0x40000003
	ArchAArch64 uint32 = 0xC00000B7
	ArchARM     uint32 = 0x40000028
)

// archNames maps auditctl's arch names to values.
var archNames = map[string]uint32{
	"x86_64": ArchX8664, "i386": ArchI386, "i686": ArchI386,
	"aarch64": ArchAArch64, "arm": ArchARM, "armeb": ArchARM,
}

// archName returns auditctl's name of an arch value as "auditctl -l" prints it.
func archName(a uint32) (string, bool) {
	b64, b32 := nativeArches()
	switch a {
	case b64:
		return "b64", true
	case b32:
		return "b32", true
	case ArchX8664:
		return "x86_64", true
	case ArchI386:
		return "i386", true
	case ArchAArch64:
		return "aarch64", true
	case ArchARM:
		return "arm", true
	}
	return "", false
}

// nativeArches returns the 64-bit and 32-bit audit arches of the machine vigil
// was built for: "b64" and "b32" in rule specs.
func nativeArches() (b64, b32 uint32) {
	if runtime.GOARCH == "arm64" {
		return ArchAArch64, ArchARM
	}
	return ArchX8664, ArchI386
}

// syscallTables holds the syscalls vigil's rules name, per arch. Other
// syscalls can be given by number.
var syscallTables = map[uint32]map[string]int{
	ArchX8664: {
		"read": 0, "write": 1, "open": 2, "close": 3, "connect": 42, "accept": 43, "bind": 49,
		"listen": 50, "clone": 56, "fork": 57, "vfork": 58, "execve": 59, "kill": 62,
		"rename": 82, "mkdir": 83, "rmdir": 84, "creat": 85, "link": 86, "unlink": 87,
		"symlink": 88, "chmod": 90, "fchmod": 91, "chown": 92, "fchown": 93, "lchown": 94,
		"ptrace": 101, "setuid": 105, "setgid": 106, "setreuid": 113, "setregid": 114,
		"setresuid": 117, "setresgid": 119, "adjtimex": 159, "chroot": 161,
		"settimeofday": 164, "mount": 165, "umount2": 166, "sethostname": 170,
		"setdomainname": 171, "init_module": 175, "delete_module": 176,
		"clock_settime": 227, "openat": 257, "mkdirat": 258, "fchownat": 260,
		"unlinkat": 263, "renameat": 264, "linkat": 265, "symlinkat": 266, "fchmodat": 268,
		"accept4": 288, "finit_module": 313, "renameat2": 316, "execveat": 322,
		"open_by_handle_at": 304, "bpf": 321, "memfd_create": 319, "kexec_load": 246,
		"kexec_file_load": 320, "clock_adjtime": 305, "pivot_root": 155, "openat2": 437,
		"move_mount": 429, "fsmount": 432, "mount_setattr": 442,
	},
	ArchI386: {
		"read": 3, "write": 4, "open": 5, "close": 6, "creat": 8, "link": 9, "unlink": 10,
		"execve": 11, "chmod": 15, "lchown": 16, "mount": 21, "setuid": 23, "stime": 25,
		"ptrace": 26, "kill": 37, "rename": 38, "mkdir": 39, "rmdir": 40, "umount2": 52,
		"chroot": 61, "settimeofday": 79, "symlink": 83, "fchmod": 94, "fchown": 95,
		"socketcall": 102, "clone": 120, "adjtimex": 124, "init_module": 128,
		"delete_module": 129, "fork": 2, "vfork": 190, "chown": 182, "clock_settime": 264,
		"openat": 295, "unlinkat": 301, "renameat": 302, "fchmodat": 306, "fchownat": 298,
		"finit_module": 350, "execveat": 358, "connect": 362, "clock_settime64": 404,
		"clock_adjtime": 343, "clock_adjtime64": 405, "setuid32": 213, "setgid32": 214,
		"chown32": 212, "lchown32": 198, "fchown32": 207, "openat2": 437,
	},
	ArchAArch64: {
		"openat": 56, "close": 57, "read": 63, "write": 64, "mount": 40, "umount2": 39,
		"unlinkat": 35, "symlinkat": 36, "linkat": 37, "renameat": 38, "mkdirat": 34,
		"fchmod": 52, "fchmodat": 53, "fchownat": 54, "fchown": 55, "chroot": 51,
		"init_module": 105, "delete_module": 106, "clock_settime": 112, "ptrace": 117,
		"kill": 129, "settimeofday": 170, "adjtimex": 171, "setuid": 146, "setgid": 144,
		"connect": 203, "accept": 202, "bind": 200, "clone": 220, "execve": 221,
		"finit_module": 273, "renameat2": 276, "execveat": 281, "clock_adjtime": 266,
		"openat2": 437, "bpf": 280, "memfd_create": 279,
	},
	ArchARM: {
		"read": 3, "write": 4, "open": 5, "close": 6, "creat": 8, "link": 9, "unlink": 10,
		"execve": 11, "chmod": 15, "mount": 21, "ptrace": 26, "kill": 37, "rename": 38,
		"mkdir": 39, "rmdir": 40, "umount2": 52, "chroot": 61, "settimeofday": 79,
		"adjtimex": 124, "init_module": 128, "delete_module": 129, "clone": 120,
		"clock_settime": 262, "connect": 283, "openat": 322, "finit_module": 379,
		"execveat": 387, "clock_settime64": 404,
	},
}

// SyscallNumber returns the number of a syscall on an arch.
func SyscallNumber(arch uint32, name string) (int, bool) {
	n, ok := syscallTables[arch][name]
	return n, ok
}

// syscallName returns the name of a syscall number on an arch.
func syscallName(arch uint32, nr int) (string, bool) {
	for name, n := range syscallTables[arch] {
		if n == nr {
			// Some numbers have two names in no table here; the map has
			// one name per number.
			return name, true
		}
	}
	return "", false
}

// syscallNames returns names for numbers (sorted by number), numbers as text
// when unknown.
func syscallNames(arch uint32, nrs []int) []string {
	slices.Sort(nrs)
	out := make([]string, 0, len(nrs))
	for _, nr := range nrs {
		if name, ok := syscallName(arch, nr); ok {
			out = append(out, name)
		} else {
			out = append(out, itoa(nr))
		}
	}
	return out
}
