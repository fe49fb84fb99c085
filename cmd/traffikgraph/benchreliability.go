package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/traffikgraph/traffikgraph/bench"
	"github.com/traffikgraph/traffikgraph/seed"
)

// loadPersonas are the load's clients, in turn: the writers upsert businesses as well as read.
var loadPersonas = []struct {
	name   string
	writes bool
}{{"analyst", true}, {"bank", false}, {"police", true}, {"shelter", false}}

// reliabilityBenchCommand is `bench load` (chaos false) and `bench chaos`: it runs `traffikgraph
// serve` as a child on its embedded default (or on NEO4J_URI, for load only) with the demo
// world, sends a mixed read/write load from --clients clients for --for and, for chaos, kills
// the child's Neo4j with SIGKILL after --kill-after. It prints what the clients got and how many
// acknowledged writes the database lacks afterwards.
func reliabilityBenchCommand(ctx context.Context, chaos bool, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	name := "bench load"
	if chaos {
		name = "bench chaos"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	g.register(fs, getenv)
	clients := fs.Int("clients", 20, "concurrent clients, spread over the analyst, bank, police and shelter personas")
	duration := fs.Duration("for", time.Minute, "how long the load runs")
	writeShare := fs.Float64("write-share", 0.25, "share of the writing personas' requests that are mutations")
	killAfter := fs.Duration("kill-after", 20*time.Second, "bench chaos: when, into the load, the embedded Neo4j gets SIGKILL")
	scale := fs.Int("demo-scale", seed.DefaultScale, "nodes of the demo world seeded into an empty embedded database")
	addr := fs.String("addr", "", "listen address of the service under test (default: a free loopback port)")
	issuerAddr := fs.String("dev-issuer-addr", "", "listen address of its development issuer (default: a free loopback port)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	external := getenv("NEO4J_URI") != ""
	if chaos && external {
		return errors.New("bench chaos kills the embedded Neo4j: run it without NEO4J_URI")
	}
	dataDir, err := filepath.Abs(g.dataDir)
	if err != nil {
		return err
	}
	if *addr == "" {
		*addr = freeLoopbackAddr()
	}
	if *issuerAddr == "" {
		*issuerAddr = freeLoopbackAddr()
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, "serve", "--addr", *addr, "--dev-issuer", "on", "--dev-issuer-addr", *issuerAddr,
		"--data", dataDir, "--neo4j-bolt", g.boltAddr, "--neo4j-http", g.httpAddr, "--neo4j-heap", g.heap, "--neo4j-pagecache", g.pageCache,
		"--demo-scale", strconv.Itoa(*scale), "--partner-concurrency", strconv.Itoa(max(2**clients, 16)))
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopChild(cmd)) }()
	base := "http://" + *addr
	// The child's first start seeds the demo world.
	if err := waitReady(ctx, base, 15*time.Minute); err != nil {
		return err
	}
	cfg := bench.ReliabilityConfig{
		GraphQLURL: base + "/graphql", Duration: *duration, WriteShare: *writeShare,
		RunID: strconv.FormatInt(time.Now().UnixNano(), 36), Timeout: 35 * time.Second,
	}
	for i := range *clients {
		persona := loadPersonas[i%len(loadPersonas)]
		token, err := fetchToken(ctx, "http://"+*issuerAddr, persona.name)
		if err != nil {
			return err
		}
		cfg.Clients = append(cfg.Clients, bench.LoadClient{Persona: persona.name, Token: token, Writes: persona.writes})
	}
	home := filepath.Join(dataDir, "neo4j")
	if chaos {
		cfg.DuringAfter = *killAfter
		cfg.During = func() time.Time {
			if err := killNeo4j(home); err != nil {
				fmt.Fprintln(stderr, "bench chaos:", err)
			}
			return time.Now()
		}
	}
	driver, database, err := verificationDriver(getenv, g, home)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, driver.Close(context.WithoutCancel(ctx))) }()

	fmt.Fprintf(stderr, "%s: %d clients for %s against %s\n", name, *clients, *duration, base)
	report, runErr := bench.RunReliability(ctx, cfg, driver, database, func() error { return waitReady(ctx, base, 5*time.Minute) })
	fmt.Fprintf(stdout, "%s: %d clients (analyst and police also writing, %.0f%% of their requests) for %s on the demo world (%d nodes); machine: %d cores.",
		name, *clients, 100**writeShare, *duration, *scale, runtime.NumCPU())
	if chaos {
		fmt.Fprintf(stdout, " SIGKILL of the embedded Neo4j %s into the load.", *killAfter)
	}
	fmt.Fprintf(stdout, "\n\n%s", bench.ReliabilityMarkdown(report))
	return runErr
}

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, base string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s/readyz did not answer 200 within %s", base, timeout)
}

// verificationDriver reaches the database the service uses: NEO4J_URI's, or its embedded one.
func verificationDriver(getenv func(string) string, g graphFlags, home string) (neo4j.DriverWithContext, string, error) {
	uri, user, password := getenv("NEO4J_URI"), envOr(getenv, "NEO4J_USERNAME", "neo4j"), getenv("NEO4J_PASSWORD")
	if uri == "" {
		raw, err := os.ReadFile(filepath.Join(home, "neo4j-password"))
		if err != nil {
			return nil, "", fmt.Errorf("the embedded Neo4j's password: %w", err)
		}
		uri, user, password = "bolt://"+g.boltAddr, "neo4j", strings.TrimSpace(string(raw))
	}
	driver, err := neo4j.NewDriverWithContext(uri, neo4j.BasicAuth(user, password, ""))
	return driver, envOr(getenv, "NEO4J_DATABASE", "neo4j"), err
}

// killNeo4j sends SIGKILL to the Java process of the Neo4j whose home is home.
func killNeo4j(home string) error {
	cmdlines, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return err
	}
	for _, path := range cmdlines {
		cmdline, err := os.ReadFile(path)
		if err != nil || !strings.Contains(string(cmdline), "--home-dir="+home+"\x00") {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			return err
		}
		return syscall.Kill(pid, syscall.SIGKILL)
	}
	return fmt.Errorf("no Neo4j process runs in %s", home)
}
