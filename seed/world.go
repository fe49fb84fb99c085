package seed

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	tg "github.com/traffikgraph/traffikgraph"
)

// A kind is one family of generated entities with its own index space: entity i of a kind is
// derived from (namespace, seed, kind, i) alone, which is what lets the seed stream a world of
// any size and compute any relationship's endpoints without remembering earlier entities.
type kind struct {
	name  string // in ids and externalRefs
	label string // the Neo4j label besides Entity
}

var (
	kindCountry    = kind{"country", tg.LabelLocation}
	kindCity       = kind{"city", tg.LabelLocation}
	kindAddress    = kind{"address", tg.LabelLocation}
	kindSite       = kind{"site", tg.LabelLocation}
	kindIdentifier = kind{"identifier", tg.LabelIdentifier}
	kindBusiness   = kind{"business", tg.LabelBusiness}
	kindPerson     = kind{"person", tg.LabelPerson}
	kindRoute      = kind{"route", tg.LabelRoute}
	kindIncident   = kind{"incident", tg.LabelIncident}
	kindReport     = kind{"report", tg.LabelReport}
)

// allKinds is the order in which nodes (and then relationships) are written.
var allKinds = []kind{
	kindCountry, kindCity, kindAddress, kindSite, kindIdentifier, kindBusiness,
	kindPerson, kindRoute, kindIncident, kindReport,
}

// Shape of the synthetic world.
const (
	networkSize = 8 // people per network; a network shares phones and bank accounts
	supplyTiers = 6 // tier 0 (brands, hotels) to tier 5 (raw materials)
	chainWidth  = 10
	// harbourChainEvery: every n-th supply chain is Harbour Hotels' own due-diligence data.
	harbourChainEvery = 4
)

// rel is one relationship to write: endpoints by id and its properties.
type rel struct {
	typ      string
	from, to string
	props    map[string]any
}

// world derives every entity of one (namespace, seed, scale).
type world struct {
	seed   uint64
	space  uuid.UUID
	ns     string
	counts map[kind]int
	shared int // identifiers [0, shared) are network-shared phones and bank accounts
	chains int
	// base is the fixed "now" of the synthetic world; wall-clock time would break determinism.
	base      time.Time
	countryOf map[string]int
}

var seedNamespace = uuid.MustParse("5b0d3c2e-7f0a-4a8e-9a57-1c0ffee5eed0")

func newWorld(opts Options) *world {
	ns := opts.Namespace
	if ns == "" {
		ns = "demo"
	}
	rest := opts.Scale - len(countries) - len(cities) - len(DemoPartners) - len(DemoSharingGroups)
	counts := map[kind]int{
		kindIdentifier: rest * 14 / 100,
		kindBusiness:   rest * 14 / 100,
		kindAddress:    rest * 10 / 100,
		kindSite:       rest * 5 / 100,
		kindIncident:   rest * 9 / 100,
		kindReport:     rest * 15 / 100,
		kindRoute:      rest * 5 / 100,
	}
	people := rest // people take whatever the other shares leave, so the total is exactly Scale
	for _, n := range counts {
		people -= n
	}
	counts[kindPerson] = people
	counts[kindCountry] = len(countries)
	counts[kindCity] = len(cities)

	w := &world{
		seed:      uint64(opts.Seed),
		space:     uuid.NewSHA1(seedNamespace, []byte(ns+"|"+strconv.FormatInt(opts.Seed, 10))),
		ns:        ns,
		counts:    counts,
		shared:    max(2, counts[kindIdentifier]*2/5),
		chains:    max(1, counts[kindBusiness]/(supplyTiers*chainWidth)),
		base:      Today,
		countryOf: make(map[string]int, len(countries)),
	}
	for i, c := range countries {
		w.countryOf[c.code] = i
	}
	return w
}

func (w *world) total() int {
	n := 0
	for _, c := range w.counts {
		n += c
	}
	return n
}

func (w *world) id(k kind, i int) string {
	return uuid.NewSHA1(w.space, []byte(k.name+"/"+strconv.Itoa(i))).String()
}

