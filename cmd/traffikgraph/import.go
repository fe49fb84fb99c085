package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/traffikgraph/traffikgraph/seed/ctdc"
)

const importUsage = `usage: traffikgraph import <format> [flags] FILE

formats:
  ctdc   the Counter Trafficking Data Collaborative's global k-anonymised dataset (CSV); see docs/import.md`

// importCommand loads a file of a real-world format into the graph.
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, importUsage)
		return errors.New("import: no format given")
	}
	switch args[0] {
	case "ctdc":
		return importCTDC(ctx, args[1:], getenv, stdout, stderr, logger)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, importUsage)
		return nil
	}
	fmt.Fprintln(stderr, importUsage)
	return fmt.Errorf("import: unknown format %q", args[0])
}

func importCTDC(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("import ctdc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: traffikgraph import ctdc [flags] FILE")
		fs.PrintDefaults()
	}
	var g graphFlags
	g.register(fs, getenv)
	partner := fs.String("partner", ctdc.DefaultPartner, "partner id the imported data comes from (its sourcePartner)")
	tlp := fs.String("tlp", ctdc.DefaultTLP, "sharing marking of the imported data: CLEAR, GREEN, AMBER, AMBER_STRICT or RED")
	sharedWith := fs.String("shared-with", "", "comma-separated partner ids that may also see RED data")
	batchSize := fs.Int("batch-size", ctdc.DefaultBatchSize, "records per write transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("import ctdc: give exactly one FILE (flags go before it)")
	}
	var shared []string
	if *sharedWith != "" {
		shared = strings.Split(*sharedWith, ",")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("import ctdc: %w", err)
	}
	defer f.Close()

	db, err := openGraph(ctx, g, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	stats, err := ctdc.Import(ctx, db.store.Driver(), db.store.Database(), f, ctdc.Options{
		Partner: *partner, TLP: *tlp, SharedWith: shared, BatchSize: *batchSize,
	})
	if err != nil && stats.Records == 0 {
		return err
	}
	// The rejected records and the summary say what was written, also when the import stopped.
	for _, rejected := range stats.Rejected {
		fmt.Fprintf(stderr, "skipped %s\n", rejected)
	}
	fmt.Fprintf(stdout, "read %d records in %s: created %d incidents, %d victims, %d countries and %d relationships; "+
		"%d already imported, %d rejected\n", stats.Records, stats.Elapsed.Round(1_000_000), stats.Incidents, stats.Victims,
		stats.Countries, stats.Relationships, stats.AlreadyImported, len(stats.Rejected))
	return err
}
