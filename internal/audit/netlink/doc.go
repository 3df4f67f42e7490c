// Package netlink is vigil's Linux audit netlink client: it talks to the
// kernel's audit subsystem over a NETLINK_AUDIT socket without auditd or
// libaudit.
//
// It has three parts:
//
//   - Status and rules, pure code usable on any OS: the audit_status and
//     audit_rule_data structures encoded and decoded by hand, and a parser
//     for auditctl-like rule specs ("-a always,exit -F arch=b64 -S execve -k
//     vigil", "-w /etc/passwd -p wa -k vigil") with a String method printing
//     them as "auditctl -l" does.
//   - Conn (Linux only): the control socket for AUDIT_GET/AUDIT_SET,
//     AUDIT_ADD_RULE, AUDIT_DEL_RULE and AUDIT_LIST_RULES.
//   - Stream (Linux only): the record stream, either as the audit owner (our
//     pid registered as the audit daemon, unicast delivery, previous settings
//     restored on Close) or as a read-only observer of the multicast group
//     AUDIT_NLGRP_READLOG while auditd owns audit.
//
// Design choices, from measurements on the target kernel (docs KERNEL.md):
//
//   - Every datagram is one message; its payload is the bytes after the
//     16-byte netlink header up to the datagram size. The kernel fills
//     nlmsg_len of audit records in a way syscall.ParseNetlinkMessage rejects.
//   - Only datagrams from port id 0 (the kernel) are accepted.
//   - The reading goroutine never waits on a consumer: records go into a
//     bounded channel, and when it is full they are dropped and counted. In
//     owner mode a slow reader would otherwise stall every exec on the host
//     (backlog_wait_time), measured at about 100 execs/s.
//   - The receive buffer is forced large (SO_RCVBUFFORCE, 16 MiB by default)
//     and every ENOBUFS is counted as loss: in observer mode the kernel drops
//     multicast records silently, its lost counter stays 0.
//   - Rules are tagged with a key ("vigil" or "vigil-<purpose>") so that only
//     ours are removed; an add answered with EEXIST (a stale rule left by a
//     killed agent) counts as installed.
package netlink
