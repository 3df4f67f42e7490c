// Package sshkeys lists the SSH public keys that let someone log in as a local
// user: the authorized_keys files of every account.
//
// Parse reads one authorized_keys file: per key its options (with quoted values
// that may hold commas and spaces), type, comment, size in bits and SHA-256
// fingerprint, computed from the decoded key blob exactly as `ssh-keygen -lf`
// prints them. Certificates (*-cert-v01@openssh.com) report the certified key's
// size and fingerprint, as ssh-keygen does. Collect applies sshd's
// AuthorizedKeysFile patterns (%h, %u, %%) to each user's home directory.
package sshkeys
