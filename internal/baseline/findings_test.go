package baseline

import (
	"testing"

	"github.com/vigil-sec/vigil/internal/sca"
)

// finding is a status a fixture tree must produce for a check: the deliberate
// findings listed in testdata/rootfs/README.md must fail, and the sound
// settings next to them must pass.
type finding struct {
	tree, vigilID string
	want          sca.Status
	why           string
}

var findings = []finding{
	// debian12 (web01)
	{"debian12", "VGL-SSH-001", sca.StatusFail, "PermitRootLogin prohibit-password"},
	{"debian12", "VGL-SSH-002", sca.StatusPass, "root password login not allowed"},
	{"debian12", "VGL-SSH-004", sca.StatusFail, "20-legacy.conf PasswordAuthentication yes"},
	{"debian12", "VGL-SSH-009", sca.StatusFail, "X11Forwarding yes in the main file"},
	{"debian12", "VGL-SSH-014", sca.StatusPass, "MaxAuthTries 4"},
	{"debian12", "VGL-SSH-027", sca.StatusPass, "no DSA host key (an ECDSA key is not DSA)"},
	{"debian12", "VGL-AUTH-001", sca.StatusFail, "PASS_MAX_DAYS 99999"},
	{"debian12", "VGL-AUTH-002", sca.StatusFail, "PASS_MIN_DAYS 0"},
	{"debian12", "VGL-AUTH-003", sca.StatusPass, "PASS_WARN_AGE 7"},
	{"debian12", "VGL-AUTH-004", sca.StatusPass, "ENCRYPT_METHOD YESCRYPT"},
	{"debian12", "VGL-AUTH-006", sca.StatusFail, "UMASK 022"},
	{"debian12", "VGL-AUTH-010", sca.StatusFail, "common-password has no pam_pwquality"},
	{"debian12", "VGL-AUTH-023", sca.StatusFail, "pam_unix.so nullok in common-auth"},
	{"debian12", "VGL-ACC-001", sca.StatusFail, "toor has UID 0"},
	{"debian12", "VGL-ACC-013", sca.StatusFail, "www-data has /bin/bash"},
	{"debian12", "VGL-ACC-018", sca.StatusFail, "NOPASSWD rule in sudoers.d/deploy"},
	{"debian12", "VGL-ACC-020", sca.StatusPass, "Defaults use_pty"},
	{"debian12", "VGL-KRN-003", sca.StatusFail, "ptrace_scope 0"},
	{"debian12", "VGL-KRN-005", sca.StatusFail, "kptr_restrict 0"},
	{"debian12", "VGL-MOD-008", sca.StatusFail, "usb_storage loaded"},
	{"debian12", "VGL-MOD-009", sca.StatusPass, "dccp disabled in modprobe.d and not loaded"},
	{"debian12", "VGL-FS-008", sca.StatusPass, "/tmp tmpfs nodev"},
	{"debian12", "VGL-FS-009", sca.StatusPass, "/tmp tmpfs nosuid"},
	{"debian12", "VGL-FS-010", sca.StatusFail, "/tmp without noexec"},
	{"debian12", "VGL-CRON-010", sca.StatusFail, "root crontab curl ... | sh"},
	{"debian12", "VGL-SVC-010", sca.StatusPass, "rpcbind masked"},
	{"debian12", "VGL-LOG-007", sca.StatusPass, "rsyslog forwards to logs.example.com"},

	// ubuntu2204 (cache02)
	{"ubuntu2204", "VGL-SSH-002", sca.StatusFail, "PermitRootLogin yes"},
	{"ubuntu2204", "VGL-SSH-003", sca.StatusFail, "PermitEmptyPasswords yes"},
	{"ubuntu2204", "VGL-SSH-014", sca.StatusFail, "MaxAuthTries 10"},
	{"ubuntu2204", "VGL-SSH-021", sca.StatusFail, "3des-cbc offered"},
	{"ubuntu2204", "VGL-SSH-022", sca.StatusFail, "hmac-md5 offered"},
	{"ubuntu2204", "VGL-SSH-023", sca.StatusFail, "diffie-hellman-group1-sha1 offered"},
	{"ubuntu2204", "VGL-AUTH-004", sca.StatusPass, "ENCRYPT_METHOD SHA512"},
	{"ubuntu2204", "VGL-AUTH-010", sca.StatusPass, "common-password has pam_pwquality"},
	{"ubuntu2204", "VGL-AUTH-011", sca.StatusFail, "minlen = 6"},
	{"ubuntu2204", "VGL-AUTH-023", sca.StatusFail, "nullok_secure in common-auth"},
	{"ubuntu2204", "VGL-ACC-002", sca.StatusFail, "guest has an empty password"},
	{"ubuntu2204", "VGL-ACC-007", sca.StatusFail, "jdoe and john share UID 1001"},
	{"ubuntu2204", "VGL-ACC-010", sca.StatusFail, "group sudo appears twice"},
	{"ubuntu2204", "VGL-ACC-018", sca.StatusFail, "ubuntu NOPASSWD:ALL"},
	{"ubuntu2204", "VGL-ACC-021", sca.StatusFail, "Defaults:guest !authenticate"},
	{"ubuntu2204", "VGL-NET-001", sca.StatusFail, "ip_forward 1 at runtime"},
	{"ubuntu2204", "VGL-NET-002", sca.StatusFail, "net.ipv4.ip_forward=1 in sysctl.conf"},
	{"ubuntu2204", "VGL-KRN-009", sca.StatusFail, "suid_dumpable 2"},
	{"ubuntu2204", "VGL-LOG-004", sca.StatusFail, "journald Storage=volatile"},
	{"ubuntu2204", "VGL-SVC-001", sca.StatusFail, "telnet.socket enabled, telnetd installed"},
	{"ubuntu2204", "VGL-NET-029", sca.StatusFail, "redis on 0.0.0.0:6379"},
	{"ubuntu2204", "VGL-NET-030", sca.StatusFail, "telnet listening on [::]:23"},
	{"ubuntu2204", "VGL-MOD-009", sca.StatusFail, "dccp loaded"},

	// alma9 (db03)
	{"alma9", "VGL-SSH-009", sca.StatusFail, "50-redhat.conf X11Forwarding yes wins"},
	{"alma9", "VGL-SSH-014", sca.StatusPass, "MaxAuthTries 3"},
	{"alma9", "VGL-SSH-016", sca.StatusFail, "ClientAliveCountMax 0"},
	{"alma9", "VGL-SSH-019", sca.StatusPass, "LogLevel VERBOSE"},
	{"alma9", "VGL-SSH-024", sca.StatusPass, "AllowGroups wheel ops"},
	{"alma9", "VGL-AUTH-001", sca.StatusPass, "PASS_MAX_DAYS 365"},
	{"alma9", "VGL-AUTH-002", sca.StatusPass, "PASS_MIN_DAYS 1"},
	{"alma9", "VGL-AUTH-011", sca.StatusFail, "pwquality.conf.d/50-local.conf lowers minlen to 12"},
	{"alma9", "VGL-AUTH-018", sca.StatusPass, "pam_faillock in system-auth"},
	{"alma9", "VGL-AUTH-019", sca.StatusPass, "faillock deny=5"},
	{"alma9", "VGL-AUTH-022", sca.StatusFail, "pam_pwhistory remember=5"},
	{"alma9", "VGL-AUTH-023", sca.StatusFail, "nullok in password-auth"},
	{"alma9", "VGL-ACC-013", sca.StatusFail, "daemon has /bin/sh"},
	{"alma9", "VGL-ACC-018", sca.StatusFail, "%ops NOPASSWD: ALL"},
	{"alma9", "VGL-ACC-025", sca.StatusPass, "pam.d/su requires pam_wheel"},
	{"alma9", "VGL-AUD-003", sca.StatusPass, "audit=1 on the kernel command line"},
	{"alma9", "VGL-AUD-029", sca.StatusPass, "-e 2 in rules.d"},
	{"alma9", "VGL-FS-014", sca.StatusPass, "/dev/shm noexec"},
	{"alma9", "VGL-FS-015", sca.StatusPass, "separate /home"},
	{"alma9", "VGL-FS-016", sca.StatusPass, "/home nodev"},
	{"alma9", "VGL-CRON-003", sca.StatusPass, "cron.allow exists"},
	{"alma9", "VGL-BOOT-009", sca.StatusFail, "SELINUX=permissive"},

	// alpine3 (edge04)
	{"alpine3", "VGL-SSH-002", sca.StatusFail, "PermitRootLogin yes"},
	{"alpine3", "VGL-SSH-003", sca.StatusFail, "PermitEmptyPasswords yes"},
	{"alpine3", "VGL-SSH-004", sca.StatusFail, "PasswordAuthentication yes"},
	{"alpine3", "VGL-ACC-002", sca.StatusFail, "root has an empty password"},
	{"alpine3", "VGL-KRN-001", sca.StatusFail, "randomize_va_space 1 at runtime"},
	{"alpine3", "VGL-KRN-002", sca.StatusFail, "randomize_va_space = 1 in sysctl.conf"},
	{"alpine3", "VGL-NET-001", sca.StatusFail, "ip_forward 1 at runtime"},
	{"alpine3", "VGL-NET-002", sca.StatusFail, "ip_forward = 1 in sysctl.conf"},
	{"alpine3", "VGL-MOD-008", sca.StatusFail, "usb_storage loaded"},
	{"alpine3", "VGL-UPD-010", sca.StatusFail, "edge/testing over plain http"},
	{"alpine3", "VGL-AUTH-001", sca.StatusNotApplicable, "no PAM/login.defs policy on Alpine"},
	// File modes come from testdata/rootfs/modes.txt (git keeps only the x bit).
	{"debian12", "VGL-FS-001", sca.StatusFail, "etc/cron.daily/backup-db is 0777"},
	{"ubuntu2204", "VGL-FS-001", sca.StatusFail, "jdoe's authorized_keys is 0666"},
	{"debian12", "VGL-PERM-005", sca.StatusPass, "shadow 0640 root"},
	{"alma9", "VGL-PERM-005", sca.StatusPass, "shadow 0000 as on RHEL"},
	{"ubuntu2204", "VGL-PERM-020", sca.StatusPass, "sudoers 0440"},
}

