package store

// Node is any entity the store returns: *Person, *Location, *Route, *Business, *Incident,
// *Identifier, *Report, *Partner or *SharingGroup.
type Node interface {
	NodeID() string
}

// NodeID implements Node.
func (n *Person) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *Location) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *Route) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *Business) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *Incident) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *Identifier) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *Report) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *Partner) NodeID() string { return n.ID }

// NodeID implements Node.
func (n *SharingGroup) NodeID() string { return n.ID }
