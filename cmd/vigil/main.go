// Command vigil is a server security audit system: a one-shot local audit
// (scan), a host inventory, and, in later parts, the agent and server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/vigil-sec/vigil/internal/cli"
)

// version is the vigil release; set by the release build with -ldflags.
var version = "0.1.0-dev"

// exitError carries a specific exit status (for example 1 from scan --fail-on)
// without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"agent":     {"run the sentinel: record commands, logins, file changes, connections as events", runAgent},
		"scan":      {"one-shot local security audit: inventory, baseline checks, score", runScan},
		"server":    {"run the server: agents' events in, search and hosts API out (token create: enrollment tokens)", runServer},
		"up":        {"server + local agent on this machine in one command (the quick start)", runUp},
		"search":    {"search the events stored by a server (KQL query)", runSearch},
		"hosts":     {"list the hosts of a server and their status; hosts revoke ID", runHosts},
		"alerts":    {"list a server's alerts; alerts ack|close|reopen ID, alerts note ID TEXT", runAlerts},
		"inventory": {"print the host inventory (packages, users, ports, ...)", runInventory},
		"rules":     {"check Sigma rules (lint) and run them over recorded events (test)", runRules},
		"version":   {"print the vigil version", runVersion},
		"vuln":      {"match installed packages against OSV advisories; manage the advisory database", runVuln},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func exitCode(err error, stderr io.Writer) int {
	var ee exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, cli.ErrUsage):
		fmt.Fprintln(stderr, "vigil:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "vigil:", err)
		return 2
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout, cmds)
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return cli.UsageError("unknown command %q", args[0])
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "vigil — server security audit")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: vigil COMMAND [flags] [args]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'vigil COMMAND -h' for the flags of a command.")
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("version", stderr)
	if _, err := cli.Parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "vigil", version)
	return nil
}
