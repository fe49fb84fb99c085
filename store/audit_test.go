package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

func TestAuditTrail(t *testing.T) {
	s := mustOpen(t)
	w := newWorld(t, s)
	t.Cleanup(func() {
		run(t, s, `MATCH (e:AuditEvent) WHERE e.partner IN $ids DETACH DELETE e`, map[string]any{"ids": []string{w.A, w.B}})
	})
	entity := uuid.NewString()
	start := time.Now().UTC().Add(-time.Second)
	record := func(partner, subject string, ids ...string) *store.AuditEvent {
		e := &store.AuditEvent{
			Issuer: ptr("https://issuer.example"), Subject: &subject, Partner: &partner,
			OperationType: "query", RootFields: []string{"people"}, EntityIDs: ids,
			PIIFields: []string{"Person.name"}, Complete: true,
		}
		require.NoError(t, s.RecordAudit(context.Background(), e))
		return e
	}
	first := record(w.A, "alice", entity)
	second := record(w.A, "bob")
	other := record(w.B, "carol", entity)

	auditorA := as(w.A, auth.ScopeAuditRead)
	events := func(ctx context.Context, where *store.AuditEventWhere) []string {
		t.Helper()
		page, err := s.AuditEvents(ctx, store.AuditParams{Where: where, WithTotal: true})
		require.NoError(t, err)
		assert.Equal(t, len(page.Events), page.TotalCount)
		var ids []string
		for _, e := range page.Events {
			ids = append(ids, e.ID)
		}
		return ids
	}

	t.Run("AnAuditorReadsItsOwnPartnersEventsNewestFirst", func(t *testing.T) {
		assert.Equal(t, []string{second.ID, first.ID}, events(auditorA, nil))
	})

	t.Run("EventsKeepWhatWasRecorded", func(t *testing.T) {
		page, err := s.AuditEvents(auditorA, store.AuditParams{Where: &store.AuditEventWhere{Subject: ptr("alice")}})
		require.NoError(t, err)
		require.Len(t, page.Events, 1)
		got := page.Events[0]
		assert.Equal(t, first.ID, got.ID)
		assert.Equal(t, "https://issuer.example", *got.Issuer)
		assert.Equal(t, w.A, *got.Partner)
		assert.Equal(t, []string{entity}, got.EntityIDs)
		assert.Equal(t, []string{"Person.name"}, got.PIIFields)
		assert.Equal(t, []string{"people"}, got.RootFields)
		assert.True(t, got.Complete)
		assert.WithinDuration(t, first.At, got.At, time.Millisecond)
	})

	t.Run("FiltersByEntityAndTime", func(t *testing.T) {
		assert.Equal(t, []string{first.ID}, events(auditorA, &store.AuditEventWhere{EntityID: &entity}))
		future := time.Now().Add(time.Hour)
		assert.Empty(t, events(auditorA, &store.AuditEventWhere{From: &future}))
		assert.Len(t, events(auditorA, &store.AuditEventWhere{From: &start, To: &future}), 2)
	})

	t.Run("AnAuditorDoesNotSeeAnotherPartnersEvents", func(t *testing.T) {
		assert.NotContains(t, events(auditorA, &store.AuditEventWhere{EntityID: &entity}), other.ID)
		_, err := s.AuditEvents(auditorA, store.AuditParams{Where: &store.AuditEventWhere{Partner: &w.B}})
		assert.Equal(t, tg.Forbidden, tg.ErrorCode(err))
	})

	t.Run("AnAdminAuditorSeesEveryPartnersEvents", func(t *testing.T) {
		admin := as(w.C, auth.ScopeAuditRead, auth.ScopeAdmin)
		assert.Equal(t, []string{other.ID}, events(admin, &store.AuditEventWhere{Partner: &w.B}))
		assert.ElementsMatch(t, []string{first.ID, other.ID}, events(admin, &store.AuditEventWhere{EntityID: &entity}))
	})

	t.Run("WithoutAuditReadTheTrailIsForbidden", func(t *testing.T) {
		_, err := s.AuditEvents(as(w.A, auth.ScopeGraphRead, auth.ScopeAdmin), store.AuditParams{})
		assert.Equal(t, tg.Forbidden, tg.ErrorCode(err))
	})

	t.Run("PagesFollowTheCursor", func(t *testing.T) {
		one := 1
		page, err := s.AuditEvents(auditorA, store.AuditParams{First: &one})
		require.NoError(t, err)
		require.Len(t, page.Events, 1)
		assert.True(t, page.HasNextPage)
		next, err := s.AuditEvents(auditorA, store.AuditParams{First: &one, After: &page.Cursors[0]})
		require.NoError(t, err)
		require.Len(t, next.Events, 1)
		assert.Equal(t, first.ID, next.Events[0].ID)
		assert.False(t, next.HasNextPage)
	})

	t.Run("AuditEventsAreNotEntities", func(t *testing.T) {
		got, err := s.Get(as(w.A, auth.ScopeGraphRead), first.ID)
		require.NoError(t, err)
		assert.Nil(t, got, "node(id) never returns an audit event")
	})

	t.Run("RecordingAgainUpdatesTheSameEvent", func(t *testing.T) {
		second.Complete = false
		require.NoError(t, s.RecordAudit(context.Background(), second))
		assert.Equal(t, []string{second.ID, first.ID}, events(auditorA, nil))
	})
}

func ptr[T any](v T) *T { return &v }
