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
	"github.com/vigil-sec/vigil/internal/event"
	"github.com/vigil-sec/vigil/internal/httpapi"
)

func runSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("search", stderr)
	cf := addClientFlags(fs)
	since := fs.String("since", "", "only events newer than `DURATION` (15m, 24h, 7d)")
	from := fs.String("from", "", "only events at or after `TIME` (RFC 3339, YYYY-MM-DD, now-1h)")
	to := fs.String("to", "", "only events before `TIME`")
	limit := fs.Int("limit", httpapi.DefaultLimit, "print at most `N` hits")
	format := fs.String("format", "table", "output `FORMAT`: table or json (one ECS event per line)")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := cli.OneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	if *limit < 1 {
		return cli.UsageError("--limit must be at least 1")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	p := httpapi.SearchParams{Query: strings.Join(pos, " "), Since: *since, From: *from, To: *to, Limit: *limit}
	if *format == "json" {
		return c.Search(ctx, p, func(raw json.RawMessage) error {
			_, err := fmt.Fprintf(stdout, "%s\n", raw)
			return err
		})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tHOST\tUSER\tACTION\tWHAT")
	n := 0
	err = c.Search(ctx, p, func(raw json.RawMessage) error {
		e, err := event.Decode(raw)
		if err != nil {
			return err
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Timestamp.Local().Format(time.DateTime), hostName(&e), userName(&e), e.Event.Action, what(&e))
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(stderr, "no events match")
		return nil
	}
	return tw.Flush()
}

func hostName(e *event.Event) string {
	if e.Host != nil {
		return e.Host.Name
	}
	return "-"
}

func userName(e *event.Event) string {
	if e.User != nil && e.User.Name != "" {
		return e.User.Name
	}
	return "-"
}

// what summarises an event in one line: the command, the file or the message.
func what(e *event.Event) string {
	var s string
	switch {
	case e.Process != nil && e.Process.CommandLine != "":
		s = e.Process.CommandLine
	case e.File != nil && e.File.Path != "":
		s = e.File.Path
	default:
		s = e.Message
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
