package audit

import (
	"strconv"
	"strings"
)

// RecordType is the numeric type of an audit message (the netlink message
// type, "type=NAME" in audit.log).
type RecordType uint16

// Record types vigil maps or groups on. The full table of names is in
// typeNames; every number there has a name, others print as UNKNOWN[n].
const (
	TypeLogin         RecordType = 1006
	TypeUserAuth      RecordType = 1100
	TypeUserAcct      RecordType = 1101
	TypeUserMgmt      RecordType = 1102
	TypeCredAcq       RecordType = 1103
	TypeCredDisp      RecordType = 1104
	TypeUserStart     RecordType = 1105
	TypeUserEnd       RecordType = 1106
	TypeUserChauthtok RecordType = 1108
	TypeUserErr       RecordType = 1109
	TypeCredRefr      RecordType = 1110
	TypeUserLogin     RecordType = 1112
	TypeUserLogout    RecordType = 1113
	TypeAddUser       RecordType = 1114
	TypeDelUser       RecordType = 1115
	TypeAddGroup      RecordType = 1116
	TypeDelGroup      RecordType = 1117
	TypeUserCmd       RecordType = 1123
	TypeGrpMgmt       RecordType = 1132
	TypeGrpChauthtok  RecordType = 1133
	TypeSyscall       RecordType = 1300
	TypePath          RecordType = 1302
	TypeConfigChange  RecordType = 1305
	TypeSockaddr      RecordType = 1306
	TypeCWD           RecordType = 1307
	TypeExecve        RecordType = 1309
	TypeEOE           RecordType = 1320
	TypeProctitle     RecordType = 1327
	TypeKernModule    RecordType = 1330
	TypeTimeInjOffset RecordType = 1332
	TypeTimeAdjNTPVal RecordType = 1333
	TypeAVC           RecordType = 1400
)

