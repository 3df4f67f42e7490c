package fim

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// fanEvent builds one fanotify record with a DFID_NAME info.
func fanEvent(mask uint64, handle []byte, name string) []byte {
	info := make([]byte, 4+8+8)
	info[0] = fanInfoDFIDName
	copy(info[4:12], []byte{1, 2, 3, 4, 5, 6, 7, 8})
	binary.NativeEndian.PutUint32(info[12:16], uint32(len(handle)))
	binary.NativeEndian.PutUint32(info[16:20], 1)
	info = append(info, handle...)
	info = append(info, name...)
	info = append(info, 0)
	for len(info)%4 != 0 {
		info = append(info, 0)
	}
	binary.NativeEndian.PutUint16(info[2:4], uint16(len(info)))
	ev := make([]byte, fanMetadataLen)
	binary.NativeEndian.PutUint32(ev[0:4], uint32(fanMetadataLen+len(info)))
	ev[4] = 3
	binary.NativeEndian.PutUint16(ev[6:8], fanMetadataLen)
	binary.NativeEndian.PutUint64(ev[8:16], mask)
	neg := int32(-1)
	binary.NativeEndian.PutUint32(ev[16:20], uint32(neg))
	binary.NativeEndian.PutUint32(ev[20:24], 42)
	return append(ev, info...)
}

func TestParseFanotify(t *testing.T) {
	two := append(fanEvent(0x100, []byte{9, 9, 9, 9, 9, 9, 9, 9}, "new.conf"), fanEvent(0x2, []byte{7, 7, 7, 7}, "x")...)
	overflow := fanEvent(fanQOverflow, nil, "")[:fanMetadataLen]
	binary.NativeEndian.PutUint32(overflow[0:4], fanMetadataLen)
	tests := []struct {
		name    string
		in      []byte
		names   []string
		masks   []uint64
		badTail int
	}{
		{"two events", two, []string{"new.conf", "x"}, []uint64{0x100, 0x2}, 0},
		{"overflow", overflow, []string{""}, []uint64{fanQOverflow}, 0},
		{"truncated", two[:len(two)-3], []string{"new.conf"}, []uint64{0x100}, len(fanEvent(0x2, []byte{7, 7, 7, 7}, "x")) - 3},
		{"empty", nil, nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			var masks []uint64
			bad := parseFanotify(tc.in, func(r fanRecord) {
				names = append(names, r.Name)
				masks = append(masks, r.Mask)
				if r.Name != "" && (!r.HasFID || !r.DirFID || r.PID != 42 || r.FD != -1) {
					t.Errorf("record %+v", r)
				}
			})
			if len(names) != len(tc.names) || bad != tc.badTail {
				t.Fatalf("names %q bad %d, want %q bad %d", names, bad, tc.names, tc.badTail)
			}
			for i := range names {
				if names[i] != tc.names[i] || masks[i] != tc.masks[i] {
					t.Errorf("record %d: %q %#x, want %q %#x", i, names[i], masks[i], tc.names[i], tc.masks[i])
				}
			}
		})
	}
}

func FuzzParseFanotify(f *testing.F) {
	f.Add(fanEvent(0x100, []byte{9, 9, 9, 9, 9, 9, 9, 9}, "new.conf"))
	if seed, err := os.ReadFile(filepath.Join("testdata", "fanotify.bin")); err == nil {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parseFanotify(data, func(r fanRecord) {
			if len(r.Handle) > fanMaxHandle {
				t.Fatalf("handle of %d bytes", len(r.Handle))
			}
		})
	})
}
