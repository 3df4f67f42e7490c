package inventory

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes the inventory for a person: one section per part, one line
// per item, columns aligned.
func WriteText(w io.Writer, inv *Inventory) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	section := func(title string, n int) {
		if n >= 0 {
			fmt.Fprintf(tw, "\n== %s (%d)\n", title, n)
		} else {
			fmt.Fprintf(tw, "== %s\n", title)
		}
	}
	h := inv.Host
	section("Host", -1)
	fmt.Fprintf(tw, "hostname\t%s\n", h.Hostname)
	fmt.Fprintf(tw, "os\t%s\n", firstOf(h.OS.PrettyName, h.OS.Name))
	fmt.Fprintf(tw, "kernel\t%s\n", h.Kernel.Release)
	fmt.Fprintf(tw, "arch\t%s\n", h.Arch)
	fmt.Fprintf(tw, "cpus\t%d  %s\n", h.CPUCount, h.CPUModel)
	fmt.Fprintf(tw, "memory\t%.1f GiB\n", float64(h.MemoryTotalBytes)/(1<<30))
	fmt.Fprintf(tw, "uptime\t%s\n", time.Duration(h.UptimeSeconds)*time.Second)
	fmt.Fprintf(tw, "boot time\t%s\n", h.BootTime)

	section("Interfaces", len(inv.Interfaces))
	for _, i := range inv.Interfaces {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", i.Name, i.MAC, i.State, strings.Join(i.Addresses, " "))
	}

	section("Packages", len(inv.Packages))
	for _, p := range inv.Packages {
		src := ""
		if p.Source != p.Name {
			src = "source " + p.Source
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.Version, p.Architecture, p.Type, src)
	}
	section("Kernel modules", len(inv.Modules))
	for _, m := range inv.Modules {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", m.Name, m.Size, strings.Join(m.UsedBy, ","))
	}
	section("Services", len(inv.Services))
	for _, s := range inv.Services {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, s.Manager, s.State, s.Active)
	}
	section("Cron jobs", len(inv.Cron))
	for _, c := range inv.Cron {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Schedule, c.User, truncate(c.Command, 120), c.File)
	}
	section("Users", len(inv.Users))
	fmt.Fprintf(tw, "NAME\tUID\tGID\tHOME\tSHELL\tPASSWORD\tLAST CHANGE\tGROUPS\n")
	for _, u := range inv.Users {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", u.Name, u.UID, u.GID, u.Home, u.Shell,
			u.PasswordState, u.LastChange, strings.Join(u.Groups, ","))
	}
	section("Groups", len(inv.Groups))
	for _, g := range inv.Groups {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", g.Name, g.GID, strings.Join(g.Members, ","))
	}
	section("Sudoers rules", len(inv.Sudoers))
	for _, r := range inv.Sudoers {
		fmt.Fprintf(tw, "%s:%d\t%s\t%s\t(%s)\t%s\t%s\n", r.File, r.Line, strings.Join(r.Users, ","),
			strings.Join(r.Hosts, ","), strings.Join(r.RunasUsers, ","), strings.Join(r.Tags, ","), strings.Join(r.Commands, ", "))
	}
	section("SSH authorized keys", len(inv.SSHKeys))
	for _, k := range inv.SSHKeys {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", k.User, k.Type, k.Bits, k.Fingerprint, k.Comment, strings.Join(k.Options, ","))
	}
	section("Listening sockets", len(inv.Listening))
	for _, l := range inv.Listening {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", l.Proto, l.Address, l.Port, l.PID, l.Process, l.Exe)
	}
	section("Processes", len(inv.Processes))
	fmt.Fprintf(tw, "PID\tPPID\tUSER\tSTART\tCOMMAND\n")
	for _, p := range inv.Processes {
		cmd := p.CommandLine
		if cmd == "" {
			cmd = "[" + p.Name + "]"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", p.PID, p.PPID, p.User, p.StartTime, truncate(cmd, 160))
	}
	if len(inv.Skipped) > 0 {
		section("Skipped input lines", len(inv.Skipped))
		for _, s := range inv.Skipped {
			fmt.Fprintf(tw, "%s\n", s)
		}
	}
	if len(inv.Errors) > 0 {
		section("Errors", len(inv.Errors))
		for _, e := range inv.Errors {
			fmt.Fprintf(tw, "%s\n", e)
		}
	}
	return tw.Flush()
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
