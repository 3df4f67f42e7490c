package pkgdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RPM header tags read here (rpmtag.h).
const (
	rpmTagName        = 1000
	rpmTagVersion     = 1001
	rpmTagRelease     = 1002
	rpmTagEpoch       = 1003
	rpmTagBuildTime   = 1006
	rpmTagInstallTime = 1008
	rpmTagSize        = 1009
	rpmTagVendor      = 1011
	rpmTagPackager    = 1015
	rpmTagArch        = 1022
	rpmTagSourceRPM   = 1044
	rpmTagLongSize    = 5009
)

// RPM header data types.
const (
	rpmTypeInt32       = 4
	rpmTypeInt64       = 5
	rpmTypeString      = 6
	rpmTypeStringArray = 8
	rpmTypeI18NString  = 9
	rpmTypeMax         = 9
)

// Bounds from rpm's header.c (HEADER_TAGS_MAX, HEADER_DATA_MAX).
const (
	rpmMaxTags = 0xffff
	rpmMaxData = 0x0fffffff
)

var rpmHeaderMagic = []byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0}

// errRPMHeader reports a malformed header blob.
var errRPMHeader = errors.New("malformed rpm header")

// rpmEntry is one index entry of a header.
type rpmEntry struct {
	typ, offset, count uint32
}

// ParseRPMHeader decodes one package header as rpm stores it in its database (the
// index count, data length, index entries and data store; an 8-byte header magic
// in front is accepted too) and returns the package it describes. Every offset
// and length is checked against the blob; a malformed blob yields an error
// wrapping a "malformed rpm header" error, never a panic.
func ParseRPMHeader(blob []byte) (Package, error) {
	h, err := parseRPMIndex(blob, isRPMTagWanted)
	if err != nil {
		return Package{}, err
	}
	return h.pkg()
}

