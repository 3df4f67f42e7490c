// Package accounts reads a host's local users and groups from /etc/passwd,
// /etc/group, /etc/shadow and /etc/gshadow.
//
// The parsers are pure functions over the file contents: they skip lines they
// cannot understand, record them in a skipped.List and go on. Collect reads the
// four files through a hostfs.Root and joins them: password state and aging come
// from shadow, group administrators from gshadow, and each user's group list from
// the primary GID and the member lists of /etc/group.
//
// The helper queries on Accounts (duplicate IDs and names, UID 0 accounts,
// primary groups that do not exist) are what the baseline checks need.
package accounts
