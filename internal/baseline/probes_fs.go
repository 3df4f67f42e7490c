package baseline

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/vigil-sec/vigil/internal/sca"
)

func init() {
	sca.RegisterProbe("fs.world_writable_files", probeFSWorldWritableFiles)
	sca.RegisterProbe("fs.world_writable_dirs_nosticky", probeFSWorldWritableDirs)
	sca.RegisterProbe("fs.unowned", probeFSUnowned)
	sca.RegisterProbe("fs.suid_sgid", probeFSSUIDSGID)
}

// fsEntry is a file the walk kept because one of the fs.* probes reports it.
type fsEntry struct {
	Path     string // host path
	UID, GID uint32
	Mode     uint32 // st_mode: type and permission bits
}

const (
	sIFMT   = 0o170000
	sIFREG  = 0o100000
	sIFDIR  = 0o040000
	sISUID  = 0o4000
	sISGID  = 0o2000
	sISVTX  = 0o1000
	sIWOTH  = 0o002
	maxKept = 100000 // entries kept per category
)

// fsScan is the result of the one file system walk of a scan.
type fsScan struct {
	WorldWritableFiles []fsEntry
	WorldWritableDirs  []fsEntry // without the sticky bit
	SUIDSGID           []fsEntry
	Unowned            []fsEntry // nil when accounts are unknown
	OwnersKnown        bool
	Entries, Dirs      int   // counted
	Dropped            int   // entries not kept because a category was full
	Errors             int   // directories that could not be read
	FirstErr           error // the first of them
}

// walkPlan says what the walk skips and which owners exist.
type walkPlan struct {
	skipDirs map[string]bool // host paths not to enter
	uids     map[uint32]bool // nil: do not check owners
	gids     map[uint32]bool
}

// skippedFSTypes are file systems the walk does not enter: kernel pseudo file
// systems, network and cluster file systems, and images that are not the
// host's own files.
var skippedFSTypes = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "cgroup": true, "cgroup2": true,
	"securityfs": true, "debugfs": true, "tracefs": true, "pstore": true, "bpf": true,
	"configfs": true, "fusectl": true, "mqueue": true, "hugetlbfs": true, "autofs": true,
	"binfmt_misc": true, "nsfs": true, "rpc_pipefs": true, "efivarfs": true, "selinuxfs": true,
	"nfs": true, "nfs4": true, "nfsd": true, "cifs": true, "smb3": true, "smbfs": true, "ncpfs": true,
	"afs": true, "ceph": true, "glusterfs": true, "9p": true, "lustre": true, "gpfs": true,
	"fuse": true, "squashfs": true, "overlay": true, "iso9660": true,
}

// skippedPrefixes are never walked: pseudo and runtime trees, and container
// image layers (their files belong to images, not to the host).
var skippedPrefixes = []string{
	"/proc", "/sys", "/dev", "/run",
	"/var/lib/docker/overlay2", "/var/lib/containers/storage/overlay",
	"/var/lib/containerd", "/var/lib/lxcfs",
}

func skipFSType(t string) bool {
	return skippedFSTypes[t] || strings.HasPrefix(t, "fuse.")
}

// plan builds the walk plan from the mount table and the accounts.
func plan(ctx context.Context, env *sca.Env) (walkPlan, error) {
	p := walkPlan{skipDirs: map[string]bool{}}
	for _, s := range skippedPrefixes {
		p.skipDirs[s] = true
	}
	mounts, err := mountTable(ctx, env)
	if err != nil {
		return p, err
	}
	for _, m := range mounts {
		if m.Point != "/" && skipFSType(m.FSType) {
			p.skipDirs[m.Point] = true
		}
	}
	a, err := loadAccounts(ctx, env)
	switch {
	case err == nil:
		p.uids, p.gids = map[uint32]bool{}, map[uint32]bool{}
		for _, u := range a.Users {
			p.uids[u.UID] = true
		}
		for _, g := range a.Groups {
			p.gids[g.GID] = true
		}
	case !isNotApplicable(err):
		return p, err
	}
	return p, nil
}

