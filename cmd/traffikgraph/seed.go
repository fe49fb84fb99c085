package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/traffikgraph/traffikgraph/seed"
)

func seedCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	g.register(fs, getenv)
	scale := fs.Int("scale", seed.DefaultScale, "total number of nodes to generate")
	seedValue := fs.Int64("seed", 1, "selects the world; the same seed and scale give the same graph")
	force := fs.Bool("force", false, "seed even when the database already holds data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openGraph(ctx, g, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	stats, err := seed.Generate(ctx, db.store.Driver(), db.store.Database(), seed.Options{
		Scale: *scale, Seed: *seedValue, Force: *force, Progress: stderr,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d nodes and %d relationships in %s (%.0f nodes/s)\n",
		stats.Nodes, stats.Relationships, stats.Elapsed.Round(100_000_000), stats.NodesPerSecond())
	return nil
}
