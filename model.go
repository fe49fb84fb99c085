package traffikgraph

import "slices"

// The graph model, written once. Every label with its properties and every relationship type
// with its ends, properties and the GraphQL fields that follow it are in the tables below; the
// store's allowlists, filters and sorts, the relationship fields of the resolvers, the
// migrations, the seeder and docs/graph-model.md (generated: go generate) are derived from them,
// and model_test.go proves the SDL (schema/*.graphqls) and the migrations agree with them.
// Adding a property is one line here plus the SDL. Why a Go table: docs/design.md.

// ValueType is how a property is stored and validated.
type ValueType int

const (
	String ValueType = iota
	StringList
	Enum
	EnumList
	Int
	Float
	Date
	DateTime
	Point
	Country // ISO 3166-1 alpha-2
)

// FilterOp is a comparison a filter may make on a property; the API spells it as the suffix of
// the filter field (`name_contains`), OpEq without one (`name`).
type FilterOp string

const (
	OpEq         FilterOp = "eq"
	OpIn         FilterOp = "in"
	OpContains   FilterOp = "contains"
	OpStartsWith FilterOp = "startsWith"
	OpIncludes   FilterOp = "includes"
	OpGt         FilterOp = "gt"
	OpGte        FilterOp = "gte"
	OpLt         FilterOp = "lt"
	OpLte        FilterOp = "lte"
)

// IndexKind is the Neo4j index a property has (the migrations create it).
type IndexKind int

const (
	NoIndex IndexKind = iota
	RangeIndex
	PointIndex
)

// PIIRule says when a property is personal data: never, always, or only on nodes whose property
// When holds the value Is (a location's name is personal only for a street address).
type PIIRule struct {
	Personal bool
	When, Is string
}

var (
	alwaysPersonal = PIIRule{Personal: true}
	// Where an address lies says as much as the address.
	addressPersonal = PIIRule{Personal: true, When: "kind", Is: "ADDRESS"}
)

// Property is one property of a label or relationship type.
type Property struct {
	// Name is the Neo4j property; Input is the API's name for it where that differs.
	Name, Input string
	Type        ValueType
	// Enum names the GraphQL enum of an Enum or EnumList property (its values are in Enums).
	Enum string
	PII  PIIRule
	// Filters are the comparisons the label's Where input offers; Provenance properties are
	// filtered under `provenance:`.
	Filters    []FilterOp
	Provenance bool
	// SortField is the value of the label's SortField enum naming it; empty when not sortable.
	SortField string
	MaxLen    int  // for strings and string lists; 0 means DefaultMaxLen
	ReadOnly  bool // set by the store, never by input
	Required  bool // must be present on create (and on a relationship)
	Index     IndexKind
	// Search puts the property in a full-text index: the public one, or the personal-data one
	// when the property is always personal.
	Search bool
	Doc    string
}

// DefaultMaxLen bounds a string property without a MaxLen.
const DefaultMaxLen = 500

// InputName is the property's name in the API's inputs.
func (p Property) InputName() string {
	if p.Input != "" {
		return p.Input
	}
	return p.Name
}

// Label is a node label the API exposes.
type Label struct {
	Name  string
	Doc   string
	Props []Property
	// DateOrder lists pairs of date properties where the first may not come after the second.
	DateOrder [][2]string
	// Directory: partners and sharing groups are the hub's directory, not intelligence: always
	// CLEAR, no provenance in the API, ids chosen by an admin.
	Directory bool
}

