package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/vigil-sec/vigil/internal/cli"
	"github.com/vigil-sec/vigil/internal/httpapi"
)

// defaultDataDir is where `vigil up` keeps its data; clients fall back to it
// when no server is given at all.
const defaultDataDir = "vigil-data"

// clientFlags are the flags every API client command takes.
type clientFlags struct {
	server, token, ca, data *string
}

func addClientFlags(fs *flag.FlagSet) clientFlags {
	return clientFlags{
		server: fs.String("server", "", "server `URL` (default $VIGIL_SERVER, or from --data)"),
		token:  fs.String("token", "", "admin `TOKEN` (default $VIGIL_TOKEN, or DIR/admin.token)"),
		ca:     fs.String("ca", "", "CA certificate `FILE` to verify the server (default $VIGIL_CA, or DIR/ca.crt)"),
		data:   fs.String("data", "", "data `DIR` of a local server: reads server.json, admin.token and ca.crt"),
	}
}

// client resolves the endpoint: flags, then --data, then the environment,
// then ./vigil-data when it holds a server.json and nothing else was given.
func (f clientFlags) client() (*httpapi.Client, error) {
	l := httpapi.Locate{Server: *f.server, Token: *f.token, CAPath: *f.ca, DataDir: *f.data, Getenv: os.Getenv}
	if l.Server == "" && l.DataDir == "" && os.Getenv("VIGIL_SERVER") == "" {
		if _, err := os.Stat(filepath.Join(defaultDataDir, httpapi.ServerInfoFile)); err == nil {
			l.DataDir = defaultDataDir
		}
	}
	ep, err := l.Resolve()
	if err != nil {
		return nil, cli.UsageError("%v", err)
	}
	return httpapi.NewClient(ep)
}

// hostLine is one host in `vigil hosts --format json`.
type hostLine struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Hostname     string     `json:"hostname,omitempty"`
	OS           string     `json:"os,omitempty"`
	Status       string     `json:"status"`
	LastSeen     *time.Time `json:"last_seen"`
	AgentVersion string     `json:"agent_version"`
	Revoked      bool       `json:"revoked,omitempty"`
	KernelLost   int64      `json:"kernel_lost,omitempty"`
}

func runHosts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "revoke" {
		return runHostsRevoke(ctx, args[1:], stdout, stderr)
	}
	fs := cli.NewFlagSet("hosts", stderr)
	cf := addClientFlags(fs)
	format := fs.String("format", "table", "output `FORMAT`: table or json (one host per line)")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.UsageError("hosts takes no arguments (or: hosts revoke ID), got %q", pos)
	}
	if err := cli.OneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	list, err := c.Hosts(ctx)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		for _, h := range list.Hosts {
			line := hostLine{ID: h.ID, Name: h.Name, Hostname: h.Hostname, OS: h.OS, Status: h.Status,
				AgentVersion: h.AgentVersion, Revoked: h.Revoked, KernelLost: h.KernelLost}
			if !h.LastSeen.IsZero() {
				line.LastSeen = &h.LastSeen
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tLAST SEEN\tAGENT\tOS")
	for _, h := range list.Hosts {
		status := h.Status
		if h.Revoked {
			status += " (revoked)"
		}
		seen := "never"
		if !h.LastSeen.IsZero() {
			seen = h.LastSeen.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Name, status, seen, h.AgentVersion, h.OS)
	}
	return tw.Flush()
}

func runHostsRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("hosts revoke", stderr)
	cf := addClientFlags(fs)
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return cli.UsageError("hosts revoke takes one host ID")
	}
	c, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.Revoke(ctx, pos[0]); err != nil {
		var ae *httpapi.APIError
		if errors.As(err, &ae) && ae.Status == 404 {
			return fmt.Errorf("no host %q (see vigil hosts)", pos[0])
		}
		return err
	}
	fmt.Fprintf(stdout, "revoked %s: its agent is refused from its next request on\n", pos[0])
	return nil
}
