package sshdconfig

import (
	"strconv"
	"strings"
)

// kind says how a keyword's values combine and print.
type kind int

const (
	single    kind = iota // first value wins, arguments printed as written
	lower                 // first value wins, lowercased (yes/no and other enums)
	seconds               // first value wins, a time converted to seconds
	perArg                // accumulates; one line per argument (AcceptEnv, Port, HostKey)
	perLine               // accumulates; one line per directive (Subsystem)
	algorithm             // first value wins; "+", "-", "^" edit the default list
)

type keyword struct {
	name string
	kind kind
	def  []string // default lines' values; none means no line
}

// Default algorithm lists of OpenSSH 9.2 (Debian 12).
const (
	defCiphers = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com"
	defMACs    = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1"
	defKex     = "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
	defCASig   = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"
	defKeyAlg  = "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com," + defCASig
)

func d(v ...string) []string { return v }

// keywords lists the server keywords in the order sshd -T prints them, with
// OpenSSH 9.x compiled-in defaults.
var keywords = []keyword{
	{"port", perArg, d("22")},
	{"addressfamily", lower, d("any")},
	{"listenaddress", perArg, nil},
	{"usepam", lower, d("no")},
	{"logingracetime", seconds, d("120")},
	{"x11displayoffset", single, d("10")},
	{"maxauthtries", single, d("6")},
	{"maxsessions", single, d("10")},
	{"clientaliveinterval", seconds, d("0")},
	{"clientalivecountmax", single, d("3")},
	{"requiredrsasize", single, d("1024")},
	{"streamlocalbindmask", single, d("0177")},
	{"unusedconnectiontimeout", single, d("none")},
	{"permitrootlogin", lower, d("prohibit-password")},
	{"ignorerhosts", lower, d("yes")},
	{"ignoreuserknownhosts", lower, d("no")},
	{"hostbasedauthentication", lower, d("no")},
	{"hostbasedusesnamefrompacketonly", lower, d("no")},
	{"pubkeyauthentication", lower, d("yes")},
	{"kerberosauthentication", lower, d("no")},
	{"kerberosorlocalpasswd", lower, d("yes")},
	{"kerberosticketcleanup", lower, d("yes")},
	{"gssapiauthentication", lower, d("no")},
	{"gssapicleanupcredentials", lower, d("yes")},
	{"gssapistrictacceptorcheck", lower, d("yes")},
	{"passwordauthentication", lower, d("yes")},
	{"kbdinteractiveauthentication", lower, d("yes")},
	{"printmotd", lower, d("yes")},
	{"printlastlog", lower, d("yes")},
	{"x11forwarding", lower, d("no")},
	{"x11uselocalhost", lower, d("yes")},
	{"permittty", lower, d("yes")},
	{"permituserrc", lower, d("yes")},
	{"strictmodes", lower, d("yes")},
	{"tcpkeepalive", lower, d("yes")},
	{"permitemptypasswords", lower, d("no")},
	{"compression", lower, d("yes")},
	{"gatewayports", lower, d("no")},
	{"usedns", lower, d("no")},
	{"allowtcpforwarding", lower, d("yes")},
	{"allowagentforwarding", lower, d("yes")},
	{"disableforwarding", lower, d("no")},
	{"allowstreamlocalforwarding", lower, d("yes")},
	{"streamlocalbindunlink", lower, d("no")},
	{"fingerprinthash", single, d("SHA256")},
	{"exposeauthinfo", lower, d("no")},
	{"pidfile", single, d("/run/sshd.pid")},
	{"modulifile", single, d("/etc/ssh/moduli")},
	{"xauthlocation", single, d("/usr/bin/xauth")},
	{"ciphers", algorithm, d(defCiphers)},
	{"macs", algorithm, d(defMACs)},
	{"banner", single, d("none")},
	{"forcecommand", single, d("none")},
	{"chrootdirectory", single, d("none")},
	{"trustedusercakeys", single, d("none")},
	{"revokedkeys", single, d("none")},
	{"securitykeyprovider", single, d("internal")},
	{"authorizedprincipalsfile", single, d("none")},
	{"versionaddendum", single, d("none")},
	{"authorizedkeyscommand", single, d("none")},
	{"authorizedkeyscommanduser", single, d("none")},
	{"authorizedprincipalscommand", single, d("none")},
	{"authorizedprincipalscommanduser", single, d("none")},
	{"hostkeyagent", single, d("none")},
	{"kexalgorithms", algorithm, d(defKex)},
	{"casignaturealgorithms", algorithm, d(defCASig)},
	{"hostbasedacceptedalgorithms", algorithm, d(defKeyAlg)},
	{"hostkeyalgorithms", algorithm, d(defKeyAlg)},
	{"pubkeyacceptedalgorithms", algorithm, d(defKeyAlg)},
	{"loglevel", single, d("INFO")},
	{"syslogfacility", single, d("AUTH")},
	{"authorizedkeysfile", single, d(".ssh/authorized_keys .ssh/authorized_keys2")},
	{"hostkey", perArg, d("/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key")},
	{"hostcertificate", perArg, nil},
	{"acceptenv", perArg, nil},
	{"setenv", perArg, nil},
	{"allowusers", perArg, nil},
	{"denyusers", perArg, nil},
	{"allowgroups", perArg, nil},
	{"denygroups", perArg, nil},
	{"authenticationmethods", single, d("any")},
	{"subsystem", perLine, nil},
	{"maxstartups", single, d("10:30:100")},
	{"persourcemaxstartups", single, d("none")},
	{"persourcenetblocksize", single, d("32:128")},
	{"permittunnel", lower, d("no")},
	{"ipqos", single, d("lowdelay throughput")},
	{"rekeylimit", single, d("0 0")},
	{"permitopen", single, d("any")},
	{"permitlisten", single, d("any")},
	{"permituserenvironment", single, d("no")},
	{"pubkeyauthoptions", single, d("none")},
}

