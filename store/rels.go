package store

// The relationship types of docs/graph-model.md.
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
)

// relKind describes a relationship type clients may create: which labels it joins and which
// properties it takes (keyed by the API's input name; stored under property.name).
type relKind struct {
	typ       string
	from, to  []string // nil means any entity label
	props     map[string]property
	required  []string
	dateOrder [][2]string
}

var (
	partyLabels  = []string{LabelPerson, LabelBusiness}
	entityLabels = []string{LabelPerson, LabelLocation, LabelRoute, LabelBusiness, LabelIncident, LabelIdentifier, LabelReport}
)

var relKinds = map[string]*relKind{
	RelInvolvedIn: {typ: RelInvolvedIn, from: partyLabels, to: []string{LabelIncident},
		props:    map[string]property{"role": {name: "role", typ: typeEnum}},
		required: []string{"role"}},
	RelAssociateOf: {typ: RelAssociateOf, from: []string{LabelPerson}, to: []string{LabelPerson},
		props: map[string]property{"kind": {name: "kind", typ: typeEnum}}},
	RelHasIdentifier: {typ: RelHasIdentifier, from: partyLabels, to: []string{LabelIdentifier}},
	RelWorksFor:      {typ: RelWorksFor, from: []string{LabelPerson}, to: []string{LabelBusiness}},
	RelDirectorOf:    {typ: RelDirectorOf, from: []string{LabelPerson}, to: []string{LabelBusiness}},
	RelOwns: {typ: RelOwns, from: partyLabels, to: []string{LabelBusiness},
		props: map[string]property{"share": {name: "share", typ: typeFloat}}},
	RelLivesAt: {typ: RelLivesAt, from: []string{LabelPerson}, to: []string{LabelLocation}},
	RelWithin:  {typ: RelWithin, from: []string{LabelLocation}, to: []string{LabelLocation}},
	RelStop: {typ: RelStop, from: []string{LabelRoute}, to: []string{LabelLocation},
		props: map[string]property{
			"seq":      {name: "seq", typ: typeInt},
			"stopRole": {name: "role", typ: typeEnum},
		},
		required: []string{"seq", "stopRole"}},
	RelSupplies: {typ: RelSupplies, from: []string{LabelBusiness}, to: []string{LabelBusiness},
		props: map[string]property{
			"product": {name: "product", typ: typeString, maxLen: 300},
			"since":   {name: "since", typ: typeDate},
			"until":   {name: "until", typ: typeDate},
		},
		dateOrder: [][2]string{{"since", "until"}}},
	RelLocatedAt:  {typ: RelLocatedAt, from: []string{LabelBusiness}, to: []string{LabelLocation}},
	RelOccurredAt: {typ: RelOccurredAt, from: []string{LabelIncident}, to: []string{LabelLocation}},
	RelUsedRoute:  {typ: RelUsedRoute, from: []string{LabelIncident}, to: []string{LabelRoute}},
	RelAbout:      {typ: RelAbout, from: []string{LabelReport}, to: []string{LabelLocation}},
	RelEvidences:  {typ: RelEvidences, from: []string{LabelReport}, to: []string{LabelIncident}},
	RelMentions:   {typ: RelMentions, from: []string{LabelReport}, to: entityLabels},
}
