package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/store"
)

// AuditExporter streams the audit events a caller may read, as the auditEvents query's rule
// allows, and records the export (store.Store implements it).
type AuditExporter interface {
	ExportAuditEvents(ctx context.Context, where store.AuditEventWhere, batch int, emit func(*store.AuditEvent) error) (int, error)
}

// auditExportColumns are the AuditEvent GraphQL fields, in the schema's order: the CSV header
// and the JSON lines' member names.
var auditExportColumns = []string{
	"id", "at", "issuer", "subject", "partner", "operationName", "operationType", "rootFields",
	"entityIds", "entityIdsTruncated", "piiFields", "aggregates", "markings", "complete",
	"exportScope", "exportedEntities",
}

// auditExportLine is one event as a JSON line, named like its GraphQL fields.
type auditExportLine struct {
	ID                 string    `json:"id"`
	At                 time.Time `json:"at"`
	Issuer             *string   `json:"issuer"`
	Subject            *string   `json:"subject"`
	Partner            *string   `json:"partner"`
	OperationName      *string   `json:"operationName"`
	OperationType      string    `json:"operationType"`
	RootFields         []string  `json:"rootFields"`
	EntityIDs          []string  `json:"entityIds"`
	EntityIDsTruncated bool      `json:"entityIdsTruncated"`
	PIIFields          []string  `json:"piiFields"`
	Aggregates         []string  `json:"aggregates"`
	Markings           []string  `json:"markings"`
	Complete           bool      `json:"complete"`
	ExportScope        []string  `json:"exportScope"`
	ExportedEntities   *int      `json:"exportedEntities"`
}

// auditExport answers GET /audit/export?from=&to=&format=jsonl|csv[&partner=]: the caller's
// readable audit events of the window [from, to), newest first, written as they are read from
// Neo4j batch at a time. Headers are sent with the first event, so a refusal before it still
// gets its status and coded JSON error; a failure after it cuts the response short, and the
// export's own audit record says it was incomplete.
func auditExport(exporter AuditExporter, batch int, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		caller := auth.CallerFrom(r.Context())
		if caller.Anonymous() {
			refuseCredentials(w, "exporting the audit trail needs an access token")
			return
		}
		where, format, err := parseAuditExport(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, traffikgraph.BadUserInput, err.Error())
			return
		}
		out := newAuditExportWriter(w, format)
		n, err := exporter.ExportAuditEvents(r.Context(), where, batch, out.write)
		if err == nil {
			err = out.finish()
		}
		if err == nil {
			return
		}
		if !out.started {
			answerAuditExportError(w, r, logger, err)
			return
		}
		logger.ErrorContext(r.Context(), "audit export cut short",
			slog.String("request_id", RequestID(r.Context())), slog.Int("events", n), slog.Any("error", err))
		// The status is sent: only a cut connection tells the client the file is incomplete.
		panic(http.ErrAbortHandler)
	}
}

// answerAuditExportError answers a refusal with its status and coded message; any other failure
// is logged and answered 500 without its detail.
func answerAuditExportError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if appErr, ok := errors.AsType[*traffikgraph.Error](err); ok {
		switch appErr.Code {
		case traffikgraph.Forbidden:
			writeError(w, http.StatusForbidden, appErr.Code, appErr.Message)
			return
		case traffikgraph.BadUserInput:
			writeError(w, http.StatusBadRequest, appErr.Code, appErr.Message)
			return
		}
	}
	logger.ErrorContext(r.Context(), "audit export failed",
		slog.String("request_id", RequestID(r.Context())), slog.Any("error", err))
	writeError(w, http.StatusInternalServerError, traffikgraph.Internal, "the audit export failed")
}

