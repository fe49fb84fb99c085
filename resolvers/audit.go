package resolvers

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
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
//     AMBER_STRICT or RED (nodes, and the ends of relationships so marked), every personal
//     data field returned non-null (@pii), and every answer computed from such data without
//     returning it: a value that holds nodes discloses them at any depth of its struct, whether
//     or not the client selects them (a path's length, a search hit's score, an involvement's
//     role), and what the store computed beyond the nodes it holds (a count, a ranking, a filter
//     over neighbours: store.Derivation) is noted with its markings and the field asked;
//   - when execution has finished and before the transport writes a byte, a query that returned
//     or derived any of those is recorded, and the record is committed in Neo4j;
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

// maxAuditedOperationName keeps a client-chosen operation name from bloating the trail.
const maxAuditedOperationName = 100

// maxAuditedArguments bounds the argument names recorded with one aggregate (they are names of
// the schema's arguments and input fields, so only deep nesting could make many).
const maxAuditedArguments = 32

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
	record := &accessRecord{sensitive: map[string]bool{}, returned: map[string]bool{}, piiFields: map[string]bool{},
		aggregates: map[string]bool{}, markings: map[string]bool{}}
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
	if record.export != nil {
		return a.recordExport(ctx, event, record, resp)
	}
	if !mutation && !record.disclosesSensitiveData() {
		return resp
	}
	event.EntityIDs, event.PIIFields = record.entities(mutation), record.personalFields()
	event.Aggregates, event.Markings = record.derivedAnswers(), record.sensitiveMarkings()
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
	at := answerOf(graphql.GetOperationContext(ctx), fc)
	if !personal && len(fc.Field.Selections) == 0 {
		// A scalar or enum: a node's own property was noted with the node; one of a value that
		// holds nodes (a path's length, a hit's score, an involvement's role) is derived from them.
		record.derivedScalar(at, fc.Parent)
		return res, nil
	}
	owner := parentNode(fc)
	if personal && (owner == nil || store.IsPersonal(owner, fc.Field.Name)) {
		record.personal(fc.Object+"."+fc.Field.Name, owner)
	}
	record.returnedValue(at, reflect.ValueOf(res), owner, true)
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
	// aggregates names the answers derived from sensitive data; markings holds the sensitive
	// markings of everything returned or derived.
	aggregates map[string]bool
	markings   map[string]bool
	// export is the workspace export page the operation returned, if any.
	export *store.WorkspaceExport
}

// targetArguments are the arguments of root fields that name an entity (updates, deletes,
// group membership, unlink, erasure, the triage desk's decisions, the group an escalation
// shares with, the records of linkSameAs and unlinkSameAs, a merge's records and the merge an
// unmerge undoes; link names them in its input), so that a refused write still records what it
// aimed at.
var targetArguments = []string{"id", "groupId", "partnerId", "personId", "from", "to", "group", "a", "b", "keep", "merge", "mergeEventId"}

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

// noteHistory records, in the operation's access record, what a page of entity id's history
// discloses: the entity, when a version's marking is sensitive, and each personal value it
// returns, named as Query.history:<Label>.<field> (the page holds them whatever the client
// selects of it).
func noteHistory(ctx context.Context, id string, entries []*store.HistoryEntry) {
	record, ok := ctx.Value(accessRecordKey{}).(*accessRecord)
	if !ok {
		return
	}
	for _, e := range entries {
		record.entity(id, &store.Provenance{Tlp: e.Marking.Tlp})
		for _, c := range e.Changes {
			if c.Personal && !c.Redacted && (c.Before != nil || c.After != nil) {
				record.personalOf("Query.history:"+e.Subject.Label+"."+c.Field, id)
			}
		}
	}
}

// noteSubjectAccess records, in the operation's access record, that a subject access export
// returned person id's data (its JSON document holds no node the auditor would see).
func noteSubjectAccess(ctx context.Context, id string) {
	if record, ok := ctx.Value(accessRecordKey{}).(*accessRecord); ok {
		record.personalOf("Query.subjectAccessExport:"+tg.LabelPerson, id)
	}
}

func (r *accessRecord) personal(field string, owner store.Node) {
	id := ""
	if owner != nil {
		id = owner.NodeID()
	}
	r.personalOf(field, id)
}

// personalOf notes a personal-data field returned, of the entity id when there is one.
func (r *accessRecord) personalOf(field, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.piiFields[field] = true
	if id != "" {
		r.sensitive[id], r.returned[id] = true, true
	}
}

