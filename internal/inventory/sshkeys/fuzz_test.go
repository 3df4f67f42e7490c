package sshkeys

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-sec/vigil/internal/skipped"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/rootfs/home/*/.ssh/*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`command="a\"b, c",no-pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQC7 x`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sk skipped.List
		for _, k := range Parse("f", data, &sk) {
			if k.Bits <= 0 || !strings.HasPrefix(k.Fingerprint, "SHA256:") || !isKeyType(k.Type) {
				t.Fatalf("bad key %+v", k)
			}
		}
	})
}

func FuzzDecodeBlob(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
	f.Add([]byte("\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x01\x03\x00\x00\x00\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		info, err := decodeBlob(blob)
		if err == nil && (info.bits <= 0 || len(info.plain) == 0) {
			t.Fatalf("key without size: %+v", info)
		}
	})
}
