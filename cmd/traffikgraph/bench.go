package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/bench"
	"github.com/traffikgraph/traffikgraph/internal/testkit"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/store"
)

// benchPersona is whose token the benchmark uses: the NGO analyst, who reads everything the hub
// shares with it, personal data included (so its reads are audited, as in production).
const benchPersona = "analyst"

// benchCommand seeds a graph of --scale nodes (once per data folder), runs the service as a
// child process exactly as users run it, and compares every case's GraphQL request with its
// hand-written Cypher through the driver, in the same run. It prints a Markdown report.
func benchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) (err error) {
	if len(args) > 0 {
		switch args[0] {
		case "attack":
			return attackBenchCommand(ctx, args[1:], getenv, stdout, stderr, logger)
		case "load", "chaos":
			return reliabilityBenchCommand(ctx, args[0] == "chaos", args[1:], getenv, stdout, stderr)
		case "victim":
			// The other partner of bench attack, run as its own process by it.
			return bench.RunVictim(ctx, getenv("TRAFFIKGRAPH_BENCH_URL"), getenv("TRAFFIKGRAPH_BENCH_TOKEN"), stdout)
		}
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	g.register(fs, getenv)
	scale := fs.Int("scale", 100_000, "nodes of the benchmark graph (seeded once into an empty database)")
	requests := fs.Int("requests", 300, "measured requests per case, side and concurrency")
	loadClients := fs.Int("load-clients", 50, "concurrent clients of the memory run")
	loadFor := fs.Duration("load-for", 20*time.Second, "duration of the memory run")
	only := fs.String("cases", "", "comma-separated names of the cases to run (default: all)")
	withNeo4jGraphQL := fs.Bool("neo4j-graphql", false, "also ask @neo4j/graphql (run with Node over the same Neo4j) the cases it can answer")
	profileAddr := fs.String("api-pprof-addr", "", "loopback `ADDR` where the API process serves /metrics and Go's profiles (/debug/pprof/), to profile it during the run")
	warmFor := fs.Duration("warm-for", 30*time.Second, "how long every case is asked, both sides in turn, before any is measured; with the embedded Neo4j, longer until its JIT compilers are nearly idle (5 minutes at most); 0: no warm-up")
	apiGoMaxProcs := fs.Int("api-gomaxprocs", 0, "the API process's GOMAXPROCS (0: Go's default, the machine's cores)")
	auditSpool := fs.String("api-audit-spool", "off", "the API process's --audit-spool: off (audit events committed to Neo4j before each response) or a `DIR`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	apiFlags := []string{"--partner-concurrency", strconv.Itoa(max(*loadClients, 16) * 2), "--audit-spool", *auditSpool}
	if *profileAddr != "" {
		apiFlags = append(apiFlags, "--metrics-addr", *profileAddr, "--pprof")
	}
	db, err := openGraph(ctx, g, getenv, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	stats, err := seed.Generate(ctx, db.store.Driver(), db.store.Database(), seed.Options{Scale: *scale, Seed: 7, Progress: stderr})
	switch {
	case errors.Is(err, seed.ErrDatabaseNotEmpty):
		logger.Info("benchmark graph present: not seeding")
	case err != nil:
		return err
	default:
		fmt.Fprintf(stdout, "Seeded %d nodes and %d relationships in %s (%.0f nodes/s).\n\n", stats.Nodes, stats.Relationships,
			stats.Elapsed.Round(time.Second), stats.NodesPerSecond())
	}
	counts, err := graphSize(ctx, db)
	if err != nil {
		return err
	}

	// The load generator is one partner: its requests in flight must not meet that partner's
	// concurrency bound, or the bench would measure the bound.
	var apiEnv []string
	if *apiGoMaxProcs > 0 {
		apiEnv = append(apiEnv, "GOMAXPROCS="+strconv.Itoa(*apiGoMaxProcs))
	}
	api, err := startAPIProcess(ctx, db, stderr, apiEnv, apiFlags...)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, api.stop()) }()
	token, err := fetchToken(ctx, api.issuer, benchPersona)
	if err != nil {
		return err
	}
	caller, err := personaCaller(benchPersona)
	if err != nil {
		return err
	}
	fixture, err := bench.LoadFixture(ctx, db.store.Driver(), db.store.Database(), caller.PartnerID)
	if err != nil {
		return err
	}
	cases, err := bench.Select(bench.AllCases(), *only)
	if err != nil {
		return err
	}
	cfg := bench.Config{
		GraphQLURL: api.url + "/graphql", Token: token, Driver: db.store.Driver(), Database: db.store.Database(),
		Requests: *requests, Warmup: *requests / 5, WarmFor: *warmFor, Concurrency: []int{1, 16},
		Cases: cases, Progress: stderr,
		Store: db.store, Caller: caller,
		Processes: []bench.Process{{Name: "bench", PID: os.Getpid()}, {Name: "API", PID: api.cmd.Process.Pid}},
	}
	if db.embedded != nil {
		cfg.JVM = bench.Process{Name: "Neo4j", PID: db.embedded.PID()}
		cfg.Processes = append(cfg.Processes, cfg.JVM)
	}
	if *withNeo4jGraphQL {
		rival, err := startNeo4jGraphQL(ctx, db, api.issuer, envOr(getenv, "TRAFFIKGRAPH_AUDIENCE", "traffikgraph"), token, stderr)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, rival.stop()) }()
		cfg.Neo4jGraphQLURL = rival.url
	}
	results, err := bench.Run(ctx, cfg, fixture)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Graph: %s. Machine: %d cores, %s. Caller: the %s persona (partner %s).\n\n",
		counts, runtime.NumCPU(), runtime.GOOS+"/"+runtime.GOARCH, benchPersona, caller.PartnerID)
	fmt.Fprint(stdout, bench.Markdown(results))
	if cpu := bench.CPUMarkdown(results); cpu != "" {
		fmt.Fprintf(stdout, "\nCPU per request while each side was measured (user and system time, all threads; bench is the load generator, and the baseline's driver):\n\n%s", cpu)
	}
	answered, refused := bench.Load(ctx, cfg, fixture, *loadClients, *loadFor)
	rss, peak, err := api.memory()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nAPI process under %d concurrent clients for %s, every case in turn: %d answered (%.0f/s), %d refused; RSS %d MB, peak RSS %d MB.\n",
		*loadClients, *loadFor, answered, float64(answered)/loadFor.Seconds(), refused, rss>>20, peak>>20)
	return nil
}

