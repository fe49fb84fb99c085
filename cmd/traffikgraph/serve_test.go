package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDevelopmentIssuerOnlyOnLoopback: the issuer that mints any persona's token never runs
// against a Neo4j elsewhere.
func TestDevelopmentIssuerOnlyOnLoopback(t *testing.T) {
	for uri, want := range map[string]bool{
		"bolt://127.0.0.1:7687":           true,
		"neo4j://localhost:7687":          true,
		"bolt://[::1]:7687":               true,
		"neo4j+s://db.example.org:7687":   false,
		"bolt://10.0.0.5:7687":            false,
		"neo4j://127.0.0.1.example.org:1": false,
		"::not a uri":                     false,
	} {
		assert.Equal(t, want, onLoopback(uri), uri)
	}
}
