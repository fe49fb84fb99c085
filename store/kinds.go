package store

// valueType is how a property is stored and validated.
type valueType int

const (
	typeString valueType = iota
	typeStringList
	typeEnum
	typeEnumList
	typeInt
	typeFloat
	typeDate
	typeDateTime
	typePoint
	typeCountry // ISO 3166-1 alpha-2
)

// piiRule says when a property is personal data.
type piiRule int

const (
	notPII piiRule = iota
	alwaysPII
	// piiForAddresses: PII only on Location nodes of kind ADDRESS.
	piiForAddresses
)

// property describes one property of a label: the allowlist every filter, sort and write is
// checked against, so that no client string ever becomes a property name in Cypher.
type property struct {
	name     string
	typ      valueType
	pii      piiRule
	sortKey  string // the GraphQL sort field naming it, empty when not sortable
	maxLen   int    // for strings; 0 means defaultMaxLen
	readOnly bool   // set by the store, never by input
	required bool   // must be present on create
}

const defaultMaxLen = 500

// kind describes a label the API exposes.
type kind struct {
	label string
	props []property
	// dateOrder lists pairs of date properties where the first may not come after the second.
	dateOrder [][2]string
	// noProvenanceFilter: partners and sharing groups are directory data, not intelligence.
	directory bool
}

func (k *kind) prop(name string) (property, bool) {
	for _, p := range k.props {
		if p.name == name {
			return p, true
		}
	}
	return property{}, false
}

func (k *kind) sortProp(sortKey string) (property, bool) {
	for _, p := range k.props {
		if p.sortKey != "" && p.sortKey == sortKey {
			return p, true
		}
	}
	return property{}, false
}

// provenanceProps are on every entity and every intelligence relationship.
var provenanceProps = []property{
	{name: "id", typ: typeString, readOnly: true},
	{name: "sourcePartner", typ: typeString, readOnly: true},
	{name: "tlp", typ: typeEnum, readOnly: true},
	{name: "sharedWith", typ: typeStringList, readOnly: true},
	{name: "grading", typ: typeString, readOnly: true},
	{name: "externalRefs", typ: typeStringList, readOnly: true},
	{name: "createdAt", typ: typeDateTime, readOnly: true, sortKey: "CREATED_AT"},
	{name: "updatedAt", typ: typeDateTime, readOnly: true, sortKey: "UPDATED_AT"},
}

func withProvenance(props ...property) []property {
	return append(props, provenanceProps...)
}

// The labels of docs/graph-model.md.
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
)

var kinds = map[string]*kind{
	LabelPerson: {label: LabelPerson, props: withProvenance(
		property{name: "name", typ: typeString, pii: alwaysPII, sortKey: "NAME", maxLen: 200},
		property{name: "aliases", typ: typeStringList, pii: alwaysPII, maxLen: 200},
		property{name: "gender", typ: typeEnum},
		property{name: "birthYear", typ: typeInt, pii: alwaysPII, sortKey: "BIRTH_YEAR"},
		property{name: "ageBand", typ: typeEnum},
		property{name: "nationality", typ: typeCountry, sortKey: "NATIONALITY"},
	)},
	LabelLocation: {label: LabelLocation, props: withProvenance(
		property{name: "name", typ: typeString, pii: piiForAddresses, sortKey: "NAME", maxLen: 300, required: true},
		property{name: "kind", typ: typeEnum, sortKey: "KIND", required: true},
		property{name: "countryCode", typ: typeCountry, sortKey: "COUNTRY_CODE"},
		// Where an address lies says as much as the address.
		property{name: "point", typ: typePoint, pii: piiForAddresses},
	)},
	LabelRoute: {label: LabelRoute, props: withProvenance(
		property{name: "name", typ: typeString, sortKey: "NAME", maxLen: 300},
		property{name: "modes", typ: typeEnumList},
		property{name: "firstSeen", typ: typeDate, sortKey: "FIRST_SEEN"},
		property{name: "lastSeen", typ: typeDate, sortKey: "LAST_SEEN"},
	), dateOrder: [][2]string{{"firstSeen", "lastSeen"}}},
	LabelBusiness: {label: LabelBusiness, props: withProvenance(
		property{name: "name", typ: typeString, sortKey: "NAME", maxLen: 300, required: true},
		property{name: "registrationNumber", typ: typeString, sortKey: "REGISTRATION_NUMBER", maxLen: 100},
		property{name: "jurisdiction", typ: typeCountry, sortKey: "JURISDICTION"},
		property{name: "sector", typ: typeString, maxLen: 1},
		property{name: "website", typ: typeString, maxLen: 500},
	)},
	LabelIncident: {label: LabelIncident, props: withProvenance(
		property{name: "title", typ: typeString, sortKey: "TITLE", maxLen: 300, required: true},
		property{name: "summary", typ: typeString, maxLen: 10000},
		property{name: "occurredFrom", typ: typeDate, sortKey: "OCCURRED_FROM"},
		property{name: "occurredTo", typ: typeDate, sortKey: "OCCURRED_TO"},
		property{name: "exploitationTypes", typ: typeEnumList},
		property{name: "stage", typ: typeEnum},
		property{name: "meansOfControl", typ: typeEnumList},
		property{name: "victimCount", typ: typeInt, sortKey: "VICTIM_COUNT"},
	), dateOrder: [][2]string{{"occurredFrom", "occurredTo"}}},
	LabelIdentifier: {label: LabelIdentifier, props: withProvenance(
		property{name: "kind", typ: typeEnum, sortKey: "KIND", required: true},
		property{name: "value", typ: typeString, pii: alwaysPII, sortKey: "VALUE", maxLen: 300, required: true},
	)},
	LabelReport: {label: LabelReport, props: withProvenance(
		property{name: "text", typ: typeString, pii: alwaysPII, maxLen: 20000, required: true},
		property{name: "language", typ: typeString, maxLen: 35},
		property{name: "submittedAt", typ: typeDateTime, sortKey: "SUBMITTED_AT"},
		property{name: "channel", typ: typeEnum, required: true},
		property{name: "status", typ: typeEnum, sortKey: "STATUS"},
		property{name: "approxLocation", typ: typePoint},
	)},
	LabelPartner: {label: LabelPartner, directory: true, props: withProvenance(
		property{name: "name", typ: typeString, sortKey: "NAME", maxLen: 200, required: true},
		property{name: "kind", typ: typeEnum, sortKey: "KIND", required: true},
		property{name: "issuer", typ: typeString, maxLen: 500},
	)},
	LabelSharingGroup: {label: LabelSharingGroup, directory: true, props: withProvenance(
		property{name: "name", typ: typeString, sortKey: "NAME", maxLen: 200, required: true},
		property{name: "description", typ: typeString, maxLen: 2000},
	)},
}

// kindOf returns the descriptor of an exposed label; it panics on a label the code does not
// define, which is a programming error, never client input.
func kindOf(label string) *kind {
	k, ok := kinds[label]
	if !ok {
		panic("store: unknown label " + label)
	}
	return k
}