// attackBenchCommand seeds the demo world (once per data folder), runs the service as a child
// process with its default bounds, and sends each attack of bench.Attacks in --waves waves of
// --clients concurrent requests of one partner while another partner keeps asking a small
// question; it prints what the attacks got and how the other partner's latency, while attack
// requests were in flight, compares with its baseline.
func attackBenchCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) (err error) {
	fs := flag.NewFlagSet("bench attack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	g.register(fs, getenv)
	scale := fs.Int("scale", seed.DefaultScale, "nodes of the graph (the demo world, seeded once into an empty database)")
	clients := fs.Int("clients", 100, "concurrent requests of each wave of an attack, all of one partner")
	waves := fs.Int("waves", 20, "waves of each attack")
	waveEvery := fs.Duration("wave-every", time.Second, "time between the waves of an attack")
	baseline := fs.Duration("baseline", 10*time.Second, "how long the other partner is measured alone, before the attacks")
	only := fs.String("attacks", "", "comma-separated names of the attacks to send (default: all)")
	shapes := fs.Bool("shapes", true, "first time the worst shapes within the bounds, one at a time, cold and warm")
	seed := fs.Uint64("seed", 1, "seed of the random shapes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	attacks, err := bench.SelectAttacks(*only, *seed)
	if err != nil {
		return err
	}
	db, err := openGraph(ctx, g, getenv, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	if err := seedDemo(ctx, db, *scale, stderr, logger); err != nil {
		return err
	}
	counts, err := graphSize(ctx, db)
	if err != nil {
		return err
	}
	api, err := startAPIProcess(ctx, db, stderr, nil)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, api.stop()) }()
	attacker, err := fetchToken(ctx, api.issuer, attackPersona)
	if err != nil {
		return err
	}
	victim, err := fetchToken(ctx, api.issuer, victimPersona)
	if err != nil {
		return err
	}
	var shapesTable string
	if *shapes {
		// Other shapes first, unmeasured: the first plans of a fresh Neo4j run on a cold JIT.
		bounds := bench.CurrentBounds()
		if _, err := bench.RunShapes(ctx, api.url+"/graphql", attacker, bench.Shapes(*seed+1_000_000, bounds)[:6], store.RelationshipTermWeight); err != nil {
			return err
		}
		results, err := bench.RunShapes(ctx, api.url+"/graphql", attacker, bench.Shapes(*seed, bounds), store.RelationshipTermWeight)
		if err != nil {
			return err
		}
		shapesTable = bench.ShapesMarkdown(results)
	}
	samples, err := startVictim(ctx, api.url+"/graphql", victim, stderr)
	if err != nil {
		return err
	}
	report, err := bench.RunAttacks(ctx, bench.AttackConfig{
		GraphQLURL: api.url + "/graphql", AttackerToken: attacker,
		Clients: *clients, Waves: *waves, WaveEvery: *waveEvery, Baseline: *baseline, Attacks: attacks,
		VictimSamples: samples, Progress: stderr,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Graph: %s. Machine: %d cores, %s. Attacker: the %s persona, %d waves of %d concurrent requests, one every %s, per attack; "+
		"the other partner: the %s persona, one request at a time.\n\n",
		counts, runtime.NumCPU(), runtime.GOOS+"/"+runtime.GOARCH, attackPersona, *waves, *clients, *waveEvery, victimPersona)
	if shapesTable != "" {
		fmt.Fprintf(stdout, "The worst shapes within the bounds, as the %s persona, one request at a time, each sent cold (a plan Neo4j has not seen) then warm:\n\n%s\n", attackPersona, shapesTable)
	}
	fmt.Fprint(stdout, bench.AttackMarkdown(report))
	return nil
}

// startVictim runs `traffikgraph bench victim` (bench.RunVictim) as a child process asking url
// with token, warmed up, and returns the function that stops it and reads its requests.
func startVictim(ctx context.Context, url, token string, stderr io.Writer) (func() ([]bench.VictimSample, error), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "bench", "victim")
	cmd.Env = append(os.Environ(), "TRAFFIKGRAPH_BENCH_URL="+url, "TRAFFIKGRAPH_BENCH_TOKEN="+token)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// Its first requests plan the query and open connections: not part of any measurement.
	time.Sleep(2 * time.Second)
	warmedUp := time.Now()
	return func() ([]bench.VictimSample, error) {
		if err := stopChild(cmd); err != nil {
			return nil, err
		}
		samples, err := bench.ReadVictimSamples(&out)
		return slices.DeleteFunc(samples, func(s bench.VictimSample) bool { return s.Start.Before(warmedUp) }), err
	}, nil
}

// The attack bench's partners: the attacker holds graph:read (and more), the other partner is
// another organisation.
const (
	attackPersona = "analyst"
	victimPersona = "bank"
)

func graphSize(ctx context.Context, db *graph) (string, error) {
	res, err := neo4j.ExecuteQuery(ctx, db.store.Driver(), `
CALL { MATCH (n) RETURN count(n) AS nodes }
CALL { MATCH ()-[r]->() RETURN count(r) AS relationships }
RETURN nodes, relationships`, nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(db.store.Database()))
	if err != nil {
		return "", err
	}
	nodes, _ := res.Records[0].Get("nodes")
	rels, _ := res.Records[0].Get("relationships")
	return fmt.Sprintf("%d nodes, %d relationships", nodes, rels), nil
}

// personaCaller is a development-issuer persona as the store sees it, for capturing the
// statements the baseline replays with the same caller as the persona's token.
func personaCaller(name string) (auth.Caller, error) {
	for _, p := range auth.DemoPersonas() {
		if p.Name == name {
			return auth.Caller{Issuer: "bench", Subject: p.Name, PartnerID: p.PartnerID, Scopes: p.Scopes}, nil
		}
	}
	return auth.Caller{}, fmt.Errorf("no persona %q", name)
}

// apiProcess is `traffikgraph serve` run as a child against the benchmark's Neo4j.
type apiProcess struct {
	cmd         *exec.Cmd
	url, issuer string
}

// neo4jGraphQLProcess is @neo4j/graphql (bench/neo4jgraphql) run with Node as a child against the
// benchmark's Neo4j, accepting the development issuer's tokens as our API does.
type neo4jGraphQLProcess struct {
	cmd *exec.Cmd
	url string
}

// startNeo4jGraphQL writes the @neo4j/graphql project out of the binary into the user's cache
// folder, installs its locked dependencies there when they are missing or have changed, starts it
// on a free loopback port and waits until it answers the bench's token.
func startNeo4jGraphQL(ctx context.Context, db *graph, issuer, audience, token string, stderr io.Writer) (*neo4jGraphQLProcess, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("@neo4j/graphql: %w", err)
	}
	dir := filepath.Join(cache, "traffikgraph", "bench-neo4jgraphql")
	changed, err := writeNeo4jGraphQLProject(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); changed || errors.Is(err, os.ErrNotExist) {
		install := exec.CommandContext(ctx, "npm", "ci", "--prefix", dir, "--no-audit", "--no-fund")
		install.Stdout, install.Stderr = stderr, stderr
		if err := install.Run(); err != nil {
			return nil, fmt.Errorf("@neo4j/graphql: npm ci in %s: %w", dir, err)
		}
	}
	addr := freeLoopbackAddr()
	if addr == "" {
		return nil, errors.New("no free loopback port")
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "server.mjs"))
	cmd.Env = append(os.Environ(), "NEO4J_URI="+db.cfg.URI, "NEO4J_USERNAME="+db.cfg.Username, "NEO4J_PASSWORD="+db.cfg.Password,
		"NEO4J_DATABASE="+db.cfg.Database, "PORT="+port, "TOKEN_ISSUER="+issuer, "TOKEN_AUDIENCE="+audience, "NODE_ENV=production")
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("@neo4j/graphql: starting node: %w", err)
	}
	p := &neo4jGraphQLProcess{cmd: cmd, url: "http://" + addr + "/"}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if p.answers(ctx, token) {
			return p, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return nil, errors.Join(errors.New("@neo4j/graphql did not become ready"), p.stop())
}

