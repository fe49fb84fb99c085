#!/usr/bin/env bash
# The test command: starts a fresh embedded Neo4j for the tests (the real server, on its own
# ports), installs the Node peers the tests drive (graphql-http audit, oidc-provider), and runs
# every Go test against them. Usage: scripts/test.sh [go test flags/packages]
set -euo pipefail
cd "$(dirname "$0")/.."

data=.data/test
bolt=${TEST_NEO4J_BOLT:-127.0.0.1:17687}
http=${TEST_NEO4J_HTTP:-127.0.0.1:17474}
# The workspace test runs a second Neo4j (a workspace to pull into) on these, with the same jars.
export TEST_WORKSPACE_NEO4J_BOLT=${TEST_WORKSPACE_NEO4J_BOLT:-127.0.0.1:17688}
export TEST_WORKSPACE_NEO4J_HTTP=${TEST_WORKSPACE_NEO4J_HTTP:-127.0.0.1:17475}
export TEST_NEO4J_DIST=$PWD/$data/neo4j-dist

for tool in go java mvn node npm; do
  command -v "$tool" >/dev/null || { echo "test: $tool is not installed (see README: Requirements)" >&2; exit 1; }
done
# The GraphiQL test drives a real headless Chromium (Debian's package).
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

for peer in conformance e2e browser; do
  if [ -f "$peer/package.json" ]; then
    npm ci --prefix "$peer" --no-audit --no-fund --loglevel=error
  fi
done

mkdir -p bin "$data"
go build -o bin/traffikgraph ./cmd/traffikgraph

# A fresh database every run; the assembled Neo4j jars are kept in $data/neo4j-dist.
rm -rf "$data/neo4j" "$data/env"
bin/traffikgraph neo4j --data "$data" --neo4j-bolt "$bolt" --neo4j-http "$http" \
  --neo4j-heap 1g --neo4j-pagecache 512m --env-file "$data/env" > "$data/neo4j.out" 2> "$data/neo4j.log" &
neo4j_pid=$!
cleanup() { kill "$neo4j_pid" 2>/dev/null && wait "$neo4j_pid" 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 1 600); do
  [ -s "$data/env" ] && break
  if ! kill -0 "$neo4j_pid" 2>/dev/null; then
    echo "test: the embedded Neo4j did not start:" >&2; tail -n 40 "$data/neo4j.log" >&2; exit 1
  fi
  sleep 0.5
done
[ -s "$data/env" ] || { echo "test: the embedded Neo4j did not answer in time" >&2; tail -n 40 "$data/neo4j.log" >&2; exit 1; }
set -a; . "$data/env"; set +a

# One package at a time: packages share the one test database.
go test -p 1 -count=1 -timeout 20m "${@:-./...}"
