package seed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/traffikgraph/traffikgraph/store"
)

// batch is the rows of one write transaction and how far generation had got when it was cut
// (entities fully generated), which drives the progress bar.
type batch struct {
	cypher   string
	rows     []any
	progress int
}

type emitFunc func(batch) error

// checkedNode checks a generated node of the label against the model, as the API's writes are
// checked, and returns the row to store; a generated row the store would refuse is a bug of
// the generator, so it stops the seed.
func checkedNode(label string, generated map[string]any) (map[string]any, error) {
	row := store.ImportRow{Props: map[string]any{}}
	for key, v := range generated {
		switch key {
		case "id":
			row.ID, _ = v.(string)
		case "externalRefs":
			row.ExternalRefs, _ = v.([]string)
		default:
			if !provenanceOf(&row.SourcePartner, &row.Marking, &row.CreatedAt, &row.UpdatedAt, key, v) {
				row.Props[key] = v
			}
		}
	}
	checked, err := store.CheckImportNode(label, row)
	if err != nil {
		return nil, fmt.Errorf("seed: generated %s %s: %w", label, row.ID, err)
	}
	return checked, nil
}

// checkedRel checks a generated relationship against the model and returns its row.
func checkedRel(r rel) (map[string]any, error) {
	var source string
	var marking store.Marking
	var created, updated time.Time
	props := map[string]any{}
	for key, v := range r.props {
		if !provenanceOf(&source, &marking, &created, &updated, key, v) {
			props[key] = v
		}
	}
	checked, err := store.CheckImportLink(r.typ, source, marking, created, updated, props)
	if err != nil {
		return nil, fmt.Errorf("seed: generated %s %s->%s: %w", r.typ, r.from, r.to, err)
	}
	return map[string]any{"from": r.from, "to": r.to, "props": checked}, nil
}

// provenanceOf reads key into the provenance it names, and says whether it named one.
func provenanceOf(source *string, marking *store.Marking, created, updated *time.Time, key string, v any) bool {
	switch key {
	case "sourcePartner":
		*source, _ = v.(string)
	case "tlp":
		marking.Tlp, _ = v.(string)
	case "sharedWith":
		marking.SharedWith, _ = v.([]string)
	case "grading":
		if g, ok := v.(string); ok {
			marking.Grading = &g
		}
	case "createdAt":
		*created, _ = v.(time.Time)
	case "updatedAt":
		*updated, _ = v.(time.Time)
	default:
		return false
	}
	return true
}

// emitNodes streams every node, kind by kind, in batches of one label.
func (w *world) emitNodes(size int, emit emitFunc) error {
	done := 0
	for _, k := range allKinds {
		rows := make([]any, 0, size)
		for i := range w.counts[k] {
			generated, _ := w.generate(k, i)
			node, err := checkedNode(k.label, generated)
			if err != nil {
				return err
			}
			rows = append(rows, node)
			done++
			if len(rows) == size {
				if err := emit(batch{cypher: store.ImportNodesCypher(k.label), rows: rows, progress: done}); err != nil {
					return err
				}
				rows = make([]any, 0, size)
			}
		}
		if len(rows) > 0 {
			if err := emit(batch{cypher: store.ImportNodesCypher(k.label), rows: rows, progress: done}); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitRelationships regenerates every entity and streams the relationships it owns, in
// batches of one type.
func (w *world) emitRelationships(size int, emit emitFunc) error {
	pending := map[string][]any{}
	done := 0
	for _, k := range allKinds {
		for i := range w.counts[k] {
			_, rels := w.generate(k, i)
			done++
			for _, r := range rels {
				row, err := checkedRel(r)
				if err != nil {
					return err
				}
				rows := append(pending[r.typ], row)
				if len(rows) == size {
					if err := emit(batch{cypher: store.ImportLinksCypher(r.typ), rows: rows, progress: done}); err != nil {
						return err
					}
					rows = make([]any, 0, size)
				}
				pending[r.typ] = rows
			}
		}
	}
	for typ, rows := range pending {
		if len(rows) > 0 {
			if err := emit(batch{cypher: store.ImportLinksCypher(typ), rows: rows, progress: done}); err != nil {
				return err
			}
		}
	}
	return nil
}

// loader runs the batches of one phase on opts.Writers concurrent write transactions.
type loader struct {
	driver   neo4j.DriverWithContext
	database string
	opts     Options
	total    int // entities in the world, the 100% of each phase's progress bar

	mu       sync.Mutex
	stats    Stats
	progress int
}

// run feeds the batches of produce to the writers and returns when all are written or the
// first error stops them.
func (l *loader) run(ctx context.Context, phase string, produce func(emitFunc) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	started := time.Now()
	l.progress = 0
	before := l.stats

	batches := make(chan batch, l.opts.Writers)
	errs := make([]error, l.opts.Writers)
	var wg sync.WaitGroup
	for n := range l.opts.Writers {
		wg.Go(func() {
			errs[n] = l.write(ctx, batches, phase, started, before)
			if errs[n] != nil {
				cancel()
			}
		})
	}
	produced := produce(func(b batch) error {
		select {
		case batches <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(batches)
	wg.Wait()
	if l.opts.Progress != nil {
		fmt.Fprintln(l.opts.Progress)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("seed: write %s: %w", phase, err)
	}
	if produced != nil {
		return fmt.Errorf("seed: generate %s: %w", phase, produced)
	}
	return nil
}

func (l *loader) write(ctx context.Context, batches <-chan batch, phase string, started time.Time, before Stats) (err error) {
	session := l.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: l.database, AccessMode: neo4j.AccessModeWrite})
	defer func() { err = errors.Join(err, session.Close(context.WithoutCancel(ctx))) }()
	for b := range batches {
		counters, err := neo4j.ExecuteWrite(ctx, session, func(tx neo4j.ManagedTransaction) (neo4j.Counters, error) {
			res, err := tx.Run(ctx, b.cypher, map[string]any{"rows": b.rows})
			if err != nil {
				return nil, err
			}
			summary, err := res.Consume(ctx)
			if err != nil {
				return nil, err
			}
			return summary.Counters(), nil
		})
		if err != nil {
			return err
		}
		l.mu.Lock()
		l.stats.add(counters)
		l.progress = max(l.progress, b.progress)
		l.drawProgress(phase, started, before)
		l.mu.Unlock()
	}
	return nil
}

const progressWidth = 30

// drawProgress redraws the progress line of the phase; l.mu is held.
func (l *loader) drawProgress(phase string, started time.Time, before Stats) {
	if l.opts.Progress == nil {
		return
	}
	filled := progressWidth * l.progress / max(1, l.total)
	elapsed := time.Since(started).Seconds()
	nodes := l.stats.Nodes - before.Nodes
	rels := l.stats.Relationships - before.Relationships
	fmt.Fprintf(l.opts.Progress, "\r%-13s [%s%s] %3d%%  %d nodes  %d relationships  %.0f rows/s ",
		phase, strings.Repeat("#", filled), strings.Repeat(".", progressWidth-filled),
		100*l.progress/max(1, l.total), nodes, rels, float64(nodes+rels)/max(elapsed, 0.001))
}
