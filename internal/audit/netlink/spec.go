package netlink

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSpec is wrapped by every rule spec parse error.
var ErrSpec = errors.New("invalid audit rule spec")

// maxSpecLen bounds one rule spec line.
const maxSpecLen = 16 << 10

// fieldKind says how a field's value is written in a spec.
type fieldKind int

const (
	kindNumber fieldKind = iota // signed or unsigned 32-bit number
	kindID                      // uid/gid: number, "unset" or -1
	kindHex                     // syscall arguments, printed in hex
	kindString
	kindArch
	kindPerm
	kindExit     // number or -ERRNO name
	kindFiletype // file, dir, ...
)

type fieldInfo struct {
	typ  uint32
	kind fieldKind
}

// fieldNames are the "-F" names auditctl accepts (the common ones).
var fieldNames = map[string]fieldInfo{
	"pid": {FieldPID, kindNumber}, "ppid": {FieldPPID, kindNumber},
	"uid": {FieldUID, kindID}, "euid": {FieldEUID, kindID}, "suid": {FieldSUID, kindID},
	"fsuid": {FieldFSUID, kindID}, "gid": {FieldGID, kindID}, "egid": {FieldEGID, kindID},
	"sgid": {FieldSGID, kindID}, "fsgid": {FieldFSGID, kindID}, "auid": {FieldLoginUID, kindID},
	"loginuid": {FieldLoginUID, kindID}, "pers": {FieldPers, kindNumber},
	"arch": {FieldArch, kindArch}, "msgtype": {FieldMsgType, kindNumber},
	"sessionid": {FieldSessionID, kindNumber}, "devmajor": {FieldDevMajor, kindNumber},
	"devminor": {FieldDevMinor, kindNumber}, "inode": {FieldInode, kindNumber},
	"exit": {FieldExit, kindExit}, "success": {FieldSuccess, kindNumber},
	"path": {FieldWatch, kindString}, "dir": {FieldDir, kindString}, "perm": {FieldPerm, kindPerm},
	"filetype": {FieldFiletype, kindFiletype}, "obj_uid": {FieldObjUID, kindID},
	"obj_gid": {FieldObjGID, kindID}, "exe": {FieldExe, kindString},
	"a0": {FieldArg0, kindHex}, "a1": {FieldArg1, kindHex}, "a2": {FieldArg2, kindHex},
	"a3": {FieldArg3, kindHex}, "key": {FieldFilterKey, kindString},
}

// fieldName returns the spec name and kind of a field type.
func fieldName(t uint32) (string, fieldKind, bool) {
	for name, fi := range fieldNames {
		if fi.typ == t && name != "loginuid" {
			return name, fi.kind, true
		}
	}
	return "", 0, false
}

// operators in the order they must be tried (two-character ones first).
var operators = []struct {
	text string
	op   uint32
}{
	{"!=", OpNotEqual}, {">=", OpGreaterEqual}, {"<=", OpLessEqual}, {"&=", OpBitTest},
	{"=", OpEqual}, {">", OpGreater}, {"<", OpLess}, {"&", OpBitMask},
}

func opText(op uint32) string {
	for _, o := range operators {
		if o.op == op {
			return o.text
		}
	}
	return "?"
}

var errnoNames = map[string]int{
	"EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7,
	"ENOEXEC": 8, "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13,
	"EFAULT": 14, "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19, "ENOTDIR": 20,
	"EISDIR": 21, "EINVAL": 22, "ENFILE": 23, "EMFILE": 24, "ETXTBSY": 26, "EFBIG": 27,
	"ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31, "EPIPE": 32, "ENAMETOOLONG": 36,
	"ENOSYS": 38, "ELOOP": 40, "EOPNOTSUPP": 95, "ETIMEDOUT": 110, "ECONNREFUSED": 111,
	"EINPROGRESS": 115,
}

var filetypes = map[string]uint32{
	"socket": 0140000, "link": 0120000, "file": 0100000, "block": 060000,
	"dir": 040000, "character": 020000, "fifo": 010000,
}

