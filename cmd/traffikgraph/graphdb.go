package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/neo4jserver"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/migrations"
)

// graphFlags are the flags every command that talks to Neo4j shares.
type graphFlags struct {
	triagePartner string
	dataDir       string
	boltAddr      string
	httpAddr      string
	heap          string
	pageCache     string
	// auditSpool is serve's --audit-spool: auto, off or a folder (auditSpoolDir).
	auditSpool string
}

func (g *graphFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&g.triagePartner, "triage-partner", envOr(getenv, "TRAFFIKGRAPH_TRIAGE_PARTNER", store.DefaultTriagePartner),
		"partner id that receives anonymous reports as its AMBER_STRICT data (env TRAFFIKGRAPH_TRIAGE_PARTNER)")
	fs.StringVar(&g.dataDir, "data", envOr(getenv, "TRAFFIKGRAPH_DATA", ".data"),
		"folder of the embedded Neo4j (jars, data, generated password) `DIR` (env TRAFFIKGRAPH_DATA)")
	fs.StringVar(&g.boltAddr, "neo4j-bolt", envOr(getenv, "TRAFFIKGRAPH_NEO4J_BOLT", neo4jserver.DefaultBoltAddr),
		"loopback Bolt address of the embedded Neo4j (env TRAFFIKGRAPH_NEO4J_BOLT)")
	fs.StringVar(&g.httpAddr, "neo4j-http", envOr(getenv, "TRAFFIKGRAPH_NEO4J_HTTP", neo4jserver.DefaultHTTPAddr),
		"loopback HTTP (Browser) address of the embedded Neo4j (env TRAFFIKGRAPH_NEO4J_HTTP)")
	fs.StringVar(&g.heap, "neo4j-heap", envOr(getenv, "TRAFFIKGRAPH_NEO4J_HEAP", neo4jserver.DefaultHeapMax),
		"JVM heap of the embedded Neo4j (env TRAFFIKGRAPH_NEO4J_HEAP)")
	fs.StringVar(&g.pageCache, "neo4j-pagecache", envOr(getenv, "TRAFFIKGRAPH_NEO4J_PAGECACHE", neo4jserver.DefaultPageCache),
		"page cache of the embedded Neo4j (env TRAFFIKGRAPH_NEO4J_PAGECACHE)")
}

// graph is an open store, and the embedded Neo4j behind it when there is one.
type graph struct {
	store    *store.Store
	cfg      store.Config
	embedded *neo4jserver.Server
	// plans, when set (serve), keeps the service unready while Neo4j plans its statements.
	plans *planWarmer
}

// openGraph connects to NEO4J_URI, or starts the embedded Neo4j when it is not set, and
// applies the migrations.
func openGraph(ctx context.Context, g graphFlags, getenv func(string) string, logger *slog.Logger) (*graph, error) {
	cfg := store.Config{
		URI:           getenv("NEO4J_URI"),
		Username:      envOr(getenv, "NEO4J_USERNAME", "neo4j"),
		Password:      getenv("NEO4J_PASSWORD"),
		Database:      envOr(getenv, "NEO4J_DATABASE", "neo4j"),
		TriagePartner: g.triagePartner,
	}
	var embedded *neo4jserver.Server
	if cfg.URI == "" {
		dir, err := filepath.Abs(g.dataDir)
		if err != nil {
			return nil, err
		}
		logger.Info("NEO4J_URI is not set: starting the embedded Neo4j", "dir", dir)
		embedded, err = neo4jserver.Start(ctx, neo4jserver.Options{
			Dir: filepath.Join(dir, "neo4j"), DistDir: filepath.Join(dir, "neo4j-dist"),
			BoltAddr: g.boltAddr, HTTPAddr: g.httpAddr, HeapMax: g.heap, PageCache: g.pageCache, Logger: logger,
		})
		if err != nil {
			return nil, err
		}
		cfg.URI, cfg.Username, cfg.Password = embedded.URI(), embedded.Username(), embedded.Password()
	}
	spool, err := auditSpoolDir(g, embedded != nil)
	if err != nil {
		return nil, errors.Join(err, stopEmbedded(embedded))
	}
	cfg.AuditSpool = spool
	cfg.Logger = logger
	s, err := store.Open(ctx, cfg)
	if err != nil {
		return nil, errors.Join(err, stopEmbedded(embedded))
	}
	if err := migrations.Apply(ctx, s.Driver(), s.Database()); err != nil {
		return nil, errors.Join(fmt.Errorf("migrations: %w", err), s.Close(ctx), stopEmbedded(embedded))
	}
	return &graph{store: s, cfg: cfg, embedded: embedded}, nil
}

