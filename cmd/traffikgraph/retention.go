package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/traffikgraph/traffikgraph/store"
)

// byMarking says how a report rule's flag takes periods by marking.
const byMarking = "; after a comma, periods by marking such as RED=1mo,CLEAR=2y"

// retentionFlags are the retention policy's periods, shared by retention and serve.
type retentionFlags struct {
	policy store.RetentionPolicy
	batch  int
}

// register adds the policy's flags, with environment variables as fallbacks and
// store.DefaultRetention as defaults.
func (f *retentionFlags) register(fs *flag.FlagSet, getenv func(string) string) error {
	f.policy = store.DefaultRetention()
	for _, p := range []struct {
		flag, env string
		period    flag.Value
		what      string
	}{
		{"retain-unlinked-reports", "TRAFFIKGRAPH_RETAIN_UNLINKED_REPORTS", &f.policy.UnlinkedAnonymousReports,
			"anonymous reports no one linked (no EVIDENCES, ABOUT, MENTIONS), from submittedAt" + byMarking},
		{"retain-dismissed-reports", "TRAFFIKGRAPH_RETAIN_DISMISSED_REPORTS", &f.policy.DismissedReports,
			"reports of status DISMISSED, from their dismissal (updatedAt)" + byMarking},
		{"retain-audit-events", "TRAFFIKGRAPH_RETAIN_AUDIT_EVENTS", &f.policy.AuditEvents,
			"audit events, from their time"},
	} {
		if raw := getenv(p.env); raw != "" {
			if err := p.period.Set(raw); err != nil {
				return fmt.Errorf("%s: %w", p.env, err)
			}
		}
		fs.Var(p.period, p.flag, "how long to keep "+p.what+": such as 6y, 12mo, 90d; 0 for ever (env "+p.env+")")
	}
	fs.IntVar(&f.batch, "retention-batch", 500, "facts retention removes per transaction")
	return nil
}

func retentionCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g graphFlags
	g.register(fs, getenv)
	var f retentionFlags
	if err := f.register(fs, getenv); err != nil {
		return err
	}
	apply := fs.Bool("apply", false, "remove what is due; without it, only count it (a dry run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openGraph(ctx, g, getenv, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	rules, err := db.store.Retention(ctx, f.policy, time.Now(), *apply, f.batch)
	printRetention(stdout, rules, *apply)
	return err
}

// printRetention writes one line per rule: what was due and, applied, what was removed.
func printRetention(w io.Writer, rules []store.RetentionRule, applied bool) {
	for _, r := range rules {
		name := r.Title()
		if r.Period == (store.Period{}) {
			fmt.Fprintf(w, "%-26s kept for ever\n", name)
			continue
		}
		fmt.Fprintf(w, "%-26s kept %-5s due (before %s): %d", name, r.Period, r.Cutoff.Format(time.DateOnly), r.Due)
		if applied {
			fmt.Fprintf(w, ", removed: %d", r.Removed)
		}
		fmt.Fprintln(w)
	}
	if !applied {
		fmt.Fprintln(w, "dry run: nothing removed; run with --apply to remove what is due")
	}
}

// runRetentionEvery applies the policy every interval until ctx ends, logging each run's summary;
// a failed run is logged and the next one tries again (each batch committed stays removed).
func runRetentionEvery(ctx context.Context, every time.Duration, s *store.Store, f retentionFlags, logger *slog.Logger) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		rules, err := s.Retention(ctx, f.policy, time.Now(), true, f.batch)
		attrs := []any{}
		for _, r := range rules {
			attrs = append(attrs, slog.Int(r.Title(), r.Removed))
		}
		if err != nil {
			logger.ErrorContext(ctx, "retention run failed", append(attrs, slog.Any("error", err))...)
			continue
		}
		logger.InfoContext(ctx, "retention run", attrs...)
	}
}
