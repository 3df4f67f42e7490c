package pkgdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// RPM header tags of the file list (rpmtag.h).
const (
	rpmTagOldFilenames = 1027 // full paths, in headers older than rpm 4.0
	rpmTagDirIndexes   = 1116 // per file: index into DIRNAMES
	rpmTagBasenames    = 1117 // per file: name within its directory
	rpmTagDirnames     = 1118 // directories, each ending in "/"
)

func isRPMFileTag(tag uint32) bool {
	switch tag {
	case rpmTagName, rpmTagOldFilenames, rpmTagDirIndexes, rpmTagBasenames, rpmTagDirnames:
		return true
	}
	return false
}

// ParseRPMFiles decodes the file list of one package header (the same blobs as
// ParseRPMHeader takes): the paths DIRNAMES[DIRINDEXES[i]] + BASENAMES[i], or
// OLDFILENAMES in headers written before rpm 4. It returns the package name and
// calls emit with it and every path that is absolute and at most MaxPath bytes long;
// the path is valid only during the call. A package without files has no file
// tags and is not an error. Counts that disagree, directory indexes out of
// range and strings that run past the data yield an error wrapping the
// "malformed rpm header" error, and emit is then not called at all.
func ParseRPMFiles(blob []byte, emit func(pkg string, path []byte)) (name string, err error) {
	h, err := parseRPMIndex(blob, isRPMFileTag)
	if err != nil {
		return "", err
	}
	name = h.str(rpmTagName)
	if h.err != nil {
		return "", h.err
	}
	if name == "" {
		return "", fmt.Errorf("%w: no name", errRPMHeader)
	}
	if _, ok := h.entries[rpmTagBasenames]; !ok {
		old, err := h.strArray(rpmTagOldFilenames)
		if err != nil {
			return "", err
		}
		for _, p := range old {
			if validPath(p) {
				emit(name, p)
			}
		}
		return name, nil
	}
	bases, err := h.strArray(rpmTagBasenames)
	if err != nil {
		return "", err
	}
	dirs, err := h.strArray(rpmTagDirnames)
	if err != nil {
		return "", err
	}
	idx, err := h.int32Array(rpmTagDirIndexes)
	if err != nil {
		return "", err
	}
	if len(idx) != 4*len(bases) {
		return "", fmt.Errorf("%w: %d dir indexes for %d base names", errRPMHeader, len(idx)/4, len(bases))
	}
	for i := range bases {
		if d := binary.BigEndian.Uint32(idx[4*i:]); d >= uint32(len(dirs)) {
			return "", fmt.Errorf("%w: file %d: dir index %d of %d", errRPMHeader, i, d, len(dirs))
		}
	}
	var buf []byte
	for i, b := range bases {
		buf = append(append(buf[:0], dirs[binary.BigEndian.Uint32(idx[4*i:])]...), b...)
		if validPath(buf) {
			emit(name, buf)
		}
	}
	return name, nil
}

// strArray returns the strings of a STRING_ARRAY tag as slices of the data
// (none when the tag is absent).
func (h *rpmHeader) strArray(tag uint32) ([][]byte, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	if e.typ != rpmTypeStringArray {
		return nil, fmt.Errorf("%w: tag %d: type %d, want a string array", errRPMHeader, tag, e.typ)
	}
	rest := h.data[e.offset:]
	// Every string takes at least its NUL byte.
	if uint64(e.count) > uint64(len(rest)) {
		return nil, fmt.Errorf("%w: tag %d: %d strings in %d bytes", errRPMHeader, tag, e.count, len(rest))
	}
	out := make([][]byte, 0, e.count)
	for range e.count {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			return nil, fmt.Errorf("%w: tag %d: unterminated string", errRPMHeader, tag)
		}
		out = append(out, rest[:end:end])
		rest = rest[end+1:]
	}
	return out, nil
}

// int32Array returns the raw big-endian values of an INT32 tag (none when the
// tag is absent).
func (h *rpmHeader) int32Array(tag uint32) ([]byte, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	if e.typ != rpmTypeInt32 {
		return nil, fmt.Errorf("%w: tag %d: type %d, want int32", errRPMHeader, tag, e.typ)
	}
	end := uint64(e.offset) + 4*uint64(e.count)
	if end > uint64(len(h.data)) {
		return nil, fmt.Errorf("%w: tag %d: %d values beyond data", errRPMHeader, tag, e.count)
	}
	return h.data[e.offset:end], nil
}
