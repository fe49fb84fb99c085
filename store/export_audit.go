package store

import (
	"context"
	"fmt"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// recordExportPage adds one page to its export's audit event, creating it with the first page:
// the entity ids, personal fields, derived answers and markings of the page join the event's,
// the page's entities are added to its count (a page asked again counts again), and the event stays complete only while every
// page was. The event keeps the time, caller and scope of the first page.
const recordExportPage = `
MERGE (e:` + tg.LabelAuditEvent + ` {id: $id})
ON CREATE SET e = $props, e.id = $id, e.entityIds = [], e.piiFields = [], e.aggregates = [],
              e.markings = [], e.exportedEntities = 0, e.complete = true, e.truncated = false
WITH e, [x IN $entityIds WHERE NOT x IN e.entityIds] AS newIds
SET e.entityIds = (e.entityIds + newIds)[..$maxIds],
    e.truncated = e.truncated OR size(e.entityIds) + size(newIds) > $maxIds,
    e.piiFields = e.piiFields + [x IN $piiFields WHERE NOT x IN e.piiFields],
    e.aggregates = e.aggregates + [x IN $aggregates WHERE NOT x IN e.aggregates],
    e.markings = e.markings + [x IN $markings WHERE NOT x IN e.markings],
    e.exportedEntities = e.exportedEntities + $entities,
    e.complete = e.complete AND $complete`

// RecordExportPage records one page of a workspace export in the export's one audit event
// (e.ID is the export's id), committed before it returns. entities is the number of entities the
// page returned. The event keeps the scope's digest: only a cursor of the same scope continues it.
func (s *Store) RecordExportPage(ctx context.Context, e *AuditEvent, page *WorkspaceExport) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	params := map[string]any{
		"id": e.ID,
		"props": map[string]any{
			"at": e.At, "issuer": deref(e.Issuer), "subject": deref(e.Subject), "partner": deref(e.Partner),
			"operationName": deref(e.OperationName), "operationType": e.OperationType,
			"rootFields": nonNil(e.RootFields), "exportScope": nonNil(page.Scope), "exportDigest": page.digest,
		},
		"entityIds": nonNil(e.EntityIDs), "piiFields": nonNil(e.PIIFields), "aggregates": nonNil(e.Aggregates),
		"markings": nonNil(e.Markings), "entities": len(page.Nodes), "complete": e.Complete, "maxIds": maxAuditList,
	}
	_, err := writeTx(ctx, s, func(tx neo4j.ManagedTransaction) (struct{}, error) {
		_, err := s.run(ctx, tx, recordExportPage, params)
		return struct{}{}, err
	})
	if err != nil {
		return fmt.Errorf("record export audit event: %w", err)
	}
	return nil
}
