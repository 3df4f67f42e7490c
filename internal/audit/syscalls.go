package audit

import "strconv"

// Audit arch values (AUDIT_ARCH_*) of the architectures vigil names
// syscalls for.
const (
	archX86_64  = "c000003e"
	archAArch64 = "c00000b7"
	archI386    = "40000003"
)

// archNames maps AUDIT_ARCH_* to the names auditd's ENRICHED format prints.
var archNames = map[string]string{
	archX86_64: "x86_64", archAArch64: "aarch64", archI386: "i386",
	"c0000028": "arm", "80000016": "s390x", "c0000015": "ppc64le",
	"80000015": "ppc64", "c00000f3": "riscv64",
}

// The syscalls vigil maps to events (exec, file, module, time, mount,
// network) and a few Sigma rules name, by architecture. Other numbers stay
// numeric: mapping is by name, so an unnamed syscall is never misread.
var syscallNames = map[string]map[int]string{
	archX86_64: {
		0: "read", 1: "write", 2: "open", 41: "socket", 42: "connect", 43: "accept",
		44: "sendto", 49: "bind", 50: "listen", 56: "clone", 57: "fork", 58: "vfork",
		59: "execve", 62: "kill", 76: "truncate", 77: "ftruncate", 82: "rename",
		83: "mkdir", 84: "rmdir", 85: "creat", 86: "link", 87: "unlink", 88: "symlink",
		90: "chmod", 91: "fchmod", 92: "chown", 93: "fchown", 94: "lchown",
		101: "ptrace", 105: "setuid", 133: "mknod", 159: "adjtimex",
		164: "settimeofday", 165: "mount", 166: "umount2", 170: "sethostname",
		171: "setdomainname", 175: "init_module", 176: "delete_module",
		188: "setxattr", 189: "lsetxattr", 190: "fsetxattr", 197: "removexattr",
		198: "lremovexattr", 199: "fremovexattr", 227: "clock_settime",
		257: "openat", 258: "mkdirat", 259: "mknodat", 260: "fchownat",
		263: "unlinkat", 264: "renameat", 265: "linkat", 266: "symlinkat",
		268: "fchmodat", 280: "utimensat", 288: "accept4", 305: "clock_adjtime",
		313: "finit_module", 316: "renameat2", 319: "memfd_create", 322: "execveat",
		429: "move_mount", 432: "fsmount", 437: "openat2", 442: "mount_setattr",
		452: "fchmodat2",
	},
	archAArch64: {
		5: "setxattr", 6: "lsetxattr", 7: "fsetxattr", 14: "removexattr",
		15: "lremovexattr", 16: "fremovexattr", 33: "mknodat", 34: "mkdirat",
		35: "unlinkat", 36: "symlinkat", 37: "linkat", 38: "renameat", 39: "umount2",
		40: "mount", 45: "truncate", 46: "ftruncate", 52: "fchmod", 53: "fchmodat",
		54: "fchownat", 55: "fchown", 56: "openat", 63: "read", 64: "write",
		88: "utimensat", 105: "init_module", 106: "delete_module", 112: "clock_settime",
		117: "ptrace", 129: "kill", 146: "setuid", 161: "sethostname",
		162: "setdomainname", 170: "settimeofday", 171: "adjtimex", 198: "socket",
		200: "bind", 201: "listen", 202: "accept", 203: "connect", 206: "sendto",
		220: "clone", 221: "execve", 242: "accept4", 266: "clock_adjtime",
		273: "finit_module", 276: "renameat2", 279: "memfd_create", 281: "execveat",
		429: "move_mount", 432: "fsmount", 437: "openat2", 442: "mount_setattr",
		452: "fchmodat2",
	},
}

// SyscallName returns the name of syscall number nr (decimal, as in
// syscall=59) on the audit arch (hex, as in arch=c000003e), or "" when vigil
// does not know it.
func SyscallName(arch, nr string) string {
	t := syscallNames[arch]
	if t == nil {
		return ""
	}
	n, err := strconv.Atoi(nr)
	if err != nil {
		return ""
	}
	return t[n]
}
