package store

import tg "github.com/traffikgraph/traffikgraph"

// Node is any entity the store returns: *Person, *Location, *Route, *Business, *Incident,
// *Identifier, *Report, *Partner or *SharingGroup.
type Node interface {
	NodeID() string
	// Label is the node's label, which is also its GraphQL type name.
	Label() string
	provenance() *Provenance
}

func (n *Person) NodeID() string                { return n.ID }
func (n *Person) Label() string                 { return tg.LabelPerson }
func (n *Person) provenance() *Provenance       { return &n.Provenance }
func (n *Location) NodeID() string              { return n.ID }
func (n *Location) Label() string               { return tg.LabelLocation }
func (n *Location) provenance() *Provenance     { return &n.Provenance }
func (n *Route) NodeID() string                 { return n.ID }
func (n *Route) Label() string                  { return tg.LabelRoute }
func (n *Route) provenance() *Provenance        { return &n.Provenance }
func (n *Business) NodeID() string              { return n.ID }
func (n *Business) Label() string               { return tg.LabelBusiness }
func (n *Business) provenance() *Provenance     { return &n.Provenance }
func (n *Incident) NodeID() string              { return n.ID }
func (n *Incident) Label() string               { return tg.LabelIncident }
func (n *Incident) provenance() *Provenance     { return &n.Provenance }
func (n *Identifier) NodeID() string            { return n.ID }
func (n *Identifier) Label() string             { return tg.LabelIdentifier }
func (n *Identifier) provenance() *Provenance   { return &n.Provenance }
func (n *Report) NodeID() string                { return n.ID }
func (n *Report) Label() string                 { return tg.LabelReport }
func (n *Report) provenance() *Provenance       { return &n.Provenance }
func (n *Partner) NodeID() string               { return n.ID }
func (n *Partner) Label() string                { return tg.LabelPartner }
func (n *Partner) provenance() *Provenance      { return &n.Provenance }
func (n *SharingGroup) NodeID() string          { return n.ID }
func (n *SharingGroup) Label() string           { return tg.LabelSharingGroup }
func (n *SharingGroup) provenance() *Provenance { return &n.Provenance }
