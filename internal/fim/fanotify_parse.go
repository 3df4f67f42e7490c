package fim

import (
	"encoding/binary"
)

// Layout of fanotify records (include/uapi/linux/fanotify.h), kept here
// without OS suffix so that the parser is tested and fuzzed everywhere.
const (
	fanMetadataLen   = 24
	fanInfoHeaderLen = 4
	fanQOverflow     = 0x4000
	fanInfoFID       = 1
	fanInfoDFIDName  = 2
	fanInfoDFID      = 3
	fanMaxHandle     = 128 // MAX_HANDLE_SZ
)

// fanRecord is one parsed fanotify event.
type fanRecord struct {
	Mask uint64
	FD   int32
	PID  int32
	// FSID, HandleType and Handle identify the directory (DFID records) or
	// the object (FID records); Name is the entry in that directory.
	FSID       [8]byte
	HandleType int32
	Handle     []byte
	Name       string
	HasFID     bool
	DirFID     bool
}

// parseFanotify splits a read buffer into records. Malformed records end
// the buffer (the kernel never writes them; a short read cannot happen for
// whole events); it returns how many bytes were malformed.
func parseFanotify(buf []byte, fn func(fanRecord)) (bad int) {
	for len(buf) >= fanMetadataLen {
		evLen := binary.NativeEndian.Uint32(buf[0:4])
		metaLen := binary.NativeEndian.Uint16(buf[6:8])
		if evLen < fanMetadataLen || uint64(evLen) > uint64(len(buf)) || metaLen < fanMetadataLen || uint32(metaLen) > evLen {
			return len(buf)
		}
		r := fanRecord{
			Mask: binary.NativeEndian.Uint64(buf[8:16]),
			FD:   int32(binary.NativeEndian.Uint32(buf[16:20])),
			PID:  int32(binary.NativeEndian.Uint32(buf[20:24])),
		}
		info := buf[metaLen:evLen]
		for len(info) >= fanInfoHeaderLen {
			typ := info[0]
			l := int(binary.NativeEndian.Uint16(info[2:4]))
			if l < fanInfoHeaderLen || l > len(info) {
				break
			}
			parseFanInfo(typ, info[fanInfoHeaderLen:l], &r)
			info = info[l:]
		}
		fn(r)
		buf = buf[evLen:]
	}
	return len(buf)
}

func parseFanInfo(typ byte, b []byte, r *fanRecord) {
	if typ != fanInfoFID && typ != fanInfoDFIDName && typ != fanInfoDFID {
		return
	}
	if r.HasFID || len(b) < 16 {
		return // keep the first file identifier
	}
	copy(r.FSID[:], b[:8])
	n := binary.NativeEndian.Uint32(b[8:12])
	if n == 0 || n > fanMaxHandle || uint64(n) > uint64(len(b)-16) {
		return
	}
	r.HandleType = int32(binary.NativeEndian.Uint32(b[12:16]))
	r.Handle = b[16 : 16+n]
	r.HasFID = true
	r.DirFID = typ != fanInfoFID
	if typ == fanInfoDFIDName {
		name := b[16+n:]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		r.Name = string(name)
	}
}