var typeNames = map[RecordType]string{
	1000: "GET", 1001: "SET", 1002: "LIST", 1003: "ADD", 1004: "DEL", 1005: "USER",
	1006: "LOGIN", 1007: "WATCH_INS", 1008: "WATCH_REM", 1009: "WATCH_LIST",
	1010: "SIGNAL_INFO", 1011: "ADD_RULE", 1012: "DEL_RULE", 1013: "LIST_RULES",
	1014: "TRIM", 1015: "MAKE_EQUIV", 1016: "TTY_GET", 1017: "TTY_SET",
	1018: "SET_FEATURE", 1019: "GET_FEATURE",
	1100: "USER_AUTH", 1101: "USER_ACCT", 1102: "USER_MGMT", 1103: "CRED_ACQ",
	1104: "CRED_DISP", 1105: "USER_START", 1106: "USER_END", 1107: "USER_AVC",
	1108: "USER_CHAUTHTOK", 1109: "USER_ERR", 1110: "CRED_REFR", 1111: "USYS_CONFIG",
	1112: "USER_LOGIN", 1113: "USER_LOGOUT", 1114: "ADD_USER", 1115: "DEL_USER",
	1116: "ADD_GROUP", 1117: "DEL_GROUP", 1118: "DAC_CHECK", 1119: "CHGRP_ID",
	1120: "TEST", 1121: "TRUSTED_APP", 1122: "USER_SELINUX_ERR", 1123: "USER_CMD",
	1124: "USER_TTY", 1125: "CHUSER_ID", 1126: "GRP_AUTH", 1127: "SYSTEM_BOOT",
	1128: "SYSTEM_SHUTDOWN", 1129: "SYSTEM_RUNLEVEL", 1130: "SERVICE_START",
	1131: "SERVICE_STOP", 1132: "GRP_MGMT", 1133: "GRP_CHAUTHTOK", 1134: "MAC_CHECK",
	1135: "ACCT_LOCK", 1136: "ACCT_UNLOCK", 1137: "USER_DEVICE", 1138: "SOFTWARE_UPDATE",
	1200: "DAEMON_START", 1201: "DAEMON_END", 1202: "DAEMON_ABORT", 1203: "DAEMON_CONFIG",
	1204: "DAEMON_RECONFIG", 1205: "DAEMON_ROTATE", 1206: "DAEMON_RESUME",
	1207: "DAEMON_ACCEPT", 1208: "DAEMON_CLOSE", 1209: "DAEMON_ERR",
	1300: "SYSCALL", 1302: "PATH", 1303: "IPC", 1304: "SOCKETCALL", 1305: "CONFIG_CHANGE",
	1306: "SOCKADDR", 1307: "CWD", 1309: "EXECVE", 1311: "IPC_SET_PERM", 1312: "MQ_OPEN",
	1313: "MQ_SENDRECV", 1314: "MQ_NOTIFY", 1315: "MQ_GETSETATTR", 1316: "KERNEL_OTHER",
	1317: "FD_PAIR", 1318: "OBJ_PID", 1319: "TTY", 1320: "EOE", 1321: "BPRM_FCAPS",
	1322: "CAPSET", 1323: "MMAP", 1324: "NETFILTER_PKT", 1325: "NETFILTER_CFG",
	1326: "SECCOMP", 1327: "PROCTITLE", 1328: "FEATURE_CHANGE", 1329: "REPLACE",
	1330: "KERN_MODULE", 1331: "FANOTIFY", 1332: "TIME_INJOFFSET", 1333: "TIME_ADJNTPVAL",
	1334: "BPF", 1335: "EVENT_LISTENER", 1336: "URINGOP", 1337: "OPENAT2",
	1338: "DM_CTRL", 1339: "DM_EVENT",
	1400: "AVC", 1401: "SELINUX_ERR", 1402: "AVC_PATH", 1403: "MAC_POLICY_LOAD",
	1404: "MAC_STATUS", 1405: "MAC_CONFIG_CHANGE", 1406: "MAC_UNLBL_ALLOW",
	1407: "MAC_CIPSOV4_ADD", 1408: "MAC_CIPSOV4_DEL", 1409: "MAC_MAP_ADD",
	1410: "MAC_MAP_DEL", 1411: "MAC_IPSEC_ADDSA", 1412: "MAC_IPSEC_DELSA",
	1413: "MAC_IPSEC_ADDSPD", 1414: "MAC_IPSEC_DELSPD", 1415: "MAC_IPSEC_EVENT",
	1416: "MAC_UNLBL_STCADD", 1417: "MAC_UNLBL_STCDEL", 1418: "MAC_CALIPSO_ADD",
	1419: "MAC_CALIPSO_DEL", 1420: "MAC_TASK_CONTEXTS", 1421: "MAC_OBJ_CONTEXTS",
	1700: "ANOM_PROMISCUOUS", 1701: "ANOM_ABEND", 1702: "ANOM_LINK", 1703: "ANOM_CREAT",
	1800: "INTEGRITY_DATA", 1801: "INTEGRITY_METADATA", 1802: "INTEGRITY_STATUS",
	1803: "INTEGRITY_HASH", 1804: "INTEGRITY_PCR", 1805: "INTEGRITY_RULE",
	1806: "INTEGRITY_EVM_XATTR", 1807: "INTEGRITY_POLICY_RULE",
	2000: "KERNEL",
	2100: "ANOM_LOGIN_FAILURES", 2101: "ANOM_LOGIN_TIME", 2102: "ANOM_LOGIN_SESSIONS",
	2103: "ANOM_LOGIN_ACCT", 2104: "ANOM_LOGIN_LOCATION", 2105: "ANOM_MAX_DAC",
	2106: "ANOM_MAX_MAC", 2107: "ANOM_AMTU_FAIL", 2108: "ANOM_RBAC_FAIL",
	2109: "ANOM_RBAC_INTEGRITY_FAIL", 2110: "ANOM_CRYPTO_FAIL", 2111: "ANOM_ACCESS_FS",
	2112: "ANOM_EXEC", 2113: "ANOM_MK_EXEC", 2114: "ANOM_ADD_ACCT", 2115: "ANOM_DEL_ACCT",
	2116: "ANOM_MOD_ACCT", 2117: "ANOM_ROOT_TRANS", 2118: "ANOM_LOGIN_SERVICE",
	2119: "ANOM_LOGIN_ROOT", 2120: "ANOM_ORIGIN_FAILURES", 2121: "ANOM_SESSION",
	2200: "RESP_ANOMALY", 2201: "RESP_ALERT", 2202: "RESP_KILL_PROC",
	2203: "RESP_TERM_ACCESS", 2204: "RESP_ACCT_REMOTE", 2205: "RESP_ACCT_LOCK_TIMED",
	2206: "RESP_ACCT_UNLOCK_TIMED", 2207: "RESP_ACCT_LOCK", 2208: "RESP_TERM_LOCK",
	2209: "RESP_SEBOOL", 2210: "RESP_EXEC", 2211: "RESP_SINGLE", 2212: "RESP_HALT",
	2213: "RESP_ORIGIN_BLOCK", 2214: "RESP_ORIGIN_BLOCK_TIMED",
	2300: "USER_ROLE_CHANGE", 2301: "ROLE_ASSIGN", 2302: "ROLE_REMOVE",
	2303: "LABEL_OVERRIDE", 2304: "LABEL_LEVEL_CHANGE", 2305: "USER_LABELED_EXPORT",
	2306: "USER_UNLABELED_EXPORT", 2307: "DEV_ALLOC", 2308: "DEV_DEALLOC",
	2309: "FS_RELABEL", 2310: "USER_MAC_POLICY_LOAD", 2311: "ROLE_MODIFY",
	2312: "USER_MAC_CONFIG_CHANGE", 2313: "USER_MAC_STATUS",
	2400: "CRYPTO_TEST_USER", 2401: "CRYPTO_PARAM_CHANGE_USER", 2402: "CRYPTO_LOGIN",
	2403: "CRYPTO_LOGOUT", 2404: "CRYPTO_KEY_USER", 2405: "CRYPTO_FAILURE_USER",
	2406: "CRYPTO_REPLAY_USER", 2407: "CRYPTO_SESSION", 2408: "CRYPTO_IKE_SA",
	2409: "CRYPTO_IPSEC_SA",
	2500: "VIRT_CONTROL", 2501: "VIRT_RESOURCE", 2502: "VIRT_MACHINE_ID",
	2503: "VIRT_INTEGRITY_CHECK", 2504: "VIRT_CREATE", 2505: "VIRT_DESTROY",
	2506: "VIRT_MIGRATE_IN", 2507: "VIRT_MIGRATE_OUT",
}

