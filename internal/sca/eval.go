package sca

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultCommandTimeout = 10 * time.Second
	DefaultMaxOutput      = 4 << 20
	defaultMaxFileSize    = 32 << 20
)

// Options control an evaluation.
type Options struct {
	// AllowCommands lets "c:" rules run programs on the live host. When false,
	// command rules are invalid and their checks not_applicable.
	AllowCommands bool
	// CommandTimeout bounds each command (default DefaultCommandTimeout).
	CommandTimeout time.Duration
	// MaxOutput bounds the captured output of one command (stdout and stderr
	// together, as Wazuh reads them); the rest is dropped. Default
	// DefaultMaxOutput.
	MaxOutput int
	// Workers is the number of checks evaluated at once (default: 4 per CPU,
	// at least 8, since commands spend their time waiting).
	Workers int
	// Logger receives debug records per check; nil discards them.
	Logger *slog.Logger
	// Exec replaces running a program (argv[0] looked up in PATH) and returns
	// its combined output. It exists for tests; when set, command rules also
	// "run" against fixture roots.
	Exec func(ctx context.Context, argv []string) ([]byte, error)
}

func (o Options) withDefaults() Options {
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = DefaultMaxOutput
	}
	if o.Workers <= 0 {
		o.Workers = max(8, 4*runtime.NumCPU())
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// evaluator holds what one policy evaluation shares between checks.
type evaluator struct {
	env  *Env
	opts Options
	log  *slog.Logger
}

// Evaluate runs the policy's requirements and then its checks against env.
// Checks run in parallel (Options.Workers); commands and probes are run once
// per Env and their output shared, so several policies evaluated with the same
// Env share them too. It returns an error only when ctx is cancelled; every
// problem with the host is reported in the results.
func (p *Policy) Evaluate(ctx context.Context, env *Env, opts Options) (*PolicyResult, error) {
	opts = opts.withDefaults()
	ev := &evaluator{env: env, opts: opts, log: opts.Logger.With("policy", p.ID)}
	res := &PolicyResult{ID: p.ID, Name: p.Name, File: p.File, Source: p.Source, Started: time.Now()}
	defer func() { res.Duration = time.Since(res.Started) }()

	if req := p.Requirements; req != nil {
		st, reason, evidence := ev.aggregate(ctx, req.Condition, req.Rules)
		res.Requirements = &RequirementResult{Title: req.Title, Status: st, Reason: reason, Evidence: evidence}
		if st != StatusPass {
			res.Skipped = fmt.Sprintf("requirements not met (%s): %s", req.Title, cmpOr(reason, evidence))
			ev.log.Debug("policy skipped", "reason", res.Skipped)
			return res, ctx.Err()
		}
	}

	res.Checks = make([]CheckResult, len(p.Checks))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(opts.Workers, len(p.Checks)) {
		wg.Go(func() {
			for i := range jobs {
				res.Checks[i] = ev.evalCheck(ctx, p.Checks[i])
			}
		})
	}
	for i := range p.Checks {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("evaluate policy %s: %w", p.ID, err)
	}
	for _, c := range res.Checks {
		res.Summary.add(c.Status)
	}
	return res, nil
}

func (ev *evaluator) evalCheck(ctx context.Context, c *Check) CheckResult {
	r := CheckResult{Check: c}
	if len(c.Distros) > 0 {
		if osr := ev.env.OSRelease(); !osr.Matches(c.Distros) {
			r.Status = StatusNotApplicable
			r.Reason = fmt.Sprintf("check applies to %s; host is %s", strings.Join(c.Distros, ", "), osr)
			return r
		}
	}
	r.Status, r.Reason, r.Evidence = ev.aggregate(ctx, c.Condition, c.Rules)
	ev.log.Debug("check evaluated", "check", c.ID, "status", r.Status, "reason", r.Reason)
	return r
}

// aggregate applies Wazuh's condition truth table to the rules, evaluating
// them in order and stopping at the first decisive one:
//
//	all:  any rule false -> fail; else any invalid -> invalid; else pass
//	any:  any rule true  -> pass; else any invalid -> invalid; else fail
//	none: any rule true  -> fail; else any invalid -> invalid; else pass
//
// invalid becomes not_applicable, or error when a rule failed on I/O.
func (ev *evaluator) aggregate(ctx context.Context, cond Condition, rules []*Rule) (Status, string, string) {
	var invalid []ruleResult
	var held []string
	for _, rule := range rules {
		rr := ev.evalRule(ctx, rule)
		switch {
		case rr.val == valInvalid:
			invalid = append(invalid, rr)
			continue
		case cond == CondAll && rr.val == valFalse:
			return StatusFail, "", rr.describe(rule)
		case cond == CondAny && rr.val == valTrue:
			return StatusPass, "", rr.describe(rule)
		case cond == CondNone && rr.val == valTrue:
			return StatusFail, "", rr.describe(rule)
		}
		held = append(held, rr.describe(rule))
	}
	if len(invalid) > 0 {
		st := StatusNotApplicable
		var reasons []string
		for _, rr := range invalid {
			if rr.ioError {
				st = StatusError
			}
			reasons = append(reasons, rr.reason)
		}
		return st, truncate(strings.Join(dedupe(reasons), "; "), maxEvidence), ""
	}
	if cond == CondAny {
		return StatusFail, "", truncate("no rule holds: "+strings.Join(held, "; "), maxEvidence)
	}
	return StatusPass, "", truncate(strings.Join(held, "; "), maxEvidence)
}

// maxEvidence bounds evidence and reason strings.
const maxEvidence = 2048

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