// Prop returns the property of the label with the given Neo4j name.
func (l *Label) Prop(name string) (Property, bool) {
	for _, p := range l.Props {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// SortProp returns the property the sort field names.
func (l *Label) SortProp(sortField string) (Property, bool) {
	for _, p := range l.Props {
		if p.SortField != "" && p.SortField == sortField {
			return p, true
		}
	}
	return Property{}, false
}

// Direction is which way a relationship is followed from the node asked about.
type Direction int

const (
	Outgoing Direction = iota
	Incoming
)

// Cardinality says how many relationships of a type a from node has.
type Cardinality int

const (
	ManyToMany Cardinality = iota
	// ManyToOne: a from node has one (its field on the from side is single-valued).
	ManyToOne
)

// RelField is a GraphQL field that follows a relationship type from one of its ends.
type RelField struct {
	On   string // the label (and GraphQL type) the field is on
	Name string
	// Direction is Outgoing when On is the relationship's from end.
	Direction Direction
	// Targets are the labels the field reaches; nil means every label of the other end.
	Targets []string
	// NodeField names the field of the edge type holding the neighbour (Involvement.incident);
	// empty when the field lists nodes.
	NodeField string
	// Roles, Kinds: the field takes a roles (kinds) argument on the relationship's role (kind).
	Roles, Kinds bool
	// Filter: the label's Where input has `<Name>_some` and `<Name>_none` on this field (it
	// reaches exactly one label).
	Filter bool
}

// Relationship is a relationship type.
type Relationship struct {
	Type     string
	Doc      string
	From, To []string // nil To means any intelligence label
	Cardinality
	Props     []Property // keyed by InputName in LinkPropertiesInput
	DateOrder [][2]string
	// Linkable: clients create and remove it with link/unlink (MEMBER_OF is the admin's).
	Linkable bool
	Fields   []RelField
}

// Prop returns the relationship's property with the given API (input) name.
func (r *Relationship) Prop(inputName string) (Property, bool) {
	for _, p := range r.Props {
		if p.InputName() == inputName {
			return p, true
		}
	}
	return Property{}, false
}

// Single says whether the field returns one node.
func (r *Relationship) Single(f RelField) bool {
	return r.Cardinality == ManyToOne && f.Direction == Outgoing
}

// Reaches is the labels field f reaches; nil means any intelligence label.
func (r *Relationship) Reaches(f RelField) []string {
	switch {
	case f.Targets != nil:
		return f.Targets
	case f.Direction == Outgoing:
		return r.To
	}
	return r.From
}

// The labels.
const (
	LabelPerson       = "Person"
	LabelLocation     = "Location"
	LabelRoute        = "Route"
	LabelBusiness     = "Business"
	LabelIncident     = "Incident"
	LabelIdentifier   = "Identifier"
	LabelReport       = "Report"
	LabelPartner      = "Partner"
	LabelSharingGroup = "SharingGroup"
	// LabelEntity is on every node of the labels above, for lookups by id whatever the label.
	LabelEntity = "Entity"
	// LabelAuditEvent is the audit trail's records: not graph data, never read by the API's
	// graph queries (store/audit.go).
	LabelAuditEvent = "AuditEvent"
	// LabelVersion is the history's records (store/history.go): one per change of a node's or
	// relationship's properties, marking or grading, per entity whose history it belongs to.
	// Never an Entity, so no list, search, traversal or workspace export reaches one.
	LabelVersion = "Version"
	// LabelMergeEvent is a merge of two records of one partner (store/merge.go), holding what
	// unmergeEntities restores. Never an Entity, so no list, search, traversal or workspace
	// export reaches one.
	LabelMergeEvent = "MergeEvent"
)

// The relationship types.
const (
	RelInvolvedIn    = "INVOLVED_IN"
	RelAssociateOf   = "ASSOCIATE_OF"
	RelHasIdentifier = "HAS_IDENTIFIER"
	RelWorksFor      = "WORKS_FOR"
	RelDirectorOf    = "DIRECTOR_OF"
	RelOwns          = "OWNS"
	RelLivesAt       = "LIVES_AT"
	RelWithin        = "WITHIN"
	RelStop          = "STOP"
	RelSupplies      = "SUPPLIES"
	RelLocatedAt     = "LOCATED_AT"
	RelOccurredAt    = "OCCURRED_AT"
	RelUsedRoute     = "USED_ROUTE"
	RelAbout         = "ABOUT"
	RelEvidences     = "EVIDENCES"
	RelMentions      = "MENTIONS"
	RelMemberOf      = "MEMBER_OF"
	RelDerivedFrom   = "DERIVED_FROM"
	RelSameAs        = "SAME_AS"
)

// The markings (TLP 2.0), from the least to the most restricted.
const (
	TlpClear       = "CLEAR"
	TlpGreen       = "GREEN"
	TlpAmber       = "AMBER"
	TlpAmberStrict = "AMBER_STRICT"
	TlpRed         = "RED"
)

// The kinds of change a Version records (store/history.go). A new kind of decision is one
// constant here, its place in Enums["ChangeKind"] and the same value in schema/history.graphqls.
const (
	ChangeCreated = "CREATED"
	ChangeUpdated = "UPDATED"
	// ChangeMarked: the marking or grading changed (other properties may have changed with it).
	ChangeMarked    = "MARKED"
	ChangeDeleted   = "DELETED"
	ChangeRetracted = "RETRACTED"
	ChangeLinked    = "LINKED"
	ChangeUnlinked  = "UNLINKED"
	// ChangeTriaged: a triage decision set a report's status (dismissed, linked, escalated).
	ChangeTriaged = "TRIAGED"
	// ChangeErased: a subject's personal data was erased (store/erase.go); the version names the
	// fields and holds no value.
	ChangeErased = "ERASED"
	// ChangeMerged: a record was merged into another (store/merge.go), in both records' histories;
	// ChangeUnmerged: the merge was undone.
	ChangeMerged   = "MERGED"
	ChangeUnmerged = "UNMERGED"
)

// Enums are the values of every enum a property takes, by GraphQL enum name.
var Enums = map[string][]string{
	"Tlp":              {TlpClear, TlpGreen, TlpAmber, TlpAmberStrict, TlpRed},
	"Gender":           {"FEMALE", "MALE", "OTHER", "UNKNOWN"},
	"AgeBand":          {"UNDER_12", "AGE_12_17", "AGE_18_29", "AGE_30_49", "AGE_50_PLUS", "UNKNOWN"},
	"AssociationKind":  {"FAMILY", "PARTNER", "FRIEND", "COLLEAGUE", "CRIMINAL_ASSOCIATE", "OTHER"},
	"LocationKind":     {"COUNTRY", "REGION", "CITY", "SITE", "PORT", "BORDER_CROSSING", "ADDRESS"},
	"TransportMode":    {"ROAD", "RAIL", "AIR", "SEA", "FOOT"},
	"StopRole":         {"ORIGIN", "TRANSIT", "DESTINATION"},
	"ExploitationType": {"SEXUAL_EXPLOITATION", "FORCED_LABOUR", "FORCED_CRIMINALITY", "FORCED_MARRIAGE", "DOMESTIC_SERVITUDE", "ORGAN_REMOVAL", "CHILD_SOLDIERING", "BEGGING", "OTHER"},
	"IncidentStage":    {"RECRUITMENT", "TRANSPORT", "EXPLOITATION"},
	"MeansOfControl": {"DEBT_BONDAGE", "TAKES_EARNINGS", "RESTRICTS_FINANCIAL_ACCESS", "THREATS", "PSYCHOLOGICAL_ABUSE",
		"PHYSICAL_ABUSE", "SEXUAL_ABUSE", "FALSE_PROMISES", "PSYCHOACTIVE_SUBSTANCES", "RESTRICTS_MOVEMENT",
		"RESTRICTS_MEDICAL_CARE", "EXCESSIVE_WORKING_HOURS", "USES_CHILDREN", "THREAT_OF_LAW_ENFORCEMENT",
		"WITHHOLDS_NECESSITIES", "WITHHOLDS_DOCUMENTS", "OTHER"},
	"InvolvementRole": {"VICTIM", "SUSPECT", "RECRUITER", "TRANSPORTER", "EXPLOITER", "BENEFICIARY", "WITNESS"},
	"IdentifierKind":  {"PHONE", "EMAIL", "BANK_ACCOUNT", "VEHICLE_PLATE", "PASSPORT", "SOCIAL_HANDLE", "URL"},
	"ReportChannel":   {"APP", "WEB", "HOTLINE", "PARTNER"},
	"ReportStatus":    {"NEW", "TRIAGED", "IN_REVIEW", "LINKED", "ESCALATED", "DISMISSED", "CLOSED"},
	"PartnerKind":     {"NGO", "LAW_ENFORCEMENT", "FINANCIAL", "BUSINESS", "ACADEMIA", "GOVERNMENT"},
	"ChangeKind": {ChangeCreated, ChangeUpdated, ChangeMarked, ChangeDeleted, ChangeRetracted, ChangeLinked,
		ChangeUnlinked, ChangeTriaged, ChangeErased, ChangeMerged, ChangeUnmerged},
	"DismissReason": {"DUPLICATE", "NOT_TRAFFICKING", "INSUFFICIENT_DETAIL", "SPAM", "OUT_OF_SCOPE", "OTHER"},
}

var (
	textFilters = []FilterOp{OpEq, OpContains, OpStartsWith}
	inFilter    = []FilterOp{OpIn}
)

// provenance returns the properties every node (and every intelligence relationship) carries;
// the id is filtered and createdAt and updatedAt sorted where the label's list offers it.
func provenance(filterID, sortCreated, sortUpdated bool) []Property {
	sort := func(ok bool, field string) string {
		if ok {
			return field
		}
		return ""
	}
	var idFilters []FilterOp
	if filterID {
		idFilters = inFilter
	}
	return []Property{
		{Name: "id", Type: String, ReadOnly: true, Filters: idFilters,
			Doc: "unique; UUID v4 (deterministic in the seed), a partner's or group's id chosen by an admin"},
		{Name: "sourcePartner", Type: String, ReadOnly: true, Provenance: true, Filters: inFilter,
			Doc: "id of the Partner that contributed it"},
		{Name: "tlp", Type: Enum, Enum: "Tlp", ReadOnly: true, Provenance: true, Filters: inFilter, Doc: "sharing marking"},
		{Name: "sharedWith", Type: StringList, ReadOnly: true, Provenance: true, Doc: "partner ids that may see RED data besides the source"},
		{Name: "grading", Type: String, ReadOnly: true, Provenance: true,
			Doc: "3x5x2 grading, e.g. `1AP`: source `1`-`3`, intelligence `A`-`E`, handling `P`/`C`; optional"},
		{Name: "externalRefs", Type: StringList, ReadOnly: true, Provenance: true,
			Doc: "contributor's own ids, stored as `\"<partnerId>:<ref>\"` so that upserts are per partner"},
		{Name: "createdAt", Type: DateTime, ReadOnly: true, Provenance: true, Filters: []FilterOp{OpGte, OpLt},
			SortField: sort(sortCreated, "CREATED_AT"), Index: RangeIndex, Doc: "set by the store"},
		{Name: "updatedAt", Type: DateTime, ReadOnly: true, Provenance: true, Filters: []FilterOp{OpGte},
			SortField: sort(sortUpdated, "UPDATED_AT"), Doc: "set by the store"},
	}
}

func intelligence(props ...Property) []Property {
	return append(props, provenance(true, true, true)...)
}

// Labels is every label the API exposes, intelligence first, then the directory.
var Labels = []*Label{
	{Name: LabelPerson, Doc: "someone the intelligence is about", Props: intelligence(
		Property{Name: "name", Type: String, PII: alwaysPersonal, Filters: textFilters, SortField: "NAME", MaxLen: 200, Index: RangeIndex, Search: true},
		Property{Name: "aliases", Type: StringList, PII: alwaysPersonal, MaxLen: 200, Search: true},
		Property{Name: "gender", Type: Enum, Enum: "Gender", Filters: inFilter},
		Property{Name: "birthYear", Type: Int, PII: alwaysPersonal, Filters: []FilterOp{OpGte, OpLte}, SortField: "BIRTH_YEAR"},
		Property{Name: "ageBand", Type: Enum, Enum: "AgeBand", Filters: inFilter},
		Property{Name: "nationality", Type: Country, Filters: inFilter, SortField: "NATIONALITY", Index: RangeIndex},
		Property{Name: "erasedAt", Type: DateTime, ReadOnly: true, Doc: "set by eraseSubject: the person's personal data is gone"},
		Property{Name: "erasureReason", Type: String, ReadOnly: true, Doc: "the steward's reason for the erasure"},
	)},
	{Name: LabelLocation, Doc: "a place, from a country down to a street address", Props: intelligence(
		Property{Name: "name", Type: String, PII: addressPersonal, Filters: textFilters, SortField: "NAME", MaxLen: 300, Required: true, Index: RangeIndex, Search: true},
		Property{Name: "kind", Type: Enum, Enum: "LocationKind", Filters: inFilter, SortField: "KIND", Required: true, Index: RangeIndex},
		Property{Name: "countryCode", Type: Country, Filters: inFilter, SortField: "COUNTRY_CODE", Index: RangeIndex},
		Property{Name: "point", Type: Point, PII: addressPersonal, Index: PointIndex},
		Property{Name: "erasedAt", Type: DateTime, ReadOnly: true, Doc: "set when the erasure of the one person living at this address removed its name and point"},
	)},
	{Name: LabelRoute, Doc: "a way people are moved, with ordered stops", Props: intelligence(
		Property{Name: "name", Type: String, Filters: []FilterOp{OpContains}, SortField: "NAME", MaxLen: 300, Index: RangeIndex, Search: true},
		Property{Name: "modes", Type: EnumList, Enum: "TransportMode", Filters: []FilterOp{OpIncludes}},
		Property{Name: "firstSeen", Type: Date, Filters: []FilterOp{OpGte}, SortField: "FIRST_SEEN"},
		Property{Name: "lastSeen", Type: Date, Filters: []FilterOp{OpLte}, SortField: "LAST_SEEN"},
	), DateOrder: [][2]string{{"firstSeen", "lastSeen"}}},
	{Name: LabelBusiness, Doc: "a company or organisation in a supply chain or a network", Props: intelligence(
		Property{Name: "name", Type: String, Filters: textFilters, SortField: "NAME", MaxLen: 300, Required: true, Index: RangeIndex, Search: true},
		Property{Name: "registrationNumber", Type: String, Filters: []FilterOp{OpEq}, SortField: "REGISTRATION_NUMBER", MaxLen: 100, Index: RangeIndex},
		Property{Name: "jurisdiction", Type: Country, Filters: inFilter, SortField: "JURISDICTION", Index: RangeIndex},
		Property{Name: "sector", Type: String, Filters: inFilter, MaxLen: 1, Doc: "ISIC Rev.4 section letter `A`-`U`"},
		Property{Name: "website", Type: String, MaxLen: 500},
	)},
	{Name: LabelIncident, Doc: "a case of trafficking or exploitation", Props: intelligence(
		Property{Name: "title", Type: String, Filters: []FilterOp{OpContains}, SortField: "TITLE", MaxLen: 300, Required: true, Search: true},
		Property{Name: "summary", Type: String, MaxLen: 10000, Search: true},
		Property{Name: "occurredFrom", Type: Date, Filters: []FilterOp{OpGte, OpLte}, SortField: "OCCURRED_FROM", Index: RangeIndex},
		Property{Name: "occurredTo", Type: Date, Filters: []FilterOp{OpGte, OpLte}, SortField: "OCCURRED_TO", Index: RangeIndex},
		Property{Name: "exploitationTypes", Type: EnumList, Enum: "ExploitationType", Filters: []FilterOp{OpIncludes}, Doc: "HTCDS 2.0"},
		Property{Name: "stage", Type: Enum, Enum: "IncidentStage", Filters: inFilter},
		Property{Name: "meansOfControl", Type: EnumList, Enum: "MeansOfControl", Doc: "HTCDS 2.0"},
		Property{Name: "victimCount", Type: Int, Filters: []FilterOp{OpGte}, SortField: "VICTIM_COUNT"},
	), DateOrder: [][2]string{{"occurredFrom", "occurredTo"}}},
	{Name: LabelIdentifier, Doc: "a phone, account, plate...: shared identifiers are how networks are found", Props: intelligence(
		Property{Name: "kind", Type: Enum, Enum: "IdentifierKind", Filters: inFilter, SortField: "KIND", Required: true, Index: RangeIndex},
		Property{Name: "value", Type: String, PII: alwaysPersonal, Filters: []FilterOp{OpEq}, SortField: "VALUE", MaxLen: 300, Required: true, Index: RangeIndex, Search: true,
			Doc: "normalised: phone E.164 digits with `+`, email lower case, account/plate/passport upper case without spaces"},
		Property{Name: "erasedAt", Type: DateTime, ReadOnly: true, Doc: "set when its only holder was erased: the value is gone"},
	)},
	{Name: LabelReport, Doc: "a story as submitted", Props: intelligence(
		Property{Name: "text", Type: String, PII: alwaysPersonal, Filters: []FilterOp{OpContains}, MaxLen: 20000, Required: true, Search: true},
		Property{Name: "language", Type: String, Filters: inFilter, MaxLen: 35, Doc: "BCP 47"},
		Property{Name: "submittedAt", Type: DateTime, Filters: []FilterOp{OpGte, OpLt}, SortField: "SUBMITTED_AT", Index: RangeIndex},
		Property{Name: "channel", Type: Enum, Enum: "ReportChannel", Filters: inFilter, Required: true},
		Property{Name: "status", Type: Enum, Enum: "ReportStatus", Filters: inFilter, SortField: "STATUS", Index: RangeIndex},
		Property{Name: "approxLocation", Type: Point, Index: PointIndex, Doc: "rounded to about 1 km when submitted anonymously"},
		Property{Name: "dismissReason", Type: Enum, Enum: "DismissReason", ReadOnly: true, Doc: "set by dismissReport"},
		// An analyst's note may quote the story, so it is as personal as the text.
		Property{Name: "dismissNote", Type: String, PII: alwaysPersonal, ReadOnly: true, MaxLen: 1000, Doc: "set by dismissReport"},
		Property{Name: "erasureReviewAt", Type: DateTime, ReadOnly: true,
			Doc: "set when an erased person it mentions could not be redacted from its text automatically: a steward must review it"},
	)},
	{Name: LabelPartner, Directory: true, Doc: "an organisation that shares through the hub; tokens name it", Props: append([]Property{
		{Name: "name", Type: String, Filters: []FilterOp{OpContains}, SortField: "NAME", MaxLen: 200, Required: true},
		{Name: "kind", Type: Enum, Enum: "PartnerKind", Filters: inFilter, SortField: "KIND", Required: true},
		{Name: "issuer", Type: String, MaxLen: 500, Doc: "OIDC issuer URL"},
	}, provenance(true, true, false)...)},
	{Name: LabelSharingGroup, Directory: true, Doc: "a set of partners that see each other's AMBER data", Props: append([]Property{
		{Name: "name", Type: String, MaxLen: 200, Required: true},
		{Name: "description", Type: String, MaxLen: 2000},
	}, provenance(false, false, false)...)},
}

var parties = []string{LabelPerson, LabelBusiness}

// Relationships is every relationship type.
var Relationships = []*Relationship{
	{Type: RelInvolvedIn, From: parties, To: []string{LabelIncident}, Linkable: true,
		Props: []Property{{Name: "role", Type: Enum, Enum: "InvolvementRole", Required: true, Index: RangeIndex}},
		Fields: []RelField{
			{On: LabelPerson, Name: "incidents", NodeField: "incident", Roles: true, Filter: true},
			{On: LabelBusiness, Name: "incidents", NodeField: "incident", Roles: true, Filter: true},
			{On: LabelIncident, Name: "people", Direction: Incoming, Targets: []string{LabelPerson}, NodeField: "person", Roles: true, Filter: true},
			{On: LabelIncident, Name: "businesses", Direction: Incoming, Targets: []string{LabelBusiness}, NodeField: "business", Roles: true, Filter: true},
		}},
	{Type: RelAssociateOf, From: []string{LabelPerson}, To: []string{LabelPerson}, Linkable: true,
		Props:  []Property{{Name: "kind", Type: Enum, Enum: "AssociationKind"}},
		Fields: []RelField{{On: LabelPerson, Name: "associates", NodeField: "person", Kinds: true, Filter: true}}},
	{Type: RelHasIdentifier, From: parties, To: []string{LabelIdentifier}, Linkable: true,
		Fields: []RelField{
			{On: LabelPerson, Name: "identifiers", Filter: true},
			{On: LabelBusiness, Name: "identifiers"},
			{On: LabelIdentifier, Name: "holders", Direction: Incoming},
		}},
	{Type: RelWorksFor, From: []string{LabelPerson}, To: []string{LabelBusiness}, Linkable: true,
		Fields: []RelField{{On: LabelPerson, Name: "worksFor"}}},
	{Type: RelDirectorOf, From: []string{LabelPerson}, To: []string{LabelBusiness}, Linkable: true,
		Fields: []RelField{
			{On: LabelPerson, Name: "directorOf"},
			{On: LabelBusiness, Name: "directors", Direction: Incoming},
		}},
	{Type: RelOwns, From: parties, To: []string{LabelBusiness}, Linkable: true,
		Props: []Property{{Name: "share", Type: Float, Doc: "0..1, optional"}},
		Fields: []RelField{
			{On: LabelPerson, Name: "owns"},
			{On: LabelBusiness, Name: "owners", Direction: Incoming},
			{On: LabelBusiness, Name: "subsidiaries"},
		}},
	{Type: RelLivesAt, From: []string{LabelPerson}, To: []string{LabelLocation}, Linkable: true,
		Fields: []RelField{{On: LabelPerson, Name: "livesAt", Filter: true}}},
	{Type: RelWithin, Doc: "child → parent", From: []string{LabelLocation}, To: []string{LabelLocation}, Cardinality: ManyToOne, Linkable: true,
		Fields: []RelField{
			{On: LabelLocation, Name: "parent", Filter: true},
			{On: LabelLocation, Name: "children", Direction: Incoming},
		}},
	{Type: RelStop, From: []string{LabelRoute}, To: []string{LabelLocation}, Linkable: true,
		Props: []Property{
			{Name: "seq", Type: Int, Required: true, Doc: "from 0"},
			{Name: "role", Input: "stopRole", Type: Enum, Enum: "StopRole", Required: true},
		},
		Fields: []RelField{{On: LabelRoute, Name: "stops", NodeField: "location", Filter: true}}},
	{Type: RelSupplies, Doc: "supplier → customer", From: []string{LabelBusiness}, To: []string{LabelBusiness}, Linkable: true,
		Props: []Property{
			{Name: "product", Type: String, MaxLen: 300},
			{Name: "since", Type: Date, Index: RangeIndex},
			{Name: "until", Type: Date},
		},
		DateOrder: [][2]string{{"since", "until"}},
		Fields: []RelField{
			{On: LabelBusiness, Name: "suppliers", Direction: Incoming, NodeField: "business", Filter: true},
			{On: LabelBusiness, Name: "customers", NodeField: "business", Filter: true},
		}},
	{Type: RelLocatedAt, From: []string{LabelBusiness}, To: []string{LabelLocation}, Cardinality: ManyToOne, Linkable: true,
		Fields: []RelField{
			{On: LabelBusiness, Name: "location", Filter: true},
			{On: LabelLocation, Name: "businesses", Direction: Incoming},
		}},
	{Type: RelOccurredAt, From: []string{LabelIncident}, To: []string{LabelLocation}, Cardinality: ManyToOne, Linkable: true,
		Fields: []RelField{
			{On: LabelIncident, Name: "location", Filter: true},
			{On: LabelLocation, Name: "incidents", Direction: Incoming, Filter: true},
		}},
	{Type: RelUsedRoute, From: []string{LabelIncident}, To: []string{LabelRoute}, Cardinality: ManyToOne, Linkable: true,
		Fields: []RelField{
			{On: LabelIncident, Name: "route", Filter: true},
			{On: LabelRoute, Name: "incidents", Direction: Incoming, Filter: true},
		}},
	{Type: RelAbout, From: []string{LabelReport}, To: []string{LabelLocation}, Cardinality: ManyToOne, Linkable: true,
		Fields: []RelField{{On: LabelReport, Name: "about", Filter: true}}},
	{Type: RelEvidences, From: []string{LabelReport}, To: []string{LabelIncident}, Linkable: true,
		Fields: []RelField{
			{On: LabelReport, Name: "evidences", Filter: true},
			{On: LabelIncident, Name: "reports", Direction: Incoming},
		}},
	{Type: RelMentions, From: []string{LabelReport}, Linkable: true,
		Fields: []RelField{{On: LabelReport, Name: "mentions"}}},
	// DERIVED_FROM is a relationship, not a property of the incident, so that the one visibility
	// predicate decides who learns the report's id: a property would travel with the incident.
	{Type: RelDerivedFrom, Doc: "incident → the report it was created from (createIncidentFromReport)", From: []string{LabelIncident},
		To: []string{LabelReport}, Cardinality: ManyToOne,
		Fields: []RelField{{On: LabelIncident, Name: "derivedFromReport"}}},
	{Type: RelMemberOf, From: []string{LabelPartner}, To: []string{LabelSharingGroup},
		Fields: []RelField{
			{On: LabelPartner, Name: "groups"},
			{On: LabelSharingGroup, Name: "members", Direction: Incoming},
		}},
	// SAME_AS is entity resolution across partners: a partner's claim, under its own marking, that
	// two records of one label are one real-world thing; neither record changes. Not Linkable: the
	// store's LinkSameAs writes it (one per partner and pair, stored from the smaller id to the
	// larger), and traversals follow it only when asked (followSameAs).
	{Type: RelSameAs, Doc: "two records of one label describe the same real-world thing; stored smaller id → larger", From: ResolvedLabels, To: ResolvedLabels},
}

// ResolvedLabels are the labels entity resolution applies to: the records duplicateCandidates
// compares, SAME_AS joins and a merge unites.
var ResolvedLabels = []string{LabelPerson, LabelBusiness, LabelLocation}

// IntelligenceLabels are the labels of the intelligence (every label but the directory's):
// what a relationship without a To reaches.
var IntelligenceLabels = func() []string {
	var out []string
	for _, l := range Labels {
		if !l.Directory {
			out = append(out, l.Name)
		}
	}
	return out
}()

// LabelOf returns the label named name; ok is false for a label the model does not define.
func LabelOf(name string) (*Label, bool) {
	i := slices.IndexFunc(Labels, func(l *Label) bool { return l.Name == name })
	if i < 0 {
		return nil, false
	}
	return Labels[i], true
}

// RelationshipOf returns the relationship type typ.
func RelationshipOf(typ string) (*Relationship, bool) {
	i := slices.IndexFunc(Relationships, func(r *Relationship) bool { return r.Type == typ })
	if i < 0 {
		return nil, false
	}
	return Relationships[i], true
}

// FieldOf returns the relationship field name on the label, with its relationship.
func FieldOf(label, name string) (*Relationship, RelField, bool) {
	for _, r := range Relationships {
		for _, f := range r.Fields {
			if f.On == label && f.Name == name {
				return r, f, true
			}
		}
	}
	return nil, RelField{}, false
}

// IsPersonal answers whether property of a node with the label is personal data, given the
// node's own property values (valueOf, by Neo4j name; a conditional rule reads one). This is
// the one statement of the PII rule; the store's Cypher is built from the same PIIRule.
func IsPersonal(label, property string, valueOf func(property string) any) bool {
	l, ok := LabelOf(label)
	if !ok {
		return false
	}
	p, ok := l.Prop(property)
	if !ok || !p.PII.Personal {
		return false
	}
	return p.PII.When == "" || valueOf(p.PII.When) == p.PII.Is
}
