package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// auditNode reads the stored properties of audit event id (nil when there is none).
func auditNode(t *testing.T, s *store.Store, id string) map[string]any {
	t.Helper()
	result, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (e:AuditEvent {id: $id}) RETURN properties(e) AS p`,
		map[string]any{"id": id}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
	require.NoError(t, err)
	if len(result.Records) == 0 {
		return nil
	}
	p, _ := result.Records[0].Get("p")
	return p.(map[string]any)
}

func withSpool(dir string) func(*store.Config) { return func(c *store.Config) { c.AuditSpool = dir } }

// trail reads partner's audit trail from s as its auditor does, within 20 s (a read that waited
// for a shipment that never comes fails), and returns the events' ids; each event passes check.
func trail(t *testing.T, s *store.Store, partner, why string, check func(*store.AuditEvent)) []string {
	t.Helper()
	auditor, cancel := context.WithTimeout(auth.WithCaller(context.Background(),
		auth.Caller{Subject: "auditor", PartnerID: partner, Scopes: []auth.Scope{auth.ScopeAuditRead}}), 20*time.Second)
	defer cancel()
	page, err := s.AuditEvents(auditor, store.AuditParams{})
	require.NoError(t, err, why)
	ids := []string{}
	for _, e := range page.Events {
		ids = append(ids, e.ID)
		check(e)
	}
	return ids
}

// The spool changes where an event is first made durable, never what is stored: an event
// recorded through it is the same node as one committed directly, and the audit trail read
// after the response already holds it.
func TestAuditSpoolStoresWhatTheDirectPathStores(t *testing.T) {
	direct := mustOpen(t)
	spooled := storetest.Open(t, withSpool(t.TempDir()))
	partner := "spool-" + uuid.NewString()
	t.Cleanup(func() { run(t, direct, `MATCH (e:AuditEvent {partner: $p}) DELETE e`, map[string]any{"p": partner}) })

	at := time.Now().UTC().Truncate(time.Millisecond)
	event := func() *store.AuditEvent {
		return &store.AuditEvent{ID: uuid.NewString(), At: at, Issuer: ptr("https://issuer.example"), Subject: ptr("alice"),
			Partner: &partner, OperationName: ptr("Op"), OperationType: "query", RootFields: []string{"people"},
			EntityIDs: []string{"p1", "p2"}, PIIFields: []string{"Person.name"}, Aggregates: []string{"Query.people.totalCount"},
			Markings: []string{"AMBER"}, Complete: true}
	}
	viaDirect, viaSpool := event(), event()
	require.NoError(t, direct.RecordAudit(context.Background(), viaDirect))
	require.NoError(t, spooled.RecordAudit(context.Background(), viaSpool))

	ids := trail(t, spooled, partner, "the trail read after the response holds the spooled event: it waits for its shipment", func(*store.AuditEvent) {})
	require.ElementsMatch(t, []string{viaDirect.ID, viaSpool.ID}, ids)

	stored, expected := auditNode(t, direct, viaSpool.ID), auditNode(t, direct, viaDirect.ID)
	require.NotNil(t, stored)
	stored["id"], expected["id"] = nil, nil
	require.Equal(t, expected, stored)
}

// Spooled events gather before they are shipped to Neo4j in one write, and a read of the trail
// does not wait for the gathering: with a delay of an hour, the events recorded are durable but
// not yet in Neo4j, and the auditor's read, under a deadline of seconds, ships them all at once.
func TestAuditSpoolShipsInBatchesAndTheTrailNeedNotWait(t *testing.T) {
	s := mustOpen(t)
	spooled := storetest.Open(t, withSpool(t.TempDir()), func(c *store.Config) { c.AuditShipDelay = time.Hour })
	partner := "spool-" + uuid.NewString()
	t.Cleanup(func() { run(t, s, `MATCH (e:AuditEvent {partner: $p}) DELETE e`, map[string]any{"p": partner}) })

	ids := []string{}
	for range 5 {
		event := &store.AuditEvent{ID: uuid.NewString(), At: time.Now().UTC(), Subject: ptr("alice"), Partner: &partner,
			OperationType: "query", RootFields: []string{"node"}, EntityIDs: []string{"p1"}, Complete: true}
		require.NoError(t, spooled.RecordAudit(context.Background(), event))
		ids = append(ids, event.ID)
	}
	for _, id := range ids {
		require.Nil(t, auditNode(t, s, id), "acknowledged from the spool, not yet shipped")
	}

	got := trail(t, spooled, partner, "the read ships the gathered events rather than waiting out the delay", func(*store.AuditEvent) {})
	require.ElementsMatch(t, ids, got)
}

// What a process acknowledged and did not ship before it died is shipped by the next process
// on the same spool; a last line it was still writing (never acknowledged) is dropped.
func TestAuditSpoolShipsWhatACrashedProcessLeft(t *testing.T) {
	dir := t.TempDir()
	partner := "spool-" + uuid.NewString()
	s := mustOpen(t)
	t.Cleanup(func() { run(t, s, `MATCH (e:AuditEvent {partner: $p}) DELETE e`, map[string]any{"p": partner}) })

	// The spool as a process killed mid-append leaves it: two whole events (a line a damaged
	// disk garbled between them), the start of a third.
	var left []byte
	ids := []string{uuid.NewString(), uuid.NewString()}
	garbled := "\x00\x00{not an event\n"
	for i, id := range ids {
		if i == 1 {
			left = append(left, garbled...)
		}
		line, err := json.Marshal(map[string]any{"id": id, "at": time.Now().UTC(), "partner": partner, "subject": "alice",
			"operationType": "query", "rootFields": []string{"node"}, "entityIds": []string{"x"}, "piiFields": []string{},
			"aggregates": []string{}, "markings": []string{}, "complete": true, "truncated": false})
		require.NoError(t, err)
		left = append(append(left, line...), '\n')
	}
	torn := uuid.NewString()
	left = append(left, fmt.Sprintf(`{"id":%q,"at":"2026-12-02T10:00:00Z","partner":%q,"operat`, torn, partner)...)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "audit.jsonl"), left, 0o600))

	next := storetest.Open(t, withSpool(dir))
	got := trail(t, next, partner, "the next process ships what the crashed one left", func(e *store.AuditEvent) {
		require.Equal(t, "alice", *e.Subject)
	})
	require.ElementsMatch(t, ids, got, "both acknowledged events are shipped, the one after the garbled line too; the torn line is not")
	require.Nil(t, auditNode(t, s, torn))
	rejected, err := os.ReadFile(filepath.Join(dir, "audit.rejected"))
	require.NoError(t, err)
	require.Equal(t, garbled, string(rejected), "the garbled line is kept aside for a person")

	// Shipped once: a later process on the same spool ships nothing again (its cursor says so),
	// and a write after the recovery lands after the recovered lines.
	require.NoError(t, next.Close(context.Background()))
	content, err := os.ReadFile(filepath.Join(dir, "audit.jsonl"))
	require.NoError(t, err)
	require.Equal(t, byte('\n'), content[len(content)-1], "the torn line was cut off")
	cursor, err := os.ReadFile(filepath.Join(dir, "audit.shipped"))
	require.NoError(t, err)
	require.Equal(t, fmt.Sprint(len(content)), string(cursor))
}

// Two processes on one spool would ship each other's events and empty each other's file: the
// second is refused.
func TestAuditSpoolIsHeldByOneProcess(t *testing.T) {
	dir := t.TempDir()
	storetest.Open(t, withSpool(dir))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := storetest.Config(t)
	cfg.AuditSpool = dir
	second, err := store.Open(ctx, cfg)
	if second != nil {
		_ = second.Close(ctx)
	}
	require.ErrorContains(t, err, "in use by another process")
}

// BenchmarkRecordAudit is the price of making one event durable before a response, alone
// (one request at a time) and under concurrent requests (group commit), on each durable path.
// scripts/test.sh -run '^$' -bench RecordAudit -benchtime 300x ./store
func BenchmarkRecordAudit(b *testing.B) {
	partner := "bench-" + uuid.NewString()
	for _, path := range []struct {
		name  string
		spool bool
	}{{"neo4j", false}, {"spool", true}} {
		for _, parallel := range []bool{false, true} {
			name := path.name + "/alone"
			if parallel {
				name = path.name + "/16-concurrent"
			}
			b.Run(name, func(b *testing.B) {
				var s *store.Store
				if path.spool {
					s = storetest.Open(b, withSpool(b.TempDir()))
				} else {
					s = storetest.Open(b)
				}
				b.Cleanup(func() { run(b, s, `MATCH (e:AuditEvent {partner: $p}) DELETE e`, map[string]any{"p": partner}) })
				record := func() {
					e := &store.AuditEvent{Partner: &partner, Subject: ptr("bench"), OperationType: "query",
						RootFields: []string{"node"}, EntityIDs: []string{uuid.NewString()}, PIIFields: []string{"Person.name"}, Complete: true}
					if err := s.RecordAudit(context.Background(), e); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				if parallel {
					b.SetParallelism(8) // 16 goroutines on the 2 cores
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							record()
						}
					})
				} else {
					for b.Loop() {
						record()
					}
				}
			})
		}
	}
}
