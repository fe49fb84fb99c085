// Package neo4jserver assembles and runs the project's own Neo4j: a real Neo4j 5 LTS community
// server, built from Maven Central artifacts on first use (see pom.xml), listening on loopback
// only, with a generated password and its data kept under one folder across runs. It is the
// embedded default used when no NEO4J_URI is configured.
package neo4jserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Defaults applied to zero fields of Options.
const (
	DefaultBoltAddr  = "127.0.0.1:7687"
	DefaultHTTPAddr  = "127.0.0.1:7474"
	DefaultHeapMax   = "1g"
	DefaultPageCache = "512m"
	// DefaultStartTimeout: a clean start takes 20 s on an idle 2-core machine, but past 2 minutes
	// on a busy one, and more after a crash (the transaction log is replayed first).
	DefaultStartTimeout = 5 * time.Minute
	// A server that exits on its own is restarted after DefaultRestartBackoff, doubled for each
	// restart already made within DefaultRestartWindow (at most maxRestartBackoff), and given up
	// after DefaultMaxRestarts restarts within that window: a server that keeps dying needs a
	// person, not a loop.
	DefaultMaxRestarts    = 5
	DefaultRestartWindow  = 10 * time.Minute
	DefaultRestartBackoff = time.Second
)

// username is the built-in administrator whose initial password Start sets.
const username = "neo4j"

// Options configures Start. Only Dir is required.
type Options struct {
	// Dir holds everything the server needs and keeps: the assembled jars (unless DistDir is
	// set), conf/, data/, logs/, run/ and the generated password in neo4j-password. Data
	// persists across runs on the same Dir.
	Dir string
	// DistDir is where the server's jars are assembled with Maven, one subfolder per pom.xml
	// version; several Dirs may share it so that the download happens once. Default: Dir.
	DistDir string
	// BoltAddr and HTTPAddr are the loopback host:port pairs Neo4j listens on (HTTP serves the
	// Browser). Non-loopback addresses are refused. Defaults: DefaultBoltAddr, DefaultHTTPAddr.
	BoltAddr, HTTPAddr string
	// HeapMax is the JVM heap (initial and maximum) and PageCache the size of Neo4j's page
	// cache, both as a number with an optional k, m or g suffix, e.g. "512m".
	// Defaults: DefaultHeapMax, DefaultPageCache.
	HeapMax, PageCache string
	// StartTimeout bounds the wait for the launched server to answer on Bolt and HTTP; the
	// first-run Maven download is bounded only by Start's ctx. Default: DefaultStartTimeout.
	StartTimeout time.Duration
	// Logger receives progress (assembly, start, stop, restarts); never the password. Maven's
	// output is logged at debug level. Default: slog.Default().
	Logger *slog.Logger
	// MaxRestarts is how many times, within RestartWindow, a server that exited without Stop is
	// started again; negative never restarts it. RestartBackoff is the wait before the first
	// restart of a window, doubled for each further one. Defaults: DefaultMaxRestarts,
	// DefaultRestartWindow, DefaultRestartBackoff.
	MaxRestarts    int
	RestartWindow  time.Duration
	RestartBackoff time.Duration
}

// Server is a running Neo4j started by Start, supervised (restarted when it exits on its own)
// until Stop.
type Server struct {
	boltAddr, httpAddr string
	password           string
	logger             *slog.Logger
	opts               Options
	// relaunch starts the JVM again with the configuration of the first start.
	relaunch func() (*process, error)

	mu            sync.Mutex
	current       *process
	stopRequested bool // set under mu by Stop: the exit that follows is not restarted

	// lifetime ends when Stop is called; the supervisor returns then and closes supervised.
	lifetime    context.Context
	endLifetime context.CancelFunc
	supervised  chan struct{}
	restarts    atomic.Int64
	down        atomic.Pointer[error] // why the server cannot serve now; nil while it runs
}

// process is one run of the server's JVM.
type process struct {
	os      *os.Process
	logs    *logTail
	started time.Time
	exited  chan struct{} // closed once the process has been reaped, after err is set
	err     error
	// ended is set by terminate: the exit that follows is ours, whatever its status says.
	ended atomic.Bool
}

// URI is the Bolt URI to connect the driver to, e.g. bolt://127.0.0.1:7687.
func (s *Server) URI() string { return "bolt://" + s.boltAddr }

// Username is the administrator user, neo4j.
func (s *Server) Username() string { return username }

// Password is the administrator password, generated on the first run and kept in
// <Dir>/neo4j-password.
func (s *Server) Password() string { return s.password }

// BrowserURL is the address of Neo4j Browser, e.g. http://127.0.0.1:7474/browser/.
func (s *Server) BrowserURL() string { return "http://" + s.httpAddr + "/browser/" }

