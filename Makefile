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

# What CI checks besides the tests: formatting, vet, generated code up to date.
check:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...
	go generate ./... && git diff --exit-code -- graph resolvers
