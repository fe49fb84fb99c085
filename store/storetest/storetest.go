// Package storetest connects tests to the real Neo4j that the README's test command starts, named
// by the NEO4J_* variables it sets; a test run without them fails, it never skips.
package storetest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/migrations"
)

// Config returns the store configuration of the test Neo4j.
func Config(tb testing.TB) store.Config {
	tb.Helper()
	uri := os.Getenv("NEO4J_URI")
	require.NotEmpty(tb, uri, "NEO4J_URI must point at the test Neo4j: run the tests with `make test`, which starts it")
	return store.Config{
		URI: uri, Username: os.Getenv("NEO4J_USERNAME"), Password: os.Getenv("NEO4J_PASSWORD"),
		Database: os.Getenv("NEO4J_DATABASE"),
	}
}

// migrated applies the migrations once per test process: a package's tests must not depend on
// another package having run first against the same fresh database.
var migrated struct {
	once sync.Once
	err  error
}

// Open returns a store on the test Neo4j, with the migrations applied, closed when the test
// ends; options adjust its configuration.
func Open(tb testing.TB, options ...func(*store.Config)) *store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := Config(tb)
	for _, option := range options {
		option(&cfg)
	}
	s, err := store.Open(ctx, cfg)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close(context.Background()) })
	migrated.once.Do(func() { migrated.err = migrations.Apply(context.Background(), s.Driver(), s.Database()) })
	require.NoError(tb, migrated.err, "migrations")
	return s
}
