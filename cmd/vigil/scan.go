package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/vigil-sec/vigil/internal/baseline"
	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory"
	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/scanreport"
	"github.com/vigil-sec/vigil/internal/vuln"
)

type scanFlags struct {
	root           string
	policies       cli.StringList
	noBuiltin      bool
	allowCommands  bool
	format         string
	output         string
	failOn         string
	verbose        bool
	workers        int
	commandTimeout time.Duration
	db             string
}

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f scanFlags
	fs := cli.NewFlagSet("scan", stderr)
	fs.StringVar(&f.root, "root", "/", "audit the host tree under `DIR` instead of /")
	fs.Var(&f.policies, "policy", "also evaluate the Wazuh SCA policy `FILE` (repeatable)")
	fs.BoolVar(&f.noBuiltin, "no-builtin", false, "skip vigil's built-in policy")
	fs.BoolVar(&f.allowCommands, "allow-commands", false, "let c: rules of external policies run their commands")
	fs.StringVar(&f.format, "format", "text", "report format: text, json or html")
	fs.StringVar(&f.output, "output", "", "write the report to `FILE` (mode 0600) instead of stdout")
	fs.StringVar(&f.failOn, "fail-on", "", "exit 1 when a check of at least `SEVERITY` (low|medium|high|critical) failed")
	fs.BoolVar(&f.verbose, "verbose", false, "text report: also list passed and not applicable checks")
	fs.IntVar(&f.workers, "workers", 0, "checks evaluated at once (default: by CPU count)")
	fs.DurationVar(&f.commandTimeout, "command-timeout", sca.DefaultCommandTimeout, "timeout of one command rule")
	fs.StringVar(&f.db, "db", "", "also match installed packages against the advisories in `FILE|DIR` (see vigil vuln scan)")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("scan takes no arguments, got %q", pos)
	}
	if err := cli.OneOf("format", f.format, "text", "json", "html"); err != nil {
		return err
	}
	if f.failOn != "" && scanreport.SeverityRank(f.failOn) < scanreport.SeverityRank("low") {
		return cli.UsageError("--fail-on must be low, medium, high or critical, not %q", f.failOn)
	}
	if f.noBuiltin && len(f.policies.Values) == 0 {
		return cli.UsageError("--no-builtin needs at least one --policy")
	}
	root, err := hostfs.New(f.root)
	if err != nil {
		return cli.UsageError("%v", err)
	}

	policies, err := loadPolicies(f)
	if err != nil {
		return err
	}
	progress := newProgress(stdout, stderr, f.format == "text" && f.output == "")
	rep, err := scan(ctx, root, policies, f, progress)
	progress.done()
	if err != nil {
		return err
	}
	if err := writeReport(rep, f, stdout); err != nil {
		return err
	}
	if f.failOn != "" {
		if failed := rep.FailedAtOrAbove(f.failOn); len(failed) > 0 {
			fmt.Fprintf(stderr, "vigil: %d failed check(s) at or above %s\n", len(failed), f.failOn)
			return exitError{code: 1}
		}
	}
	return nil
}

