// Package ctdc imports the Counter Trafficking Data Collaborative's global k-anonymised
// victim-case dataset (https://www.ctdatacollaborative.org) into the graph of
// docs/graph-model.md: every record becomes an Incident with its victim, a Person without a
// name, and the COUNTRY Location where the exploitation took place. Importing the same file
// again creates nothing: node ids derive from the contributing partner and the record's
// reference. docs/import.md describes the mapping; use of the data is subject to CTDC's terms.
package ctdc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// Defaults of Options.
const (
	DefaultPartner   = "stt"
	DefaultTLP       = "GREEN"
	DefaultBatchSize = 1000
)

// tlps are the sharing markings of docs/graph-model.md.
var tlps = []string{"CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"}

// Options says whose data the import is and how it is marked.
type Options struct {
	// Partner is the sourcePartner of everything imported (DefaultPartner when empty). Ids and
	// externalRefs are per partner, so two partners importing one file get two copies.
	Partner string
	// TLP marks the incidents, victims and their relationships (DefaultTLP when empty).
	TLP string
	// SharedWith names the partners that may also see RED data; only with TLP RED.
	SharedWith []string
	// BatchSize is the number of records per write transaction (DefaultBatchSize when 0).
	BatchSize int
}

func (o Options) withDefaults() (Options, error) {
	if o.Partner == "" {
		o.Partner = DefaultPartner
	}
	if o.TLP == "" {
		o.TLP = DefaultTLP
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.SharedWith == nil {
		o.SharedWith = []string{}
	}
	switch {
	case !slices.Contains(tlps, o.TLP):
		return o, fmt.Errorf("ctdc: tlp %q is not one of %v", o.TLP, tlps)
	case len(o.SharedWith) > 0 && o.TLP != "RED":
		return o, fmt.Errorf("ctdc: shared-with applies to RED data only, not %s", o.TLP)
	case o.BatchSize < 1:
		return o, fmt.Errorf("ctdc: batch size %d must be positive", o.BatchSize)
	}
	return o, nil
}

// Stats says what an import did.
type Stats struct {
	// Records is the number of records read, rejected ones included.
	Records int
	// Incidents, Victims and Countries count the nodes created; Relationships the
	// INVOLVED_IN and OCCURRED_AT relationships created.
	Incidents, Victims, Countries, Relationships int
	// AlreadyImported counts records skipped because an earlier import of the same partner
	// created them.
	AlreadyImported int
	// Rejected are the records skipped because they could not be read, in file order.
	Rejected []*RowError
	Elapsed  time.Duration
}

// Import reads a CTDC CSV export from r and writes its cases to the graph, opts.BatchSize
// records per write transaction, so that a case is written whole or not at all. A record that
// cannot be read is skipped and listed in Stats.Rejected; an input that is not a CTDC export,
// a failing read or a failing write stops the import with an error, and Stats says what had
// been written before it. It needs the schema of store/migrations (ids are looked up through
// the id constraints).
func Import(ctx context.Context, driver neo4j.DriverWithContext, database string, r io.Reader, opts Options) (stats Stats, err error) {
	started := time.Now()
	defer func() { stats.Elapsed = time.Since(started) }()
	opts, err = opts.withDefaults()
	if err != nil {
		return stats, err
	}
	reader, err := NewReader(r)
	if err != nil {
		return stats, err
	}
	session := driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: database, AccessMode: neo4j.AccessModeWrite})
	defer func() { err = errors.Join(err, session.Close(context.WithoutCancel(ctx))) }()

	w := &writer{session: session, opts: opts, now: time.Now().UTC().Truncate(time.Millisecond), countries: map[string]string{}}
	batch := make([]Case, 0, opts.BatchSize)
	for {
		c, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *RowError
		if errors.As(err, &rowErr) {
			stats.Records++
			stats.Rejected = append(stats.Rejected, rowErr)
			continue
		}
		if err != nil {
			return stats, err
		}
		stats.Records++
		batch = append(batch, c)
		if len(batch) == opts.BatchSize {
			if err := w.write(ctx, batch, &stats); err != nil {
				return stats, err
			}
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := w.write(ctx, batch, &stats); err != nil {
			return stats, err
		}
	}
	return stats, nil
}
