// Package cron lists scheduled jobs: the system crontab and /etc/cron.d
// (lines with a user field), user crontabs in the Debian, RHEL and Alpine spool
// directories (the file name is the user), the scripts run by run-parts from
// /etc/cron.{hourly,daily,weekly,monthly} and Alpine's /etc/periodic, and
// anacron's anacrontab.
//
// ParseCrontab validates every schedule field (ranges, steps, month and
// weekday names, @keywords); lines that are not jobs or environment
// assignments are recorded in a skipped.List and left out. A command's
// unescaped '%' ends the command: the rest is the job's standard input.
package cron
