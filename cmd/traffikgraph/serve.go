package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/resolvers"
	"github.com/traffikgraph/traffikgraph/seed"
	"github.com/traffikgraph/traffikgraph/server"
)

type serveFlags struct {
	graph          graphFlags
	addr           string
	issuersFile    string
	audience       string
	devIssuer      string
	devIssuerAddr  string
	introspection  string
	demoScale      int
	requestTimeout time.Duration
	bodyTimeout    time.Duration
	anonymousRate  int
	anonymousBurst int
	costLimit      int
	concurrency    concurrencyFlags
	metricsAddr    string
	warmPlansFor   time.Duration
	pprof          bool
	periodEnd      string
	retention      retentionFlags
	retentionEvery time.Duration
}

// concurrencyFlags are the per-partner and anonymous bounds on requests in flight.
type concurrencyFlags struct {
	partner, anonymous int
	wait               time.Duration
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) (err error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	f.graph.register(fs, getenv)
	fs.StringVar(&f.addr, "addr", envOr(getenv, "TRAFFIKGRAPH_ADDR", "127.0.0.1:8080"), "HTTP listen address (env TRAFFIKGRAPH_ADDR)")
	fs.StringVar(&f.issuersFile, "issuers", getenv("TRAFFIKGRAPH_ISSUERS"), "YAML `FILE` of trusted OIDC issuers (env TRAFFIKGRAPH_ISSUERS)")
	fs.StringVar(&f.audience, "audience", envOr(getenv, "TRAFFIKGRAPH_AUDIENCE", "traffikgraph"), "API audience of the development issuer's tokens (env TRAFFIKGRAPH_AUDIENCE)")
	fs.StringVar(&f.devIssuer, "dev-issuer", envOr(getenv, "TRAFFIKGRAPH_DEV_ISSUER", "auto"),
		"development OIDC issuer: auto (on with the embedded Neo4j and no --issuers), on, off (env TRAFFIKGRAPH_DEV_ISSUER)")
	fs.StringVar(&f.devIssuerAddr, "dev-issuer-addr", envOr(getenv, "TRAFFIKGRAPH_DEV_ISSUER_ADDR", "127.0.0.1:8081"), "loopback address of the development issuer (env TRAFFIKGRAPH_DEV_ISSUER_ADDR)")
	fs.StringVar(&f.introspection, "introspection", envOr(getenv, "TRAFFIKGRAPH_INTROSPECTION", "auto"),
		"schema introspection: auto (on with the embedded Neo4j), on, off (env TRAFFIKGRAPH_INTROSPECTION)")
	fs.IntVar(&f.demoScale, "demo-scale", seed.DefaultScale, "nodes of the demo world seeded into an empty embedded database")
	fs.StringVar(&f.periodEnd, "explorer-period-end", envOr(getenv, "TRAFFIKGRAPH_EXPLORER_PERIOD_END", "auto"),
		"the `DATE` the explorer's default periods (the hotspot map's last 12 months) end: auto (the demo world's fixed today with the embedded Neo4j, else the browser's today), or YYYY-MM-DD (env TRAFFIKGRAPH_EXPLORER_PERIOD_END)")
	fs.DurationVar(&f.requestTimeout, "request-timeout", 30*time.Second, "bound on each request")
	fs.StringVar(&f.metricsAddr, "metrics-addr", getenv("TRAFFIKGRAPH_METRICS_ADDR"),
		"listen address of Prometheus /metrics, e.g. 127.0.0.1:9090; empty: off (env TRAFFIKGRAPH_METRICS_ADDR)")
	fs.StringVar(&f.graph.auditSpool, "audit-spool", envOr(getenv, "TRAFFIKGRAPH_AUDIT_SPOOL", "auto"),
		"`DIR` where audit events are made durable (synced) before a response, then shipped to Neo4j: auto (DATA/audit-spool with the embedded Neo4j; off with NEO4J_URI), off (each batch committed to Neo4j before the response), or a folder on storage that outlives the process, one per instance (env TRAFFIKGRAPH_AUDIT_SPOOL)")
	fs.BoolVar(&f.pprof, "pprof", false, "also serve Go's profiles at /debug/pprof/ on the metrics listener (--metrics-addr, which must then be on loopback)")
	warmPlansFor := 2 * time.Minute
	if raw := getenv("TRAFFIKGRAPH_WARM_PLANS_FOR"); raw != "" {
		if warmPlansFor, err = time.ParseDuration(raw); err != nil {
			return fmt.Errorf("TRAFFIKGRAPH_WARM_PLANS_FOR must be a duration such as 2m, not %q", raw)
		}
	}
	fs.DurationVar(&f.warmPlansFor, "warm-plans-for", warmPlansFor,
		"at most how long Neo4j may spend planning the service's queries at start (and after the embedded Neo4j restarted) before /readyz turns ready; 0: no warm-up (env TRAFFIKGRAPH_WARM_PLANS_FOR)")
	defaults := server.DefaultConfig()
	fs.DurationVar(&f.bodyTimeout, "body-timeout", defaults.BodyTimeout,
		"how long a client may take to send a request's body (read whole before the request takes a concurrency slot); slower gets 408")
	anonymousRate, err := envInt(getenv, "TRAFFIKGRAPH_ANONYMOUS_PER_MINUTE", defaults.AnonymousPerMinute)
	if err != nil {
		return err
	}
	anonymousBurst, err := envInt(getenv, "TRAFFIKGRAPH_ANONYMOUS_BURST", defaults.AnonymousBurst)
	if err != nil {
		return err
	}
	fs.IntVar(&f.anonymousRate, "anonymous-per-minute", anonymousRate,
		"requests without a token allowed per client address and minute (env TRAFFIKGRAPH_ANONYMOUS_PER_MINUTE)")
	fs.IntVar(&f.anonymousBurst, "anonymous-burst", anonymousBurst,
		"requests without a token a client address may send at once (env TRAFFIKGRAPH_ANONYMOUS_BURST)")
	if err := f.registerLimits(fs, getenv, defaults); err != nil {
		return err
	}
	if err := f.retention.register(fs, getenv); err != nil {
		return err
	}
	var retentionEvery time.Duration
	if raw := getenv("TRAFFIKGRAPH_RETENTION_EVERY"); raw != "" {
		if retentionEvery, err = time.ParseDuration(raw); err != nil {
			return fmt.Errorf("TRAFFIKGRAPH_RETENTION_EVERY must be a duration such as 24h, not %q", raw)
		}
	}
	fs.DurationVar(&f.retentionEvery, "retention-every", retentionEvery,
		"apply the retention policy (the --retain-* flags) this often, such as 24h; 0: never, run `traffikgraph retention` instead (env TRAFFIKGRAPH_RETENTION_EVERY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	embedded := getenv("NEO4J_URI") == ""
	devIssuerOn, err := switchValue("dev-issuer", f.devIssuer, embedded && f.issuersFile == "")
	if err != nil {
		return err
	}
	if devIssuerOn && f.issuersFile != "" {
		return errors.New("the development issuer cannot run together with an issuers file (a production configuration)")
	}
	if devIssuerOn && !embedded && !onLoopback(getenv("NEO4J_URI")) {
		return errors.New("the development issuer runs only with the embedded Neo4j or a Neo4j on this machine's loopback, never against a shared database")
	}
	introspection, err := switchValue("introspection", f.introspection, embedded)
	if err != nil {
		return err
	}
	var issuers []auth.IssuerConfig
	if f.issuersFile != "" {
		if issuers, err = auth.LoadIssuers(f.issuersFile); err != nil {
			return err
		}
	}
	if !devIssuerOn && len(issuers) == 0 {
		logger.Warn("no trusted issuers: every caller is anonymous")
	}

	stopTracing, err := startTracing(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopTracing()) }()
	db, err := openGraph(ctx, f.graph, getenv, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	metrics := newMetricsRegistry(db)
	if f.pprof && f.metricsAddr == "" {
		return errors.New("--pprof needs --metrics-addr: the profiles are served on the metrics listener")
	}
	if f.metricsAddr != "" {
		stopMetrics, err := serveMetrics(ctx, f.metricsAddr, metrics, f.pprof, logger)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, stopMetrics()) }()
	}
	if embedded {
		if err := seedDemo(ctx, db, f.demoScale, stderr, logger); err != nil {
			return err
		}
	}
	// After seeding: Neo4j plans with the statistics of the data it holds.
	db.warmPlans(ctx, f.warmPlansFor, logger)
	if f.retentionEvery > 0 {
		retained := make(chan struct{})
		go func() {
			defer close(retained)
			runRetentionEvery(ctx, f.retentionEvery, db.store, f.retention, logger)
		}()
		// A run in progress ends with ctx, before the store closes.
		defer func() { <-retained }()
	}

	var dev *auth.DevIssuer
	if devIssuerOn {
		explorer := auth.WithExplorer(explorerRedirectURIs(f.addr)...)
		if dev, err = auth.StartDevIssuer(ctx, f.devIssuerAddr, f.audience, auth.DemoPersonas(), explorer); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, dev.Close(context.WithoutCancel(ctx))) }()
		issuers = append(issuers, dev.IssuerConfig())
	}
	authenticator, err := auth.NewAuthenticator(ctx, issuers, db.store, logger)
	if err != nil {
		return err
	}

	cfg := server.DefaultConfig()
	cfg.Addr, cfg.Introspection, cfg.RequestTimeout, cfg.BodyTimeout = f.addr, introspection, f.requestTimeout, f.bodyTimeout
	cfg.AnonymousPerMinute, cfg.AnonymousBurst = f.anonymousRate, f.anonymousBurst
	cfg.CostLimit = f.costLimit
	cfg.PartnerConcurrency, cfg.AnonymousConcurrency, cfg.ConcurrencyWait = f.concurrency.partner, f.concurrency.anonymous, f.concurrency.wait
	cfg.ExplorerIssuers = issuers
	cfg.ExplorerPeriodEnd = f.periodEnd
	if f.periodEnd == "auto" {
		cfg.ExplorerPeriodEnd = ""
		if embedded {
			cfg.ExplorerPeriodEnd = seed.Today.Format(time.DateOnly)
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	handler := server.New(cfg, server.Deps{
		Schema:       resolvers.NewExecutableSchema(db.store),
		Auth:         authenticator,
		Ready:        db.ready,
		PerOperation: resolvers.PerOperation(db.store),
		Logger:       logger,
		Extensions:   []graphql.HandlerExtension{resolvers.Audit(db.store, logger)},
		AuditExport:  db.store,
		Metrics:      metrics,
	})
	fmt.Fprintf(stdout, "traffikgraph is serving the explorer at http://%s/, GraphiQL at http://%s/graphiql and GraphQL at http://%s/graphql\n", f.addr, f.addr, f.addr)
	if db.embedded != nil {
		fmt.Fprintf(stdout, "embedded Neo4j: %s, Browser %s\n", db.embedded.URI(), db.embedded.BrowserURL())
	}
	if dev != nil {
		fmt.Fprintf(stdout, "development issuer: %s; sign in to the explorer as a persona, or get a token with: curl -s %s/token/analyst\n", dev.URL(), dev.URL())
	}
	return server.Serve(ctx, cfg, handler, logger)
}

// registerLimits adds the flags of the cost and concurrency bounds, with environment variables as
// fallbacks.
func (f *serveFlags) registerLimits(fs *flag.FlagSet, getenv func(string) string, defaults server.Config) error {
	costLimit, err := envInt(getenv, "TRAFFIKGRAPH_COST_LIMIT", defaults.CostLimit)
	if err != nil {
		return err
	}
	partner, err := envInt(getenv, "TRAFFIKGRAPH_PARTNER_CONCURRENCY", defaults.PartnerConcurrency)
	if err != nil {
		return err
	}
	anonymous, err := envInt(getenv, "TRAFFIKGRAPH_ANONYMOUS_CONCURRENCY", defaults.AnonymousConcurrency)
	if err != nil {
		return err
	}
	wait := defaults.ConcurrencyWait
	if raw := getenv("TRAFFIKGRAPH_CONCURRENCY_WAIT"); raw != "" {
		if wait, err = time.ParseDuration(raw); err != nil {
			return fmt.Errorf("TRAFFIKGRAPH_CONCURRENCY_WAIT must be a duration such as 500ms, not %q", raw)
		}
	}
	fs.IntVar(&f.costLimit, "cost-limit", costLimit,
		"largest estimated cost of an operation: its fields, each counted once per item of the lists it is in (env TRAFFIKGRAPH_COST_LIMIT)")
	fs.IntVar(&f.concurrency.partner, "partner-concurrency", partner,
		"requests one partner may have in flight, all its callers together (env TRAFFIKGRAPH_PARTNER_CONCURRENCY)")
	fs.IntVar(&f.concurrency.anonymous, "anonymous-concurrency", anonymous,
		"requests without a token in flight, all such callers together (env TRAFFIKGRAPH_ANONYMOUS_CONCURRENCY)")
	fs.DurationVar(&f.concurrency.wait, "concurrency-wait", wait,
		"how long a request over its concurrency bound waits for a slot before 429 (env TRAFFIKGRAPH_CONCURRENCY_WAIT)")
	return nil
}

// seedDemo loads the demo world into an empty database; a database with data is left alone.
func seedDemo(ctx context.Context, db *graph, scale int, progress io.Writer, logger *slog.Logger) error {
	opts := seed.Options{Scale: scale, Seed: 1, Progress: progress}
	stats, err := seed.Generate(ctx, db.store.Driver(), db.store.Database(), opts)
	if errors.Is(err, seed.ErrDatabaseNotEmpty) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("seeding the demo world: %w", err)
	}
	changed, err := seed.DemoHistory(ctx, db.store, opts)
	if err != nil {
		return fmt.Errorf("seeding the demo world's history: %w", err)
	}
	submitted, err := seed.DemoSubmissions(ctx, db.store)
	if err != nil {
		return fmt.Errorf("seeding the triage desk's queue: %w", err)
	}
	logger.Info("demo world seeded", "nodes", stats.Nodes, "relationships", stats.Relationships, "entities with a history", changed,
		"reports in the triage queue", len(submitted))
	return nil
}

