# The two commands of the README: `make run` (the service on its embedded default: its own Neo4j,
# demo data, a development issuer) and `make test` (every test, against a real Neo4j).
.PHONY: run test generate check bench

run:
	go run ./cmd/traffikgraph serve

test:
	scripts/test.sh

# Regenerates graph/ from schema/ (gqlgen).
generate:
	go generate ./...

# What CI checks besides the tests: formatting, vet, generated code up to date, go.mod tidy, and
# nothing tracked that .gitignore covers (build outputs such as jars never enter the tree).
check:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...
	go generate ./... && git diff --exit-code -- graph resolvers
	go mod tidy && git diff --exit-code -- go.mod go.sum
	@ignored="$$(git ls-files --cached --ignored --exclude-standard)"; \
	  if [ -n "$$ignored" ]; then echo "tracked files that .gitignore covers:"; echo "$$ignored"; exit 1; fi