// returnedValue notes what a field's value holds, at any depth of its struct: nodes,
// relationship-like values carrying their own provenance (an Involvement, a Link...), the ids a
// mutation answers with (deletions, report receipts), and the derivations of answers the store
// computed (store.Derived). A value discloses what it holds whether or not the client selects it:
// a path's length tells of its relationships, a hit's score of its node. owner is the node the
// field belongs to; top says that v is the field's value (or an element of it), whose selection
// tells which of its derived fields were asked.
func (r *accessRecord) returnedValue(at answer, v reflect.Value, owner store.Node, top bool) {
	for v.Kind() == reflect.Interface || (v.Kind() == reflect.Pointer && !v.Type().Implements(nodeType)) {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Slice {
		for i := range v.Len() {
			r.returnedValue(at, v.Index(i), owner, top)
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
		return
	case model.DeletePayload:
		r.entity(x.ID, nil)
		return
	case store.ReportReceipt:
		r.entity(x.ReceiptID, nil)
		return
	case store.MergeEvent:
		r.entity(x.ID, nil)
		return
	}
	if v.Kind() != reflect.Struct {
		return
	}
	if v.CanAddr() {
		if d, ok := v.Addr().Interface().(store.Derived); ok {
			r.derived(at, d.Derived(), top)
		}
	}
	// A relationship: if its own marking is sensitive, so is learning that its ends are linked;
	// record the ends.
	if prov := provenanceOf(v); prov != nil && slices.Contains(store.SensitiveMarkings, prov.Tlp) {
		ends := endsOf(v)
		if owner != nil && top {
			ends = append(ends, owner.NodeID())
		}
		for _, id := range ends {
			r.entity(id, prov)
		}
	}
	for i := range v.NumField() {
		if f := v.Type().Field(i); f.IsExported() && !slices.Contains(leafTypes, f.Type) {
			r.returnedValue(at, v.Field(i), nil, false)
		}
	}
}

// answer is a resolved field, which the audit names when it derives from sensitive data.
type answer struct {
	opCtx *graphql.OperationContext
	fc    *graphql.FieldContext
}

func answerOf(opCtx *graphql.OperationContext, fc *graphql.FieldContext) answer {
	return answer{opCtx: opCtx, fc: fc}
}

// name names the answer, or with a path (pageInfo.hasNextPage) its field at that path: the path
// from the root type without list indexes or aliases, with the names of the arguments given to
// the root field: Query.incidents.pageInfo.hasNextPage(first,where.id_in).
func (at answer) name(path string) string {
	var names []string
	root := at.fc
	for c := at.fc; c != nil; c = c.Parent {
		if c.Index == nil && c.Field.Field != nil {
			names, root = append(names, c.Field.Name), c
		}
	}
	slices.Reverse(names)
	if path != "" {
		names = append(names, path)
	}
	return root.Object + "." + strings.Join(names, ".") + argumentNames(root)
}

// derivedScalar notes a scalar field of a value that is not a node but holds sensitive nodes or
// is a sensitive relationship: it is computed from them, whether or not they are selected too.
func (r *accessRecord) derivedScalar(at answer, parent *graphql.FieldContext) {
	if parent == nil {
		return
	}
	v := reflect.ValueOf(parent.Result)
	for v.Kind() == reflect.Interface || (v.Kind() == reflect.Pointer && !v.Type().Implements(nodeType)) {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || slices.Contains(leafTypes, v.Type()) {
		return // a node (its properties are what it returns), or a value that holds none
	}
	held := map[string]bool{}
	heldMarkings(v, held)
	r.derivedPart(at, "", slices.Collect(maps.Keys(held)))
}

// heldMarkings adds to held the markings of the nodes and relationships v holds, at any depth.
func heldMarkings(v reflect.Value, held map[string]bool) {
	for v.Kind() == reflect.Interface || (v.Kind() == reflect.Pointer && !v.Type().Implements(nodeType)) {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Pointer: // a node
		if prov := provenanceOf(v); prov != nil {
			held[prov.Tlp] = true
		}
	case reflect.Slice:
		for i := range v.Len() {
			heldMarkings(v.Index(i), held)
		}
	case reflect.Struct:
		if prov := provenanceOf(v); prov != nil {
			held[prov.Tlp] = true
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() && !slices.Contains(leafTypes, f.Type) {
				heldMarkings(v.Field(i), held)
			}
		}
	}
}

// noteDerivation records, in the operation's access record, what the field being resolved was
// computed from beyond the nodes its value holds, for answers a resolver reshapes (connections).
func noteDerivation(ctx context.Context, d *store.Derivation) {
	if record, ok := ctx.Value(accessRecordKey{}).(*accessRecord); ok {
		record.derived(answerOf(graphql.GetOperationContext(ctx), graphql.GetFieldContext(ctx)), d, true)
	}
}

// derived notes a derivation of the answer at: its markings for the answer as a whole, and those
// of each of its fields that the client selected (all of them when the derivation lies deeper in
// the value than the selection can tell).
func (r *accessRecord) derived(at answer, d *store.Derivation, top bool) {
	r.derivedPart(at, "", d.Markings)
	for _, field := range d.PersonalData {
		// Named by the answer and the field it used: Query.people(orderBy):Person.name.
		r.personal(at.name("")+":"+field, nil)
	}
	for path, markings := range d.FieldMarkings {
		if !top || selectsPath(at.opCtx, at.fc.Field, path) {
			r.derivedPart(at, path, markings)
		}
	}
}

// derivedPart notes that the answer at (or its field at path) was derived from data of these
// markings, if any is sensitive.
func (r *accessRecord) derivedPart(at answer, path string, markings []string) {
	var sensitive []string
	for _, m := range markings {
		if slices.Contains(store.SensitiveMarkings, m) {
			sensitive = append(sensitive, m)
		}
	}
	if len(sensitive) == 0 {
		return // derived from CLEAR and GREEN data only: nothing to audit
	}
	name := at.name(path)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.aggregates[name] = true
	for _, m := range sensitive {
		r.markings[m] = true
	}
}

// selectsPath reports whether the selection of field asks for the field at path (dotted:
// pageInfo.hasNextPage), through fragments too.
func selectsPath(opCtx *graphql.OperationContext, field graphql.CollectedField, path string) bool {
	name, rest, nested := strings.Cut(path, ".")
	for _, f := range graphql.CollectFields(opCtx, field.Selections, nil) {
		if f.Name == name && (!nested || selectsPath(opCtx, f, rest)) {
			return true
		}
	}
	return false
}

// argumentNames returns the names of the arguments given to the field, input objects spelt out
// as paths (where.location_some.name), lists of them without indexes, never their values: "" when
// none, else "(a,b.c)".
func argumentNames(fc *graphql.FieldContext) string {
	var names []string
	for _, arg := range fc.Field.Arguments {
		names = argumentPaths(names, arg.Name, reflect.ValueOf(fc.Args[arg.Name]))
	}
	if len(names) == 0 {
		return ""
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return "(" + strings.Join(names[:min(len(names), maxAuditedArguments)], ",") + ")"
}

// spelledOutInputs are the input objects whose fields argumentNames spells out: the filters and
// the property inputs, whose field names say what was compared or written. Other input objects
// (an ordering, a link's ends, a marking, a submission) are named as a whole.
var spelledOutInputs = func() map[string]bool {
	names := map[string]bool{"ProvenanceFilter": true, "LinkPropertiesInput": true, "GeoPointInput": true}
	for _, l := range tg.Labels {
		names[l.Name+"Where"], names[l.Name+"Input"] = true, true
	}
	return names
}()

func spelledOut(v reflect.Value) bool {
	return isGeneratedInput(v) && spelledOutInputs[v.Type().Name()]
}

func argumentPaths(names []string, path string, v reflect.Value) []string {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return names
		}
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.Invalid:
		return names
	case v.Kind() == reflect.Map:
		for _, key := range v.MapKeys() {
			names = argumentPaths(names, path+"."+fmt.Sprint(key.Interface()), v.MapIndex(key))
		}
		return names
	case spelledOut(v):
		for _, f := range inputFields(v) {
			if !f.null {
				names = argumentPaths(names, path+"."+f.name, f.value)
			}
		}
		return names
	case v.Kind() == reflect.Slice:
		objects := false
		for i := range v.Len() {
			item := v.Index(i)
			for (item.Kind() == reflect.Interface || item.Kind() == reflect.Pointer) && !item.IsNil() {
				item = item.Elem()
			}
			if item.Kind() == reflect.Map || spelledOut(item) {
				objects, names = true, argumentPaths(names, path, item)
			}
		}
		if objects {
			return names
		}
	}
	return append(names, path)
}

func (r *accessRecord) entity(id string, prov *store.Provenance) {
	if id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.returned[id] = true
	if prov != nil && slices.Contains(store.SensitiveMarkings, prov.Tlp) {
		r.sensitive[id] = true
		r.markings[prov.Tlp] = true
	}
}

func (r *accessRecord) disclosesSensitiveData() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sensitive) > 0 || len(r.piiFields) > 0 || len(r.aggregates) > 0
}

func (r *accessRecord) derivedAnswers() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedSet(r.aggregates)
}

// sensitiveMarkings lists the markings noted, in store.SensitiveMarkings order.
func (r *accessRecord) sensitiveMarkings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range store.SensitiveMarkings {
		if r.markings[m] {
			out = append(out, m)
		}
	}
	return out
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
	// leafTypes hold no node: a value's walk does not enter them (a Derivation is read whole).
	leafTypes = []reflect.Type{provenanceType, reflect.PointerTo(provenanceType), reflect.TypeFor[store.Derivation]()}
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
