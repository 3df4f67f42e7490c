package sca

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
)

type value int8

const (
	valFalse value = iota
	valTrue
	valInvalid
)

// ruleResult is the outcome of one rule before negation is applied (see
// evalRule, which applies it).
type ruleResult struct {
	val      value
	ioError  bool   // invalid because examining the subject failed
	reason   string // why invalid
	evidence string // what was seen
}

func truth(ok bool, evidence string) ruleResult {
	if ok {
		return ruleResult{val: valTrue, evidence: evidence}
	}
	return ruleResult{val: valFalse, evidence: evidence}
}

func notApplicable(format string, args ...any) ruleResult {
	return ruleResult{val: valInvalid, reason: fmt.Sprintf(format, args...)}
}

func ioFailure(format string, args ...any) ruleResult {
	return ruleResult{val: valInvalid, ioError: true, reason: fmt.Sprintf(format, args...)}
}

// describe formats the result for evidence: `rule "R" holds: what was seen`.
func (rr ruleResult) describe(r *Rule) string {
	verb := "does not hold"
	if rr.val == valTrue {
		verb = "holds"
	}
	if rr.evidence == "" {
		return fmt.Sprintf("`%s` %s", r.Raw, verb)
	}
	return fmt.Sprintf("`%s` %s: %s", r.Raw, verb, rr.evidence)
}

// evalRule evaluates a rule and applies its "not". Invalid stays invalid.
func (ev *evaluator) evalRule(ctx context.Context, r *Rule) ruleResult {
	var rr ruleResult
	switch r.Type {
	case RuleFile:
		rr = ev.evalFile(r)
	case RuleDirectory:
		rr = ev.evalDir(r)
	case RuleCommand:
		rr = ev.evalCommand(ctx, r)
	case RuleProcess:
		rr = ev.evalProcess(r)
	case RuleProbe:
		rr = ev.evalProbe(ctx, r)
	case RuleRegistry:
		rr = notApplicable("registry rules apply to Windows only")
	default:
		rr = notApplicable("unknown rule type `%s`", string(r.Type))
	}
	if rr.val != valInvalid {
		rr.reason = ""
		if r.Negated {
			rr.val = 1 - rr.val
		}
	}
	return rr
}

// expandTargets expands glob patterns in file and directory targets (a vigil
// extension: Wazuh takes them literally and finds nothing).
func (ev *evaluator) expandTargets(targets []string) []string {
	var out []string
	for _, t := range targets {
		if !strings.ContainsAny(t, "*?[") {
			out = append(out, t)
			continue
		}
		m, err := ev.env.Root.Glob(t)
		if err != nil || len(m) == 0 {
			out = append(out, t)
			continue
		}
		out = append(out, m...)
	}
	return out
}

// evalFile: without content, true when one of the files exists as a regular
// file (a missing file is false; a path that is not a regular file or cannot be
// examined is invalid). With content, true when one file has a line matching;
// a missing file is invalid (Wazuh: "a file that does not exist produces an
// INVALID check") unless another file decides.
func (ev *evaluator) evalFile(r *Rule) ruleResult {
	targets := ev.expandTargets(r.Targets)
	acc := ruleResult{val: valFalse}
	var missing []string
	for _, name := range targets {
		fi, err := ev.env.Root.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, name)
			if r.Content != nil {
				acc = notApplicable("file %s does not exist", name)
			}
			continue
		case err != nil:
			acc = ioFailure("cannot examine %s: %v", name, unwrapPath(err))
			continue
		case !fi.Mode().IsRegular():
			acc = notApplicable("%s is not a regular file", name)
			continue
		}
		if r.Content == nil {
			return truth(true, name+" exists")
		}
		res := ev.fileContent(name, r.Content)
		if res.val == valTrue {
			return res
		}
		if res.val == valInvalid {
			acc = res
		} else if acc.val == valFalse {
			acc.evidence = joinEvidence(acc.evidence, res.evidence)
		}
	}
	if acc.val == valFalse && r.Content == nil {
		acc.evidence = strings.Join(missing, ", ") + " does not exist"
	}
	return acc
}

