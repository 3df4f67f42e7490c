package pkgdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"testing"
)

func readBDBFixture(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/bdb/Packages")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestParseRPMBerkeleyDB(t *testing.T) {
	b := readBDBFixture(t)
	pkgs, skip, err := ParseRPMBerkeleyDB(bytes.NewReader(b), int64(len(b)), "Packages")
	if err != nil {
		t.Fatal(err)
	}
	if len(skip) != 0 {
		t.Errorf("skipped: %v", skip)
	}
	got := summaries(pkgs)
	slices.Sort(got)
	want := []string{
		"bash 5.1.8-9.el9 x86_64 bash 5.1.8-9.el9",
		"kernel-core 5.14.0-362.8.1.el9_3 x86_64 kernel 5.14.0-362.8.1.el9_3",
		"openssh-server 8.7p1-38.el9 x86_64 openssh 8.7p1-38.el9",
		"openssl-libs 1:3.0.7-27.el9 x86_64 openssl 1:3.0.7-27.el9",
		"shadow-utils 2:4.9-8.el9 x86_64 shadow-utils 2:4.9-8.el9",
		"sudo 1.9.5p2-10.el9_3 x86_64 sudo 1.9.5p2-10.el9_3",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestParseRPMBerkeleyDBDamaged(t *testing.T) {
	good := readBDBFixture(t)
	le := binary.LittleEndian
	mod := func(f func(b []byte)) []byte {
		b := append([]byte{}, good...)
		f(b)
		return b
	}
	// firstOffPage finds the first hash page's first off-page data item, to
	// break its overflow chain.
	offPage := func(b []byte) int {
		ps := int(le.Uint32(b[20:]))
		for pg := 1; (pg+1)*ps <= len(b); pg++ {
			p := b[pg*ps : (pg+1)*ps]
			if p[25] != bdbPageHash && p[25] != bdbPageHashOld {
				continue
			}
			for i := 1; i < int(le.Uint16(p[20:])); i += 2 {
				off := int(le.Uint16(p[bdbPageHeader+2*i:]))
				if p[off] == bdbOffPage {
					return pg*ps + off
				}
			}
		}
		t.Fatal("no off-page item in the fixture")
		return 0
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr bool
		skips   bool
		count   int
	}{
		{name: "not berkeley db", data: []byte("SQLite format 3\x00" + string(make([]byte, 100))), wantErr: true},
		{name: "empty", data: nil, wantErr: true},
		{name: "truncated", data: good[:len(good)/2], wantErr: true},
		{name: "bad page size", data: mod(func(b []byte) { le.PutUint32(b[20:], 1000) }), wantErr: true},
		{name: "encrypted", data: mod(func(b []byte) { b[24] = 1 }), wantErr: true},
		{name: "overflow chain to page 0", data: mod(func(b []byte) { le.PutUint32(b[offPage(b)+4:], 0) }), skips: true, count: 5},
		{name: "overflow length too big", data: mod(func(b []byte) { le.PutUint32(b[offPage(b)+8:], 1<<30) }), skips: true, count: 5},
		{name: "overflow length short", data: mod(func(b []byte) { le.PutUint32(b[offPage(b)+8:], 100) }), skips: true, count: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkgs, skip, err := ParseRPMBerkeleyDB(bytes.NewReader(tc.data), int64(len(tc.data)), "Packages")
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error, %d packages", len(pkgs))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.skips != (len(skip) > 0) {
				t.Errorf("skipped %v", skip)
			}
			if len(pkgs) != tc.count {
				t.Errorf("got %d packages, want %d", len(pkgs), tc.count)
			}
		})
	}
	if _, _, err := ParseRPMBerkeleyDB(bytes.NewReader(nil), 0, "Packages"); !errors.Is(err, errBerkeleyDB) {
		t.Errorf("empty: err = %v", err)
	}
}

func FuzzRPMBerkeleyDB(f *testing.F) {
	f.Add(readBDBFixture(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, _, err := ParseRPMBerkeleyDB(bytes.NewReader(b), int64(len(b)), "Packages")
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" {
				t.Fatalf("incomplete package %+v", p)
			}
		}
	})
}
