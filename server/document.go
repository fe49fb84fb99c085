package server

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/traffikgraph/traffikgraph"
)

// documentLimit bounds a query document before gqlparser validates it, since validation is not
// linear: OverlappingFieldsCanBeMerged compares every pair of fields with the same response name
// in a selection set (inline fragments and spread fragments merged in), the sub-selections of
// every such pair, and every pair of fragments spread into it, so 17,000 `a: __typename` in one
// request took 26 s of CPU (600 fragments of one distinct field each 700 ms), and anonymous
// callers may send them too. The limits after validation (depth, cost) come too late for that.
// It refuses, with LIMIT_EXCEEDED, a document of
//   - more than maxTokens lexical tokens: bounds the parse and every rule linear in the text;
//   - more than maxFields selections (fields, fragment spreads, inline fragments) once fragments
//     are expanded, its operations and fragments together, which validation all walks: bounds
//     every rule linear in them, and the cost estimate's walk (cost.go) after it;
//   - more than maxFieldPairs pairs to compare, same-named fields and fragments spread into one
//     selection set, counted as validation compares them: bounds the overlap rule, whatever the
//     aliases, fragments or nesting.
//
// It is an OperationParameterMutator, used after the APQ extension so that it measures the text a
// hash stands for.
type documentLimit struct {
	maxTokens     int
	maxFields     int
	maxFieldPairs int
	// validated is gqlgen's query cache: a document in it passed these limits when it was first
	// parsed, so it is not parsed again here.
	validated graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimit{}

func (documentLimit) ExtensionName() string { return "DocumentLimit" }

func (l documentLimit) Validate(graphql.ExecutableSchema) error {
	if l.maxTokens <= 0 || l.maxFields <= 0 || l.maxFieldPairs <= 0 {
		return errors.New("token, field and field pair limits must be positive")
	}
	if l.validated == nil {
		return errors.New("the document limit needs the query cache")
	}
	return nil
}

func (l documentLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if _, ok := l.validated.Get(ctx, params.Query); ok {
		return nil
	}
	source := &ast.Source{Input: params.Query}
	// Counted before parsing, so that a document over the limit costs only the lexing of its first
	// tokens, and here rather than by gqlgen's SetParserTokenLimit, which answers
	// GRAPHQL_PARSE_FAILED, not LIMIT_EXCEEDED.
	if tokensOver(source, l.maxTokens) {
		return limitExceeded("the query has more than %d tokens (names, values and punctuation)", l.maxTokens)
	}
	doc, err := parser.ParseQuery(source)
	if err != nil {
		return nil // gqlgen parses it again and reports the syntax error in its own words
	}
	walker := documentWalker{doc: doc, selectionsLeft: l.maxFields, pairsLeft: l.maxFieldPairs}
	for _, set := range documentSelectionSets(doc) {
		var merged mergedSet
		outcome := tooManySelections
		if walker.collect(set, nil, &merged) {
			outcome = walker.compare(merged)
		}
		switch outcome {
		case tooManySelections:
			return limitExceeded("the query has more than %d selections (fields and fragments) once fragments are expanded", l.maxFields)
		case tooManyPairs:
			return limitExceeded("the query repeats response names or spreads fragments too often: validating it would compare "+
				"more than %d pairs of fields of the same name or of fragments spread into one selection set; give repeated fields "+
				"distinct aliases, and spread fewer fragments into one place", l.maxFieldPairs)
		}
	}
	return nil
}

func limitExceeded(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, string(traffikgraph.LimitExceeded))
	return err
}

// tokensOver reports whether source has more than limit tokens before any lexical error.
func tokensOver(source *ast.Source, limit int) bool {
	lex := lexer.New(source)
	for range limit + 1 {
		token, err := lex.ReadToken()
		if err != nil || token.Kind == lexer.EOF {
			return false
		}
	}
	return true
}

// documentSelectionSets are the selection sets validation starts from: every operation's and
// every fragment definition's, used or not.
func documentSelectionSets(doc *ast.QueryDocument) []ast.SelectionSet {
	sets := make([]ast.SelectionSet, 0, len(doc.Operations)+len(doc.Fragments))
	for _, operation := range doc.Operations {
		sets = append(sets, operation.SelectionSet)
	}
	for _, fragment := range doc.Fragments {
		sets = append(sets, fragment.SelectionSet)
	}
	return sets
}

// documentWalker spends the selection and field pair budgets of one document. It walks an
// unvalidated document: a fragment spread within its own expansion is not followed again, an
// unknown fragment adds nothing (validation refuses both). Each selection expanded, fragment
// spreads too, spends the selection budget, so no document makes the walk itself long.
type documentWalker struct {
	doc            *ast.QueryDocument
	selectionsLeft int
	pairsLeft      int
}

type walkOutcome int

const (
	withinLimits walkOutcome = iota
	tooManySelections
	tooManyPairs
)

// expansion is the chain of fragments a selection was reached through, innermost first.
type expansion struct {
	fragment string
	outer    *expansion
}

func (e *expansion) includes(fragment string) bool {
	for ; e != nil; e = e.outer {
		if e.fragment == fragment {
			return true
		}
	}
	return false
}

// collectedField is a field of a merged selection set and the fragments it was reached through.
type collectedField struct {
	*ast.Field
	via *expansion
}

// mergedSet is what validation compares as one selection set: the fields of selection sets
// merged, inline fragments and spread fragments included, and how many fragment spreads were
// expanded into it (validation compares each pair of them too).
type mergedSet struct {
	fields  []collectedField
	spreads int
}

// collect adds the fields set selects to into, with inline fragments and spread fragments merged
// in as validation merges them; false once the selection budget is spent.
func (w *documentWalker) collect(set ast.SelectionSet, via *expansion, into *mergedSet) bool {
	for _, selection := range set {
		w.selectionsLeft--
		if w.selectionsLeft < 0 {
			return false
		}
		ok := true
		switch s := selection.(type) {
		case *ast.Field:
			into.fields = append(into.fields, collectedField{Field: s, via: via})
		case *ast.InlineFragment:
			ok = w.collect(s.SelectionSet, via, into)
		case *ast.FragmentSpread:
			if fragment := w.doc.Fragments.ForName(s.Name); fragment != nil && !via.includes(s.Name) {
				into.spreads++
				ok = w.collect(fragment.SelectionSet, &expansion{fragment: s.Name, outer: via}, into)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// compare spends the pairs validation compares in one merged selection set: each pair of its
// fragment spreads, each pair of fields with the same response name, then, for each response
// name, the merged sub-selections of its fields (an upper bound of what validation compares of
// those sub-selections).
func (w *documentWalker) compare(set mergedSet) walkOutcome {
	w.pairsLeft -= pairs(set.spreads)
	byResponseName := map[string][]collectedField{}
	var names []string
	for _, field := range set.fields {
		if _, seen := byResponseName[field.Alias]; !seen {
			names = append(names, field.Alias)
		}
		byResponseName[field.Alias] = append(byResponseName[field.Alias], field)
	}
	for _, name := range names {
		group := byResponseName[name]
		w.pairsLeft -= pairs(len(group))
		if w.pairsLeft < 0 {
			return tooManyPairs
		}
		var sub mergedSet
		for _, field := range group {
			if !w.collect(field.SelectionSet, field.via, &sub) {
				return tooManySelections
			}
		}
		if outcome := w.compare(sub); outcome != withinLimits {
			return outcome
		}
	}
	if w.pairsLeft < 0 {
		return tooManyPairs
	}
	return withinLimits
}

func pairs(n int) int {
	return n * (n - 1) / 2
}
