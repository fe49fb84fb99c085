package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// newMetricsRegistry holds the process's, the store's and the embedded Neo4j's series; the HTTP
// layer adds its own (server.Deps.Metrics).
func newMetricsRegistry(db *graph) *prometheus.Registry {
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registry.MustRegister(db.store.Collectors()...)
	if db.embedded != nil {
		registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "traffikgraph_neo4j_embedded_restarts_total", Help: "Times the embedded Neo4j was started again after exiting on its own.",
		}, func() float64 { return float64(db.embedded.Restarts()) }))
	}
	return registry
}

// serveMetrics serves /metrics on addr (its own listener, so that it can stay on loopback or an
// internal network while the API is public) until ctx ends.
func serveMetrics(ctx context.Context, addr string, registry *prometheus.Registry, profiles bool, logger *slog.Logger) (stop func() error, err error) {
	if profiles && !onLoopback("http://"+addr) {
		return nil, fmt.Errorf("--pprof serves Go's profiles on the metrics listener, which must then be on loopback, not %s", addr)
	}
	var lc net.ListenConfig
	listener, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}))
	writeTimeout := 30 * time.Second
	if profiles {
		// Profiles and traces of the running service, for an operator on this machine (a CPU
		// profile takes ?seconds=N to record).
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		writeTimeout = 10 * time.Minute
		logger.Info("serving Go profiles", "addr", addr, "path", "/debug/pprof/")
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: writeTimeout}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	logger.Info("serving metrics", "addr", listener.Addr().String(), "path", "/metrics")
	return func() error {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("metrics: %w", err)
		}
		return nil
	}, nil
}

// startTracing exports traces with OTLP over HTTP when the standard OTEL_EXPORTER_OTLP_ENDPOINT
// (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; the exporter reads the other OTEL_* variables
// (headers, timeout, compression) itself. Without them no span is recorded. It returns the
// function that flushes and stops the exporter.
func startTracing(ctx context.Context, getenv func(string) string, logger *slog.Logger) (func() error, error) {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func() error { return nil }, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	provider := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("traffikgraph"))))
	otel.SetTracerProvider(provider)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	logger.Info("exporting traces with OTLP over HTTP")
	return func() error {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return provider.Shutdown(shutdownCtx)
	}, nil
}
