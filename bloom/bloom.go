// Package bloom ships the Neo4j Bloom perspective of a traffikgraph workspace
// (traffikgraph.perspective.json, Bloom 2.x): a category per label, captions, TLP 2.0 colours, and
// the analysts' search phrases. docs/analysts.md says how to import it.
package bloom

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// PerspectiveJSON is the perspective as Bloom imports it.
//
//go:embed traffikgraph.perspective.json
var PerspectiveJSON []byte

// SearchPhrase is one of the perspective's search phrases (a Bloom template): the text analysts
// type, with $parameters, and the parameterised Cypher it runs.
type SearchPhrase struct {
	Name   string `json:"name"`
	Text   string `json:"text"`
	Cypher string `json:"cypher"`
	Params []struct {
		Name     string `json:"name"`
		DataType string `json:"dataType"`
	} `json:"params"`
}

// SearchPhrases returns the perspective's search phrases, in order.
func SearchPhrases() ([]SearchPhrase, error) {
	var p struct {
		Templates []SearchPhrase `json:"templates"`
	}
	if err := json.Unmarshal(PerspectiveJSON, &p); err != nil {
		return nil, fmt.Errorf("bloom perspective: %w", err)
	}
	return p.Templates, nil
}
