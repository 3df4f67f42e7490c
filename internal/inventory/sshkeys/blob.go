package sshkeys

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// wire reads SSH wire-format fields (RFC 4251 section 5).
type wire struct {
	b   []byte
	off int
}

var errShort = errors.New("truncated key blob")

func (w *wire) bytes() ([]byte, error) {
	if len(w.b)-w.off < 4 {
		return nil, errShort
	}
	n := binary.BigEndian.Uint32(w.b[w.off:])
	if uint64(n) > uint64(len(w.b)-w.off-4) {
		return nil, errShort
	}
	s := w.b[w.off+4 : w.off+4+int(n)]
	w.off += 4 + int(n)
	return s, nil
}

// mpintBits returns the bit length of a non-negative mpint.
func (w *wire) mpintBits() (int, error) {
	b, err := w.bytes()
	if err != nil {
		return 0, err
	}
	if len(b) > 0 && b[0]&0x80 != 0 {
		return 0, errors.New("negative integer in key")
	}
	return new(big.Int).SetBytes(b).BitLen(), nil
}

const certSuffix = "-cert-v01@openssh.com"

// keyInfo is what a decoded blob tells.
type keyInfo struct {
	blobType string
	bits     int
	plain    []byte // the plain public key blob (for certificates, the certified key)
}

// decodeBlob parses a public key or certificate blob.
func decodeBlob(blob []byte) (keyInfo, error) {
	w := &wire{b: blob}
	t, err := w.bytes()
	if err != nil {
		return keyInfo{}, err
	}
	info := keyInfo{blobType: string(t)}
	base, isCert := strings.CutSuffix(info.blobType, certSuffix)
	if isCert {
		if _, err := w.bytes(); err != nil { // nonce
			return keyInfo{}, err
		}
	}
	start := w.off
	if info.bits, err = keyFields(w, base); err != nil {
		return keyInfo{}, err
	}
	if info.bits == 0 {
		return keyInfo{}, errors.New("empty key modulus")
	}
	if !isCert {
		if w.off != len(blob) {
			return keyInfo{}, errors.New("trailing data in key blob")
		}
		info.plain = blob
		return info, nil
	}
	plain := binary.BigEndian.AppendUint32(nil, uint32(len(base)))
	plain = append(plain, base...)
	info.plain = append(plain, blob[start:w.off]...)
	return info, nil
}

// keyFields reads the key material of a key of type base and returns its size.
func keyFields(w *wire, base string) (int, error) {
	switch base {
	case "ssh-rsa":
		if _, err := w.bytes(); err != nil { // e
			return 0, err
		}
		return w.mpintBits() // n
	case "ssh-dss":
		bits, err := w.mpintBits() // p
		if err != nil {
			return 0, err
		}
		for range 3 { // q, g, y
			if _, err := w.bytes(); err != nil {
				return 0, err
			}
		}
		return bits, nil
	case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ecdsa-sha2-nistp256@openssh.com":
		curve, err := w.bytes()
		if err != nil {
			return 0, err
		}
		bits, ok := curveBits[string(curve)]
		if !ok || !strings.Contains(base, string(curve)) {
			return 0, fmt.Errorf("curve %q does not match key type %s", curve, base)
		}
		if _, err := w.bytes(); err != nil { // Q
			return 0, err
		}
		if strings.HasPrefix(base, "sk-") {
			if _, err := w.bytes(); err != nil { // application
				return 0, err
			}
		}
		return bits, nil
	case "ssh-ed25519", "sk-ssh-ed25519@openssh.com":
		pk, err := w.bytes()
		if err != nil {
			return 0, err
		}
		if len(pk) != 32 {
			return 0, errors.New("ed25519 key is not 32 bytes")
		}
		if strings.HasPrefix(base, "sk-") {
			if _, err := w.bytes(); err != nil {
				return 0, err
			}
		}
		return 256, nil
	}
	return 0, fmt.Errorf("unsupported key type %q", base)
}

var curveBits = map[string]int{"nistp256": 256, "nistp384": 384, "nistp521": 521}

// Fingerprint returns the "SHA256:..." fingerprint of a plain key blob, as
// ssh-keygen prints it (unpadded standard base64).
func Fingerprint(plain []byte) string {
	sum := sha256.Sum256(plain)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}
