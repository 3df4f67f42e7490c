package sshkeys

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/vigil-sec/vigil/internal/skipped"
)

// Key is one public key line of an authorized_keys file.
type Key struct {
	User        string   `json:"user"`
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Type        string   `json:"type"`
	Bits        int      `json:"bits"`
	Fingerprint string   `json:"fingerprint"`
	Options     []string `json:"options,omitempty"` // as written, e.g. `from="10.0.0.0/8"`
	Comment     string   `json:"comment,omitempty"`
}

// maxLine bounds one key line; a 16384-bit RSA certificate is under 8 KiB.
const maxLine = 64 << 10

// keyTypes are the key types sshd accepts in authorized_keys.
var keyTypes = map[string]bool{
	"ssh-rsa": true, "ssh-dss": true, "ssh-ed25519": true,
	"ecdsa-sha2-nistp256": true, "ecdsa-sha2-nistp384": true, "ecdsa-sha2-nistp521": true,
	"sk-ecdsa-sha2-nistp256@openssh.com": true, "sk-ssh-ed25519@openssh.com": true,
}

func isKeyType(s string) bool {
	if keyTypes[s] {
		return true
	}
	base, ok := strings.CutSuffix(s, certSuffix)
	return ok && keyTypes[base]
}

// Parse reads an authorized_keys file. Lines that are not valid keys are
// recorded in sk and left out.
func Parse(file string, data []byte, sk *skipped.List) []Key {
	var keys []Key
	n := 0
	for len(data) > 0 {
		n++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(line) > maxLine {
			sk.Add(file, n, "line too long")
			continue
		}
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' {
			continue
		}
		k, reason := parseLine(s)
		if reason != "" {
			sk.Add(file, n, "%s", reason)
			continue
		}
		k.File, k.Line = file, n
		keys = append(keys, k)
	}
	return keys
}

// parseLine parses "[options] type base64 [comment]".
func parseLine(s string) (Key, string) {
	var k Key
	typ, rest := cutField(s)
	if !isKeyType(typ) {
		opts, after, ok := splitOptions(s)
		if !ok {
			return k, "bad options"
		}
		k.Options = opts
		typ, rest = cutField(after)
		if !isKeyType(typ) {
			if typ != "" && typ[0] >= '0' && typ[0] <= '9' {
				return k, "SSH protocol 1 key not supported"
			}
			return k, "unknown key type"
		}
	}
	k.Type = typ
	b64, comment := cutField(rest)
	k.Comment = comment
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(blob) == 0 {
		return k, "bad base64 key data"
	}
	info, err := decodeBlob(blob)
	if err != nil {
		return k, err.Error()
	}
	if info.blobType != typ {
		return k, "key data is " + info.blobType + " but line says " + typ
	}
	k.Bits = info.bits
	k.Fingerprint = Fingerprint(info.plain)
	return k, ""
}

// cutField splits off the first white-space separated field.
func cutField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// splitOptions reads the comma-separated option list at the start of s, up to
// the first white space outside double quotes. Inside quotes, \" is a quote.
func splitOptions(s string) (opts []string, rest string, ok bool) {
	quote := false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quote && i+1 < len(s) && s[i+1] == '"':
			i++
		case c == '"':
			quote = !quote
		case quote:
		case c == ',':
			if i == start {
				return nil, "", false
			}
			opts = append(opts, s[start:i])
			start = i + 1
		case c == ' ' || c == '\t':
			if i == start {
				return nil, "", false
			}
			return append(opts, s[start:i]), s[i:], true
		}
	}
	return nil, "", false // options with no key after them
}
