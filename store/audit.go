package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
)

// AuditEvent records one sensitive response or one write: who asked, for which partner, which
// operation, which entities it returned or changed, the names of the personal-data fields it
// returned, the answers it computed from sensitive data without returning it (counts, sums,
// rankings, filters over neighbours) and the sensitive markings behind all of it. It never holds a
// property value of an entity, so reading it discloses no PII.
//
// Audit events are stored as (:AuditEvent) nodes, never with the Entity label, so no entity
// query (node, lists, search, traversals) can reach them.
type AuditEvent struct {
	ID string
	At time.Time
	// Issuer, Subject and Partner are nil for anonymous callers.
	Issuer  *string
	Subject *string
	Partner *string
	// OperationName is the client's name for the operation, if it gave one; OperationType is
	// "query" or "mutation"; RootFields are the top-level fields it selected.
	OperationName *string
	OperationType string
	RootFields    []string
	// EntityIDs are the entities the response returned that made it sensitive (AMBER,
	// AMBER_STRICT or RED, or with personal data), those held by a value it returned included (a
	// search hit whose score alone was asked), or every entity a mutation returned or changed.
	EntityIDs []string
	// EntityIDsTruncated says EntityIDs holds the first maxAuditList of more.
	EntityIDsTruncated bool
	// PIIFields names the personal-data fields returned non-null, as Type.field.
	PIIFields []string
	// Aggregates names the answers computed from AMBER, AMBER_STRICT or RED data that the response
	// did not return (a count, a sum, a ranking, a filter over neighbours), as the field with the
	// names of the arguments it was asked with: Query.incidents.totalCount(where.id_in).
	Aggregates []string
	// Markings are the sensitive markings (AMBER, AMBER_STRICT, RED) of the data that contributed
	// to the response, returned or derived.
	Markings []string
	// Complete is false while a mutation runs (its event is written before it executes) and when
	// any field of the response failed.
	Complete bool
	// ExportScope and ExportedEntities describe a workspace export (nil otherwise): its scope as
	// ExportPage.Scope names it, and the entities all its pages returned.
	ExportScope      []string
	ExportedEntities *int
}

// maxAuditList bounds the entity ids an audit event stores; a response returning more is
// recorded with the first ones and the event's `truncated` property set (no page size reaches it).
const maxAuditList = 10000

