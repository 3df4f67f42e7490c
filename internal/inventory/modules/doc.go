// Package modules reports kernel modules: those loaded now (/proc/modules) and
// the modprobe configuration that decides which may be loaded later
// (modprobe.d files and the kernel command line).
//
// ModprobeConfig.Disabled answers the baseline question "can this module be
// loaded?" the way `modprobe -n -v` would: a module whose install command is
// /bin/false or /bin/true, or that the kernel's module_blacklist= parameter
// names, cannot be loaded; one that is only blacklisted can still be loaded
// by name.
package modules