// rng is the random stream of entity i of kind k: the same stream in every run and phase.
func (w *world) rng(k kind, i int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(k.name))
	return rand.New(rand.NewPCG(w.seed^h.Sum64(), uint64(i)))
}

// generate returns entity i of kind k and the relationships it owns.
func (w *world) generate(k kind, i int) (map[string]any, []rel) {
	r := w.rng(k, i)
	e := &entity{w: w, r: r, kind: k, index: i}
	switch k {
	case kindCountry:
		w.country(e)
	case kindCity:
		w.city(e)
	case kindAddress:
		w.address(e)
	case kindSite:
		w.site(e)
	case kindIdentifier:
		w.identifier(e)
	case kindBusiness:
		w.business(e)
	case kindPerson:
		w.person(e)
	case kindRoute:
		w.route(e)
	case kindIncident:
		w.incident(e)
	case kindReport:
		w.report(e)
	}
	return e.props, e.rels
}

// entity collects one generated node and its outgoing relationships.
type entity struct {
	w     *world
	r     *rand.Rand
	kind  kind
	index int
	id    string
	mark  marking
	props map[string]any
	rels  []rel
}

// marking is the provenance that decides who sees a node or relationship.
type marking struct {
	source     string
	tlp        string
	sharedWith []string
	grading    string
}

// start sets the node's id and provenance; fields are the label's own properties.
func (e *entity) start(m marking, fields map[string]any) {
	e.id = e.w.id(e.kind, e.index)
	e.mark = m
	fields["id"] = e.id
	fields["externalRefs"] = []string{fmt.Sprintf("%s:synthetic/%s/%s/%d", m.source, e.w.ns, e.kind.name, e.index)}
	e.w.provenance(e.r, m, fields)
	e.props = fields
}

// link adds a relationship owned by this entity. Most carry the entity's own marking; some
// are marked independently, so that a visible node can have a hidden relationship.
func (e *entity) link(typ, from, to string, fields map[string]any) {
	m := e.mark
	if e.r.IntN(10) < 3 {
		m = drawMarking(e.r, m.source)
	}
	e.linkMarked(typ, from, to, m, fields)
}

func (e *entity) linkMarked(typ, from, to string, m marking, fields map[string]any) {
	if fields == nil {
		fields = map[string]any{}
	}
	e.w.provenance(e.r, m, fields)
	e.rels = append(e.rels, rel{typ: typ, from: from, to: to, props: fields})
}

func (w *world) provenance(r *rand.Rand, m marking, fields map[string]any) {
	created := w.base.Add(-time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Second)
	fields["sourcePartner"] = m.source
	fields["tlp"] = m.tlp
	fields["sharedWith"] = m.sharedWith
	if m.grading != "" {
		fields["grading"] = m.grading
	}
	fields["createdAt"] = created
	fields["updatedAt"] = created.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
}

var public = marking{source: PartnerSTT, tlp: "CLEAR", sharedWith: []string{}}

// dataPartners weights who contributes data: STOP THE TRAFFIK's app and hub most of it.
var dataPartners = []string{
	PartnerSTT, PartnerSTT, PartnerSTT, PartnerSTT, PartnerNorthshirePolice, PartnerNorthshirePolice,
	PartnerNorthshirePolice, PartnerSafeHaven, PartnerSafeHaven, PartnerMeridianBank, PartnerMeridianBank,
	PartnerHarbourHotels,
}

func drawPartner(r *rand.Rand) string { return pick(r, dataPartners) }

// drawMarking draws a TLP: mostly GREEN and AMBER, some CLEAR, AMBER_STRICT and RED.
func drawMarking(r *rand.Rand, source string) marking {
	m := marking{source: source, sharedWith: []string{}}
	switch n := r.IntN(100); {
	case n < 10:
		m.tlp = "CLEAR"
	case n < 50:
		m.tlp = "GREEN"
	case n < 82:
		m.tlp = "AMBER"
	case n < 92:
		m.tlp = "AMBER_STRICT"
	default:
		m.tlp = "RED"
		for _, p := range DemoPartners {
			if p.ID != source && r.IntN(3) == 0 {
				m.sharedWith = append(m.sharedWith, p.ID)
			}
		}
	}
	if r.IntN(10) < 8 {
		m.grading = string("123"[r.IntN(3)]) + string("ABCDE"[r.IntN(5)]) + string("PPPPC"[r.IntN(5)])
	}
	return m
}

