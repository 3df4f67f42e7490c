// Package sockets lists a host's sockets from /proc/net/{tcp,tcp6,udp,udp6} and
// finds the process that owns each listening one by matching socket inodes with
// the /proc/<pid>/fd/* links ("socket:[inode]"). It reads through a hostfs.Root,
// so it runs on fixture trees as on the live host.
//
// The tables are those of the network namespace of the reading process. A socket
// whose owner cannot be read (no privilege, or a process protected by the
// kernel) is listed without a PID.
package sockets

import (
	"bytes"
	"context"
	"errors"
	"io/fs"

	"github.com/vigil-sec/vigil/internal/hostfs"
	"github.com/vigil-sec/vigil/internal/skipped"
)

// Listener is a socket open to connections or datagrams, and its owner.
type Listener struct {
	Proto   Proto  `json:"proto"`
	Address string `json:"address"` // "0.0.0.0", "::", "::ffff:127.0.0.1", ...
	Port    uint16 `json:"port"`
	Inode   uint64 `json:"inode"`
	UID     uint32 `json:"uid"`
	PID     int    `json:"pid,omitempty"`  // lowest PID holding the socket
	PIDs    []int  `json:"pids,omitempty"` // every PID holding it, when more than one
	Process string `json:"process,omitempty"`
	Exe     string `json:"exe,omitempty"`
}

// Result is the listening sockets and what could not be read.
type Result struct {
	Listeners []Listener `json:"listeners"`
	// Denied counts processes whose descriptors could not be read.
	Denied int `json:"denied,omitempty"`
}

// Options tune Collect.
type Options struct {
	// MaxFDs bounds the descriptors examined per process (default 1<<16).
	MaxFDs int
}

// tableLimit bounds one /proc/net table (a busy server has many thousands).
const tableLimit = 256 << 20

// Collect lists the listening TCP and UDP sockets, IPv4 then IPv6, each with its
// owning process when it can be found. A missing table (no IPv6) is not an
// error; the error is non-nil when ctx is done.
func Collect(ctx context.Context, root hostfs.Root, opts Options) (Result, skipped.List, error) {
	if opts.MaxFDs <= 0 {
		opts.MaxFDs = 1 << 16
	}
	var (
		res  Result
		skip skipped.List
	)
	for _, proto := range []Proto{TCP, UDP, TCP6, UDP6} {
		socks, s, err := ReadTable(root, proto)
		skip = append(skip, s...)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				skip.Add("/proc/net/"+string(proto), 0, "%v", err)
			}
			continue
		}
		for _, so := range socks {
			if so.Listening() {
				res.Listeners = append(res.Listeners, Listener{
					Proto: so.Proto, Address: so.LocalAddr.String(), Port: so.LocalPort,
					Inode: so.Inode, UID: so.UID,
				})
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, skip, err
	}
	want := make(map[uint64]bool)
	for _, l := range res.Listeners {
		if l.Inode != 0 {
			want[l.Inode] = true
		}
	}
	owners, s, err := FindOwners(ctx, root, want, opts)
	skip = append(skip, s...)
	if err != nil {
		return res, skip, err
	}
	res.Denied = owners.Denied
	for i := range res.Listeners {
		l := &res.Listeners[i]
		if o, ok := owners.ByInode[l.Inode]; ok {
			l.PID, l.PIDs, l.Process, l.Exe = o.PID, o.PIDs, o.Name, o.Exe
		}
	}
	return res, skip, nil
}

// ReadTable reads and parses one socket table of the root.
func ReadTable(root hostfs.Root, proto Proto) ([]Socket, skipped.List, error) {
	b, err := root.ReadFile("/proc/net/"+string(proto), tableLimit)
	if err != nil {
		return nil, nil, err
	}
	return ParseNetTCP(bytes.NewReader(b), proto)
}