func loadPolicies(f scanFlags) ([]*sca.Policy, error) {
	var out []*sca.Policy
	if !f.noBuiltin {
		p, err := baseline.Load()
		if err != nil {
			return nil, fmt.Errorf("built-in policy: %w", err)
		}
		out = append(out, p)
	}
	var errs []error
	for _, path := range f.policies.Values {
		p, err := sca.LoadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// scan collects the inventory while the policies are evaluated and assembles
// the report.
func scan(ctx context.Context, root hostfs.Root, policies []*sca.Policy, f scanFlags, progress *progress) (*scanreport.Report, error) {
	start := time.Now()
	type invResult struct {
		inv *inventory.Inventory
		err error
	}
	invc := make(chan invResult, 1)
	go func() {
		inv, err := inventory.Collect(ctx, root, inventory.Options{})
		invc <- invResult{inv, err}
	}()

	env := &sca.Env{Root: root}
	opts := sca.Options{AllowCommands: f.allowCommands, CommandTimeout: f.commandTimeout, Workers: f.workers}
	rep := &scanreport.Report{Tool: "vigil", Version: version, StartedAt: start.UTC()}
	for _, p := range policies {
		progress.say(fmt.Sprintf("evaluating %s (%d checks)", p.ID, len(p.Checks)))
		res, err := p.Evaluate(ctx, env, opts)
		if err != nil {
			return nil, err
		}
		addPolicy(rep, p, res)
	}
	progress.say("collecting inventory")
	ir := <-invc
	if ir.err != nil {
		return nil, ir.err
	}
	inv := ir.inv
	rep.Inventory = inv
	rep.InventorySummary = inventorySummary(inv)
	rep.Host = scanreport.Host{
		Hostname: inv.Host.Hostname,
		OS:       firstNonEmpty(inv.Host.OS.PrettyName, inv.Host.OS.Name, "unknown OS"),
		Kernel:   inv.Host.Kernel.Release,
		Root:     root.Dir(),
	}
	if f.db != "" {
		progress.say("matching packages against advisories")
		src, closeSrc, err := openAdvisories(ctx, f.db, io.Discard)
		if err != nil {
			return nil, err
		}
		vr, err := vuln.Scan(ctx, &vuln.Host{Hostname: inv.Host.Hostname, OS: inv.Host.OS, Root: root.Dir(), Packages: inv.Packages}, src)
		closeSrc()
		if err != nil {
			return nil, err
		}
		rep.Vulnerabilities = vr
	}
	rep.Duration = time.Since(start).Round(time.Millisecond).String()
	rep.Finalize()
	return rep, nil
}

func inventorySummary(inv *inventory.Inventory) []scanreport.Fact {
	h := inv.Host
	facts := []scanreport.Fact{
		{Label: "Operating system", Value: firstNonEmpty(h.OS.PrettyName, h.OS.Name)},
		{Label: "Kernel", Value: h.Kernel.Release},
		{Label: "CPUs / memory", Value: fmt.Sprintf("%d / %.1f GiB", h.CPUCount, float64(h.MemoryTotalBytes)/(1<<30))},
		{Label: "Uptime", Value: (time.Duration(h.UptimeSeconds) * time.Second).String()},
		{Label: "Installed packages", Value: fmt.Sprint(len(inv.Packages))},
		{Label: "Enabled services", Value: fmt.Sprint(countEnabled(inv))},
		{Label: "Loaded kernel modules", Value: fmt.Sprint(len(inv.Modules))},
		{Label: "Cron jobs", Value: fmt.Sprint(len(inv.Cron))},
		{Label: "Users (with a login shell)", Value: fmt.Sprintf("%d (%d)", len(inv.Users), countLoginShells(inv))},
		{Label: "Groups", Value: fmt.Sprint(len(inv.Groups))},
		{Label: "Sudo rules", Value: fmt.Sprint(len(inv.Sudoers))},
		{Label: "SSH authorized keys", Value: fmt.Sprint(len(inv.SSHKeys))},
		{Label: "Processes", Value: fmt.Sprint(len(inv.Processes))},
		{Label: "Listening sockets", Value: fmt.Sprint(len(inv.Listening))},
	}
	return facts
}

func countEnabled(inv *inventory.Inventory) int {
	n := 0
	for _, s := range inv.Services {
		if s.State == "enabled" {
			n++
		}
	}
	return n
}

func countLoginShells(inv *inventory.Inventory) int {
	n := 0
	for _, u := range inv.Users {
		if u.LoginShell {
			n++
		}
	}
	return n
}

func addPolicy(rep *scanreport.Report, p *sca.Policy, res *sca.PolicyResult) {
	pol := scanreport.Policy{ID: res.ID, Name: res.Name, File: res.Source, Checks: len(res.Checks)}
	if res.Skipped != "" {
		pol.Skipped, pol.SkipReason = true, res.Skipped
	}
	rep.Policies = append(rep.Policies, pol)
	for _, cr := range res.Checks {
		c := cr.Check
		rep.Checks = append(rep.Checks, scanreport.Check{
			ID:                 c.VigilID,
			Title:              c.Title,
			Status:             string(cr.Status),
			Severity:           c.Severity,
			Category:           c.Category,
			Policy:             p.ID,
			Description:        c.Description,
			Rationale:          c.Rationale,
			Remediation:        c.Remediation,
			RemediationCommand: c.RemediationCommand,
			References:         references(c),
			Evidence:           cr.Evidence,
			Reason:             cr.Reason,
		})
	}
}

// references lists a check's references followed by its compliance controls
// ("cis 5.1.20").
func references(c *sca.Check) []string {
	out := append([]string(nil), c.References...)
	for _, fw := range c.Frameworks() {
		out = append(out, fw+" "+strings.Join(c.Compliance[fw], ", "))
	}
	return out
}

func writeReport(rep *scanreport.Report, f scanFlags, stdout io.Writer) (err error) {
	w := stdout
	color := false
	if f.output != "" {
		file, ferr := os.OpenFile(f.output, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if ferr != nil {
			return ferr
		}
		// O_CREATE's mode applies only to a new file.
		if ferr := file.Chmod(0o600); ferr != nil {
			file.Close()
			return fmt.Errorf("report: %w", ferr)
		}
		defer func() {
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}()
		w = file
	} else {
		color = isTerminal(stdout)
	}
	switch f.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "html":
		return scanreport.WriteHTML(w, rep)
	default:
		return scanreport.WriteText(w, rep, scanreport.TextOptions{Color: color, Verbose: f.verbose})
	}
}

func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// progress prints what the scan is doing on one rewritten stderr line, only
// when the report goes to a terminal.
type progress struct {
	w      io.Writer
	active bool
}

func newProgress(stdout, stderr io.Writer, wanted bool) *progress {
	return &progress{w: stderr, active: wanted && isTerminal(stdout) && isTerminal(stderr)}
}

func (p *progress) say(msg string) {
	if p.active {
		fmt.Fprintf(p.w, "\r\x1b[K%s…", msg)
	}
}

func (p *progress) done() {
	if p.active {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