// Start starts Neo4j as described by opts and returns once it answers on Bolt and HTTP.
//
// On the first run for a DistDir it writes the embedded pom.xml there and runs Maven (mvn must
// be on PATH) to fetch the server's jars; afterwards Maven is not needed. Java 17 or newer must
// be on JAVA_HOME or PATH. On the first run for a Dir it generates a random password, stores it
// in <Dir>/neo4j-password (mode 0600) and sets it as the initial password of user neo4j.
//
// ctx bounds the start only: once Start has returned, the server runs until Stop. If the server
// does not come up (ports taken, process exits, StartTimeout or ctx expires) Start stops what it
// launched and returns an error that says why, with the last lines of the server's logs.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	for _, listener := range []struct{ name, addr string }{{"Bolt", opts.BoltAddr}, {"HTTP", opts.HTTPAddr}} {
		if err := ensureFree(listener.addr); err != nil {
			return nil, fmt.Errorf("neo4jserver: %s address %s is not free (is another Neo4j running there?): %w", listener.name, listener.addr, err)
		}
	}
	java, err := findJava(ctx)
	if err != nil {
		return nil, err
	}
	lib, err := assemble(ctx, opts.DistDir, opts.Logger)
	if err != nil {
		return nil, err
	}
	layout := newLayout(opts.Dir)
	if err := layout.create(); err != nil {
		return nil, err
	}
	if err := writeConfig(layout, opts); err != nil {
		return nil, err
	}
	password, err := ensurePassword(ctx, java, lib, layout)
	if err != nil {
		return nil, err
	}

	server := &Server{
		boltAddr: opts.BoltAddr, httpAddr: opts.HTTPAddr, password: password, logger: opts.Logger, opts: opts,
		relaunch:   func() (*process, error) { return launch(java, lib, layout, opts) },
		supervised: make(chan struct{}),
	}
	proc, err := server.relaunch()
	if err != nil {
		return nil, err
	}
	if err := server.waitUntilReady(ctx, proc, opts.StartTimeout); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		return nil, errors.Join(err, terminate(stopCtx, proc))
	}
	opts.Logger.Info("neo4j started", "bolt", server.URI(), "browser", server.BrowserURL(), "dir", opts.Dir,
		"took", time.Since(proc.started).Round(time.Millisecond))
	server.current = proc
	server.lifetime, server.endLifetime = context.WithCancel(context.WithoutCancel(ctx))
	go server.supervise()
	return server, nil
}

// Stop ends supervision, asks Neo4j to shut down (SIGTERM to its process group) and waits until
// it has exited. If ctx ends first, the process group is killed (SIGKILL) and ctx's error is
// returned. Stopping a server that has already stopped returns nil; one that had exited on its
// own and was not restarted (its restarts used up) returns how it last exited.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	already := s.stopRequested
	s.stopRequested = true
	proc := s.current
	s.mu.Unlock()
	s.endLifetime()
	<-s.supervised
	if already {
		return nil
	}
	select {
	case <-proc.exited:
		if proc.err != nil && !proc.ended.Load() {
			return fmt.Errorf("neo4jserver: neo4j had already exited: %w", proc.err)
		}
		return nil
	default:
	}
	if err := terminate(ctx, proc); err != nil {
		return err
	}
	s.logger.Info("neo4j stopped", "bolt", s.URI())
	return nil
}

// terminate ends the process group and waits until the process has been reaped; a process
// that has already exited is fine.
func terminate(ctx context.Context, proc *process) error {
	proc.ended.Store(true)
	// The negative pid addresses the process group that launch created, so nothing the JVM
	// may have started outlives it.
	if err := syscall.Kill(-proc.os.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("neo4jserver: signal neo4j to stop: %w", err)
	}
	select {
	case <-proc.exited:
		return nil
	case <-ctx.Done():
		if err := syscall.Kill(-proc.os.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("neo4jserver: kill neo4j after %w: %w", ctx.Err(), err)
		}
		<-proc.exited
		return fmt.Errorf("neo4jserver: neo4j did not stop in time and was killed: %w", ctx.Err())
	}
}

// memorySize is what Neo4j's config and the JVM both accept as a size; anything else (a stray
// newline above all) must not reach neo4j.conf.
var memorySize = regexp.MustCompile(`^[0-9]+[kKmMgG]?$`)

