// Package scanrun runs one local audit of a host: the baseline policies are
// evaluated while the inventory is collected, the installed packages are
// optionally matched against advisories, and everything is assembled into a
// scanreport.Report. vigil scan and the agent's periodic scan share it, so
// the server receives the same report that vigil scan prints.
package scanrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-sec/vigil/internal/baseline"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/inventory"
	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/scanreport"
	"github.com/vigil-sec/vigil/internal/vuln"
)

// Options tune one run. The zero value evaluates the given policies without
// command rules and without vulnerability matching.
type Options struct {
	// Version is the vigil version written into the report.
	Version string
	// SCA are the policy evaluation options (commands, timeout, workers).
	SCA sca.Options
	// Advisories, when set, adds the vulnerability section.
	Advisories vuln.Source
	// Progress, when set, is told what the run is doing.
	Progress func(msg string)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Policies returns vigil's built-in baseline policy (unless noBuiltin)
// followed by the Wazuh SCA policy files at paths. Every file that fails to
// load is reported, joined.
func Policies(noBuiltin bool, paths []string) ([]*sca.Policy, error) {
	var out []*sca.Policy
	if !noBuiltin {
		p, err := baseline.Load()
		if err != nil {
			return nil, fmt.Errorf("built-in policy: %w", err)
		}
		out = append(out, p)
	}
	var errs []error
	for _, path := range paths {
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

// Run audits the host under root with policies and returns the finalized
// report, whose Inventory field holds the *inventory.Inventory collected.
func Run(ctx context.Context, root hostfs.Root, policies []*sca.Policy, opts Options) (*scanreport.Report, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	say := opts.Progress
	if say == nil {
		say = func(string) {}
	}
	start := now()
	type invResult struct {
		inv *inventory.Inventory
		err error
	}
	invc := make(chan invResult, 1)
	invCtx, cancelInv := context.WithCancel(ctx)
	defer cancelInv()
	go func() {
		inv, err := inventory.Collect(invCtx, root, inventory.Options{})
		invc <- invResult{inv, err}
	}()

	env := &sca.Env{Root: root}
	rep := &scanreport.Report{Tool: "vigil", Version: opts.Version, StartedAt: start.UTC()}
	for _, p := range policies {
		say(fmt.Sprintf("evaluating %s (%d checks)", p.ID, len(p.Checks)))
		res, err := p.Evaluate(ctx, env, opts.SCA)
		if err != nil {
			return nil, err
		}
		addPolicy(rep, p, res)
	}
	say("collecting inventory")
	ir := <-invc
	if ir.err != nil {
		return nil, ir.err
	}
	inv := ir.inv
	rep.Inventory = inv
	rep.InventorySummary = InventorySummary(inv)
	rep.Host = scanreport.Host{
		Hostname: inv.Host.Hostname,
		OS:       firstNonEmpty(inv.Host.OS.PrettyName, inv.Host.OS.Name, "unknown OS"),
		Kernel:   inv.Host.Kernel.Release,
		Root:     root.Dir(),
	}
	if opts.Advisories != nil {
		say("matching packages against advisories")
		vr, err := vuln.Scan(ctx, &vuln.Host{Hostname: inv.Host.Hostname, OS: inv.Host.OS, Root: root.Dir(), Packages: inv.Packages}, opts.Advisories)
		if err != nil {
			return nil, err
		}
		rep.Vulnerabilities = vr
	}
	rep.Duration = now().Sub(start).Round(time.Millisecond).String()
	rep.Finalize()
	return rep, nil
}

// InventorySummary is the few headline facts of an inventory shown in the
// human reports.
func InventorySummary(inv *inventory.Inventory) []scanreport.Fact {
	h := inv.Host
	return []scanreport.Fact{
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
