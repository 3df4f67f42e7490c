// Package audit turns Linux audit messages into vigil events. It is pure
// code over bytes: the netlink client (internal/audit/netlink) and the audit
// collector feed it.
//
// Three stages, each usable alone:
//
//   - ParseMessage (a netlink message: type + "audit(SEC.MS:SERIAL): k=v ...")
//     and ParseLine/ReadLog (audit.log lines, with node= prefixes, the ENRICHED
//     section after 0x1d, nested msg='...' of user-space records) give a
//     Record with decoded fields: quotes removed, hex-encoded untrusted strings
//     (proctitle, exe, cwd, name, EXECVE arguments, cmd, acct, key...)
//     decoded to their exact bytes.
//   - Reassembler groups records by serial into an Event. An event ends at
//     its EOE record, at once for standalone record types (user-space
//     messages, LOGIN, CONFIG_CHANGE, daemon and anomaly records), or after
//     Config.Timeout (default 2 s) with TimedOut set. Events with records
//     known missing are marked Incomplete. Memory is bounded (in-flight
//     events, records and bytes per event); serials that never arrive within
//     the timeout are counted as lost (Stats.Lost, Gap callback) so that the
//     collector reports them as audit_events_lost with reason sequence_gap.
//   - Mapper.Map turns an Event into an event.Event following EVENTS.md:
//     exec, authentication, session, iam, sudo, file watch, module, time,
//     mount and connect events, with every raw field in auditd.data.
//
// Design choices:
//
//   - A user-space record (PAM, sudo, shadow-utils) is emitted at once even
//     though newer kernels may follow it with a SYSCALL and EOE of the same
//     serial (the sendto that carried it); that SYSCALL then forms its own
//     event, which Map ignores unless vigil maps its syscall. This keeps
//     authentication events immediate instead of delayed by the timeout.
//   - auditd.data holds the fields of the primary record as the kernel names
//     them, with values decoded, plus "type" (the primary record type,
//     EXECVE for an exec) and, when absent, auditd's ENRICHED names
//     "SYSCALL" (execve) and "ARCH" (x86_64), which Sigma auditd rules use.
//     For an exec, aN are the assembled arguments (split aN[i] pieces are
//     joined, at most 256 in data, all in process.args) and the SYSCALL's
//     register values a0-a3 are dropped.
//   - process.entity_id is a hash of (host ID, pid, ppid, executable, event
//     time): audit records carry no process start time, so it identifies the
//     exec, not the whole process lifetime.
//   - Sequence gaps larger than Config.MaxGap (default 1<<20) are taken as a
//     serial reset (reboot) and counted in Stats.Resets, not as loss.
package audit
