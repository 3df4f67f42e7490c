// Package services lists the services a host starts, read from the file
// system alone: no systemctl, no D-Bus, so it works on fixture trees and on
// hosts where the service manager is not running.
//
// For systemd it walks the unit directories in systemd's order of precedence,
// resolves mask and alias symbolic links, finds enablement links in the
// *.wants/, *.requires/ and *.upholds/ directories of /etc and /run, and reads
// each unit's [Install] section to tell static units from disabled ones, much
// as `systemctl list-unit-files` does. Whether a unit is running is known only
// when the host's systemd runtime state is visible (the unit's cgroup under
// /sys/fs/cgroup/system.slice); otherwise it is "unknown".
//
// For OpenRC it lists /etc/init.d scripts and the runlevels that link them;
// SysV init scripts are listed from /etc/rc?.d start links when no other
// manager covers them.
package services