// ParseRule parses one rule in auditctl's syntax:
//
//	-a always,exit -F arch=b64 -S execve,execveat -F auid>=1000 -k vigil
//	-w /etc/passwd -p wa -k vigil
//
// Supported options: -a/-A list,action, -S (names of the rule's arch, "all"
// or numbers), -F name op value, -k key, -w path, -p perms. An exit rule
// without -S applies to all syscalls; -S without "-F arch" uses the machine's
// 64-bit arch. Whether a -w path is a directory is not known here: watches
// are AUDIT_WATCH fields, see Rule.WatchDirs. Errors wrap ErrSpec.
func ParseRule(spec string) (*Rule, error) {
	if len(spec) > maxSpecLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrSpec, maxSpecLen)
	}
	args, err := splitSpec(spec)
	if err != nil {
		return nil, err
	}
	p := specParser{}
	for i := 0; i < len(args); i++ {
		opt := args[i]
		if i+1 >= len(args) {
			return nil, fmt.Errorf("%w: %s needs an argument", ErrSpec, opt)
		}
		i++
		if err := p.option(opt, args[i]); err != nil {
			return nil, err
		}
	}
	return p.rule()
}

// specParser accumulates the options of one spec.
type specParser struct {
	r        Rule
	haveList bool
	syscalls []string
	keys     []string
	watch    string
	perm     string
	fields   []Field
}

func (p *specParser) option(opt, arg string) error {
	switch opt {
	case "-a", "-A":
		if p.haveList {
			return fmt.Errorf("%w: more than one -a", ErrSpec)
		}
		if err := p.listAction(arg); err != nil {
			return err
		}
		p.haveList, p.r.Prepend = true, opt == "-A"
	case "-S":
		p.syscalls = append(p.syscalls, strings.Split(arg, ",")...)
	case "-F":
		return p.field(arg)
	case "-k":
		p.keys = append(p.keys, arg)
	case "-w":
		if p.watch != "" {
			return fmt.Errorf("%w: more than one -w", ErrSpec)
		}
		p.watch = arg
	case "-p":
		p.perm = arg
	default:
		return fmt.Errorf("%w: unsupported option %q", ErrSpec, opt)
	}
	return nil
}

func (p *specParser) listAction(arg string) error {
	a, b, ok := strings.Cut(arg, ",")
	if !ok {
		return fmt.Errorf("%w: -a wants list,action, got %q", ErrSpec, arg)
	}
	lists := map[string]uint32{"exit": FilterExit, "task": FilterTask, "user": FilterUser,
		"exclude": FilterExclude, "filesystem": FilterFS}
	actions := map[string]uint32{"always": ActionAlways, "never": ActionNever}
	if _, isAction := actions[a]; isAction {
		a, b = b, a
	}
	list, ok1 := lists[a]
	action, ok2 := actions[b]
	if !ok1 || !ok2 {
		return fmt.Errorf("%w: unknown list or action in %q", ErrSpec, arg)
	}
	p.r.Filter, p.r.Action = list, action
	return nil
}

func (p *specParser) field(arg string) error {
	i := strings.IndexAny(arg, "!<>=&")
	if i <= 0 {
		return fmt.Errorf("%w: -F %q has no operator", ErrSpec, arg)
	}
	name, rest := arg[:i], arg[i:]
	op, value, found := uint32(0), "", false
	for _, o := range operators {
		if strings.HasPrefix(rest, o.text) {
			op, value, found = o.op, rest[len(o.text):], true
			break
		}
	}
	if !found {
		return fmt.Errorf("%w: -F %q has no operator", ErrSpec, arg)
	}
	fi, ok := fieldNames[name]
	if !ok {
		return fmt.Errorf("%w: unknown field %q", ErrSpec, name)
	}
	if fi.typ == FieldFilterKey {
		if op != OpEqual {
			return fmt.Errorf("%w: key takes only =", ErrSpec)
		}
		p.keys = append(p.keys, value)
		return nil
	}
	f, err := fieldValue(fi, op, value)
	if err != nil {
		return fmt.Errorf("%w: -F %s: %w", ErrSpec, name, err)
	}
	p.fields = append(p.fields, f)
	return nil
}

// fieldValue converts a spec value of a field kind.
func fieldValue(fi fieldInfo, op uint32, value string) (Field, error) {
	f := Field{Type: fi.typ, Op: op}
	if value == "" {
		return f, errors.New("empty value")
	}
	if fi.kind == kindString || fi.kind == kindPerm || fi.kind == kindArch {
		if op != OpEqual && op != OpNotEqual {
			return f, fmt.Errorf("operator %s not allowed", opText(op))
		}
	}
	var err error
	switch fi.kind {
	case kindString:
		if len(value) > maxPathLen {
			return f, fmt.Errorf("value longer than %d bytes", maxPathLen)
		}
		f.Str = value
	case kindArch:
		f.Value, err = parseArch(value)
	case kindPerm:
		if op != OpEqual {
			return f, errors.New("perm takes only =")
		}
		f.Value, err = parsePerm(value)
	case kindFiletype:
		v, ok := filetypes[value]
		if !ok {
			return f, fmt.Errorf("unknown file type %q", value)
		}
		f.Value = v
	case kindID:
		if value == "unset" {
			f.Value = Unset
			break
		}
		f.Value, err = parseNumber(value)
	case kindExit:
		if n, ok := errnoNames[strings.TrimPrefix(value, "-")]; ok {
			if strings.HasPrefix(value, "-") {
				n = -n
			}
			f.Value = uint32(int32(n))
			break
		}
		f.Value, err = parseNumber(value)
	default:
		f.Value, err = parseNumber(value)
	}
	return f, err
}