// parseRPMIndex checks a header blob's layout and keeps the index entries of
// the tags wanted reports true for.
func parseRPMIndex(blob []byte, wanted func(tag uint32) bool) (*rpmHeader, error) {
	if bytes.HasPrefix(blob, rpmHeaderMagic) {
		blob = blob[len(rpmHeaderMagic):]
	}
	if len(blob) < 8 {
		return nil, fmt.Errorf("%w: %d bytes", errRPMHeader, len(blob))
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	dl := binary.BigEndian.Uint32(blob[4:8])
	if il == 0 || il > rpmMaxTags || dl > rpmMaxData {
		return nil, fmt.Errorf("%w: %d entries, %d data bytes", errRPMHeader, il, dl)
	}
	need := 8 + uint64(il)*16 + uint64(dl)
	if need > uint64(len(blob)) {
		return nil, fmt.Errorf("%w: needs %d bytes, has %d", errRPMHeader, need, len(blob))
	}
	index := blob[8 : 8+il*16]
	data := blob[8+il*16 : need]
	entries := make(map[uint32]rpmEntry, 16)
	for i := uint32(0); i < il; i++ {
		e := index[i*16 : i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		ent := rpmEntry{typ: binary.BigEndian.Uint32(e[4:8]), offset: binary.BigEndian.Uint32(e[8:12]), count: binary.BigEndian.Uint32(e[12:16])}
		if ent.typ > rpmTypeMax || ent.offset > dl {
			return nil, fmt.Errorf("%w: entry %d (tag %d) type %d offset %d", errRPMHeader, i, tag, ent.typ, ent.offset)
		}
		if wanted(tag) {
			entries[tag] = ent
		}
	}
	return &rpmHeader{data: data, entries: entries}, nil
}

func isRPMTagWanted(tag uint32) bool {
	switch tag {
	case rpmTagName, rpmTagVersion, rpmTagRelease, rpmTagEpoch, rpmTagBuildTime, rpmTagInstallTime,
		rpmTagSize, rpmTagVendor, rpmTagPackager, rpmTagArch, rpmTagSourceRPM, rpmTagLongSize:
		return true
	}
	return false
}

type rpmHeader struct {
	data    []byte
	entries map[uint32]rpmEntry
	err     error
}

func (h *rpmHeader) pkg() (Package, error) {
	p := Package{
		Name:         h.str(rpmTagName),
		Type:         TypeRPM,
		Vendor:       h.str(rpmTagVendor),
		Maintainer:   h.str(rpmTagPackager),
		Architecture: h.str(rpmTagArch),
	}
	version, release := h.str(rpmTagVersion), h.str(rpmTagRelease)
	epoch, hasEpoch := h.int(rpmTagEpoch)
	srpm := h.str(rpmTagSourceRPM)
	if t, ok := h.int(rpmTagInstallTime); ok && t > 0 {
		p.InstallTime = time.Unix(t, 0).UTC()
	}
	if t, ok := h.int(rpmTagBuildTime); ok && t > 0 {
		p.BuildTime = time.Unix(t, 0).UTC()
	}
	if n, ok := h.int(rpmTagLongSize); ok && n > 0 {
		p.InstalledSize = n
	} else if n, ok := h.int(rpmTagSize); ok && n > 0 {
		p.InstalledSize = n
	}
	if h.err != nil {
		return Package{}, h.err
	}
	if p.Name == "" || version == "" {
		return Package{}, fmt.Errorf("%w: no name or version", errRPMHeader)
	}
	if hasEpoch && epoch > 0 && epoch <= 1<<31 {
		p.Epoch = int(epoch)
	}
	p.Version = rpmEVR(p.Epoch, version, release)
	p.Source, p.SourceVersion = p.Name, p.Version
	if name, ver, rel, ok := splitSourceRPM(srpm); ok {
		p.Source, p.SourceVersion = name, rpmEVR(p.Epoch, ver, rel)
	}
	return p, nil
}

// rpmEVR formats [epoch:]version[-release].
func rpmEVR(epoch int, version, release string) string {
	v := version
	if release != "" {
		v += "-" + release
	}
	if epoch > 0 {
		v = strconv.Itoa(epoch) + ":" + v
	}
	return v
}

// splitSourceRPM splits "openssl-3.0.7-27.el9.src.rpm" into name, version and
// release.
func splitSourceRPM(s string) (name, version, release string, ok bool) {
	base, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		if base, found = strings.CutSuffix(s, ".nosrc.rpm"); !found {
			return "", "", "", false
		}
	}
	i := strings.LastIndexByte(base, '-')
	if i <= 0 {
		return "", "", "", false
	}
	j := strings.LastIndexByte(base[:i], '-')
	if j <= 0 {
		return "", "", "", false
	}
	name, version, release = base[:j], base[j+1:i], base[i+1:]
	if version == "" || release == "" {
		return "", "", "", false
	}
	return name, version, release, true
}

// str returns the first string of a STRING, STRING_ARRAY or I18NSTRING tag, or
// "" when the tag is absent or has another type.
func (h *rpmHeader) str(tag uint32) string {
	e, ok := h.entries[tag]
	if !ok || (e.typ != rpmTypeString && e.typ != rpmTypeStringArray && e.typ != rpmTypeI18NString) || e.count == 0 {
		return ""
	}
	rest := h.data[e.offset:]
	end := bytes.IndexByte(rest, 0)
	if end < 0 {
		h.setErr(fmt.Errorf("%w: tag %d: unterminated string", errRPMHeader, tag))
		return ""
	}
	return string(rest[:end])
}

// int returns the first value of an INT32 or INT64 tag.
func (h *rpmHeader) int(tag uint32) (int64, bool) {
	e, ok := h.entries[tag]
	if !ok || e.count == 0 {
		return 0, false
	}
	size := uint64(4)
	if e.typ == rpmTypeInt64 {
		size = 8
	} else if e.typ != rpmTypeInt32 {
		return 0, false
	}
	if uint64(e.offset)+size > uint64(len(h.data)) {
		h.setErr(fmt.Errorf("%w: tag %d: value beyond data", errRPMHeader, tag))
		return 0, false
	}
	b := h.data[e.offset:]
	if size == 8 {
		return int64(binary.BigEndian.Uint64(b)), true
	}
	return int64(binary.BigEndian.Uint32(b)), true
}

func (h *rpmHeader) setErr(err error) {
	if h.err == nil {
		h.err = err
	}
}

// MaxRPMHeader bounds one header blob; real headers are tens of KiB (packages
// with many files reach a few MiB).
const MaxRPMHeader = 64 << 20