func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("neo4jserver: Options.Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return o, fmt.Errorf("neo4jserver: resolve %s: %w", o.Dir, err)
	}
	o.Dir = dir
	if o.DistDir == "" {
		o.DistDir = o.Dir
	}
	if o.DistDir, err = filepath.Abs(o.DistDir); err != nil {
		return o, fmt.Errorf("neo4jserver: resolve %s: %w", o.DistDir, err)
	}
	o.BoltAddr = cmpOr(o.BoltAddr, DefaultBoltAddr)
	o.HTTPAddr = cmpOr(o.HTTPAddr, DefaultHTTPAddr)
	o.HeapMax = cmpOr(o.HeapMax, DefaultHeapMax)
	o.PageCache = cmpOr(o.PageCache, DefaultPageCache)
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxRestarts == 0 {
		o.MaxRestarts = DefaultMaxRestarts
	}
	if o.RestartWindow <= 0 {
		o.RestartWindow = DefaultRestartWindow
	}
	if o.RestartBackoff <= 0 {
		o.RestartBackoff = DefaultRestartBackoff
	}
	for _, addr := range []string{o.BoltAddr, o.HTTPAddr} {
		if err := requireLoopback(addr); err != nil {
			return o, err
		}
	}
	if o.BoltAddr == o.HTTPAddr {
		return o, fmt.Errorf("neo4jserver: Bolt and HTTP cannot share the address %s", o.BoltAddr)
	}
	for name, size := range map[string]string{"HeapMax": o.HeapMax, "PageCache": o.PageCache} {
		if !memorySize.MatchString(size) {
			return o, fmt.Errorf("neo4jserver: Options.%s %q is not a size such as 512m or 2g", name, size)
		}
	}
	return o, nil
}

func cmpOr(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

// requireLoopback refuses any listen address reachable from another machine: the embedded
// server is for this machine only.
func requireLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("neo4jserver: listen address %q is not host:port: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("neo4jserver: listen address %q is not loopback; the embedded Neo4j listens on this machine only (use 127.0.0.1)", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("neo4jserver: listen address %q needs a fixed, non-zero port", addr)
	}
	return nil
}

// ensureFree fails fast when something already listens on addr, which Neo4j would otherwise
// report only after its databases have started.
func ensureFree(addr string) error {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return listener.Close()
}

// launch runs the server's JVM in its own process group, its console output appended to
// logs/console.log.
func launch(java, lib string, layout layout, opts Options) (*process, error) {
	console, err := os.OpenFile(layout.consoleLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("neo4jserver: open console log: %w", err)
	}
	defer console.Close()

	args := append([]string{"-Xms" + opts.HeapMax, "-Xmx" + opts.HeapMax}, jvmOptions...)
	args = append(args, "-cp", filepath.Join(lib, "*"), "org.neo4j.server.CommunityEntryPoint",
		"--home-dir="+layout.home, "--config-dir="+layout.conf())
	cmd := exec.Command(java, args...)
	cmd.Dir = layout.home
	cmd.Env = layout.environ()
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = processAttributes()

	logs := newLogTail(layout.consoleLog(), layout.neo4jLog())
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("neo4jserver: start %s: %w", java, err)
	}
	proc := &process{os: cmd.Process, logs: logs, started: time.Now(), exited: make(chan struct{})}
	go func() {
		proc.err = cmd.Wait()
		close(proc.exited)
	}()
	return proc, nil
}

// waitUntilReady polls Bolt (a driver's VerifyConnectivity, which also authenticates) and then
// the HTTP discovery endpoint, with a short backoff, until both answer, the process exits, or
// timeout or ctx ends.
func (s *Server) waitUntilReady(ctx context.Context, proc *process, timeout time.Duration) error {
	deadline, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	driver, err := neo4j.NewDriverWithContext(s.URI(), neo4j.BasicAuth(username, s.password, ""))
	if err != nil {
		return fmt.Errorf("neo4jserver: create driver for %s: %w", s.URI(), err)
	}
	defer driver.Close(context.WithoutCancel(ctx))

	backoff := 100 * time.Millisecond
	for {
		err := s.probe(deadline, driver)
		if err == nil {
			return nil
		}
		if neo4jErr, ok := errors.AsType[*neo4j.Neo4jError](err); ok && neo4jErr.IsAuthenticationFailed() {
			return fmt.Errorf("neo4jserver: neo4j refused the password in %s; the data folder was initialised with another one: %w",
				passwordFile, err)
		}
		select {
		case <-proc.exited:
			return fmt.Errorf("neo4jserver: neo4j exited during start (%v); last log lines:\n%s", proc.err, proc.logs)
		case <-deadline.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("neo4jserver: start interrupted: %w", ctx.Err())
			}
			return fmt.Errorf("neo4jserver: neo4j did not answer on %s within %s (last attempt: %w); last log lines:\n%s",
				s.URI(), timeout, err, proc.logs)
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Second)
		}
	}
}

func (s *Server) probe(ctx context.Context, driver neo4j.DriverWithContext) error {
	attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := driver.VerifyConnectivity(attempt); err != nil {
		return err
	}
	request, err := http.NewRequestWithContext(attempt, http.MethodGet, "http://"+s.httpAddr+"/", nil)
	if err != nil {
		return err
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("http discovery answered %s", response.Status)
	}
	return nil
}
