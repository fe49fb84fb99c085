package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/store"
)

// planWarmer has Neo4j plan the store's statements (store.WarmPlans) when the service starts
// and again after the embedded Neo4j restarted (a new Neo4j has an empty query cache), and keeps
// the service unready meanwhile: a request would otherwise pay for the plan, seconds for the
// larger traversals. Each warm-up is bounded by budget, after which the service turns ready
// whatever is left cold.
type planWarmer struct {
	store  *store.Store
	budget time.Duration
	logger *slog.Logger
	// restarts counts the embedded Neo4j's restarts (always 0 with an external Neo4j).
	restarts func() int64

	mu        sync.Mutex
	ctx       context.Context // the service's: a warm-up ends with it
	warming   bool
	warmedFor int64 // the restarts count the last warm-up was made for; -1 before the first
}

func newPlanWarmer(s *store.Store, budget time.Duration, restarts func() int64, logger *slog.Logger) *planWarmer {
	return &planWarmer{store: s, budget: budget, logger: logger, restarts: restarts, warmedFor: -1}
}

// errWarmingPlans is what readiness says while a warm-up runs.
func (w *planWarmer) errWarmingPlans() error {
	return traffikgraph.Errorf(traffikgraph.Unavailable,
		"warming plans: Neo4j is planning the service's queries before requests need them (at most %s)", w.budget)
}

// start begins the first warm-up, under ctx.
func (w *planWarmer) start(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ctx = ctx
	w.startLocked()
}

// check is the warm-up's part of readiness, asked once Neo4j answers: an error while a warm-up
// runs, and a new warm-up (so the error too) when Neo4j has restarted since the last one.
func (w *planWarmer) check() error {
	if w == nil || w.budget <= 0 {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.warming && w.ctx != nil && w.restarts() != w.warmedFor {
		w.startLocked()
	}
	if w.warming {
		return w.errWarmingPlans()
	}
	return nil
}

func (w *planWarmer) startLocked() {
	if w.budget <= 0 || w.warming {
		return
	}
	w.warming = true
	restarts := w.restarts()
	go func() {
		ctx, cancel := context.WithTimeout(w.ctx, w.budget)
		warmup := w.store.WarmPlans(ctx)
		cancel()
		for _, failure := range warmup.Failed {
			w.logger.Warn("a statement could not be planned in the warm-up", "failure", failure)
		}
		w.logger.Info("plans warmed", "statements", len(warmup.Statements), "elapsed", warmup.Elapsed.Round(time.Millisecond),
			"complete", warmup.Complete, "failed", len(warmup.Failed), "planned", warmup.Planned)
		if !warmup.Complete {
			w.logger.Warn("the plan warm-up ran out of its time: the statements not planned yet will be planned by the first request of each",
				"budget", w.budget)
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		w.warming, w.warmedFor = false, restarts
	}()
}