func parseAuditExport(r *http.Request) (store.AuditEventWhere, string, error) {
	q := r.URL.Query()
	var where store.AuditEventWhere
	format := q.Get("format")
	if format != "jsonl" && format != "csv" {
		return where, "", errors.New(`format must be "jsonl" or "csv"`)
	}
	bounds := [2]*time.Time{}
	for i, name := range []string{"from", "to"} {
		raw := q.Get(name)
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			return where, "", fmt.Errorf("%s must be an RFC 3339 time such as 2026-01-01T00:00:00Z, not %q", name, raw)
		}
		bounds[i] = &t
	}
	if !bounds[0].Before(*bounds[1]) {
		return where, "", errors.New("from must be before to")
	}
	where.From, where.To = bounds[0], bounds[1]
	if partner := q.Get("partner"); partner != "" {
		where.Partner = &partner
	}
	return where, format, nil
}

// auditExportWriter writes events in one format, sending the headers with the first.
type auditExportWriter struct {
	w       http.ResponseWriter
	format  string
	csv     *csv.Writer
	json    *json.Encoder
	started bool
}

func newAuditExportWriter(w http.ResponseWriter, format string) *auditExportWriter {
	return &auditExportWriter{w: w, format: format, csv: csv.NewWriter(w), json: json.NewEncoder(w)}
}

func (a *auditExportWriter) start() error {
	if a.started {
		return nil
	}
	a.started = true
	mediaType, ext := "application/x-ndjson", "jsonl"
	if a.format == "csv" {
		mediaType, ext = "text/csv; charset=utf-8", "csv"
	}
	a.w.Header().Set("Content-Type", mediaType)
	a.w.Header().Set("Content-Disposition", `attachment; filename="audit-events.`+ext+`"`)
	a.w.WriteHeader(http.StatusOK)
	if a.format == "csv" {
		return a.csv.Write(auditExportColumns)
	}
	return nil
}

func (a *auditExportWriter) write(e *store.AuditEvent) error {
	if err := a.start(); err != nil {
		return err
	}
	if a.format == "jsonl" {
		return a.json.Encode(auditExportLine{
			ID: e.ID, At: e.At, Issuer: e.Issuer, Subject: e.Subject, Partner: e.Partner,
			OperationName: e.OperationName, OperationType: e.OperationType, RootFields: e.RootFields,
			EntityIDs: e.EntityIDs, EntityIDsTruncated: e.EntityIDsTruncated, PIIFields: e.PIIFields,
			Aggregates: e.Aggregates, Markings: e.Markings, Complete: e.Complete,
			ExportScope: e.ExportScope, ExportedEntities: e.ExportedEntities,
		})
	}
	// A list is one cell, its items joined by ";" (no id, field name or marking holds one); a
	// null is an empty cell.
	exported := ""
	if e.ExportedEntities != nil {
		exported = strconv.Itoa(*e.ExportedEntities)
	}
	err := a.csv.Write(inertCells(
		e.ID, e.At.Format(time.RFC3339Nano), orEmpty(e.Issuer), orEmpty(e.Subject), orEmpty(e.Partner),
		orEmpty(e.OperationName), e.OperationType, inertList(e.RootFields),
		inertList(e.EntityIDs), strconv.FormatBool(e.EntityIDsTruncated),
		inertList(e.PIIFields), inertList(e.Aggregates), inertList(e.Markings),
		strconv.FormatBool(e.Complete), inertList(e.ExportScope), exported,
	))
	if err != nil {
		return err
	}
	// Each batch reaches the client as it is read, not when the export ends.
	a.csv.Flush()
	return a.csv.Error()
}

// inertCells quotes every cell a spreadsheet would read as a formula (one starting with =, +, -,
// @, a tab or a carriage return, OWASP's CSV injection list) with a leading apostrophe: ids and
// operation names come from callers, and the file is meant to be opened by a compliance officer.
func inertCells(cells ...string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	return cells
}

// inertList is a list's cell, each item made inert: a spreadsheet that splits the cell at ";"
// (the list separator of many locales) must not run an item either.
func inertList(items []string) string {
	return strings.Join(inertCells(slices.Clone(items)...), ";")
}

// finish sends what an empty export still has (the headers, the CSV header row) and flushes.
func (a *auditExportWriter) finish() error {
	if err := a.start(); err != nil {
		return err
	}
	a.csv.Flush()
	return a.csv.Error()
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