func point(lat, lon float64) neo4j.Point2D {
	return neo4j.Point2D{X: lon, Y: lat, SpatialRefId: 4326}
}

func jitter(r *rand.Rand, v float64) float64 { return v + (r.Float64()-0.5)*0.1 }

func (w *world) date(r *rand.Rand, daysBack int) time.Time {
	return w.base.AddDate(0, 0, -r.IntN(daysBack))
}

func (w *world) country(e *entity) {
	c := countries[e.index]
	e.start(public, map[string]any{
		"name": c.name, "kind": "COUNTRY", "countryCode": c.code, "point": point(c.lat, c.lon),
	})
}

func (w *world) city(e *entity) {
	c := cities[e.index]
	e.start(public, map[string]any{
		"name": c.name, "kind": "CITY", "countryCode": c.code, "point": point(c.lat, c.lon),
	})
	e.linkMarked(tg.RelWithin, e.id, w.id(kindCountry, w.countryOf[c.code]), public, nil)
}

func (w *world) address(e *entity) {
	ci := e.r.IntN(len(cities))
	c := cities[ci]
	e.start(drawMarking(e.r, drawPartner(e.r)), map[string]any{
		"name":        fmt.Sprintf("%d %s Street (synthetic), %s", 1+e.r.IntN(200), pick(e.r, streetWords), c.name),
		"kind":        "ADDRESS",
		"countryCode": c.code,
		"point":       point(jitter(e.r, c.lat), jitter(e.r, c.lon)),
	})
	// Where an address lies reveals as much as the address itself: same marking, always.
	e.linkMarked(tg.RelWithin, e.id, w.id(kindCity, ci), e.mark, nil)
}

func (w *world) site(e *entity) {
	ci := e.r.IntN(len(cities))
	c := cities[ci]
	kindName, label := "SITE", pick(e.r, siteKinds)
	switch n := e.r.IntN(20); {
	case n < 5:
		kindName, label = "PORT", "port terminal"
	case n < 8:
		kindName, label = "BORDER_CROSSING", "border post"
	}
	e.start(drawMarking(e.r, drawPartner(e.r)), map[string]any{
		"name":        fmt.Sprintf("Synthetic %s %d near %s", label, e.index, c.name),
		"kind":        kindName,
		"countryCode": c.code,
		"point":       point(jitter(e.r, c.lat), jitter(e.r, c.lon)),
	})
	e.link(tg.RelWithin, e.id, w.id(kindCity, ci), nil)
}

var identifierKinds = []string{"PHONE", "EMAIL", "BANK_ACCOUNT", "VEHICLE_PLATE", "PASSPORT", "SOCIAL_HANDLE", "URL"}

// identifier values are normalised as docs/graph-model.md says and unmistakably fictional
// (+999 is not an assigned calling code, XX not a country, example.org/.com are reserved).
func (w *world) identifier(e *entity) {
	kindName := pick(e.r, identifierKinds)
	if e.index < w.shared {
		kindName = []string{"PHONE", "BANK_ACCOUNT"}[e.index%2]
	}
	var value string
	switch kindName {
	case "PHONE":
		value = fmt.Sprintf("+999%09d", e.index)
	case "EMAIL":
		value = fmt.Sprintf("synthetic.%d@example.org", e.index)
	case "BANK_ACCOUNT":
		value = fmt.Sprintf("XX00SYNTH%010d", e.index)
	case "VEHICLE_PLATE":
		value = fmt.Sprintf("SYN%06d", e.index)
	case "PASSPORT":
		value = fmt.Sprintf("X%08d", e.index)
	case "SOCIAL_HANDLE":
		value = fmt.Sprintf("@synthetic_%d", e.index)
	case "URL":
		value = fmt.Sprintf("https://example.com/listing/%d", e.index)
	}
	e.start(drawMarking(e.r, drawPartner(e.r)), map[string]any{"kind": kindName, "value": value})
}

