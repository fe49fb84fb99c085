package store

import tg "github.com/traffikgraph/traffikgraph"

// The store's allowlists are the model's tables (model.go at the module root): no client string
// ever becomes a label, relationship type or property name in Cypher.

// kindOf returns the model of an exposed label; it panics on a label the code does not define,
// which is a programming error, never client input.
func kindOf(label string) *tg.Label {
	k, ok := tg.LabelOf(label)
	if !ok {
		panic("store: unknown label " + label)
	}
	return k
}

// linkable returns the relationship type typ if clients may create and follow it.
func linkable(typ string) (*tg.Relationship, bool) {
	r, ok := tg.RelationshipOf(typ)
	if !ok || !r.Linkable {
		return nil, false
	}
	return r, true
}
