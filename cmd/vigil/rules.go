package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/rules"
	"github.com/vigil-sec/vigil/internal/rules/pack"
)

func runRules(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, "Usage: vigil rules lint PATH... [--format text|json]")
		fmt.Fprintln(stdout, "       vigil rules test [--rules PATH]... [--pack] --events FILE.ndjson [--format text|json]")
		if len(args) == 0 {
			return cli.UsageError("rules needs a subcommand: lint or test")
		}
		return nil
	}
	switch args[0] {
	case "lint":
		return runRulesLint(ctx, args[1:], stdout, stderr)
	case "test":
		return runRulesTest(ctx, args[1:], stdout, stderr)
	}
	return cli.UsageError("unknown rules subcommand %q (lint or test)", args[0])
}

type lintReport struct {
	Rules  int             `json:"rules"`
	OK     int             `json:"ok"`
	Errors []rules.Problem `json:"errors"`
}

func runRulesLint(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("rules lint", stderr)
	format := fs.String("format", "text", "output format: text or json")
	paths, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := cli.OneOf("format", *format, "text", "json"); err != nil {
		return err
	}
	if len(paths) == 0 {
		return cli.UsageError("rules lint needs at least one file or directory")
	}
	var src rules.Source
	if err := src.AddPaths(paths...); err != nil {
		return err
	}
	set := rules.Compile(src.Rules, rules.Options{})
	rep := lintReport{
		Rules:  len(src.Rules) + src.Failed,
		OK:     len(src.Rules) - len(set.Problems),
		Errors: append(append([]rules.Problem{}, src.Problems...), set.Problems...),
	}
	if rep.Errors == nil {
		rep.Errors = []rules.Problem{}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, p := range rep.Errors {
			fmt.Fprintln(stdout, p)
		}
		fmt.Fprintf(stdout, "%d rules, %d ok, %d failed\n", rep.Rules, rep.OK, rep.Rules-rep.OK)
	}
	if rep.OK != rep.Rules {
		return exitError{1}
	}
	return nil
}

func runRulesTest(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("rules test", stderr)
	var rulePaths cli.StringList
	fs.Var(&rulePaths, "rules", "rule file or directory (repeatable)")
	withPack := fs.Bool("pack", false, "add vigil's built-in rule pack")
	eventsPath := fs.String("events", "", "NDJSON file of events (- for standard input)")
	format := fs.String("format", "text", "output format: text or json")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("rules test takes no arguments, got %q", pos)
	}
	if err := cli.OneOf("format", *format, "text", "json"); err != nil {
		return err
	}
	if *eventsPath == "" {
		return cli.UsageError("rules test needs --events FILE.ndjson")
	}
	if len(rulePaths.Values) == 0 && !*withPack {
		return cli.UsageError("rules test needs --rules PATH or --pack")
	}
	var src rules.Source
	if *withPack {
		if err := src.AddFS(pack.FS, pack.Root); err != nil {
			return err
		}
	}
	if err := src.AddPaths(rulePaths.Values...); err != nil {
		return err
	}
	set := rules.Compile(src.Rules, rules.Options{})
	for _, p := range append(src.Problems, set.Problems...) {
		fmt.Fprintln(stderr, "vigil: rule skipped:", p)
	}
	in := io.Reader(os.Stdin)
	if *eventsPath != "-" {
		f, err := os.Open(*eventsPath)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		defer f.Close()
		in = f
	}
	alerts, bad, err := evaluateNDJSON(set, in)
	if err != nil {
		return err
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "vigil: %d event lines could not be decoded and were skipped\n", bad)
	}
	return printAlerts(stdout, alerts, *format)
}

// evaluateNDJSON runs a set over NDJSON events and returns the deduplicated
// alerts and the number of undecodable lines. The second observation of an
// attempt both the audit and the login collector report is left out, as the
// server's detection does (detect.Pairer).
func evaluateNDJSON(set *rules.Set, in io.Reader) ([]rules.Alert, int, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), event.MaxEventBytes+1)
	ev := set.NewEvaluator()
	d := rules.Deduper{Window: rules.DefaultSuppression}
	pairs := detect.NewPairer(detect.PairOptions{})
	bad := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		e, err := event.Decode([]byte(line))
		if err != nil {
			bad++
			continue
		}
		if pairs.Second(&e) {
			continue
		}
		for _, a := range ev.Process(&e) {
			d.Add(a)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, bad, fmt.Errorf("read events: %w", err)
	}
	return d.Alerts(), bad, nil
}

func printAlerts(w io.Writer, alerts []rules.Alert, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, a := range alerts {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return nil
	}
	for _, a := range alerts {
		fmt.Fprintf(w, "%-8s %-50s host=%s count=%d first=%s last=%s tags=%s\n", a.Rule.Level, a.Rule.Name,
			a.Host.Name, a.Count, a.FirstSeen.Format("2006-01-02T15:04:05Z07:00"),
			a.LastSeen.Format("2006-01-02T15:04:05Z07:00"), strings.Join(a.Tags, ","))
	}
	fmt.Fprintf(w, "%d alerts\n", len(alerts))
	return nil
}
