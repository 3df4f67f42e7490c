package cron

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

const maxFile = 1 << 20

// spoolDirs hold per-user crontabs named after their owner.
// Alpine links /var/spool/cron/crontabs to /etc/crontabs; listing that first
// reports its files under their real name.
var spoolDirs = []string{
	"/etc/crontabs",            // Alpine (busybox crond)
	"/var/spool/cron/crontabs", // Debian, Ubuntu
	"/var/spool/cron",          // RHEL, Fedora, SUSE
}

// periodic maps run-parts directories to the schedule they run on.
var periodic = []struct{ dir, schedule string }{
	{"/etc/cron.hourly", "@hourly"},
	{"/etc/cron.daily", "@daily"},
	{"/etc/cron.weekly", "@weekly"},
	{"/etc/cron.monthly", "@monthly"},
	{"/etc/periodic/15min", "*/15 * * * *"},
	{"/etc/periodic/hourly", "@hourly"},
	{"/etc/periodic/daily", "@daily"},
	{"/etc/periodic/weekly", "@weekly"},
	{"/etc/periodic/monthly", "@monthly"},
}

// Collect lists every scheduled job below root.
func Collect(ctx context.Context, root hostfs.Root) ([]Entry, skipped.List, error) {
	var sk skipped.List
	var out []Entry
	read := func(file string) ([]byte, bool) {
		data, err := root.ReadFile(file, maxFile)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				sk.Add(file, 0, "unreadable: %v", err)
			}
			return nil, false
		}
		return data, true
	}
	seen := map[string]bool{} // real paths, as spool directories may be links
	once := func(file string) bool {
		real, err := root.Resolve(file)
		if err != nil || seen[real] {
			return false
		}
		seen[real] = true
		return true
	}

	if data, ok := read("/etc/crontab"); ok && once("/etc/crontab") {
		out = append(out, ParseCrontab("/etc/crontab", data, true, "", SourceSystem, &sk)...)
	}
	for _, f := range files(root, "/etc/cron.d") {
		if data, ok := read(f); ok && once(f) {
			out = append(out, ParseCrontab(f, data, true, "", SourceSystem, &sk)...)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	for _, dir := range spoolDirs {
		for _, f := range files(root, dir) {
			if !once(f) {
				continue
			}
			if data, ok := read(f); ok {
				out = append(out, ParseCrontab(f, data, false, path.Base(f), SourceUser, &sk)...)
			}
		}
	}
	for _, p := range periodic {
		for _, f := range files(root, p.dir) {
			if fi, err := root.Stat(f); err == nil && fi.Mode()&0o111 != 0 && once(f) {
				out = append(out, Entry{File: f, Schedule: p.schedule, User: "root", Command: f, Source: SourcePeriodic})
			}
		}
	}
	if data, ok := read("/etc/anacrontab"); ok {
		out = append(out, ParseAnacrontab("/etc/anacrontab", data, &sk)...)
	}
	return out, sk, ctx.Err()
}

// files lists the regular files of dir that cron and run-parts would read:
// not hidden, not editor backups, not package-manager leftovers.
func files(root hostfs.Root, dir string) []string {
	ents, err := root.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if ignored(n) {
			continue
		}
		f := path.Join(dir, n)
		if fi, err := root.Stat(f); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		out = append(out, f)
	}
	return out
}

func ignored(n string) bool {
	if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "tmp.") || strings.HasSuffix(n, "~") ||
		strings.HasSuffix(n, ",") || strings.HasSuffix(n, ".swp") || strings.Contains(n, ".dpkg-") {
		return true
	}
	for _, s := range []string{".rpmsave", ".rpmorig", ".rpmnew", ".cfsaved", ".apk-new"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return n == "placeholder" || n == "cron.allow" || n == "cron.deny"
}