var typeByName = func() map[string]RecordType {
	m := make(map[string]RecordType, len(typeNames))
	for t, n := range typeNames {
		m[n] = t
	}
	return m
}()

// String returns the type's name as auditd writes it ("SYSCALL"), or
// "UNKNOWN[n]" for a number without a name.
func (t RecordType) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return "UNKNOWN[" + strconv.Itoa(int(t)) + "]"
}

// ParseRecordType reads a type as audit.log writes it: a name ("SYSCALL"),
// "UNKNOWN[1329]" or a bare number.
func ParseRecordType(s string) (RecordType, bool) {
	if t, ok := typeByName[s]; ok {
		return t, true
	}
	if rest, ok := strings.CutPrefix(s, "UNKNOWN["); ok {
		s, ok = strings.CutSuffix(rest, "]")
		if !ok {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, false
	}
	return RecordType(n), true
}

// IsUserSpace reports whether records of this type are sent by user-space
// programs (PAM, shadow-utils, sudo, systemd, ...) through the kernel:
// 1100-1199 and 2100-2999.
func (t RecordType) IsUserSpace() bool {
	return (t >= 1100 && t < 1200) || (t >= 2100 && t < 3000)
}

// standalone reports whether a record of this type is a whole event on its
// own. Kernel records of the syscall range (1300-1399), MAC/AVC (1400-1499)
// and integrity (1800-1899) belong to a syscall's event and end at EOE;
// user-space messages, LOGIN, daemon and anomaly records stand alone.
// CONFIG_CHANGE and LOGIN may be followed by a SYSCALL of the same serial;
// that SYSCALL then forms its own event (see Reassembler).
func (t RecordType) standalone() bool {
	switch {
	case t == TypeConfigChange || t == TypeLogin:
		return true
	case t >= 1300 && t < 1500, t >= 1800 && t < 1900:
		return false
	}
	return true
}
