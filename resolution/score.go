package resolution

import (
	"cmp"
	"math"
	"slices"
)

// The kinds of reason a pair of records is scored on. The GraphQL enum DuplicateReasonKind
// (schema/duplicates.graphqls) holds the same values.
const (
	// SimilarName: the names (any of either's name and aliases) are alike; weight grows with
	// the similarity, from -2 (0.7) to 4 (the same words).
	SimilarName = "SIMILAR_NAME"
	// SameBirthYear, CloseBirthYear (one year apart) and DifferentBirthYear (two or more).
	SameBirthYear      = "SAME_BIRTH_YEAR"
	CloseBirthYear     = "CLOSE_BIRTH_YEAR"
	DifferentBirthYear = "DIFFERENT_BIRTH_YEAR"
	// SharedIdentifier: both hold the same Identifier node; SameIdentifierValue: each holds its
	// own record of the same kind and value (the value compared: personal data).
	SharedIdentifier    = "SHARED_IDENTIFIER"
	SameIdentifierValue = "SAME_IDENTIFIER_VALUE"
	// SamePlace: both live at, or are located at, the same location.
	SamePlace = "SAME_PLACE"
	// SharedIncident: both are involved in the same incident.
	SharedIncident = "SHARED_INCIDENT"
	// SameRegistrationNumber and DifferentRegistrationNumber: businesses of one jurisdiction.
	SameRegistrationNumber      = "SAME_REGISTRATION_NUMBER"
	DifferentRegistrationNumber = "DIFFERENT_REGISTRATION_NUMBER"
	// SameParent: locations within the same location; Nearby (under NearbyMetres apart) and
	// FarApart (over FarApartMetres); DifferentKind: a city and a site, say.
	SameParent    = "SAME_PARENT"
	Nearby        = "NEARBY"
	FarApart      = "FAR_APART"
	DifferentKind = "DIFFERENT_KIND"
)

// Weights are log-odds: the score of a pair is the logistic function of their sum less
// scoreOffset, so that the same words alone score 0.73, the same words and birth year 0.97, and
// the same words with birth years two apart 0.02.
const (
	scoreOffset              = 3.0
	weightSameBirthYear      = 2.5
	weightCloseBirthYear     = 0.5
	weightDifferentBirthYear = -5.0
	weightSamePlace          = 1.5
	weightSharedIncident     = 1.5
	weightSameRegistration   = 5.0
	weightOtherRegistration  = -3.0
	weightSameParent         = 1.0
	weightNearby             = 2.0
	weightFarApart           = -4.0
	weightDifferentKind      = -2.0
	// NearbyMetres and FarApartMetres bound the distance reasons of two locations.
	NearbyMetres   = 1000.0
	FarApartMetres = 50000.0
)

// identifierWeights weigh an identifier both records share by its kind: a passport is one
// person's, a phone or an account is often a whole network's.
var identifierWeights = map[string]float64{
	"PASSPORT": 5, "EMAIL": 3, "SOCIAL_HANDLE": 3, "PHONE": 1.5, "BANK_ACCOUNT": 1.5, "VEHICLE_PLATE": 1, "URL": 1,
}

// nameWeight turns a name similarity into a weight: 4 for the same words, 2 at 0.9, 0 at 0.8,
// no less than -2.
func nameWeight(similarity float64) float64 {
	return max(-2, 20*(similarity-0.8))
}

// Identifier is an identifier a record holds, as the caller may read it: Value is empty when
// the caller may not read identifier values (they are then never compared).
type Identifier struct {
	ID, Kind, Value string
}

// Point is a location's position, in degrees.
type Point struct {
	Latitude, Longitude float64
}

// Record is what a record is compared on, as the caller may read it: nothing the caller may
// not read is ever in it, so that nothing it may not read can make or explain a pair.
type Record struct {
	ID string
	// Names are the words of its name (Words), Aliases those of each of its aliases.
	Names, Aliases [][]string
	// BirthYear is 0 when unknown or not readable.
	BirthYear int
	// Scope is the jurisdiction of a business or the country of a location; records of
	// different scopes never meet.
	Scope string
	// Registration is a business's registration number, upper case without spaces.
	Registration string
	// Kind is a location's kind.
	Kind  string
	Point *Point
	// The visible neighbours compared: the locations it lives or is located at, the incidents it
	// is involved in, the locations it lies within, the identifiers it holds.
	Places, Incidents, Parents []string
	Identifiers                []Identifier
}

// Reason is one reason a pair was scored on, with its weight and the visible ids that prove it
// (the identifiers, places, incidents or parents in common).
type Reason struct {
	Kind   string
	Weight float64
	// Similarity is the names' similarity (SimilarName only).
	Similarity *float64
	Evidence   []string
}

