// Package workspace pulls the part of the hub's graph an analyst may see into a Neo4j of their
// own (issue 9): through the public GraphQL API, with the analyst's own access token, so every
// sharing rule, the personal-data redaction and the audit apply, and the hub can be remote. The
// workspace holds the hub's labels, relationship types and property names (docs/graph-model.md),
// with markings, provenance and grading as properties and withheld personal data absent.
package workspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// exportQuery asks one page of workspaceExport with every property of every entity type. Two
// types name their kind differently (LocationKind, IdentifierKind), so those are aliased; the
// aliases are mapped back to the property name (propertyOfAlias).
const exportQuery = `query WorkspacePull($scope: WorkspaceScope!, $first: Int, $after: String) {
  workspaceExport(scope: $scope, first: $first, after: $after) {
    exportId totalCount truncated
    pageInfo { hasNextPage endCursor }
    nodes {
      __typename id
      ... on Person { name aliases gender birthYear ageBand nationality erasedAt provenance { ...marking } }
      ... on Location { name locationKind: kind countryCode point { latitude longitude } erasedAt provenance { ...marking } }
      ... on Route { name modes firstSeen lastSeen provenance { ...marking } }
      ... on Business { name registrationNumber jurisdiction sector website provenance { ...marking } }
      ... on Incident { title summary occurredFrom occurredTo exploitationTypes stage meansOfControl victimCount provenance { ...marking } }
      ... on Identifier { identifierKind: kind value erasedAt provenance { ...marking } }
      ... on Report { text language submittedAt channel status approxLocation { latitude longitude } provenance { ...marking } }
    }
    relationships {
      type from { id } to { id }
      role kind seq stopRole product since until share
      provenance { ...marking }
    }
  }
}
fragment marking on Provenance { sourcePartner tlp sharedWith grading externalRefs createdAt updatedAt }`

// propertyOfAlias maps the query's aliases to the hub's property names; STOP keeps its role
// under "role" in the graph, which the API calls stopRole.
var propertyOfAlias = map[string]string{"locationKind": "kind", "identifierKind": "kind", "stopRole": "role"}

// labels and relationshipTypes are the hub's (docs/graph-model.md): the only ones a pull writes,
// whatever the answer says, since they become part of Cypher text.
var (
	labels            = []string{"Person", "Location", "Route", "Business", "Incident", "Identifier", "Report"}
	relationshipTypes = []string{"INVOLVED_IN", "ASSOCIATE_OF", "HAS_IDENTIFIER", "WORKS_FOR", "DIRECTOR_OF", "OWNS", "LIVES_AT",
		"WITHIN", "STOP", "SUPPLIES", "LOCATED_AT", "OCCURRED_AT", "USED_ROUTE", "ABOUT", "EVIDENCES", "MENTIONS"}
)

// Scope is the part of the graph a pull takes (the API's WorkspaceScope): the neighbourhood
// within Depth hops of the seeds (Around, the incidents matching IncidentsWhere, the hits of
// Search), or with no seeds everything the caller may see; at most Limit entities.
type Scope struct {
	Around         []string        `json:"around,omitempty"`
	IncidentsWhere json.RawMessage `json:"incidentsWhere,omitempty"`
	Search         *string         `json:"search,omitempty"`
	Depth          *int            `json:"depth,omitempty"`
	Limit          *int            `json:"limit,omitempty"`
}

// Client reads workspace exports from a hub's GraphQL endpoint with a bearer token.
type Client struct {
	// URL is the hub's GraphQL endpoint, e.g. https://hub.example/graphql.
	URL   string
	Token string
	// HTTP is the client used; nil means http.DefaultClient.
	HTTP *http.Client
}

// Page is one page of an export as the API answered it.
type Page struct {
	ExportID   string `json:"exportId"`
	TotalCount int    `json:"totalCount"`
	Truncated  bool   `json:"truncated"`
	PageInfo   struct {
		HasNextPage bool    `json:"hasNextPage"`
		EndCursor   *string `json:"endCursor"`
	} `json:"pageInfo"`
	Nodes         []map[string]any `json:"nodes"`
	Relationships []map[string]any `json:"relationships"`
	// Redacted lists the personal fields the API withheld on this page (extensions.redacted).
	Redacted []string `json:"-"`
}

