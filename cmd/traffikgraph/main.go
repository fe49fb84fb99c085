// Command traffikgraph is the one binary of the service: serve, migrate, seed, import, and
// neo4j (the embedded Neo4j on its own). It only wires the packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/traffikgraph/traffikgraph/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "traffikgraph:", err)
		os.Exit(1)
	}
}

const usage = `usage: traffikgraph <command> [flags]

commands:
  serve     run the GraphQL service (with no NEO4J_URI: its own Neo4j, demo data and a development issuer)
  migrate   create the constraints and indexes (idempotent)
  seed      load a deterministic synthetic world (--scale N --seed S)
  import    load a real-world dataset: import ctdc [--partner P --tlp T] FILE (docs/import.md)
  retention count what the retention policy says is due; --apply removes it (docs/stewardship.md)
  neo4j     run only the embedded Neo4j, until interrupted
  workspace pull what your token may see into your own Neo4j (for Bloom, Browser): workspace pull|serve
  bench     measure GraphQL over HTTP against hand-written Cypher on a seeded graph (--scale N);
            bench attack: what one partner's hostile requests get, and another partner meanwhile
            bench load: a mixed read/write load; bench chaos: the same with SIGKILL of the embedded Neo4j (docs/reliability.md)

Run 'traffikgraph <command> -h' for a command's flags.`

// run executes one command; getenv supplies the environment so that tests can set it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command given")
	}
	logger := slog.New(server.WithTraceIDs(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr, logger)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stderr, logger)
	case "seed":
		return seedCommand(ctx, args[1:], getenv, stdout, stderr, logger)
	case "import":
		return importCommand(ctx, args[1:], getenv, stdout, stderr, logger)
	case "retention":
		return retentionCommand(ctx, args[1:], getenv, stdout, stderr, logger)
	case "bench":
		return benchCommand(ctx, args[1:], getenv, stdout, stderr, logger)
	case "workspace":
		return workspaceCommand(ctx, args[1:], getenv, stdout, stderr, logger)
	case "neo4j":
		return neo4jCommand(ctx, args[1:], getenv, stdout, stderr, logger)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
