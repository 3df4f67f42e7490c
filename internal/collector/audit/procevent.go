package audit

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
)

// Proc connector constants (linux/connector.h, linux/cn_proc.h).
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCNMcastListen = 1
	procCNMcastIgnore = 2
	procEventExec     = 0x00000002
	cnMsgLen          = 20 // struct cn_msg without data
	nlHeaderLen       = 16
)

// procExec is an exec reported by the proc connector.
type procExec struct {
	PID, TGID uint32
}

// parseProcEvent decodes one proc connector datagram (netlink header, cn_msg,
// proc_event) and returns the exec it reports, if it is one.
func parseProcEvent(b []byte) (procExec, bool) {
	if len(b) < nlHeaderLen+cnMsgLen+16+8 {
		return procExec{}, false
	}
	cn := b[nlHeaderLen:]
	if binary.LittleEndian.Uint32(cn[0:]) != cnIdxProc || binary.LittleEndian.Uint32(cn[4:]) != cnValProc {
		return procExec{}, false
	}
	dataLen := int(binary.LittleEndian.Uint16(cn[16:]))
	ev := cn[cnMsgLen:]
	if dataLen < 16+8 || dataLen > len(ev) {
		return procExec{}, false
	}
	if binary.LittleEndian.Uint32(ev[0:]) != procEventExec {
		return procExec{}, false
	}
	// what u32, cpu u32, timestamp_ns u64, then process_pid, process_tgid.
	return procExec{PID: binary.LittleEndian.Uint32(ev[16:]), TGID: binary.LittleEndian.Uint32(ev[20:])}, true
}

// procListenMessage is the netlink message that subscribes (or, with
// ignore, unsubscribes) to proc events.
func procListenMessage(pid uint32, ignore bool) []byte {
	op := uint32(procCNMcastListen)
	if ignore {
		op = procCNMcastIgnore
	}
	b := make([]byte, nlHeaderLen+cnMsgLen+4)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(len(b)))
	le.PutUint16(b[4:], 3) // NLMSG_DONE, as the connector expects
	le.PutUint32(b[12:], pid)
	cn := b[nlHeaderLen:]
	le.PutUint32(cn[0:], cnIdxProc)
	le.PutUint32(cn[4:], cnValProc)
	le.PutUint16(cn[16:], 4)
	le.PutUint32(cn[cnMsgLen:], op)
	return b
}

// splitCmdline splits /proc/<pid>/cmdline into arguments (NUL separated,
// with a trailing NUL). A process that rewrote its title into one string with
// spaces comes back as one argument.
func splitCmdline(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// statusFields reads PPid and the real and effective Uid of /proc/<pid>/status.
func statusFields(b []byte) (ppid int64, uid, euid string, ok bool) {
	gotPPID := false
	for _, line := range strings.Split(string(b), "\n") {
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		f := strings.Fields(v)
		switch k {
		case "PPid":
			if len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					ppid, gotPPID = n, true
				}
			}
		case "Uid":
			if len(f) >= 2 {
				uid, euid = f[0], f[1]
			}
		}
	}
	return ppid, uid, euid, gotPPID && uid != ""
}
