// Package seed writes a deterministic synthetic world into Neo4j: fictional people, businesses,
// incidents and reports placed in real countries and cities, at any scale from a demo of a few
// thousand nodes to millions. The same Scale, Seed and Namespace always give the same ids and
// properties. Nothing in it describes a real person, company or case.
package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// Defaults and bounds of Options.
const (
	DefaultScale     = 2000
	DefaultBatchSize = 5000
	DefaultWriters   = 2
	// MinScale leaves room for the real countries and cities every world contains.
	MinScale = 500
)

// Today is the demo world's fixed "now": its dates lie in the 1500 days up to it (incidents run
// on for at most 180 days after), whatever the day it is seeded, so that every world of a seed is
// the same.
var Today = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// ErrDatabaseNotEmpty is returned by Generate when the database already holds domain data and
// Options.Force is not set. The serve command relies on it to seed the demo only once.
var ErrDatabaseNotEmpty = errors.New("seed: database already holds data (set Force to add a world anyway)")

// Options says which world to generate and how to load it.
type Options struct {
	// Scale is the total number of nodes, demo partners included (DefaultScale when 0).
	Scale int
	// Seed selects the world; the same Seed and Scale give the same ids and properties.
	Seed int64
	// Namespace is mixed into every id, so that several worlds of one Seed can live in one
	// database (tests use it); empty is the demo world.
	Namespace string
	// BatchSize is the number of rows per write transaction (DefaultBatchSize when 0).
	BatchSize int
	// Writers is the number of concurrent write transactions (DefaultWriters when 0).
	Writers int
	// Force seeds even when the database already holds data. Generate CREATEs (it never
	// MERGEs, for speed), so forcing a world that is already there fails on the id constraint.
	Force bool
	// Progress receives a textual progress bar (stderr in the CLI); nil is silent.
	Progress io.Writer
}

func (o Options) withDefaults() (Options, error) {
	if o.Scale == 0 {
		o.Scale = DefaultScale
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Writers == 0 {
		o.Writers = DefaultWriters
	}
	switch {
	case o.Scale < MinScale:
		return o, fmt.Errorf("seed: scale %d is below the minimum %d", o.Scale, MinScale)
	case o.BatchSize < 1 || o.Writers < 1:
		return o, fmt.Errorf("seed: batch size (%d) and writers (%d) must be positive", o.BatchSize, o.Writers)
	}
	return o, nil
}

// Stats counts what Generate created (or Remove deleted).
type Stats struct {
	Nodes, Relationships int
	Elapsed              time.Duration
}

// NodesPerSecond is the node throughput of the run.
func (s Stats) NodesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Nodes) / s.Elapsed.Seconds()
}

// add counts one transaction; a transaction of the seed either creates or deletes.
func (s *Stats) add(c neo4j.Counters) {
	s.Nodes += c.NodesCreated() + c.NodesDeleted()
	s.Relationships += c.RelationshipsCreated() + c.RelationshipsDeleted()
}

const domainDataCypher = `
MATCH (n:` + tg.LabelEntity + `)
WHERE NOT n:` + tg.LabelPartner + ` AND NOT n:` + tg.LabelSharingGroup + `
RETURN n.id AS id
LIMIT 1`

// Generate ensures the demo partners exist, then writes the world of opts: all nodes first,
// then all relationships, each in batched UNWIND ... CREATE transactions. It needs the schema
// of store/migrations (relationship writes look nodes up through the Entity.id constraint).
// Unless opts.Force is set it refuses, with ErrDatabaseNotEmpty, a database holding any
// Entity besides partners and sharing groups.
func Generate(ctx context.Context, driver neo4j.DriverWithContext, database string, opts Options) (Stats, error) {
	started := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	if !opts.Force {
		res, err := neo4j.ExecuteQuery(ctx, driver, domainDataCypher, nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithDatabase(database), neo4j.ExecuteQueryWithReadersRouting())
		if err != nil {
			return Stats{}, fmt.Errorf("seed: check for existing data: %w", err)
		}
		if len(res.Records) > 0 {
			return Stats{}, ErrDatabaseNotEmpty
		}
	}
	stats, err := EnsureDemoPartners(ctx, driver, database)
	if err != nil {
		return stats, err
	}

	w := newWorld(opts)
	l := &loader{driver: driver, database: database, opts: opts, total: w.total()}
	if err := l.run(ctx, "nodes", func(emit emitFunc) error { return w.emitNodes(opts.BatchSize, emit) }); err != nil {
		return stats, err
	}
	if err := l.run(ctx, "relationships", func(emit emitFunc) error { return w.emitRelationships(opts.BatchSize, emit) }); err != nil {
		return stats, err
	}
	stats.Nodes += l.stats.Nodes
	stats.Relationships += l.stats.Relationships
	stats.Elapsed = time.Since(started)
	return stats, nil
}

const deleteByIDCypher = `
UNWIND $rows AS id
MATCH (n:` + tg.LabelEntity + ` {id: id})
DETACH DELETE n
WITH id
MATCH (v:` + tg.LabelVersion + ` {entityId: id}) WHERE v.at IS NOT NULL
DELETE v`

// Remove deletes exactly the world Generate(opts) writes, found by its deterministic ids, with
// the relationships attached to it and the versions of its history (DemoHistory); the demo
// partners stay. Stats counts what was deleted.
func Remove(ctx context.Context, driver neo4j.DriverWithContext, database string, opts Options) (Stats, error) {
	started := time.Now()
	opts, err := opts.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	// One writer: concurrent deletes around the same dense city nodes would only deadlock.
	opts.Writers = 1
	w := newWorld(opts)
	l := &loader{driver: driver, database: database, opts: opts, total: w.total()}
	err = l.run(ctx, "removing", func(emit emitFunc) error {
		done := 0
		// Most relationships hang off the later kinds; deleting them first keeps the dense
		// city and country nodes light by the time they are deleted.
		for _, k := range slices.Backward(allKinds) {
			ids := make([]any, 0, opts.BatchSize)
			for i := range w.counts[k] {
				ids = append(ids, w.id(k, i))
				done++
				if len(ids) == opts.BatchSize {
					if err := emit(batch{cypher: deleteByIDCypher, rows: ids, progress: done}); err != nil {
						return err
					}
					ids = make([]any, 0, opts.BatchSize)
				}
			}
			if len(ids) > 0 {
				if err := emit(batch{cypher: deleteByIDCypher, rows: ids, progress: done}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	l.stats.Elapsed = time.Since(started)
	return l.stats, err
}