func joinEvidence(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// fileContent matches a file's lines against e.
func (ev *evaluator) fileContent(name string, e *Expr) ruleResult {
	data, err := ev.env.Root.ReadFile(name, defaultMaxFileSize)
	if err != nil {
		return ioFailure("cannot read %s: %v", name, unwrapPath(err))
	}
	return matchEvidence(name, string(data), e)
}

// matchEvidence matches text (named subject) against e and words the result.
func matchEvidence(subject, text string, e *Expr) ruleResult {
	m, err := e.matchLines(text)
	if err != nil {
		return ioFailure("%s: %v", subject, err)
	}
	lone := len(e.Terms) == 1 && e.Terms[0].Negated
	switch {
	case m.ok && lone:
		return truth(true, fmt.Sprintf("no line of %s matches %s", subject, e.Terms[0].Text))
	case m.ok:
		return truth(true, fmt.Sprintf("%s:%d: %s", subject, m.no, quoteLine(m.line)))
	case lone && m.no > 0:
		return truth(false, fmt.Sprintf("%s:%d: %s", subject, m.no, quoteLine(m.line)))
	case text == "":
		return truth(false, subject+" is empty")
	default:
		return truth(false, fmt.Sprintf("no line of %s matches %s", subject, e.Raw))
	}
}

// Bounds of a directory rule's walk.
const (
	maxWalkDepth   = 32
	maxWalkEntries = 200000
)

// evalDir: without a name test, true when one of the directories exists. With
// one, walks each directory recursively (not following symbolic links to
// directories) for files whose name satisfies the test and, when there is a
// content test, whose lines do. A missing directory is false for existence and
// invalid for a walk, as in Wazuh.
func (ev *evaluator) evalDir(r *Rule) ruleResult {
	acc := ruleResult{val: valFalse}
	var looked []string
	for _, dir := range ev.expandTargets(r.Targets) {
		fi, err := ev.env.Root.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if r.Name != nil {
				acc = notApplicable("directory %s does not exist", dir)
			} else {
				looked = append(looked, dir+" does not exist")
			}
			continue
		case err != nil:
			acc = ioFailure("cannot examine %s: %v", dir, unwrapPath(err))
			continue
		}
		if r.Name == nil {
			if fi.IsDir() {
				return truth(true, dir+" exists")
			}
			acc = notApplicable("%s is not a directory", dir)
			continue
		}
		w := &dirWalk{ev: ev, rule: r}
		var res ruleResult
		if fi.IsDir() {
			res = w.walk(dir, 0)
		} else {
			// A glob such as /etc/foo.d/* names files directly.
			res = w.entry(dir, path.Base(dir), fi.Mode())
		}
		if res.val == valTrue {
			return res
		}
		if res.val == valInvalid {
			acc = res
		}
		looked = append(looked, dir)
	}
	if acc.val == valFalse {
		if r.Name == nil {
			acc.evidence = strings.Join(looked, ", ")
		} else if r.Content == nil {
			acc.evidence = fmt.Sprintf("no file below %s has a name matching %s", strings.Join(looked, ", "), r.Name.Raw)
		} else {
			acc.evidence = fmt.Sprintf("no file below %s named %s has a line matching %s", strings.Join(looked, ", "), r.Name.Raw, r.Content.Raw)
		}
	}
	return acc
}

type dirWalk struct {
	ev      *evaluator
	rule    *Rule
	entries int
	invalid *ruleResult
}

func (w *dirWalk) walk(dir string, depth int) ruleResult {
	if depth > maxWalkDepth {
		return notApplicable("%s: directory tree deeper than %d", dir, maxWalkDepth)
	}
	ents, err := w.ev.env.Root.ReadDir(dir)
	if err != nil {
		return ioFailure("cannot list %s: %v", dir, unwrapPath(err))
	}
	for _, de := range ents {
		w.entries++
		if w.entries > maxWalkEntries {
			return notApplicable("%s: more than %d entries", dir, maxWalkEntries)
		}
		full := path.Join(dir, de.Name())
		var res ruleResult
		if de.IsDir() {
			res = w.walk(full, depth+1)
		} else {
			res = w.entry(full, de.Name(), de.Type())
		}
		if res.val == valTrue {
			return res
		}
		if res.val == valInvalid && w.invalid == nil {
			w.invalid = &res
		}
	}
	if w.invalid != nil {
		return *w.invalid
	}
	return ruleResult{val: valFalse}
}

