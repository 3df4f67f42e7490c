package sca

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/procgroup"
)

// ReasonCommandsDisabled is the reason of checks that need a command rule when
// Options.AllowCommands is false.
const ReasonCommandsDisabled = "command rules are disabled (use --allow-commands)"

// commandPath is the PATH commands run with (Wazuh's agent runs them with an
// empty environment; sbin directories matter for sshd, auditctl, nft).
const commandPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// cmdOutput is the shared result of running one command line.
type cmdOutput struct {
	out       []byte
	truncated bool
	err       error // nil when the program ran, whatever its exit status
	notFound  bool
	timedOut  bool
}

// evalCommand runs the rule's command (once per Env) and tests its output.
// The exit status does not matter, as in Wazuh; a command that cannot be
// started is invalid (not_applicable when the program is not installed,
// error otherwise), one that times out is an error.
func (ev *evaluator) evalCommand(ctx context.Context, r *Rule) ruleResult {
	if !ev.opts.AllowCommands {
		return notApplicable("%s", ReasonCommandsDisabled)
	}
	if !ev.env.Root.IsLive() && ev.opts.Exec == nil {
		return notApplicable("command rules run only on the live host, not on root %s", ev.env.Root.Dir())
	}
	v, _ := ev.env.Shared("sca.cmd:"+r.Target, func() (any, error) {
		return ev.run(ctx, r.Target), nil
	})
	res := v.(*cmdOutput)
	switch {
	case res.notFound:
		return notApplicable("command `%s`: program not found", r.Target)
	case res.timedOut:
		return ioFailure("command `%s` timed out after %s", r.Target, ev.opts.CommandTimeout)
	case res.err != nil:
		return ioFailure("command `%s`: %v", r.Target, res.err)
	}
	subject := fmt.Sprintf("output of `%s`", r.Target)
	if r.Content == nil {
		return truth(true, fmt.Sprintf("`%s` ran", r.Target))
	}
	rr := matchEvidence(subject, string(res.out), r.Content)
	if res.truncated && rr.val == valFalse {
		rr.evidence += fmt.Sprintf(" (output truncated at %d bytes)", ev.opts.MaxOutput)
	}
	return rr
}

// run executes a command line with the per-command timeout, capturing stdout
// and stderr together up to MaxOutput bytes.
func (ev *evaluator) run(ctx context.Context, line string) *cmdOutput {
	argv, err := SplitCommand(line)
	if err != nil {
		return &cmdOutput{err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, ev.opts.CommandTimeout)
	defer cancel()
	start := time.Now()
	var out []byte
	if ev.opts.Exec != nil {
		out, err = ev.opts.Exec(ctx, argv)
	} else {
		out, err = ev.execProgram(ctx, argv)
	}
	ev.log.Debug("command ran", "command", line, "duration", time.Since(start), "bytes", len(out), "err", err)
	res := &cmdOutput{out: out, err: err}
	if len(res.out) > ev.opts.MaxOutput {
		res.out, res.truncated = res.out[:ev.opts.MaxOutput], true
	}
	switch {
	case err == nil:
	case ctx.Err() == context.DeadlineExceeded:
		res.timedOut = true
	case errors.Is(err, exec.ErrNotFound):
		res.notFound = true
	default:
		var ee *exec.ExitError
		if errors.As(err, &ee) && !ee.Exited() && ctx.Err() == nil {
			// killed by a signal it raised itself: it ran.
			res.err = nil
		} else if errors.As(err, &ee) && ee.Exited() {
			res.err = nil // non-zero exit status: the output still counts
		}
	}
	return res
}

func (ev *evaluator) execProgram(ctx context.Context, argv []string) ([]byte, error) {
	// A bare name is looked up in commandPath only, never in the caller's
	// PATH: the program that runs as root must not depend on who started vigil.
	var prog string
	var err error
	if strings.Contains(argv[0], "/") {
		prog, err = exec.LookPath(argv[0])
	} else {
		prog, err = lookInPath(argv[0])
	}
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, prog, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Env = []string{"PATH=" + commandPath, "LC_ALL=C", "LANG=C"}
	cmd.Dir = "/"
	buf := &limitedBuffer{limit: ev.opts.MaxOutput + 1}
	cmd.Stdout, cmd.Stderr = buf, buf
	procgroup.Set(cmd)
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	return buf.Bytes(), err
}

// lookInPath finds a program in commandPath.
func lookInPath(name string) (string, error) {
	for dir := range strings.SplitSeq(commandPath, ":") {
		p, err := exec.LookPath(dir + "/" + name)
		if err == nil {
			return p, nil
		}
	}
	return "", &exec.Error{Name: name, Err: exec.ErrNotFound}
}

// limitedBuffer keeps the first limit bytes written to it and discards the
// rest without failing the writer (a program killed by EPIPE would change its
// behaviour).
type limitedBuffer struct {
	bytes.Buffer
	limit int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// SplitCommand turns a command line into argv. A line that needs a shell
// (pipes, lists, redirections, substitutions, variables, globs or comments
// outside quotes) becomes ["/bin/sh", "-c", line]; any other is split on
// blanks honouring single quotes, double quotes and backslashes as sh would.
func SplitCommand(line string) ([]string, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return nil, errors.New("empty command")
	}
	argv, shell, err := splitWords(line)
	if err != nil {
		return nil, err
	}
	if shell {
		return []string{"/bin/sh", "-c", line}, nil
	}
	if len(argv) == 0 {
		return nil, errors.New("empty command")
	}
	return argv, nil
}

func splitWords(line string) (argv []string, shell bool, err error) {
	var cur strings.Builder
	inWord := false
	const (
		plain = iota
		single
		double
	)
	state := plain
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch state {
		case single:
			if c == '\'' {
				state = plain
			} else {
				cur.WriteByte(c)
			}
			continue
		case double:
			switch c {
			case '"':
				state = plain
			case '$', '`':
				return nil, true, nil
			case '\\':
				if i+1 < len(line) && strings.IndexByte("$`\"\\\n", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			default:
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n':
			if inWord {
				argv = append(argv, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		case '\'':
			state = single
		case '"':
			state = double
		case '\\':
			if i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			}
		case '|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[':
			return nil, true, nil
		case '#', '~':
			if !inWord {
				return nil, true, nil
			}
			cur.WriteByte(c)
		default:
			cur.WriteByte(c)
		}
		inWord = true
	}
	if state != plain {
		return nil, false, errors.New("unterminated quote in command")
	}
	if inWord {
		argv = append(argv, cur.String())
	}
	return argv, false, nil
}