// Supply chains: business i sits in tier i%6 of chain (i/6)%chains; a business below tier 5
// buys from 1-3 businesses one tier down its own chain (sometimes another chain).
func (w *world) tier(i int) int  { return i % supplyTiers }
func (w *world) chain(i int) int { return (i / supplyTiers) % w.chains }

// chainMembers returns how many businesses sit in (chain, tier).
func (w *world) chainMembers(chain, tier int) int {
	first := supplyTiers*chain + tier
	n := w.counts[kindBusiness]
	if first >= n {
		return 0
	}
	return (n-1-first)/(supplyTiers*w.chains) + 1
}

// chainMember returns the index of the k-th business of (chain, tier).
func (w *world) chainMember(chain, tier, k int) int {
	return supplyTiers*(chain+w.chains*k) + tier
}

var (
	tierSectors  = [supplyTiers][]string{{"G", "I", "N"}, {"N", "H", "C"}, {"C"}, {"C", "H"}, {"A", "B", "C"}, {"A", "B"}}
	tierProducts = [supplyTiers][]string{{}, {"cleaning services", "staffing", "laundry"}, {"garments", "linen", "uniforms"}, {"fabric", "packaging"}, {"yarn", "processed fish", "bricks"}, {"raw cotton", "fish", "minerals"}}
)

func (w *world) business(e *entity) {
	if isDuplicate(e.index) {
		w.duplicateBusiness(e)
		return
	}
	tier, chain := w.tier(e.index), w.chain(e.index)
	harbour := chain%harbourChainEvery == 0
	ci := e.r.IntN(len(cities))
	source := drawPartner(e.r)
	if harbour && e.r.IntN(100) < 85 {
		source = PartnerHarbourHotels
	}
	name, sector := companyName(e.r), pick(e.r, tierSectors[tier])
	if harbour && tier == 0 {
		name, sector = fmt.Sprintf("Harbour Hotels %s %d (fictional)", cities[ci].name, e.index), "I"
	}
	e.start(drawMarking(e.r, source), map[string]any{
		"name":               name,
		"registrationNumber": fmt.Sprintf("SYN-%08d", e.index),
		"jurisdiction":       cities[ci].code,
		"sector":             sector,
		"website":            "https://" + slug(name) + ".example",
	})
	if e.r.IntN(10) < 7 || w.counts[kindSite] == 0 {
		e.link(tg.RelLocatedAt, e.id, w.id(kindCity, ci), nil)
	} else {
		e.link(tg.RelLocatedAt, e.id, w.id(kindSite, e.r.IntN(w.counts[kindSite])), nil)
	}
	if tier < supplyTiers-1 {
		seen := map[int]bool{}
		for range 1 + e.r.IntN(3) {
			from := chain
			if e.r.IntN(10) == 0 {
				from = e.r.IntN(w.chains)
			}
			n := w.chainMembers(from, tier+1)
			if n == 0 {
				continue
			}
			supplier := w.chainMember(from, tier+1, e.r.IntN(n))
			if seen[supplier] {
				continue
			}
			seen[supplier] = true
			since := w.date(e.r, 3000)
			fields := map[string]any{"product": pick(e.r, tierProducts[tier+1]), "since": neo4j.DateOf(since)}
			if e.r.IntN(5) == 0 {
				fields["until"] = neo4j.DateOf(since.AddDate(0, 0, 30+e.r.IntN(700)))
			}
			e.link(tg.RelSupplies, w.id(kindBusiness, supplier), e.id, fields)
		}
	}
	if e.r.IntN(20) == 0 {
		if n := w.chainMembers(chain, tier); n > 1 {
			if owned := w.chainMember(chain, tier, e.r.IntN(n)); owned != e.index {
				e.link(tg.RelOwns, e.id, w.id(kindBusiness, owned), map[string]any{"share": math.Round(e.r.Float64()*100) / 100})
			}
		}
	}
	if e.r.IntN(2) == 0 {
		account := 2*e.r.IntN(w.shared/2) + 1 // odd shared identifiers are bank accounts
		e.link(tg.RelHasIdentifier, e.id, w.id(kindIdentifier, account), nil)
	}
}

