package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/server"
)

func TestServeDrainsInFlightRequestsOnShutdown(t *testing.T) {
	schema := newTestSchema()
	logs := &syncBuffer{}
	logger := newLogger(logs)
	cfg := testConfig()
	handler := server.New(cfg, server.Deps{
		Schema: schema,
		Auth:   tokenAuthenticator{},
		Ready:  func(context.Context) error { return nil },
		Logger: logger,
	})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + listener.Addr().String()

	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	served := make(chan error, 1)
	go func() { served <- server.ServeListener(ctx, listener, cfg, handler, logger) }()

	type result struct {
		status int
		body   string
		err    error
	}
	inFlight := make(chan result, 1)
	go func() {
		res, err := http.Post(url+"/graphql", "application/json", strings.NewReader(`{"query":"{ block }"}`))
		if err != nil {
			inFlight <- result{err: err}
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		inFlight <- result{status: res.StatusCode, body: string(body), err: err}
	}()
	<-schema.blockEntered // the request is inside its resolver

	stop()
	require.Eventually(t, func() bool {
		conn, err := net.DialTimeout("tcp", listener.Addr().String(), 100*time.Millisecond)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	}, 5*time.Second, 10*time.Millisecond, "no new connections once shutdown began")
	select {
	case <-served:
		require.FailNow(t, "Serve returned while a request was still in flight")
	default:
	}

	close(schema.blockRelease)
	got := <-inFlight
	require.NoError(t, got.err)
	assert.Equal(t, http.StatusOK, got.status)
	assert.JSONEq(t, `{"data":{"block":"released"}}`, got.body, "the in-flight request finished normally")
	assert.NoError(t, <-served, "a graceful shutdown is no error")
	assert.Contains(t, logs.String(), "draining in-flight requests")
}

func TestServeGivesUpDrainingAfterTheShutdownTimeout(t *testing.T) {
	schema := newTestSchema()
	logger := newLogger(io.Discard)
	cfg := testConfig()
	cfg.ShutdownTimeout = 50 * time.Millisecond
	handler := server.New(cfg, server.Deps{
		Schema: schema,
		Auth:   tokenAuthenticator{},
		Ready:  func(context.Context) error { return nil },
		Logger: logger,
	})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)

	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- server.ServeListener(ctx, listener, cfg, handler, logger) }()
	go func() {
		res, err := http.Post("http://"+listener.Addr().String()+"/graphql", "application/json", strings.NewReader(`{"query":"{ block }"}`))
		if err == nil {
			res.Body.Close()
		}
	}()
	<-schema.blockEntered
	defer close(schema.blockRelease)

	stop()
	err = <-served
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestServeReportsAnAddressItCannotListenOn(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	cfg := testConfig()
	cfg.Addr = taken.Addr().String()

	err = server.Serve(t.Context(), cfg, http.NotFoundHandler(), newLogger(io.Discard))

	require.Error(t, err)
	assert.Contains(t, err.Error(), "listen on "+cfg.Addr)
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr))
}
