// Package pgtest starts a throwaway PostgreSQL server (Debian's packaged
// binaries) for tests and benchmarks: a fresh cluster in a temporary
// directory owned by the postgres user, listening only on a Unix socket in
// that directory, stopped and removed by Stop.
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
)

// BinDir is where Debian 12 installs the PostgreSQL 15 server binaries.
const BinDir = "/usr/lib/postgresql/15/bin"

// ErrUnavailable is returned by Start when a server cannot be started here
// (binaries missing, not root, no postgres user); tests skip on it.
var ErrUnavailable = errors.New("postgresql unavailable")

// Server is a running throwaway server.
type Server struct {
	dir  string
	port int
}

// Start initialises and starts a server. initdb and pg_ctl refuse to run as
// root, so they run as the postgres user through runuser.
func Start(ctx context.Context) (*Server, error) {
	if _, err := os.Stat(filepath.Join(BinDir, "initdb")); err != nil {
		return nil, fmt.Errorf("%w: %s/initdb missing (apt-get install postgresql)", ErrUnavailable, BinDir)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: must run as root to start the server as the postgres user", ErrUnavailable)
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "vigil-pg-")
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{dir: dir}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if s.port, err = freePort(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	data := filepath.Join(dir, "data")
	if err := s.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--locale=C", "-E", "UTF8"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses='' -c max_connections=200 -c shared_buffers=256MB", s.port, dir)
	if err := s.run(ctx, "pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return s, nil
}

func (s *Server) run(ctx context.Context, prog string, args ...string) error {
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", filepath.Join(BinDir, prog)}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Dir = s.dir
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", prog, err, out.Bytes())
	}
	return nil
}

// DSN returns the connection string of a database on the server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable", s.dir, s.port, db)
}

// CreateDB creates an empty database (C collation, as initdb set).
func (s *Server) CreateDB(ctx context.Context, name string) error {
	return s.run(ctx, "createdb", "-h", s.dir, "-p", strconv.Itoa(s.port), "-U", "postgres", name)
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	err := s.run(context.Background(), "pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "stop")
	return errors.Join(err, os.RemoveAll(s.dir))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
