// Command ingest_e2e measures ingest end to end: a real vigil server side
// (transport.NewServer over a SQLite or PostgreSQL store, on TLS) and N
// simulated agents (enrolled with tokens, each with its own disk spool and
// shipper, generating realistic fleet events) running for a fixed time. The
// agents run in a child process so that the CPU of each side is measured
// apart. It prints the sustained rate (events in the store ÷ time), the CPU
// split, the time from ack to searchable of sampled events (substring
// query), and, for SQLite, what the sqlite3 command-line tool reaches
// bulk-importing the same rows into the same schema, and the ratio.
//
//	go run ./bench/ingest_e2e -agents 8 -duration 30s [-pg]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-sec/vigil/internal/server"
)

func main() {
	var err error
	if len(os.Args) > 1 && os.Args[1] == "agents" {
		err = runAgents(os.Args[2:], os.Stdin, os.Stdout)
	} else {
		err = run(context.Background(), os.Args[1:], os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ingest_e2e:", err)
		os.Exit(1)
	}
}

type config struct {
	agents, batch, backlog int
	shards                 int
	duration, warmup       time.Duration
	dir, sync, cpuprofile  string
	agentprofile, memprof  string
	pg, cli, sqlite        bool
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("ingest_e2e", flag.ContinueOnError)
	fs.IntVar(&c.agents, "agents", 8, "simulated agents")
	fs.IntVar(&c.batch, "batch", 512, "events per agent batch (one runner batch)")
	// 32 batches are two full requests (8,192 events each): an agent with
	// data waiting always has a full request to send, as a real agent with
	// a backlog in its spool has. With 4 (2,048 events) each request was
	// small and the server idled between group commits: 30,800 events/s
	// against 36,000 with 32, no gain past 32 (docs/benchmarks.md).
	fs.IntVar(&c.backlog, "backlog", 32, "batches an agent may have pending before its generator waits")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "measured time")
	fs.DurationVar(&c.warmup, "warmup", 3*time.Second, "time before the measurement starts")
	fs.StringVar(&c.dir, "dir", "", "work directory (default: a temporary one, removed)")
	fs.StringVar(&c.sync, "sync", "FULL", "SQLite synchronous setting")
	fs.IntVar(&c.shards, "shards", 0, "SQLite store shards (default: the store's default)")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "write the server side's CPU profile of the measured time here")
	fs.StringVar(&c.memprof, "memprofile", "", "write the server side's allocation profile (whole run) here")
	fs.StringVar(&c.agentprofile, "agentprofile", "", "write the agents process's CPU profile (its whole run) here")
	fs.BoolVar(&c.sqlite, "sqlite", true, "run against the SQLite store")
	fs.BoolVar(&c.pg, "pg", false, "also run against PostgreSQL (needs root and Debian's postgresql)")
	fs.BoolVar(&c.cli, "sqlite3", true, "compare with the sqlite3 command-line tool")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(out, "server garbage collector: GOGC=%d (server.TuneGC, as vigil server sets it)\n", server.TuneGC())
	if c.dir == "" {
		d, err := os.MkdirTemp("", "vigil-bench-e2e-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.dir = d
	}
	if c.sqlite {
		if err := benchSQLite(ctx, c, out); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	if c.pg {
		if err := benchPostgres(ctx, c, out); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	return nil
}

// agentsProc is the child process running the simulated agents.
type agentsProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startAgents(c config, dir, url string, tokens []string) (*agentsProc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "agents", "-dir", dir, "-url", url, "-tokens", strings.Join(tokens, ","),
		"-batch", fmt.Sprint(c.batch), "-backlog", fmt.Sprint(c.backlog), "-cpuprofile", c.agentprofile)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &agentsProc{cmd: cmd, in: in, out: bufio.NewScanner(outp)}
	if line, err := p.ask("ready"); err != nil || line != "ready" {
		p.stop()
		return nil, fmt.Errorf("agents did not start: %q %w", line, err)
	}
	return p, nil
}

// ask sends one command line to the child and returns its answer line.
func (p *agentsProc) ask(cmd string) (string, error) {
	if _, err := fmt.Fprintln(p.in, cmd); err != nil {
		return "", err
	}
	if !p.out.Scan() {
		return "", errors.Join(errors.New("agents process ended"), p.out.Err())
	}
	return p.out.Text(), nil
}

// cpu returns the child's CPU time so far.
func (p *agentsProc) cpu() time.Duration {
	line, err := p.ask("cpu")
	if err != nil {
		return 0
	}
	d, _ := time.ParseDuration(line)
	return d
}

func (p *agentsProc) stop() {
	p.in.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runAgents is the child: it enrolls one agent per token, ships generated
// events until its stdin closes, and answers "cpu" with its CPU time.
func runAgents(args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("agents", flag.ContinueOnError)
	dir := fs.String("dir", "", "state directory")
	url := fs.String("url", "", "server URL")
	tokens := fs.String("tokens", "", "enrollment tokens, comma-separated")
	batch := fs.Int("batch", 512, "events per batch")
	backlog := fs.Int("backlog", 4, "pending batches before the generator waits")
	profile := fs.String("cpuprofile", "", "write this process's CPU profile here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*profile)
	if err != nil {
		return err
	}
	defer stopProfile()
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	fleet, err := startFleet(ctx, *dir, *url, strings.Split(*tokens, ","), *batch, *backlog)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch sc.Text() {
		case "ready":
			fmt.Fprintln(out, "ready")
		case "cpu":
			fmt.Fprintln(out, selfCPU().String())
		}
	}
	cancel()
	st := fleet.wait()
	fmt.Fprintf(os.Stderr, "agents: %d batches (%d events) acknowledged, %d retries, %d rejected\n", st.Batches, st.Events, st.Retries, st.Rejected)
	return nil
}

// report prints one result block.
func report(out io.Writer, name string, stored int64, window time.Duration, serverCPU, agentCPU time.Duration, lag lagStats) {
	rate := float64(stored) / window.Seconds()
	fmt.Fprintf(out, "%s: %d events stored in %v: %.0f events/s sustained\n", name, stored, window.Round(time.Millisecond), rate)
	perEv := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(max(stored, 1)) }
	fmt.Fprintf(out, "  CPU: server %.2f cores (%.1f µs/event), agents+generator %.2f cores (%.1f µs/event)\n",
		serverCPU.Seconds()/window.Seconds(), perEv(serverCPU), agentCPU.Seconds()/window.Seconds(), perEv(agentCPU))
	fmt.Fprintf(out, "  searchable after ack (substring query, %d samples): max %v, p50 %v; %d not found within 2 s\n",
		lag.n, lag.max.Round(time.Millisecond), lag.p50.Round(time.Millisecond), lag.late)
	if lag.indexed > 0 {
		fmt.Fprintf(out, "  in the substring index after ack (%d samples): max %v, p50 %v\n",
			lag.indexed, lag.maxIndex.Round(time.Millisecond), lag.p50Index.Round(time.Millisecond))
	}
}

func mkdir(parts ...string) (string, error) {
	d := filepath.Join(parts...)
	return d, os.MkdirAll(d, 0o700)
}