// scanFS walks the local file systems once per scan.
func scanFS(ctx context.Context, env *sca.Env) (*fsScan, error) {
	v, err := env.Shared("fs.walk", func() (any, error) {
		p, err := plan(ctx, env)
		if err != nil {
			return nil, err
		}
		return walkFS(ctx, env.Root.Dir(), p)
	})
	if err != nil {
		return nil, fmt.Errorf("walk file systems: %w", err)
	}
	return v.(*fsScan), nil
}

// keep classifies one lstat result into the scan's categories.
func (s *fsScan) keep(p *walkPlan, path string, uid, gid, mode uint32) {
	typ := mode & sIFMT
	add := func(list *[]fsEntry) {
		if len(*list) >= maxKept {
			s.Dropped++
			return
		}
		*list = append(*list, fsEntry{Path: path, UID: uid, GID: gid, Mode: mode})
	}
	switch {
	case typ == sIFREG && mode&sIWOTH != 0:
		add(&s.WorldWritableFiles)
	case typ == sIFDIR && mode&sIWOTH != 0 && mode&sISVTX == 0:
		add(&s.WorldWritableDirs)
	}
	if typ == sIFREG && mode&(sISUID|sISGID) != 0 {
		add(&s.SUIDSGID)
	}
	if p.uids != nil && (!p.uids[uid] || !p.gids[gid]) {
		add(&s.Unowned)
	}
}

// merge adds a worker's partial result to s.
func (s *fsScan) merge(o *fsScan) {
	s.WorldWritableFiles = append(s.WorldWritableFiles, o.WorldWritableFiles...)
	s.WorldWritableDirs = append(s.WorldWritableDirs, o.WorldWritableDirs...)
	s.SUIDSGID = append(s.SUIDSGID, o.SUIDSGID...)
	s.Unowned = append(s.Unowned, o.Unowned...)
	s.Entries += o.Entries
	s.Dirs += o.Dirs
	s.Dropped += o.Dropped
	s.Errors += o.Errors
	if s.FirstErr == nil {
		s.FirstErr = o.FirstErr
	}
}

func (s *fsScan) sort() {
	for _, l := range [][]fsEntry{s.WorldWritableFiles, s.WorldWritableDirs, s.SUIDSGID, s.Unowned} {
		sort.Slice(l, func(i, j int) bool { return l[i].Path < l[j].Path })
	}
}

func entryPaths(es []fsEntry, format func(fsEntry) string) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, format(e))
	}
	return capLines(out)
}

func justPath(e fsEntry) string { return e.Path }

func probeFSWorldWritableFiles(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("fs.world_writable_files", args); err != nil {
		return nil, err
	}
	s, err := scanFS(ctx, env)
	if err != nil {
		return nil, err
	}
	return entryPaths(s.WorldWritableFiles, justPath), nil
}

func probeFSWorldWritableDirs(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("fs.world_writable_dirs_nosticky", args); err != nil {
		return nil, err
	}
	s, err := scanFS(ctx, env)
	if err != nil {
		return nil, err
	}
	return entryPaths(s.WorldWritableDirs, justPath), nil
}

func probeFSUnowned(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("fs.unowned", args); err != nil {
		return nil, err
	}
	s, err := scanFS(ctx, env)
	if err != nil {
		return nil, err
	}
	if !s.OwnersKnown {
		return nil, notApplicable("no passwd/group to check owners against")
	}
	return entryPaths(s.Unowned, func(e fsEntry) string {
		return fmt.Sprintf("%s uid=%d gid=%d", e.Path, e.UID, e.GID)
	}), nil
}

// suidLabel is "suid", "sgid" or "suid,sgid".
func suidLabel(mode uint32) string {
	switch {
	case mode&sISUID != 0 && mode&sISGID != 0:
		return "suid,sgid"
	case mode&sISUID != 0:
		return "suid"
	}
	return "sgid"
}

func probeFSSUIDSGID(ctx context.Context, env *sca.Env, args []string) ([]string, error) {
	if err := noArgs("fs.suid_sgid", args); err != nil {
		return nil, err
	}
	s, err := scanFS(ctx, env)
	if err != nil {
		return nil, err
	}
	var names idNames
	if a, err := loadAccounts(ctx, env); err == nil {
		names = namesOf(a)
	}
	return entryPaths(s.SUIDSGID, func(e fsEntry) string {
		return e.Path + " " + suidLabel(e.Mode) + " " + names.user(e.UID)
	}), nil
}