// RecordAudit writes e, committed before it returns: a new event when no event has e.ID, else
// the event with that id is replaced (a mutation's event is written before it runs and
// completed after). An empty ID gets a new UUID and a zero At the current time; both are set
// on e.
func (s *Store) RecordAudit(ctx context.Context, e *AuditEvent) error {
	if e.ID == "" {
		e.ID = uuid.NewString()
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	record := auditRecord{
		ID: e.ID, At: e.At, Issuer: e.Issuer, Subject: e.Subject, Partner: e.Partner,
		OperationName: e.OperationName, OperationType: e.OperationType,
		RootFields: nonNil(e.RootFields), EntityIDs: nonNil(e.EntityIDs[:min(len(e.EntityIDs), maxAuditList)]),
		PIIFields: nonNil(e.PIIFields), Aggregates: nonNil(e.Aggregates), Markings: nonNil(e.Markings),
		Complete: e.Complete, Truncated: len(e.EntityIDs) > maxAuditList,
		ExportScope: e.ExportScope, ExportedEntities: e.ExportedEntities,
	}
	if err := s.audit.write(ctx, record); err != nil {
		return fmt.Errorf("record audit event: %w", err)
	}
	return nil
}

// auditRecord is an audit event as the writer commits it: the properties of its node, and the
// line of the audit spool that holds it until it is shipped (auditSpool).
type auditRecord struct {
	ID            string    `json:"id"`
	At            time.Time `json:"at"`
	Issuer        *string   `json:"issuer"`
	Subject       *string   `json:"subject"`
	Partner       *string   `json:"partner"`
	OperationName *string   `json:"operationName"`
	OperationType string    `json:"operationType"`
	RootFields    []string  `json:"rootFields"`
	EntityIDs     []string  `json:"entityIds"`
	PIIFields     []string  `json:"piiFields"`
	Aggregates    []string  `json:"aggregates"`
	Markings      []string  `json:"markings"`
	Complete      bool      `json:"complete"`
	Truncated     bool      `json:"truncated"`
	// An export's (AuditEvent.ExportScope, ExportedEntities); absent otherwise.
	ExportScope      []string `json:"exportScope,omitempty"`
	ExportedEntities *int     `json:"exportedEntities,omitempty"`
}

// event is the record as one element of writeAuditEvents' $events.
func (r auditRecord) event() map[string]any {
	event := map[string]any{"id": r.ID, "props": map[string]any{
		"at": r.At, "issuer": deref(r.Issuer), "subject": deref(r.Subject), "partner": deref(r.Partner),
		"operationName": deref(r.OperationName), "operationType": r.OperationType,
		"rootFields": nonNil(r.RootFields), "entityIds": nonNil(r.EntityIDs), "piiFields": nonNil(r.PIIFields),
		"aggregates": nonNil(r.Aggregates), "markings": nonNil(r.Markings), "complete": r.Complete, "truncated": r.Truncated,
	}}
	if r.ExportedEntities != nil {
		props := event["props"].(map[string]any)
		props["exportScope"], props["exportedEntities"] = nonNil(r.ExportScope), *r.ExportedEntities
	}
	return event
}

// AuditEventWhere filters audit events; every field given must match.
type AuditEventWhere struct {
	Partner  *string    `json:"partner"`
	Subject  *string    `json:"subject"`
	EntityID *string    `json:"entityId"`
	From     *time.Time `json:"from"`
	To       *time.Time `json:"to"`
}

// AuditParams selects a page of audit events, newest first.
type AuditParams struct {
	First     *int
	After     *string
	Where     *AuditEventWhere
	WithTotal bool
}

// AuditPage is one page of audit events with a cursor each.
type AuditPage struct {
	Events          []*AuditEvent
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

type auditCursor struct {
	At string `json:"at"`
	ID string `json:"id"`
}

// AuditEvents returns a page of the audit events the caller may read. It needs audit:read
// (FORBIDDEN otherwise). An auditor reads the events of its own partner's callers only; an
// auditor that also holds admin reads every event, anonymous callers' included. Asking for
// another partner's events without admin is FORBIDDEN.
func (s *Store) AuditEvents(ctx context.Context, p AuditParams) (*AuditPage, error) {
	caller := auth.CallerFrom(ctx)
	if !caller.Has(auth.ScopeAuditRead) {
		return nil, tg.Errorf(tg.Forbidden, "reading the audit trail needs the audit:read scope")
	}
	limit, err := s.pageSize(p.First)
	if err != nil {
		return nil, err
	}
	if err := s.audit.shipped(ctx); err != nil {
		return nil, err
	}
	where := AuditEventWhere{}
	if p.Where != nil {
		where = *p.Where
	}
	if !caller.Has(auth.ScopeAdmin) {
		if where.Partner != nil && *where.Partner != caller.PartnerID {
			return nil, &tg.Error{Code: tg.Forbidden, Message: "audit:read covers your own partner's events; other partners' need the admin scope", Field: "partner"}
		}
		where.Partner = &caller.PartnerID
	}
	params := map[string]any{
		"partner": deref(where.Partner), "subject": deref(where.Subject), "entityId": deref(where.EntityID),
		"from": derefTime(where.From), "to": derefTime(where.To),
		"afterAt": nil, "afterId": nil, "limit": limit + 1,
	}
	if p.After != nil {
		at, id, err := decodeAuditCursor(*p.After)
		if err != nil {
			return nil, err
		}
		params["afterAt"], params["afterId"] = at, id
	}
	total := "0 AS total"
	if p.WithTotal {
		total = "COUNT { " + auditMatch + " } AS total"
	}
	query := `
CALL {
    ` + auditMatch + `
      AND ($afterAt IS NULL OR e.at < $afterAt OR (e.at = $afterAt AND e.id < $afterId))
    WITH e ORDER BY e.at DESC, e.id DESC
    LIMIT $limit
    RETURN collect(e {.*}) AS events
}
RETURN events, ` + total
	records, err := readTx(ctx, s, func(tx statementRunner) ([]*neo4j.Record, error) {
		return s.run(ctx, tx, query, params)
	})
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	page := &AuditPage{HasPreviousPage: p.After != nil}
	rawTotal, _ := records[0].Get("total")
	n, _ := rawTotal.(int64)
	page.TotalCount = int(n)
	rawEvents, _ := records[0].Get("events")
	events, _ := rawEvents.([]any)
	if len(events) > limit {
		page.HasNextPage, events = true, events[:limit]
	}
	for _, raw := range events {
		e, err := decodeAuditEvent(raw.(map[string]any))
		if err != nil {
			return nil, err
		}
		page.Events = append(page.Events, e)
		page.Cursors = append(page.Cursors, encodeAuditCursor(e))
	}
	return page, nil
}

// ExportAuditEvents passes every audit event of where that the caller may read (AuditEvents'
// rule) to emit, newest first, reading them batch at a time by keyset so memory stays constant
// however long the window. Events recorded while it runs are newer than its first page and left
// out. It then records the export itself in the audit trail (its window as the export scope, the
// events it passed as exportedEntities; incomplete when it stopped early) and returns how many
// events it passed.
func (s *Store) ExportAuditEvents(ctx context.Context, where AuditEventWhere, batch int, emit func(*AuditEvent) error) (int, error) {
	if batch < 1 {
		return 0, tg.InvalidField("batch", "must be positive")
	}
	n, read, err := s.exportAuditEvents(ctx, where, batch, emit)
	if !read {
		// Refused or failed before any event was read: nothing was exported to record.
		return 0, err
	}
	caller := auth.CallerFrom(ctx)
	scope := []string{"auditExport"}
	if where.Partner != nil {
		scope = append(scope, "partner="+*where.Partner)
	}
	for name, t := range map[string]*time.Time{"from": where.From, "to": where.To} {
		if t != nil {
			scope = append(scope, name+"="+t.UTC().Format(time.RFC3339Nano))
		}
	}
	slices.Sort(scope[1:])
	record := &AuditEvent{
		Issuer: &caller.Issuer, Subject: &caller.Subject, Partner: &caller.PartnerID,
		OperationType: "query", RootFields: []string{"auditExport"},
		Complete: err == nil, ExportScope: scope, ExportedEntities: &n,
	}
	// A client that went away still leaves the record of what it was sent.
	if recErr := s.RecordAudit(context.WithoutCancel(ctx), record); recErr != nil {
		return n, errors.Join(err, recErr)
	}
	return n, err
}

// exportAuditEvents pages the events to emit; read says whether the first page was read.
func (s *Store) exportAuditEvents(ctx context.Context, where AuditEventWhere, batch int, emit func(*AuditEvent) error) (n int, read bool, err error) {
	params := AuditParams{First: &batch, Where: &where}
	for {
		page, err := s.AuditEvents(ctx, params)
		if err != nil {
			return n, params.After != nil, err
		}
		for _, e := range page.Events {
			if err := emit(e); err != nil {
				return n, true, err
			}
			n++
		}
		if !page.HasNextPage {
			return n, true, nil
		}
		params.After = &page.Cursors[len(page.Cursors)-1]
	}
}

// auditMatch selects the events matching the filter parameters; a null parameter matches all.
const auditMatch = `MATCH (e:` + tg.LabelAuditEvent + `)
    WHERE ($partner IS NULL OR e.partner = $partner)
      AND ($subject IS NULL OR e.subject = $subject)
      AND ($entityId IS NULL OR $entityId IN e.entityIds)
      AND ($from IS NULL OR e.at >= $from)
      AND ($to IS NULL OR e.at < $to)`

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func derefTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func decodeAuditEvent(m map[string]any) (*AuditEvent, error) {
	e := &AuditEvent{}
	e.ID, _ = m["id"].(string)
	at, ok := m["at"].(time.Time)
	if !ok {
		return nil, fmt.Errorf("audit event %s: at is %T", e.ID, m["at"])
	}
	e.At = at.UTC()
	e.Issuer = optionalString(m["issuer"])
	e.Subject = optionalString(m["subject"])
	e.Partner = optionalString(m["partner"])
	e.OperationName = optionalString(m["operationName"])
	e.OperationType, _ = m["operationType"].(string)
	e.Complete, _ = m["complete"].(bool)
	e.RootFields = stringList(m["rootFields"])
	e.EntityIDs = stringList(m["entityIds"])
	e.EntityIDsTruncated, _ = m["truncated"].(bool)
	e.PIIFields = stringList(m["piiFields"])
	e.Aggregates = stringList(m["aggregates"])
	e.Markings = stringList(m["markings"])
	if n, ok := m["exportedEntities"].(int64); ok {
		count := int(n)
		e.ExportScope, e.ExportedEntities = stringList(m["exportScope"]), &count
	}
	return e, nil
}

func optionalString(v any) *string {
	if s, ok := v.(string); ok {
		return &s
	}
	return nil
}

// stringList reads a list of strings as Neo4j returns it ([]any), or as the store wrote it.
func stringList(v any) []string {
	if l, ok := v.([]string); ok {
		return l
	}
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, item := range items {
		if s, ok := item.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func encodeAuditCursor(e *AuditEvent) string {
	raw, _ := json.Marshal(auditCursor{At: e.At.Format(time.RFC3339Nano), ID: e.ID}) // strings always marshal
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeAuditCursor(after string) (time.Time, string, error) {
	bad := tg.InvalidField("after", "is not a cursor of the audit trail")
	raw, err := base64.RawURLEncoding.DecodeString(after)
	if err != nil {
		return time.Time{}, "", bad
	}
	var c auditCursor
	if err := json.Unmarshal(raw, &c); err != nil || strings.TrimSpace(c.ID) == "" {
		return time.Time{}, "", bad
	}
	at, err := time.Parse(time.RFC3339Nano, c.At)
	if err != nil {
		return time.Time{}, "", bad
	}
	return at, c.ID, nil
}
