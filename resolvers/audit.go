package resolvers

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/auth"
	"github.com/traffikgraph/traffikgraph/graph/model"
	"github.com/traffikgraph/traffikgraph/store"
)

// Audit returns the gqlgen handler extension that keeps the audit trail (store.AuditEvent):
//   - while an operation executes, it notes every entity returned whose marking is AMBER,
//     AMBER_STRICT or RED (nodes, and the ends of relationships so marked) and every personal
//     data field returned non-null (@pii);
//   - when execution has finished and before the transport writes a byte, a query that returned
//     any of those is recorded, and the record is committed in Neo4j;
//   - a mutation is always recorded: once before it runs (so no write goes unrecorded, even if
//     the process dies) and once after, with what it returned;
//   - if a record cannot be committed, the client gets only an UNAVAILABLE error: no data leaves
//     unaudited.
//
// A nil logger means slog.Default().
func Audit(s *store.Store, logger *slog.Logger) graphql.HandlerExtension {
	if logger == nil {
		logger = slog.Default()
	}
	return &auditor{store: s, logger: logger}
}

type auditor struct {
	store  *store.Store
	logger *slog.Logger
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
	graphql.FieldInterceptor
} = (*auditor)(nil)

func (*auditor) ExtensionName() string { return "Audit" }

func (a *auditor) Validate(graphql.ExecutableSchema) error { return nil }

// sensitiveMarkings are the markings whose disclosure is audited.
var sensitiveMarkings = []string{"AMBER", "AMBER_STRICT", "RED"}

// maxAuditedOperationName keeps a client-chosen operation name from bloating the trail.
const maxAuditedOperationName = 100

type accessRecordKey struct{}

// InterceptResponse runs the operation with a fresh access record and writes the audit event
// once the response is complete, before it is returned to the transport.
func (a *auditor) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) || graphql.GetOperationContext(ctx).Operation == nil {
		return next(ctx) // a request error (parse, validation): nothing is executed or disclosed
	}
	opCtx := graphql.GetOperationContext(ctx)
	kind := opCtx.Operation.Operation
	if kind != ast.Query && kind != ast.Mutation {
		return next(ctx)
	}
	record := &accessRecord{sensitive: map[string]bool{}, returned: map[string]bool{}, piiFields: map[string]bool{}}
	ctx = context.WithValue(ctx, accessRecordKey{}, record)
	event := newAuditEvent(ctx, opCtx)

	mutation := kind == ast.Mutation
	if mutation {
		if err := a.store.RecordAudit(ctx, event); err != nil {
			return a.withhold(ctx, event, err)
		}
	}
	resp := next(ctx)
	if resp == nil {
		return nil
	}
	if !mutation && !record.disclosesSensitiveData() {
		return resp
	}
	event.EntityIDs, event.PIIFields = record.entities(mutation), record.personalFields()
	event.Complete = len(resp.Errors) == 0
	if err := a.store.RecordAudit(ctx, event); err != nil {
		return a.withhold(ctx, event, err)
	}
	return resp
}

// withhold answers in place of a response whose audit event could not be committed.
func (a *auditor) withhold(ctx context.Context, event *store.AuditEvent, err error) *graphql.Response {
	a.logger.ErrorContext(ctx, "audit event not committed; response withheld",
		slog.String("audit_event", event.ID), slog.String("operation_type", event.OperationType),
		slog.Any("root_fields", event.RootFields), slog.Any("error", err))
	return &graphql.Response{Errors: gqlerror.List{{
		Message:    "the request could not be audited, so it was not answered; try again later",
		Extensions: map[string]any{"code": string(tg.Unavailable)},
	}}}
}

func newAuditEvent(ctx context.Context, opCtx *graphql.OperationContext) *store.AuditEvent {
	caller := auth.CallerFrom(ctx)
	event := &store.AuditEvent{OperationType: strings.ToLower(string(opCtx.Operation.Operation))}
	if !caller.Anonymous() {
		event.Issuer, event.Subject, event.Partner = &caller.Issuer, &caller.Subject, &caller.PartnerID
	}
	if name := opCtx.Operation.Name; name != "" {
		name = name[:min(len(name), maxAuditedOperationName)]
		event.OperationName = &name
	}
	rootType := "Query"
	if opCtx.Operation.Operation == ast.Mutation {
		rootType = "Mutation"
	}
	for _, field := range graphql.CollectFields(opCtx, opCtx.Operation.SelectionSet, []string{rootType}) {
		if !slices.Contains(event.RootFields, field.Name) {
			event.RootFields = append(event.RootFields, field.Name)
		}
	}
	return event
}

// InterceptField notes what each resolved field discloses.
func (a *auditor) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	record, recording := ctx.Value(accessRecordKey{}).(*accessRecord)
	if !recording {
		return res, err
	}
	fc := graphql.GetFieldContext(ctx)
	if fc.Object == "Mutation" {
		record.targets(fc.Args)
	}
	if err != nil || isEmpty(res) {
		return res, err
	}
	personal := fc.Field.Definition != nil && fc.Field.Definition.Directives.ForName("pii") != nil
	if !personal && len(fc.Field.Selections) == 0 {
		return res, nil // a scalar or enum: its entity was noted when its object was resolved
	}
	owner := parentNode(fc)
	if personal && isPersonalIn(owner) {
		record.personal(fc.Object+"."+fc.Field.Name, owner)
	}
	record.returnedValue(reflect.ValueOf(res), owner)
	return res, nil
}