// explorerRedirectURIs are the explorer's /signed-in pages at the service's address, which the
// development issuer may redirect to: on a loopback address under both 127.0.0.1 and localhost
// (a browser may be pointed at either); on all interfaces, at the loopback names only.
func explorerRedirectURIs(addr string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil
	}
	hosts := []string{host}
	switch ip := net.ParseIP(host); {
	case ip != nil && ip.IsLoopback() && ip.To4() == nil:
		hosts = []string{"::1", "localhost"}
	case host == "" || host == "localhost" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())):
		hosts = []string{"127.0.0.1", "localhost"}
	}
	var uris []string
	for _, h := range hosts {
		if !onLoopback("http://" + net.JoinHostPort(h, port)) {
			continue // the issuer redirects to loopback only
		}
		uris = append(uris, "http://"+net.JoinHostPort(h, port)+"/signed-in")
	}
	return uris
}

// onLoopback reports whether a Neo4j URI names this machine's loopback.
func onLoopback(uri string) bool {
	u, err := url.Parse(uri)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// switchValue reads an auto/on/off flag.
func switchValue(name, value string, auto bool) (bool, error) {
	switch value {
	case "auto":
		return auto, nil
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	if b, err := strconv.ParseBool(value); err == nil {
		return b, nil
	}
	return false, fmt.Errorf("--%s must be auto, on or off, not %q", name, value)
}

// envInt reads an integer environment variable, or fallback when it is unset.
func envInt(getenv func(string) string, key string, fallback int) (int, error) {
	raw := getenv(key)
	if raw == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, fmt.Errorf("%s must be an integer, not %q", key, raw)
	}
	return n, nil
}
