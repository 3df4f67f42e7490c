package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/sca"
	"github.com/vigil-sec/vigil/internal/scanreport"
	"github.com/vigil-sec/vigil/internal/scanrun"
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

	policies, err := scanrun.Policies(f.noBuiltin, f.policies.Values)
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

// scan audits the host under root (see package scanrun), with the
// advisories of --db when given.
func scan(ctx context.Context, root hostfs.Root, policies []*sca.Policy, f scanFlags, progress *progress) (*scanreport.Report, error) {
	opts := scanrun.Options{
		Version:  version,
		SCA:      sca.Options{AllowCommands: f.allowCommands, CommandTimeout: f.commandTimeout, Workers: f.workers},
		Progress: progress.say,
	}
	if f.db != "" {
		src, closeSrc, err := openAdvisories(ctx, f.db, io.Discard)
		if err != nil {
			return nil, err
		}
		defer closeSrc()
		opts.Advisories = src
	}
	return scanrun.Run(ctx, root, policies, opts)
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