// parseNumber accepts a decimal or 0x hex number in int32 or uint32 range.
func parseNumber(s string) (uint32, error) {
	if n, err := strconv.ParseInt(s, 0, 64); err == nil && n >= -1<<31 && n <= 1<<32-1 {
		return uint32(n), nil
	}
	return 0, fmt.Errorf("bad number %q", s)
}

func parseArch(s string) (uint32, error) {
	b64, b32 := nativeArches()
	switch s {
	case "b64":
		return b64, nil
	case "b32":
		return b32, nil
	}
	if a, ok := archNames[s]; ok {
		return a, nil
	}
	return 0, fmt.Errorf("unknown arch %q", s)
}

func parsePerm(s string) (uint32, error) {
	var v uint32
	for _, c := range s {
		switch c {
		case 'r':
			v |= PermRead
		case 'w':
			v |= PermWrite
		case 'x':
			v |= PermExec
		case 'a':
			v |= PermAttr
		default:
			return 0, fmt.Errorf("bad permission %q", s)
		}
	}
	return v, nil
}

// rule assembles the parsed options.
func (p *specParser) rule() (*Rule, error) {
	key := strings.Join(p.keys, "\x01")
	if len(key) > maxKeyLen {
		return nil, fmt.Errorf("%w: key longer than %d bytes", ErrSpec, maxKeyLen)
	}
	r := p.r
	if p.watch != "" {
		if p.haveList || len(p.syscalls) > 0 || len(p.fields) > 0 {
			return nil, fmt.Errorf("%w: -w cannot be combined with -a, -S or -F", ErrSpec)
		}
		if !strings.HasPrefix(p.watch, "/") || len(p.watch) > maxPathLen {
			return nil, fmt.Errorf("%w: watch path %q must be absolute and short", ErrSpec, p.watch)
		}
		r = Rule{Filter: FilterExit, Action: ActionAlways}
		r.SetAllSyscalls()
		r.Fields = append(r.Fields, Field{Type: FieldWatch, Op: OpEqual, Str: p.watch})
		if p.perm != "" {
			v, err := parsePerm(p.perm)
			if err != nil {
				return nil, fmt.Errorf("%w: -p: %w", ErrSpec, err)
			}
			r.Fields = append(r.Fields, Field{Type: FieldPerm, Op: OpEqual, Value: v})
		}
	} else {
		if !p.haveList {
			return nil, fmt.Errorf("%w: neither -a nor -w given", ErrSpec)
		}
		if p.perm != "" {
			return nil, fmt.Errorf("%w: -p needs -w", ErrSpec)
		}
		r.Fields = p.fields
		if err := p.setSyscalls(&r); err != nil {
			return nil, err
		}
	}
	if key != "" {
		r.Fields = append(r.Fields, Field{Type: FieldFilterKey, Op: OpEqual, Str: key})
	}
	if len(r.Fields) > maxFields {
		return nil, fmt.Errorf("%w: %d fields, at most %d", ErrSpec, len(r.Fields), maxFields)
	}
	return &r, nil
}

func (p *specParser) setSyscalls(r *Rule) error {
	if len(p.syscalls) == 0 {
		if r.Filter == FilterExit {
			r.SetAllSyscalls()
		}
		return nil
	}
	if r.Filter != FilterExit {
		return fmt.Errorf("%w: -S is only valid on the exit list", ErrSpec)
	}
	arch, ok := r.Arch()
	if !ok {
		arch, _ = nativeArches()
	}
	for _, s := range p.syscalls {
		if s == "all" {
			r.SetAllSyscalls()
			continue
		}
		if n, ok := SyscallNumber(arch, s); ok {
			r.SetSyscall(n)
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n >= bitmaskWords*32 {
			return fmt.Errorf("%w: unknown syscall %q", ErrSpec, s)
		}
		r.SetSyscall(n)
	}
	return nil
}

// splitSpec splits a spec into words; single and double quotes group words.
func splitSpec(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%w: unterminated quote", ErrSpec)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}
