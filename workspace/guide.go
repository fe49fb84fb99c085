package workspace

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"slices"
	"strings"

	tg "github.com/traffikgraph/traffikgraph"
	"github.com/traffikgraph/traffikgraph/bloom"
)

//go:embed guide.html.tmpl
var guideTemplate string

// GuideOverview is the guide's first query: what the workspace holds, by label and marking.
const GuideOverview = `MATCH (n:` + tg.LabelEntity + `)
RETURN [l IN labels(n) WHERE l <> '` + tg.LabelEntity + `'][0] AS label, n.tlp AS marking, count(*) AS entities
ORDER BY label, marking`

// exampleArguments are the :param values the guide suggests, by parameter name.
var exampleArguments = map[string]string{
	"person": "'<person id or name>'", "business": "'<business id or name>'", "place": "'<place id or name>'",
	"depth": "2", "from": "date('2025-01-01')", "to": "date('2025-12-31')",
}

// Guide renders the Neo4j Browser guide of a workspace (open it with `:guide <url>`): the overview,
// then one slide per search phrase of the Bloom perspective, so both ask the same questions.
func Guide() ([]byte, error) {
	phrases, err := bloom.SearchPhrases()
	if err != nil {
		return nil, err
	}
	type slide struct{ Name, Text, Cypher, ParamLine string }
	data := struct {
		Overview string
		Phrases  []slide
	}{Overview: GuideOverview}
	for _, p := range phrases {
		var args []string
		for _, param := range p.Params {
			name := strings.TrimPrefix(param.Name, "$")
			args = append(args, name+": "+exampleArguments[name])
		}
		s := slide{Name: p.Name, Text: p.Text, Cypher: p.Cypher}
		if len(args) > 0 {
			s.ParamLine = ":param {" + strings.Join(args, ", ") + "}"
		}
		data.Phrases = append(data.Phrases, s)
	}
	tmpl, err := template.New("guide").Parse(guideTemplate)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// GuideHandler serves the guide at /guide.html and the Bloom perspective at
// /traffikgraph.perspective.json, to the Browser pages of browserOrigins only (Neo4j Browser
// fetches guides across origins, so they need CORS).
func GuideHandler(browserOrigins []string) (http.Handler, error) {
	guide, err := Guide()
	if err != nil {
		return nil, err
	}
	serve := func(body []byte, contentType string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if origin := r.Header.Get("Origin"); slices.Contains(browserOrigins, origin) {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Vary", "Origin")
			}
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Methods", "GET")
				w.Header().Set("Access-Control-Allow-Headers", "*")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			_, _ = w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/guide.html", serve(guide, "text/html; charset=utf-8"))
	mux.Handle("/traffikgraph.perspective.json", serve(bloom.PerspectiveJSON, "application/json"))
	return mux, nil
}
