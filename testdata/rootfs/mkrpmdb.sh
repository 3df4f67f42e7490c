#!/bin/sh
# mkrpmdb.sh regenerates alma9/var/lib/rpm/rpmdb.sqlite: it builds tiny dummy
# RPMs carrying the names, versions and source RPM names of real AlmaLinux 9
# packages and records them in the tree's SQLite rpm database (database only,
# no files are installed). A few packages carry a short file list (see files
# below) so that the headers hold DIRNAMES/BASENAMES/DIRINDEXES. Needs rpm and
# rpmbuild (Debian: apt-get install rpm).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tree="$here/alma9"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# files RPMNAME PATH...: the files package RPMNAME owns (set before its spec).
mkdir -p "$work/files"
files() {
	name=$1
	shift
	printf '%s\n' "$@" >"$work/files/$name"
}

# install_files RPMNAME: the %install lines creating RPMNAME's files.
install_files() {
	[ -f "$work/files/$1" ] || return 0
	while read -r p; do
		echo "mkdir -p %{buildroot}$(dirname "$p") && echo fixture >%{buildroot}$p"
	done <"$work/files/$1"
}

# list_files RPMNAME: RPMNAME's %files lines.
list_files() {
	[ -f "$work/files/$1" ] || return 0
	cat "$work/files/$1"
}

# spec NAME VERSION RELEASE EPOCH(or -) SUMMARY [SUBPACKAGE...]
spec() {
	name=$1 version=$2 release=$3 epoch=$4 summary=$5
	shift 5
	f="$work/$name.spec"
	{
		echo "Name: $name"
		echo "Version: $version"
		echo "Release: $release"
		[ "$epoch" = - ] || echo "Epoch: $epoch"
		echo "Summary: $summary"
		echo "License: GPL-2.0-or-later"
		echo "Vendor: AlmaLinux"
		echo "Packager: AlmaLinux Packaging Team <packager@almalinux.org>"
		echo "URL: https://almalinux.org/"
		echo "%description"
		echo "$summary (fixture package, no files)."
		echo "%install"
		install_files "$name"
		for sub in "$@"; do
			install_files "$name-$sub"
		done
		echo "%files"
		list_files "$name"
		for sub in "$@"; do
			echo "%package $sub"
			echo "Summary: $summary ($sub)"
			echo "%description $sub"
			echo "$summary, $sub subpackage (fixture package, no files)."
			echo "%files $sub"
			list_files "$name-$sub"
		done
	} >"$f"
	rpmbuild -bb --quiet --target x86_64-redhat-linux \
		--define "_topdir $work/build" \
		--define '_build_id_links none' \
		--define 'source_date_epoch_from_changelog 0' \
		"$f" >/dev/null 2>&1
}

files openssh-server /usr/sbin/sshd /usr/libexec/openssh/sshd-keygen
files sudo /etc/sudoers /usr/bin/sudo /usr/bin/sudoreplay /usr/sbin/visudo
files bash /usr/bin/bash /usr/bin/sh
files shadow-utils /usr/bin/chage /usr/bin/gpasswd /usr/sbin/useradd
files cronie /usr/bin/crontab /usr/sbin/crond

spec openssh 8.7p1 38.el9 - "An open source implementation of SSH protocol version 2" server clients
spec openssl 3.0.7 27.el9 1 "Utilities from the general purpose cryptography library with TLS implementation" libs
spec bash 5.1.8 9.el9 - "The GNU Bourne Again shell"
spec sudo 1.9.5p2 10.el9_3 - "Allows restricted root access for specified users"
spec glibc 2.34 83.el9.12 - "The GNU libc libraries" common
spec systemd 252 18.el9 - "System and Service Manager" libs
spec cronie 1.5.7 10.el9 - "Cron daemon for executing programs at set times" anacron
spec audit 3.1.2 1.el9 - "User space tools for kernel auditing" libs
spec chrony 4.3 1.el9 - "An NTP client/server"
spec rsyslog 8.2102.0 117.el9 - "Enhanced system logging and kernel message trapping daemon"
spec zlib 1.2.11 40.el9 - "Compression and decompression library"
spec shadow-utils 4.9 8.el9 2 "Utilities for managing accounts and shadow password files"
spec curl 7.76.1 26.el9_3.2 - "A utility for getting files from remote servers (FTP, HTTP, and others)" minimal
spec kernel 5.14.0 362.8.1.el9_3 - "The Linux kernel" core
spec postgresql 13.11 1.el9 - "PostgreSQL client programs" server

rm -rf "$tree/var/lib/rpm"
mkdir -p "$tree/var/lib/rpm"
# The base packages (the spec's own name) of split packages are not installed,
# as on a real system where only subpackages such as openssl-libs are.
find "$work/build/RPMS" -name '*.rpm' \
	! -name 'openssh-8*' ! -name 'kernel-5*' ! -name 'postgresql-13*' \
	-print | sort >"$work/list"
rpm --root "$tree" --dbpath /var/lib/rpm --define '_db_backend sqlite' \
	--nodeps --noscripts --notriggers --justdb --ignorearch --ignoreos \
	-i $(cat "$work/list") 2>/dev/null
rpm --root "$tree" --dbpath /var/lib/rpm -qa --qf '%{NAME} %{EPOCH}:%{VERSION}-%{RELEASE} %{SOURCERPM}\n' 2>/dev/null | sort
# Leave only the database itself (no lock, no WAL/SHM files).
find "$tree/var/lib/rpm" -type f ! -name rpmdb.sqlite -delete
