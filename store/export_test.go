package store

import (
	"context"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

// ReadForTest and WriteForTest run one Cypher query the way every query of the store runs
// (readTx or writeTx, then run), for the tests of how the store answers Neo4j's failures.
func ReadForTest(ctx context.Context, s *Store, cypher string) error {
	_, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) { return s.run(ctx, tx, cypher, nil) })
	return err
}

// WriteForTest: see ReadForTest.
func WriteForTest(ctx context.Context, s *Store, cypher string) error {
	_, err := writeTx(ctx, s, func(tx neo4j.ManagedTransaction) ([]*neo4j.Record, error) { return s.run(ctx, tx, cypher, nil) })
	return err
}

// WriteAuditEventsForTest is the audit writer's statement.
const WriteAuditEventsForTest = writeAuditEvents
