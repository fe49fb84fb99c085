package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Deps is what the HTTP layer needs from the rest of the service.
type Deps struct {
	// Schema is the executable GraphQL schema (graph.NewExecutableSchema). Required.
	Schema graphql.ExecutableSchema
	// Auth verifies the Authorization header. Required.
	Auth Authenticator
	// Ready reports whether the service can serve, that is whether Neo4j answers: the readiness
	// probe, run in the background (readiness.go). A *traffikgraph.Error in its error chain gives
	// the reason /readyz and refused requests state; any other error stays in the log. Required.
	Ready func(ctx context.Context) error
	// PerOperation derives each GraphQL operation's context, for per-operation dataloaders.
	// Optional.
	PerOperation func(ctx context.Context) context.Context
	// Logger receives access, error and panic logs. Optional: nil means slog.Default().
	Logger *slog.Logger
	// Extensions are added to the GraphQL handler after the built-in ones, in order: the audit
	// trail (resolvers.Audit) is one. Optional.
	Extensions []graphql.HandlerExtension
	// AuditExport serves GET /audit/export (auditexport.go). Optional: nil leaves the route out.
	AuditExport AuditExporter
	// Metrics receives the HTTP layer's Prometheus series (metrics.go). Optional: nil keeps them
	// unregistered.
	Metrics prometheus.Registerer
}

// New returns the service's HTTP handler. cfg must pass Validate and deps must hold every
// required dependency: New panics otherwise, since that is a wiring mistake, not a runtime state.
func New(cfg Config, deps Deps) http.Handler {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("server: invalid config: %v", err))
	}
	if deps.Schema == nil || deps.Auth == nil || deps.Ready == nil {
		panic("server: Deps.Schema, Deps.Auth and Deps.Ready are required")
	}
	logger := deps.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return routes(cfg, deps, logger)
}

// routes is the whole HTTP surface of the service.
func routes(cfg Config, deps Deps, logger *slog.Logger) http.Handler {
	m := newMetrics(deps.Metrics)
	r := chi.NewRouter()
	r.Use(
		withRequestID,
		traceRequests,
		m.measureHTTP,
		logAccess(logger),
		recoverPanics(logger),
		secureHeaders,
		limitDuration(cfg.RequestTimeout),
		limitBody(cfg.MaxBodyBytes),
	)

	ready := newReadiness(deps.Ready, logger)
	deps.Extensions = append(deps.Extensions, readinessWatch{ready}, operationMetrics{m}, operationTracing{})
	r.Get("/healthz", healthz)
	r.Get("/readyz", readyz(ready))

	r.Method(http.MethodGet, "/graphiql", graphiql())
	r.Method(http.MethodGet, graphiqlAssetsPath+"*", graphiqlAssets())
	mountExplorer(r, cfg.ExplorerIssuers, cfg.ExplorerPeriodEnd)

	r.Group(func(r chi.Router) {
		r.Use(m.countRefusals(refusedUnavailable, failFast(ready)))
		r.Use(m.countRefusals(refusedToken, authenticate(deps.Auth, logger)))
		r.Use(m.countRefusals(refusedRateLimit, limitAnonymous(newClientLimiter(cfg.AnonymousPerMinute, cfg.AnonymousBurst, time.Now))))
		// Before any slot is taken: a slow body costs only its own connection.
		r.Use(m.countRefusals(refusedConcurrency, readBodyFirst(cfg.BodyTimeout, newBodyBudget(cfg.BodiesPerCaller, cfg.BodyBytesInFlight, cfg.MaxBodyBytes))))
		r.Use(m.countRefusals(refusedConcurrency, limitConcurrency(cfg.PartnerConcurrency, cfg.AnonymousConcurrency, cfg.ConcurrencyWait)))
		api := newGraphQLHandler(cfg, deps, logger)
		r.Method(http.MethodGet, "/graphql", api)
		r.Method(http.MethodPost, "/graphql", api)
		r.Method(http.MethodOptions, "/graphql", api)
		if deps.AuditExport != nil {
			r.Get("/audit/export", auditExport(deps.AuditExport, cfg.AuditExportBatch, logger))
		}
	})
	return r
}
