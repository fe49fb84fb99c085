# The two commands of the README: `make run` (the service on its embedded default: its own Neo4j,
# demo data, a development issuer) and `make test` (every test, against a real Neo4j).
.PHONY: run test generate check bench explorer

run:
	go run ./cmd/traffikgraph serve

test:
	scripts/test.sh

# Regenerates graph/ from schema/ (gqlgen).
generate:
	go generate ./...

# Rebuilds the partner explorer (explorer/) into server/explorer/dist, which the binary embeds and
# the repository keeps, so that `make run` and `go build` need no Node.
explorer:
	npm ci --prefix explorer --no-audit --no-fund --loglevel=error
	npm run --prefix explorer build

# What CI checks besides the tests: formatting, vet, generated code up to date, go.mod tidy,
# the committed explorer bundle equal to a fresh build of its sources, and nothing tracked that
# .gitignore covers (build outputs such as jars never enter the tree).
check: explorer
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...
	go generate ./... && git diff --exit-code -- graph resolvers docs/graph-model.md
	go mod tidy && git diff --exit-code -- go.mod go.sum
	@changed="$$(git status --porcelain -- server/explorer/dist)"; \
	  if [ -n "$$changed" ]; then echo "server/explorer/dist differs from a fresh build of explorer/ (run make explorer and commit):"; echo "$$changed"; exit 1; fi
	@ignored="$$(git ls-files --cached --ignored --exclude-standard)"; \
	  if [ -n "$$ignored" ]; then echo "tracked files that .gitignore covers:"; echo "$$ignored"; exit 1; fi