// Score returns how likely a and b are records of one thing, between 0 and 1, and its reasons,
// strongest first; names are compared with the words weighed by rarity (nil: all alike).
func Score(a, b *Record, rarity *Rarity) (float64, []Reason) {
	var reasons []Reason
	add := func(kind string, weight float64, evidence ...string) {
		reasons = append(reasons, Reason{Kind: kind, Weight: weight, Evidence: evidence})
	}
	if similarity := bestSimilarity(a, b, rarity); similarity > 0 {
		s := math.Round(similarity*1000) / 1000
		reasons = append(reasons, Reason{Kind: SimilarName, Weight: nameWeight(s), Similarity: &s})
	}
	if a.BirthYear != 0 && b.BirthYear != 0 {
		switch d := a.BirthYear - b.BirthYear; {
		case d == 0:
			add(SameBirthYear, weightSameBirthYear)
		case d == 1 || d == -1:
			add(CloseBirthYear, weightCloseBirthYear)
		default:
			add(DifferentBirthYear, weightDifferentBirthYear)
		}
	}
	scoreIdentifiers(a, b, add)
	if common := intersect(a.Places, b.Places); len(common) > 0 {
		add(SamePlace, weightSamePlace, common...)
	}
	if common := intersect(a.Incidents, b.Incidents); len(common) > 0 {
		add(SharedIncident, weightSharedIncident, common...)
	}
	if a.Registration != "" && b.Registration != "" {
		if a.Registration == b.Registration {
			add(SameRegistrationNumber, weightSameRegistration)
		} else {
			add(DifferentRegistrationNumber, weightOtherRegistration)
		}
	}
	if common := intersect(a.Parents, b.Parents); len(common) > 0 {
		add(SameParent, weightSameParent, common...)
	}
	if a.Kind != "" && b.Kind != "" && a.Kind != b.Kind {
		add(DifferentKind, weightDifferentKind)
	}
	if a.Point != nil && b.Point != nil {
		switch d := metres(*a.Point, *b.Point); {
		case d < NearbyMetres:
			add(Nearby, weightNearby)
		case d > FarApartMetres:
			add(FarApart, weightFarApart)
		}
	}
	sum := 0.0
	for _, r := range reasons {
		sum += r.Weight
	}
	slices.SortStableFunc(reasons, func(x, y Reason) int { return cmp.Compare(math.Abs(y.Weight), math.Abs(x.Weight)) })
	return math.Round(1/(1+math.Exp(scoreOffset-sum))*10000) / 10000, reasons
}

// scoreIdentifiers adds the strongest SharedIdentifier and SameIdentifierValue reasons of the
// pair: one of each, weighed by the strongest kind, with every identifier in evidence.
func scoreIdentifiers(a, b *Record, add func(string, float64, ...string)) {
	shared, sameValue := 0.0, 0.0
	var sharedIDs, valueIDs []string
	for _, x := range a.Identifiers {
		for _, y := range b.Identifiers {
			switch {
			case x.ID == y.ID:
				shared = max(shared, identifierWeights[x.Kind])
				sharedIDs = append(sharedIDs, x.ID)
			case x.Value != "" && x.Kind == y.Kind && x.Value == y.Value:
				sameValue = max(sameValue, identifierWeights[x.Kind])
				valueIDs = append(valueIDs, x.ID, y.ID)
			}
		}
	}
	if len(sharedIDs) > 0 {
		add(SharedIdentifier, shared, distinct(sharedIDs)...)
	}
	if len(valueIDs) > 0 {
		add(SameIdentifierValue, sameValue, distinct(valueIDs)...)
	}
}

// aliasShare is what a likeness through an alias counts, as a share of one between names: an
// alias is a nickname, and partners' nicknames repeat ("the Fixer").
const aliasShare = 0.9

// bestSimilarity is the highest Similarity between a name of a and a name of b, or aliasShare of
// one through an alias of either.
func bestSimilarity(a, b *Record, rarity *Rarity) float64 {
	best := 0.0
	compare := func(xs, ys [][]string, share float64) {
		for _, x := range xs {
			for _, y := range ys {
				best = max(best, share*Similarity(x, y, rarity))
			}
		}
	}
	compare(a.Names, b.Names, 1)
	compare(a.Names, b.Aliases, aliasShare)
	compare(a.Aliases, b.Names, aliasShare)
	compare(a.Aliases, b.Aliases, aliasShare)
	return best
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func distinct(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// metres is the great-circle distance between two points (haversine, mean Earth radius).
func metres(a, b Point) float64 {
	const earth = 6371008.8
	rad := math.Pi / 180
	dLat, dLon := (b.Latitude-a.Latitude)*rad, (b.Longitude-a.Longitude)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Latitude*rad)*math.Cos(b.Latitude*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earth * math.Asin(math.Sqrt(h))
}
