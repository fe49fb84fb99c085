package store

import (
	"time"
)

// The domain types below are what the store returns; the GraphQL layer binds to them directly.
// Field tags name the Neo4j property each field is read from (see docs/graph-model.md).
// Enum-valued fields are plain strings holding the SCREAMING_CASE value.

// Provenance is who contributed a node or relationship and who may see it.
type Provenance struct {
	SourcePartner string    `prop:"sourcePartner"`
	Tlp           string    `prop:"tlp"`
	SharedWith    []string  `prop:"sharedWith"`
	Grading       *string   `prop:"grading"`
	ExternalRefs  []string  `prop:"externalRefs"`
	CreatedAt     time.Time `prop:"createdAt"`
	UpdatedAt     time.Time `prop:"updatedAt"`
}

// GeoPoint is a WGS-84 point.
type GeoPoint struct {
	Latitude  float64
	Longitude float64
}

// Date is a calendar date without a zone. It is the store's own type (the driver's stays inside
// the store): dates are converted to the driver's on the way to Cypher and back.
type Date time.Time

// Person is someone the intelligence is about. Name, aliases and birth year are PII.
type Person struct {
	ID          string   `prop:"id"`
	Name        *string  `prop:"name"`
	Aliases     []string `prop:"aliases"`
	Gender      *string  `prop:"gender"`
	BirthYear   *int     `prop:"birthYear"`
	AgeBand     *string  `prop:"ageBand"`
	Nationality *string  `prop:"nationality"`
	// ErasedAt and ErasureReason are set by EraseSubject.
	ErasedAt      *time.Time `prop:"erasedAt"`
	ErasureReason *string    `prop:"erasureReason"`
	Provenance    Provenance
}

// Location is a place, from a country down to a street address (whose name is PII).
type Location struct {
	ID          string    `prop:"id"`
	Name        *string   `prop:"name"`
	Kind        string    `prop:"kind"`
	CountryCode *string   `prop:"countryCode"`
	Point       *GeoPoint `prop:"point"`
	// ErasedAt is set when the erasure of the one person living here removed its name and point.
	ErasedAt   *time.Time `prop:"erasedAt"`
	Provenance Provenance
}

// Route is a way people are moved, with ordered stops.
type Route struct {
	ID         string   `prop:"id"`
	Name       *string  `prop:"name"`
	Modes      []string `prop:"modes"`
	FirstSeen  *Date    `prop:"firstSeen"`
	LastSeen   *Date    `prop:"lastSeen"`
	Provenance Provenance
}

// Business is a company or organisation in a supply chain or a network.
type Business struct {
	ID                 string  `prop:"id"`
	Name               *string `prop:"name"`
	RegistrationNumber *string `prop:"registrationNumber"`
	Jurisdiction       *string `prop:"jurisdiction"`
	Sector             *string `prop:"sector"`
	Website            *string `prop:"website"`
	Provenance         Provenance
}

// Incident is a case of trafficking or exploitation.
type Incident struct {
	ID                string   `prop:"id"`
	Title             *string  `prop:"title"`
	Summary           *string  `prop:"summary"`
	OccurredFrom      *Date    `prop:"occurredFrom"`
	OccurredTo        *Date    `prop:"occurredTo"`
	ExploitationTypes []string `prop:"exploitationTypes"`
	Stage             *string  `prop:"stage"`
	MeansOfControl    []string `prop:"meansOfControl"`
	VictimCount       *int     `prop:"victimCount"`
	Provenance        Provenance
}

// Identifier is a phone, account, plate...; its value is PII.
type Identifier struct {
	ID    string  `prop:"id"`
	Kind  string  `prop:"kind"`
	Value *string `prop:"value"`
	// ErasedAt is set when the erasure of its only holder removed its value.
	ErasedAt   *time.Time `prop:"erasedAt"`
	Provenance Provenance
}

// Report is a story as submitted; its text is PII.
type Report struct {
	ID             string     `prop:"id"`
	Text           *string    `prop:"text"`
	Language       *string    `prop:"language"`
	SubmittedAt    *time.Time `prop:"submittedAt"`
	Channel        string     `prop:"channel"`
	Status         string     `prop:"status"`
	ApproxLocation *GeoPoint  `prop:"approxLocation"`
	DismissReason  *string    `prop:"dismissReason"`
	DismissNote    *string    `prop:"dismissNote"`
	// ErasureReviewAt is set when an erasure could not redact a person it mentions automatically.
	ErasureReviewAt *time.Time `prop:"erasureReviewAt"`
	Provenance      Provenance
}

// Partner is an organisation that shares through the hub.
type Partner struct {
	ID         string  `prop:"id"`
	Name       string  `prop:"name"`
	Kind       string  `prop:"kind"`
	Issuer     *string `prop:"issuer"`
	Provenance Provenance
}

// SharingGroup is a set of partners that see each other's AMBER data.
type SharingGroup struct {
	ID          string  `prop:"id"`
	Name        string  `prop:"name"`
	Description *string `prop:"description"`
	Provenance  Provenance
}

// Link is a relationship as stored, with the nodes at both ends.
type Link struct {
	Type       string
	From       Node
	To         Node
	Role       *string  `prop:"role"`
	Kind       *string  `prop:"kind"`
	Seq        *int     `prop:"seq"`
	StopRole   *string  `prop:"stopRole"`
	Product    *string  `prop:"product"`
	Since      *Date    `prop:"since"`
	Until      *Date    `prop:"until"`
	Share      *float64 `prop:"share"`
	Provenance Provenance
}

// Neighbor is a node reached over one relationship from a node, with that relationship.
type Neighbor struct {
	Node Node
	Link *Link
}
