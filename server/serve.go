package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Time limits on the connection itself, around the per-request context deadline.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	// writeGrace lets a request that hit its deadline still write its error response.
	writeGrace = 5 * time.Second
)

// Serve listens on cfg.Addr and serves h until ctx ends, then shuts down gracefully: it stops
// accepting connections and waits up to cfg.ShutdownTimeout for in-flight requests to finish.
// It returns nil after a graceful shutdown.
func Serve(ctx context.Context, cfg Config, h http.Handler, logger *slog.Logger) error {
	var lc net.ListenConfig
	listener, err := lc.Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	return ServeListener(ctx, listener, cfg, h, logger)
}

// ServeListener is Serve on a listener the caller opened (a test's 127.0.0.1:0, or a socket
// handed over by the system). It closes the listener.
func ServeListener(ctx context.Context, listener net.Listener, cfg Config, h http.Handler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		// A backstop for every route: /graphql reads its body under cfg.BodyTimeout itself
		// (readBodyFirst), then lifts the deadline for the execution.
		ReadTimeout:  readHeaderTimeout + cfg.BodyTimeout,
		WriteTimeout: cfg.RequestTimeout + writeGrace,
		IdleTimeout:  idleTimeout,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	logger.InfoContext(ctx, "serving HTTP", slog.String("addr", listener.Addr().String()))

	select {
	case err := <-served:
		return fmt.Errorf("serve HTTP: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down HTTP, draining in-flight requests",
		slog.Duration("timeout", cfg.ShutdownTimeout))
	// The serving context has ended; the drain gets its own deadline.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return errors.Join(fmt.Errorf("drain in-flight requests: %w", err), srv.Close())
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve HTTP: %w", err)
	}
	logger.Info("HTTP server stopped")
	return nil
}