// writeNeo4jGraphQLProject writes the embedded project into dir and tells whether its locked
// dependencies differ from those already there.
func writeNeo4jGraphQLProject(dir string) (lockChanged bool, err error) {
	project, err := fs.Sub(bench.Neo4jGraphQLServer, "neo4jgraphql")
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("@neo4j/graphql: %w", err)
	}
	files, err := fs.ReadDir(project, ".")
	if err != nil {
		return false, err
	}
	for _, f := range files {
		content, err := fs.ReadFile(project, f.Name())
		if err != nil {
			return false, err
		}
		path := filepath.Join(dir, f.Name())
		if f.Name() == "package-lock.json" {
			old, err := os.ReadFile(path)
			lockChanged = err != nil || !bytes.Equal(old, content)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return false, fmt.Errorf("@neo4j/graphql: %w", err)
		}
	}
	return lockChanged, nil
}

// answers tells whether the server answers a trivial query with the bench's token.
func (p *neo4jGraphQLProcess) answers(ctx context.Context, token string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (p *neo4jGraphQLProcess) stop() error { return stopChild(p.cmd) }

// startAPIProcess runs `traffikgraph serve` against db, with the development issuer, env added
// to its environment and extra flags, and waits until it is ready.
func startAPIProcess(ctx context.Context, db *graph, stderr io.Writer, env []string, extra ...string) (*apiProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, issuerAddr := freeLoopbackAddr(), freeLoopbackAddr()
	if addr == "" || issuerAddr == "" {
		return nil, errors.New("no free loopback port")
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"serve", "--addr", addr, "--dev-issuer", "on", "--dev-issuer-addr", issuerAddr}, extra...)...)
	cmd.Env = append(os.Environ(), "NEO4J_URI="+db.cfg.URI, "NEO4J_USERNAME="+db.cfg.Username, "NEO4J_PASSWORD="+db.cfg.Password,
		"NEO4J_DATABASE="+db.cfg.Database)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &apiProcess{cmd: cmd, url: "http://" + addr, issuer: "http://" + issuerAddr}
	// Ready once its plans are warm (serve --warm-plans-for, 2 minutes at most).
	if err := testkit.WaitReady(ctx, p.url+"/readyz", 5*time.Minute, nil); err != nil {
		return nil, errors.Join(fmt.Errorf("the API process did not become ready: %w", err), p.stop())
	}
	return p, nil
}

func (p *apiProcess) stop() error { return stopChild(p.cmd) }

// stopChild interrupts a child process and waits for it to end.
func stopChild(cmd *exec.Cmd) error {
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return err
	}
	err := cmd.Wait()
	if exit, ok := errors.AsType[*exec.ExitError](err); ok && !exit.Exited() {
		return nil // stopped by our signal
	}
	return err
}

// memory reads the child's resident set size and its peak from /proc.
func (p *apiProcess) memory() (rss, peak int64, err error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "status"))
	if err != nil {
		return 0, 0, fmt.Errorf("reading the API's memory: %w", err)
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(fields[1], 10, 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak, scanner.Err()
}

func freeLoopbackAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return l.Addr().String()
}

func fetchToken(ctx context.Context, issuer, persona string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/token/"+persona, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		return "", errors.Join(errors.New("no token from the development issuer"), err)
	}
	return body.AccessToken, nil
}