// Effective returns the global settings in effect as `keyword value` lines, like
// `sshd -T` without connection parameters: every known keyword once (or once per
// value for accumulating keywords), defaults for unset ones, then keywords vigil
// does not know (deprecated or newer ones) as set, so policies can still see them.
// Values of yes/no-like keywords are lowercased, times are in seconds, and the
// PermitRootLogin alias without-password is reported as prohibit-password.
func (c *Config) Effective() []string {
	set := make(map[string][]Directive)
	var unknown []string
	for _, d := range c.Global {
		if _, seen := set[d.Keyword]; !seen && !known(d.Keyword) {
			unknown = append(unknown, d.Keyword)
		}
		set[d.Keyword] = append(set[d.Keyword], d)
	}
	var out []string
	for _, k := range keywords {
		for _, v := range values(k, set[k.name]) {
			out = append(out, k.name+" "+v)
		}
	}
	for _, name := range unknown {
		if len(set[name][0].Args) > 0 {
			out = append(out, name+" "+strings.Join(set[name][0].Args, " "))
		}
	}
	return out
}

// Value returns the effective value of a single-valued keyword and whether it is
// known (set or defaulted).
func (c *Config) Value(name string) (string, bool) {
	name = canonical(strings.ToLower(name))
	prefix := name + " "
	for _, l := range c.Effective() {
		if strings.HasPrefix(l, prefix) {
			return l[len(prefix):], true
		}
	}
	return "", false
}

func known(name string) bool {
	for _, k := range keywords {
		if k.name == name {
			return true
		}
	}
	return false
}

// values gives the printed values of one keyword from its directives (in file
// order) or its default.
func values(k keyword, ds []Directive) []string {
	var out []string
	switch k.kind {
	case perArg:
		for _, d := range ds {
			out = append(out, d.Args...)
		}
	case perLine:
		for _, d := range ds {
			if len(d.Args) > 0 {
				out = append(out, strings.Join(d.Args, " "))
			}
		}
	default:
		for _, d := range ds {
			if len(d.Args) == 0 {
				continue // sshd rejects the line; the next one may still set the keyword
			}
			if v, ok := normalize(k, d.Args); ok {
				return []string{v}
			}
		}
	}
	if len(out) == 0 {
		return k.def
	}
	return out
}

func normalize(k keyword, args []string) (string, bool) {
	switch k.kind {
	case lower:
		v := strings.ToLower(args[0])
		if k.name == "permitrootlogin" && v == "without-password" {
			v = "prohibit-password"
		}
		return v, true
	case seconds:
		n, ok := ParseTime(args[0])
		if !ok {
			return "", false
		}
		return strconv.FormatInt(n, 10), true
	case algorithm:
		return editList(k.def[0], args[0]), true
	}
	if k.name == "maxstartups" && !strings.Contains(args[0], ":") {
		// A single number N means N:30:N.
		return args[0] + ":30:" + args[0], true
	}
	return strings.Join(args, " "), true
}

// ParseTime converts an sshd time value ("90", "1m30s", "2h") to seconds. It
// reports false for a malformed or overflowing value.
func ParseTime(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var total, n int64
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			n = n*10 + int64(c-'0')
			if n > 1<<40 {
				return 0, false
			}
			digits = true
			continue
		}
		if !digits {
			return 0, false
		}
		mult, ok := map[byte]int64{'s': 1, 'S': 1, 'm': 60, 'M': 60, 'h': 3600, 'H': 3600, 'd': 86400, 'D': 86400, 'w': 604800, 'W': 604800}[c]
		if !ok {
			return 0, false
		}
		total += n * mult
		n, digits = 0, false
	}
	total += n
	if total > 1<<40 {
		return 0, false
	}
	return total, true
}

// editList applies an algorithm list as sshd does: "+x,y" appends to the
// default, "-x*" removes matching entries (wildcards allowed), "^x" puts x first,
// anything else replaces the list.
func editList(def, arg string) string {
	if arg == "" {
		return def
	}
	base := strings.Split(def, ",")
	items := strings.Split(arg[1:], ",")
	var out []string
	switch arg[0] {
	case '+':
		out = append(base, missing(items, base)...)
	case '^':
		out = append(items, missing(base, items)...)
	case '-':
		for _, b := range base {
			drop := false
			for _, p := range items {
				if wildMatch(p, b) {
					drop = true
					break
				}
			}
			if !drop {
				out = append(out, b)
			}
		}
	default:
		return arg
	}
	return strings.Join(out, ",")
}

// missing returns the items of a not in b.
func missing(a, b []string) []string {
	var out []string
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

// wildMatch matches s against a pattern with "*" and "?" wildcards.
func wildMatch(p, s string) bool {
	// Iterative matcher with single-star backtracking: linear in practice, never
	// exponential on hostile patterns.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
