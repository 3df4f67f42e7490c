// Package sudoers reads sudo's policy: /etc/sudoers and every file it includes
// (#include, @include, #includedir, @includedir).
//
// Parse turns one file into its user specifications, Defaults entries, aliases
// and include directives without touching the disk; lines it cannot understand
// are recorded in a skipped.List and left out. Collect follows the includes
// through a hostfs.Root the way sudo does (an included directory contributes
// its files in lexical order, except names that contain a '.' or end in '~'),
// then expands User_Alias, Runas_Alias, Host_Alias and Cmnd_Alias references in
// the rules, so callers see the users and commands a rule really covers.
//
// A Rule is one run of commands of a user specification that share the same
// host list, run-as lists and tags; NoPasswd and AllCommands answer the
// questions baseline checks ask.
package sudoers
