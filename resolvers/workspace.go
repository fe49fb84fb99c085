package resolvers

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/graph/model"
	"github.com/traffikgraph/traffikgraph/store"
)

// onePullPerOperation refuses an operation that asks for workspaceExport more than once: a pull
// is recorded as its operation's one audit event, which can name one export only.
func onePullPerOperation(ctx context.Context) error {
	op := graphql.GetOperationContext(ctx)
	pulls := 0
	for _, field := range graphql.CollectFields(op, op.Operation.SelectionSet, []string{"Query"}) {
		if field.Name == "workspaceExport" {
			pulls++
		}
	}
	if pulls > 1 {
		return tg.InvalidField("", "an operation may ask for workspaceExport once: send each pull's pages in operations of their own")
	}
	return nil
}

// noteExport marks the operation as a page of a workspace export: its audit event is the
// export's one event, which every page adds to, written whether or not the page is sensitive.
func noteExport(ctx context.Context, page *store.WorkspaceExport) {
	if record, ok := ctx.Value(accessRecordKey{}).(*accessRecord); ok {
		record.mu.Lock()
		defer record.mu.Unlock()
		record.export = page
	}
}

// recordExport adds what the operation disclosed to its export's audit event, committed before
// the response leaves; if it cannot be, the response is withheld like any other.
func (a *auditor) recordExport(ctx context.Context, event *store.AuditEvent, record *accessRecord, resp *graphql.Response) *graphql.Response {
	event.ID = record.export.ExportID
	event.EntityIDs, event.PIIFields = record.entities(false), record.personalFields()
	event.Aggregates, event.Markings = record.derivedAnswers(), record.sensitiveMarkings()
	event.Complete = len(resp.Errors) == 0
	if err := a.store.RecordExportPage(ctx, event, record.export); err != nil {
		return a.withhold(ctx, event, err)
	}
	return resp
}

// exportScopeOf is the store's scope for a workspaceExport's scope argument, with the argument
// paths of its filter's parts.
func exportScopeOf(scope model.WorkspaceScope) (store.ExportScope, filterPaths) {
	out := store.ExportScope{Around: scope.Around.Value(), Search: scope.Search.Value(), Depth: scope.Depth.Value(), Limit: scope.Limit.Value()}
	where := scope.IncidentsWhere.Value()
	var paths filterPaths
	out.Incidents, paths = filterOf(tg.LabelIncident, where, "scope.incidentsWhere")
	if where != nil {
		out.IncidentsFields = argumentPaths(nil, "incidentsWhere", reflect.ValueOf(where))
	}
	return out, paths
}