// accessRecord is what one operation disclosed, collected from concurrently resolved fields.
type accessRecord struct {
	mu sync.Mutex
	// sensitive holds ids of AMBER/AMBER_STRICT/RED entities and of entities whose personal
	// data was returned; returned holds every entity id returned or named by a mutation.
	sensitive map[string]bool
	returned  map[string]bool
	piiFields map[string]bool
}

// targetArguments are the arguments of root fields that name an entity (updates, deletes,
// group membership, unlink; link names them in its input), so that a refused write still
// records what it aimed at.
var targetArguments = []string{"id", "groupId", "partnerId", "from", "to"}

func (r *accessRecord) targets(args map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, name := range targetArguments {
		if id, ok := args[name].(string); ok && id != "" {
			r.returned[id] = true
		}
	}
	if link, ok := args["input"].(model.LinkInput); ok {
		r.returned[link.From], r.returned[link.To] = true, true
	}
}

// noteFilterOnPersonalData records, in the operation's access record, a filter on a personal
// data field (named as Query.people(where.name_contains)).
func noteFilterOnPersonalData(ctx context.Context, argument string) {
	if record, ok := ctx.Value(accessRecordKey{}).(*accessRecord); ok {
		fc := graphql.GetFieldContext(ctx)
		record.personal(fc.Object+"."+fc.Field.Name+"("+argument+")", nil)
	}
}

func (r *accessRecord) personal(field string, owner store.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.piiFields[field] = true
	if owner != nil {
		r.sensitive[owner.NodeID()] = true
		r.returned[owner.NodeID()] = true
	}
}

// returnedValue notes the entities in a field's value: a node, a relationship-like value
// carrying its own provenance (an Involvement, a Link...), a list of either, and the ids a
// mutation answers with (deletions, report receipts). owner is the node the field belongs to.
func (r *accessRecord) returnedValue(v reflect.Value, owner store.Node) {
	for v.Kind() == reflect.Interface || (v.Kind() == reflect.Pointer && !v.Type().Implements(nodeType)) {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Slice {
		for i := range v.Len() {
			r.returnedValue(v.Index(i), owner)
		}
		return
	}
	if !v.IsValid() || !v.CanInterface() {
		return
	}
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return
	}
	switch x := v.Interface().(type) {
	case store.Node:
		r.entity(x.NodeID(), provenanceOf(v))
	case model.DeletePayload:
		r.entity(x.ID, nil)
	case store.ReportReceipt:
		r.entity(x.ReceiptID, nil)
	default:
		// A relationship: if its own marking is sensitive, so is learning that its ends are
		// linked; record the ends.
		if prov := provenanceOf(v); prov != nil && slices.Contains(sensitiveMarkings, prov.Tlp) {
			ends := endsOf(v)
			if owner != nil {
				ends = append(ends, owner.NodeID())
			}
			for _, id := range ends {
				r.entity(id, prov)
			}
		}
	}
}

func (r *accessRecord) entity(id string, prov *store.Provenance) {
	if id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.returned[id] = true
	if prov != nil && slices.Contains(sensitiveMarkings, prov.Tlp) {
		r.sensitive[id] = true
	}
}

func (r *accessRecord) disclosesSensitiveData() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sensitive) > 0 || len(r.piiFields) > 0
}

// entities lists the ids the event records: for a mutation everything it touched, for a query
// what made it sensitive.
func (r *accessRecord) entities(mutation bool) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mutation {
		return sortedSet(r.returned)
	}
	return sortedSet(r.sensitive)
}

func (r *accessRecord) personalFields() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedSet(r.piiFields)
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var (
	nodeType       = reflect.TypeFor[store.Node]()
	provenanceType = reflect.TypeFor[store.Provenance]()
)

// provenanceOf finds the Provenance (or *Provenance) field of a struct value, through pointers.
func provenanceOf(v reflect.Value) *store.Provenance {
	v = reflect.Indirect(v)
	if v.Kind() != reflect.Struct {
		return nil
	}
	f := v.FieldByName("Provenance")
	switch {
	case !f.IsValid():
		return nil
	case f.Type() == provenanceType:
		p := f.Interface().(store.Provenance)
		return &p
	case f.Kind() == reflect.Pointer && f.Type().Elem() == provenanceType && !f.IsNil():
		return f.Interface().(*store.Provenance)
	}
	return nil
}

// endsOf returns the ids of the nodes a relationship-like struct holds (Link.From and To,
// Involvement.Incident, ...).
func endsOf(v reflect.Value) []string {
	v = reflect.Indirect(v)
	var ids []string
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanInterface() {
			continue
		}
		if n, ok := f.Interface().(store.Node); ok && !isEmpty(n) {
			ids = append(ids, n.NodeID())
		}
	}
	return ids
}

// parentNode returns the node whose field fc resolves, if it is one: the value of the enclosing
// field (for a list element, its element).
func parentNode(fc *graphql.FieldContext) store.Node {
	if fc.Parent == nil {
		return nil
	}
	v := reflect.ValueOf(fc.Parent.Result)
	for v.IsValid() && !v.Type().Implements(nodeType) && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if !v.IsValid() || !v.Type().Implements(nodeType) || isEmpty(v.Interface()) {
		return nil
	}
	return v.Interface().(store.Node)
}

// isPersonalIn says whether a @pii field of owner holds personal data: a location's name is
// personal only for street addresses, as in the store's projection.
func isPersonalIn(owner store.Node) bool {
	if loc, ok := owner.(*store.Location); ok {
		return loc.Kind == "ADDRESS"
	}
	return true
}

// isEmpty reports whether a resolved value carries nothing: nil, a nil pointer, an empty list.
func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map:
		return rv.IsNil()
	case reflect.Slice:
		return rv.Len() == 0
	}
	return false
}