// APIError is an error the API answered, with its extensions.code.
type APIError struct {
	Code, Message, Field string
}

func (e *APIError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// maxRetries bounds how often a page refused for the partner's share of the hub (HTTP 429) is
// asked again, after the Retry-After the hub gives.
const maxRetries = 10

// Export reads one page of the export of scope.
func (c *Client) Export(ctx context.Context, scope Scope, first int, after *string) (*Page, error) {
	body, err := json.Marshal(map[string]any{"query": exportQuery, "operationName": "WorkspacePull",
		"variables": map[string]any{"scope": scope, "first": first, "after": after}})
	if err != nil {
		return nil, err
	}
	httpClient := c.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json, application/json")
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := httpClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("hub %s: %w", c.URL, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 512<<20))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("hub %s: %w", c.URL, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < maxRetries {
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			select {
			case <-time.After(time.Duration(max(wait, 1)) * time.Second):
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return decodePage(raw, resp.StatusCode)
	}
}

func decodePage(raw []byte, status int) (*Page, error) {
	var out struct {
		Data struct {
			WorkspaceExport *Page `json:"workspaceExport"`
		} `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
		Extensions struct {
			Redacted []string `json:"redacted"`
		} `json:"extensions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("the hub answered HTTP %d without a GraphQL response", status)
	}
	if len(out.Errors) > 0 {
		var errs []error
		for _, e := range out.Errors {
			code, _ := e.Extensions["code"].(string)
			field, _ := e.Extensions["field"].(string)
			errs = append(errs, &APIError{Code: code, Message: e.Message, Field: field})
		}
		return nil, errors.Join(errs...)
	}
	if out.Data.WorkspaceExport == nil {
		return nil, fmt.Errorf("the hub answered HTTP %d without an export", status)
	}
	page := out.Data.WorkspaceExport
	page.Redacted = out.Extensions.Redacted
	return page, nil
}

// dateProperties, dateTimeProperties and pointProperties are stored as Neo4j's temporal and
// spatial values, as on the hub; integerProperties as integers.
var (
	dateProperties     = map[string]bool{"occurredFrom": true, "occurredTo": true, "firstSeen": true, "lastSeen": true, "since": true, "until": true}
	dateTimeProperties = map[string]bool{"createdAt": true, "updatedAt": true, "submittedAt": true, "erasedAt": true}
	pointProperties    = map[string]bool{"point": true, "approxLocation": true}
	integerProperties  = map[string]bool{"birthYear": true, "victimCount": true, "seq": true}
)

// properties turns an answered entity or relationship into the hub's properties: provenance
// flattened, aliases named as the hub names them, values typed as the hub types them, and
// nothing for what the answer holds as null (withheld personal data is absent, never "").
func properties(answer map[string]any, skip ...string) (map[string]any, error) {
	props := map[string]any{}
	for key, value := range answer {
		if value == nil || key == "__typename" || strings.HasPrefix(key, "__") || slices.Contains(skip, key) {
			continue
		}
		if key == "provenance" {
			prov, ok := value.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("provenance is %T", value)
			}
			inner, err := properties(prov)
			if err != nil {
				return nil, err
			}
			for k, v := range inner {
				props[k] = v
			}
			continue
		}
		name := key
		if alias, ok := propertyOfAlias[key]; ok {
			name = alias
		}
		typed, err := typedValue(name, value)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", name, err)
		}
		props[name] = typed
	}
	return props, nil
}

func typedValue(name string, value any) (any, error) {
	switch {
	case dateProperties[name]:
		s, _ := value.(string)
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, err
		}
		return neo4jDate(d), nil
	case dateTimeProperties[name]:
		s, _ := value.(string)
		return time.Parse(time.RFC3339Nano, s)
	case pointProperties[name]:
		m, _ := value.(map[string]any)
		lat, err1 := number(m["latitude"])
		lon, err2 := number(m["longitude"])
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		return neo4jPoint(lat, lon), nil
	}
	switch v := value.(type) {
	case json.Number:
		if integerProperties[name] {
			return v.Int64()
		}
		return v.Float64()
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("list of %T", item)
			}
			out = append(out, s)
		}
		return out, nil
	case string, bool:
		return v, nil
	}
	return nil, fmt.Errorf("unexpected %T", value)
}

func number(v any) (float64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("want a number, got %T", v)
	}
	return n.Float64()
}