// TestDeliberateFindings evaluates the policy on the fixture trees and checks
// the findings of testdata/rootfs/README.md. A check that uses a probe not
// registered yet is skipped.
func TestDeliberateFindings(t *testing.T) {
	byTree := map[string]map[string]sca.CheckResult{}
	for _, tree := range fixtureTrees {
		res := evaluate(t, fixtureRoot(t, tree))
		m := map[string]sca.CheckResult{}
		for _, c := range res.Checks {
			m[c.Check.VigilID] = c
		}
		byTree[tree] = m
	}
	for _, f := range findings {
		t.Run(f.tree+"/"+f.vigilID, func(t *testing.T) {
			c, ok := byTree[f.tree][f.vigilID]
			if !ok {
				t.Fatalf("no check %s", f.vigilID)
			}
			for _, r := range c.Check.Rules {
				if r.Type == sca.RuleProbe {
					if _, ok := sca.LookupProbe(r.Probe); !ok {
						t.Skipf("probe %s not registered yet", r.Probe)
					}
				}
			}
			if c.Status != f.want {
				t.Errorf("%s (%s): status %s, want %s (%s)\nreason: %s\nevidence: %s",
					f.vigilID, c.Check.Title, c.Status, f.want, f.why, c.Reason, c.Evidence)
			}
		})
	}
}