// ready is the readiness probe: the embedded Neo4j, if any, is running, Neo4j answers, and no
// plan warm-up is running.
func (g *graph) ready(ctx context.Context) error {
	if g.embedded != nil {
		if err := g.embedded.Down(); err != nil {
			return errors.Join(traffikgraph.Errorf(traffikgraph.Unavailable, "the embedded Neo4j is down: %v", err), err)
		}
	}
	if err := g.store.Ping(ctx); err != nil {
		return err
	}
	return g.plans.check()
}

// warmPlans starts the plan warm-up (planWarmer), each bounded by budget (0: none).
func (g *graph) warmPlans(ctx context.Context, budget time.Duration, logger *slog.Logger) {
	restarts := func() int64 { return 0 }
	if g.embedded != nil {
		restarts = g.embedded.Restarts
	}
	g.plans = newPlanWarmer(g.store, budget, restarts, logger)
	g.plans.start(ctx)
}

// Close closes the store and stops the embedded Neo4j, if any.
func (g *graph) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return errors.Join(g.store.Close(ctx), stopEmbedded(g.embedded))
}

// auditSpoolDir resolves --audit-spool: auto spools in the data folder beside the embedded
// Neo4j and not at all with NEO4J_URI (where a container's disk may not outlive it); off never
// spools; anything else is the folder. Only serve records audit events, so only serve spools.
func auditSpoolDir(g graphFlags, embedded bool) (string, error) {
	switch g.auditSpool {
	case "", "off":
		return "", nil
	case "auto":
		if !embedded {
			return "", nil
		}
		return filepath.Abs(filepath.Join(g.dataDir, "audit-spool"))
	default:
		return filepath.Abs(g.auditSpool)
	}
}

func stopEmbedded(s *neo4jserver.Server) error {
	if s == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.Stop(ctx)
}

func envOr(getenv func(string) string, key, fallback string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return fallback
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	g.register(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openGraph(ctx, g, getenv, logger)
	if err != nil {
		return err
	}
	logger.Info("migrations applied")
	return db.Close()
}

// neo4jCommand runs the embedded Neo4j alone until interrupted, and writes its connection
// settings as NEO4J_* lines to --env-file (the test command sources it).
func neo4jCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("neo4j", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	g.register(fs, getenv)
	envFile := fs.String("env-file", "", "write NEO4J_URI, NEO4J_USERNAME, NEO4J_PASSWORD, NEO4J_DATABASE to this `FILE` (mode 0600) once Neo4j answers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	server, err := startEmbedded(ctx, g, *envFile, stdout, logger)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return stopEmbedded(server)
}

// startEmbedded starts the embedded Neo4j of g, writes its connection settings as NEO4J_* lines
// to envFile (when given) and says on stdout where it runs.
func startEmbedded(ctx context.Context, g graphFlags, envFile string, stdout io.Writer, logger *slog.Logger) (*neo4jserver.Server, error) {
	dir, err := filepath.Abs(g.dataDir)
	if err != nil {
		return nil, err
	}
	server, err := neo4jserver.Start(ctx, neo4jserver.Options{
		Dir: filepath.Join(dir, "neo4j"), DistDir: filepath.Join(dir, "neo4j-dist"),
		BoltAddr: g.boltAddr, HTTPAddr: g.httpAddr, HeapMax: g.heap, PageCache: g.pageCache, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	if envFile != "" {
		env := fmt.Sprintf("NEO4J_URI=%s\nNEO4J_USERNAME=%s\nNEO4J_PASSWORD=%s\nNEO4J_DATABASE=neo4j\n", server.URI(), server.Username(), server.Password())
		if err := os.WriteFile(envFile, []byte(env), 0o600); err != nil {
			return nil, errors.Join(err, stopEmbedded(server))
		}
	}
	fmt.Fprintf(stdout, "Neo4j is running: %s (Browser %s, user %s, password in %s)\n", server.URI(), server.BrowserURL(),
		server.Username(), filepath.Join(dir, "neo4j", "neo4j-password"))
	return server, nil
}