var (
	genders        = []string{"FEMALE", "FEMALE", "MALE", "MALE", "OTHER", "UNKNOWN"}
	associateKinds = []string{"FAMILY", "PARTNER", "FRIEND", "COLLEAGUE", "CRIMINAL_ASSOCIATE", "CRIMINAL_ASSOCIATE", "OTHER"}
)

func ageBand(age int) string {
	switch {
	case age < 12:
		return "UNDER_12"
	case age < 18:
		return "AGE_12_17"
	case age < 30:
		return "AGE_18_29"
	case age < 50:
		return "AGE_30_49"
	default:
		return "AGE_50_PLUS"
	}
}

// networkMembers returns the people of a network: networkSize consecutive person indexes.
func (w *world) networkMembers(network int) (first, n int) {
	first = network * networkSize
	return first, min(networkSize, w.counts[kindPerson]-first)
}

func (w *world) networks() int { return (w.counts[kindPerson] + networkSize - 1) / networkSize }

func (w *world) person(e *entity) {
	if isDuplicate(e.index) {
		w.duplicatePerson(e)
		return
	}
	name := personName(e.r)
	birthYear := 1955 + e.r.IntN(55)
	fields := map[string]any{
		"name":        name,
		"aliases":     aliases(e.r, name),
		"gender":      pick(e.r, genders),
		"birthYear":   int64(birthYear),
		"ageBand":     ageBand(w.base.Year() - birthYear),
		"nationality": pick(e.r, countries).code,
	}
	e.start(drawMarking(e.r, drawPartner(e.r)), fields)

	if n := w.counts[kindAddress]; n > 0 && e.r.IntN(10) < 9 {
		e.link(tg.RelLivesAt, e.id, w.id(kindAddress, e.r.IntN(n)), nil)
	}
	network := e.index / networkSize
	var identifiers []int
	if e.r.IntN(10) < 7 { // a phone or bank account the whole network uses
		identifiers = append(identifiers, (network*3+e.r.IntN(3))%w.shared)
	}
	if personal := w.counts[kindIdentifier] - w.shared; personal > 0 {
		identifiers = append(identifiers, w.shared+e.index%personal)
	}
	if e.r.IntN(10) < 4 {
		identifiers = append(identifiers, e.r.IntN(w.counts[kindIdentifier]))
	}
	for k, j := range identifiers {
		if !slices.Contains(identifiers[:k], j) {
			e.link(tg.RelHasIdentifier, e.id, w.id(kindIdentifier, j), nil)
		}
	}
	first, members := w.networkMembers(network)
	if members > 1 {
		for range 1 + e.r.IntN(2) {
			other := first + e.r.IntN(members)
			if other != e.index {
				e.link(tg.RelAssociateOf, e.id, w.id(kindPerson, other), map[string]any{"kind": pick(e.r, associateKinds)})
			}
		}
	}
	businesses := w.counts[kindBusiness]
	if n := e.r.IntN(100); n < 30 {
		e.link(tg.RelWorksFor, e.id, w.id(kindBusiness, e.r.IntN(businesses)), nil)
	} else if n < 34 {
		e.link(tg.RelDirectorOf, e.id, w.id(kindBusiness, e.r.IntN(businesses)), nil)
	} else if n < 36 {
		e.link(tg.RelOwns, e.id, w.id(kindBusiness, e.r.IntN(businesses)), nil)
	}
}

var routeModes = []string{"ROAD", "ROAD", "RAIL", "AIR", "SEA", "FOOT"}