// entry tests one non-directory entry of a walk.
func (w *dirWalk) entry(full, name string, mode fs.FileMode) ruleResult {
	ok, err := w.rule.Name.matchLine(name)
	if err != nil {
		return ioFailure("%s: %v", full, err)
	}
	if !ok {
		return ruleResult{val: valFalse}
	}
	if w.rule.Content == nil {
		return truth(true, full+" exists")
	}
	if mode&fs.ModeSymlink != 0 {
		fi, err := w.ev.env.Root.Stat(full)
		if err != nil || !fi.Mode().IsRegular() {
			return ruleResult{val: valFalse}
		}
	} else if !mode.IsRegular() {
		return ruleResult{val: valFalse}
	}
	return w.ev.fileContent(full, w.rule.Content)
}

// unwrapPath drops the *fs.PathError wrapper (whose path the caller already
// names) and keeps the cause.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// evalProbe runs a registered probe once per Env and tests its lines. Without a
// content test the rule is true when the probe returns at least one line.
func (ev *evaluator) evalProbe(ctx context.Context, r *Rule) ruleResult {
	fn, ok := LookupProbe(r.Probe)
	if !ok {
		return notApplicable("probe %s is not registered", r.Probe)
	}
	v, err := ev.env.Shared("sca.probe:"+r.Target, func() (any, error) {
		return fn(ctx, ev.env, r.Args)
	})
	if errors.Is(err, ErrNotApplicable) {
		return notApplicable("probe %s: %v", r.Target, err)
	}
	if err != nil {
		return ioFailure("probe %s: %v", r.Target, err)
	}
	lines, _ := v.([]string)
	subject := "probe " + r.Target
	if r.Content == nil {
		if len(lines) == 0 {
			return truth(false, subject+" returned nothing")
		}
		return truth(true, fmt.Sprintf("%s returned %d lines, first: %s", subject, len(lines), quoteLine(lines[0])))
	}
	return matchEvidence(subject, strings.Join(lines, "\n"), r.Content)
}

// processes lists the host's running processes (name from /proc/PID/comm,
// full path from the first word of /proc/PID/cmdline) once per Env.
func (ev *evaluator) processes() ([]string, error) {
	v, err := ev.env.Shared("sca.processes", func() (any, error) {
		return listProcesses(ev.env.Root)
	})
	names, _ := v.([]string)
	return names, err
}

func listProcesses(root hostfs.Root) ([]string, error) {
	ents, err := root.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range ents {
		pid := de.Name()
		if pid == "" || strings.Trim(pid, "0123456789") != "" {
			continue
		}
		if b, err := root.ReadFile("/proc/"+pid+"/comm", 4096); err == nil {
			out = append(out, strings.TrimSpace(string(b)))
		}
		if b, err := root.ReadFile("/proc/"+pid+"/cmdline", 64<<10); err == nil && len(b) > 0 {
			argv0, _, _ := strings.Cut(string(b), "\x00")
			if argv0 != "" {
				out = append(out, argv0, path.Base(argv0))
			}
		}
	}
	return out, nil
}

// evalProcess: true when a running process has the target as its name, its
// program path or program base name.
func (ev *evaluator) evalProcess(r *Rule) ruleResult {
	procs, err := ev.processes()
	if err != nil {
		return ioFailure("cannot list processes: %v", err)
	}
	for _, p := range procs {
		if strings.EqualFold(p, r.Target) {
			return truth(true, "process "+r.Target+" is running")
		}
	}
	return truth(false, "no process "+r.Target+" is running")
}
