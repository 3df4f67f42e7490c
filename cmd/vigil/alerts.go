package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/detect"
	"github.com/vigil-sec/vigil/internal/httpapi"
)

// runAlerts lists a server's alerts, or changes one: alerts ack|close|reopen
// ID, alerts note ID TEXT.
func runAlerts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "ack", "close", "reopen", "note":
			return runAlertUpdate(ctx, args[0], args[1:], stdout, stderr)
		}
	}
	fs := cli.NewFlagSet("alerts", stderr)
	cf := addClientFlags(fs)
	status := fs.String("status", "", "only alerts of `STATUS`: open, acknowledged or closed")
	level := fs.String("level", "", "only alerts of `LEVEL` or above: informational, low, medium, high, critical")
	since := fs.String("since", "", "only alerts seen in the last `DURATION` (15m, 24h, 7d)")
	host := fs.String("host", "", "only alerts of host `NAME`")
	rule := fs.String("rule", "", "only alerts of rule `ID`")
	limit := fs.Int("limit", httpapi.DefaultLimit, "print at most `N` alerts")
	format := fs.String("format", "table", "output `FORMAT`: table or json (one alert per line)")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("alerts takes no arguments (or: alerts ack|close|reopen ID, alerts note ID TEXT), got %q", pos)
	}
	if err := cli.OneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	if *limit < 1 || *limit > httpapi.MaxLimit {
		return cli.UsageError("--limit must be 1 to %d", httpapi.MaxLimit)
	}
	if *status != "" && !detect.ValidStatus(*status) {
		return cli.UsageError("--status %q: want open, acknowledged or closed", *status)
	}
	if *level != "" && detect.LevelRank(*level) < 0 {
		return cli.UsageError("--level %q: want informational, low, medium, high or critical", *level)
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	as, err := c.Alerts(ctx, httpapi.AlertParams{Status: *status, Level: *level, Since: *since, Host: *host, Rule: *rule, Limit: *limit})
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, a := range as {
			if err := enc.Encode(a); err != nil {
				return err
			}
		}
		return nil
	}
	if len(as) == 0 {
		fmt.Fprintln(stderr, "no alerts match")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAST SEEN\tLEVEL\tSTATUS\tCOUNT\tHOST\tRULE\tID")
	for _, a := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", a.LastSeen.Local().Format(time.DateTime), a.Rule.Level, a.Status,
			a.Count, a.Host.Name, a.Rule.Name, a.ID)
	}
	return tw.Flush()
}

func runAlertUpdate(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("alerts "+verb, stderr)
	cf := addClientFlags(fs)
	author := fs.String("author", "", "`NAME` recorded with a note")
	format := fs.String("format", "table", "output `FORMAT`: table or json (the updated alert)")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	var p httpapi.AlertPatch
	switch {
	case verb == "note" && len(pos) >= 2:
		p.Note, p.Author = strings.Join(pos[1:], " "), *author
	case verb != "note" && len(pos) == 1:
		p.Status = map[string]string{"ack": detect.StatusAcknowledged, "close": detect.StatusClosed, "reopen": detect.StatusOpen}[verb]
	case verb == "note":
		return cli.UsageError("usage: vigil alerts note ID TEXT")
	default:
		return cli.UsageError("usage: vigil alerts %s ID", verb)
	}
	if err := cli.OneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	a, err := c.UpdateAlert(ctx, pos[0], p)
	if err != nil {
		return err
	}
	if *format == "json" {
		return json.NewEncoder(stdout).Encode(a)
	}
	_, err = fmt.Fprintf(stdout, "alert %s: %s, %d notes\n", a.ID, a.Status, len(a.Notes))
	return err
}