// routeStops picks 2-5 distinct cities; origin and destination lie in different countries.
func (w *world) routeStops(r *rand.Rand) []int {
	origin := r.IntN(len(cities))
	destination := r.IntN(len(cities))
	for cities[destination].code == cities[origin].code {
		destination = r.IntN(len(cities))
	}
	stops := []int{origin}
	used := map[int]bool{origin: true, destination: true}
	for range r.IntN(4) {
		if t := r.IntN(len(cities)); !used[t] {
			used[t] = true
			stops = append(stops, t)
		}
	}
	return append(stops, destination)
}

func (w *world) route(e *entity) {
	stops := w.routeStops(e.r)
	modes := []string{pick(e.r, routeModes)}
	if m := pick(e.r, routeModes); m != modes[0] {
		modes = append(modes, m)
	}
	firstSeen := w.date(e.r, 2000)
	e.start(drawMarking(e.r, drawPartner(e.r)), map[string]any{
		"name":      fmt.Sprintf("Synthetic route %d: %s to %s", e.index, cities[stops[0]].name, cities[stops[len(stops)-1]].name),
		"modes":     modes,
		"firstSeen": neo4j.DateOf(firstSeen),
		"lastSeen":  neo4j.DateOf(firstSeen.AddDate(0, 0, e.r.IntN(700))),
	})
	for seq, c := range stops {
		role := "TRANSIT"
		switch seq {
		case 0:
			role = "ORIGIN"
		case len(stops) - 1:
			role = "DESTINATION"
		}
		e.linkMarked(tg.RelStop, e.id, w.id(kindCity, c), e.mark, map[string]any{"seq": int64(seq), "role": role})
	}
}

var (
	exploitationTypes = []string{"SEXUAL_EXPLOITATION", "SEXUAL_EXPLOITATION", "FORCED_LABOUR", "FORCED_LABOUR", "FORCED_LABOUR",
		"FORCED_CRIMINALITY", "FORCED_CRIMINALITY", "FORCED_MARRIAGE", "DOMESTIC_SERVITUDE", "DOMESTIC_SERVITUDE",
		"ORGAN_REMOVAL", "CHILD_SOLDIERING", "BEGGING", "OTHER"}
	meansOfControl = []string{"DEBT_BONDAGE", "TAKES_EARNINGS", "RESTRICTS_FINANCIAL_ACCESS", "THREATS", "PSYCHOLOGICAL_ABUSE",
		"PHYSICAL_ABUSE", "SEXUAL_ABUSE", "FALSE_PROMISES", "PSYCHOACTIVE_SUBSTANCES", "RESTRICTS_MOVEMENT",
		"RESTRICTS_MEDICAL_CARE", "EXCESSIVE_WORKING_HOURS", "USES_CHILDREN", "THREAT_OF_LAW_ENFORCEMENT",
		"WITHHOLDS_NECESSITIES", "WITHHOLDS_DOCUMENTS", "OTHER"}
	stages           = []string{"RECRUITMENT", "TRANSPORT", "EXPLOITATION", "EXPLOITATION"}
	perpetratorRoles = []string{"SUSPECT", "RECRUITER", "TRANSPORTER", "EXPLOITER", "BENEFICIARY"}
)

// distinct draws n values from a small set and keeps the first of each (so up to n).
func distinct[T comparable](r *rand.Rand, n int, from []T) []T {
	seen := map[T]bool{}
	out := []T{}
	for range n {
		if v := pick(r, from); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (w *world) incident(e *entity) {
	ci := e.r.IntN(len(cities))
	place := w.id(kindCity, ci)
	if n := w.counts[kindSite]; n > 0 && e.r.IntN(10) < 4 {
		place = w.id(kindSite, e.r.IntN(n))
	}
	types := distinct(e.r, 1+e.r.IntN(2), exploitationTypes)
	controls := distinct(e.r, 1+e.r.IntN(4), meansOfControl)
	victims := 1 + e.r.IntN(25)
	from := w.date(e.r, 1500)
	e.start(drawMarking(e.r, drawPartner(e.r)), map[string]any{
		"title": fmt.Sprintf("Synthetic incident %d: %s near %s", e.index, types[0], cities[ci].name),
		"summary": fmt.Sprintf("SYNTHETIC DEMO DATA, not a real case. %d fictional people reported %v, controlled through %v.",
			victims, types, controls),
		"occurredFrom":      neo4j.DateOf(from),
		"occurredTo":        neo4j.DateOf(from.AddDate(0, 0, e.r.IntN(180))),
		"exploitationTypes": types,
		"stage":             pick(e.r, stages),
		"meansOfControl":    controls,
		"victimCount":       int64(victims),
	})
	e.link(tg.RelOccurredAt, e.id, place, nil)
	if n := w.counts[kindRoute]; n > 0 && e.r.IntN(10) < 6 {
		e.link(tg.RelUsedRoute, e.id, w.id(kindRoute, e.r.IntN(n)), nil)
	}

	// The people involved come from one network, so incidents tie networks to places.
	first, members := w.networkMembers(e.r.IntN(w.networks()))
	offsets := e.r.Perm(members)
	roles := []string{}
	for range 1 + e.r.IntN(3) {
		roles = append(roles, "VICTIM")
	}
	for range 1 + e.r.IntN(2) {
		roles = append(roles, pick(e.r, perpetratorRoles))
	}
	if e.r.IntN(5) == 0 {
		roles = append(roles, "WITNESS")
	}
	for k, role := range roles[:min(len(roles), len(offsets))] {
		e.link(tg.RelInvolvedIn, w.id(kindPerson, first+offsets[k]), e.id, map[string]any{"role": role})
	}
	if e.r.IntN(5) == 0 {
		e.link(tg.RelInvolvedIn, w.id(kindBusiness, e.r.IntN(w.counts[kindBusiness])), e.id,
			map[string]any{"role": pick(e.r, []string{"BENEFICIARY", "EXPLOITER"})})
	}
}

var (
	channels       = []string{"APP", "APP", "APP", "WEB", "HOTLINE", "PARTNER"}
	languages      = []string{"en", "en", "en", "en", "fr", "es", "pt", "ro", "vi", "ar"}
	reportPhrases  = []string{"workers living on site and never leaving", "a recruiter promising jobs abroad", "passports kept by an employer", "a car wash open at all hours with the same workers", "a young person who seemed controlled by an older companion", "a debt that grows every month"}
	mentionedKinds = []kind{kindPerson, kindBusiness, kindIdentifier}
)

func (w *world) report(e *entity) {
	ci := e.r.IntN(len(cities))
	c := cities[ci]
	evidences := w.counts[kindIncident] > 0 && e.r.IntN(10) < 7
	status := pick(e.r, []string{"NEW", "TRIAGED", "DISMISSED"})
	if evidences {
		status = pick(e.r, []string{"LINKED", "LINKED", "TRIAGED"})
	}
	source := drawPartner(e.r)
	if e.r.IntN(10) < 5 {
		source = PartnerSTT // the STOP APP
	}
	e.start(drawMarking(e.r, source), map[string]any{
		"text": fmt.Sprintf("SYNTHETIC DEMO REPORT %d, not a real account: someone noticed %s near %s.",
			e.index, pick(e.r, reportPhrases), c.name),
		"language":       pick(e.r, languages),
		"submittedAt":    w.base.Add(-time.Duration(e.r.Int64N(int64(2 * 365 * 24 * time.Hour)))).Truncate(time.Second),
		"channel":        pick(e.r, channels),
		"status":         status,
		"approxLocation": point(math.Round(c.lat*10)/10, math.Round(c.lon*10)/10),
	})
	e.link(tg.RelAbout, e.id, w.id(kindCity, ci), nil)
	if evidences {
		e.link(tg.RelEvidences, e.id, w.id(kindIncident, e.r.IntN(w.counts[kindIncident])), nil)
	}
	seen := map[string]bool{}
	for range 1 + e.r.IntN(2) {
		k := pick(e.r, mentionedKinds)
		if target := w.id(k, e.r.IntN(w.counts[k])); !seen[target] {
			seen[target] = true
			e.link(tg.RelMentions, e.id, target, nil)
		}
	}
}
