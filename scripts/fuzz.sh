#!/usr/bin/env bash
# Runs every fuzz target for the given time each (default 1m), one after the other, and prints
# per target the executions and whether it found a crash. A crash leaves its input in the
# package's testdata/fuzz/<target>/ (commit it with the fix: it is then a regression test).
# Usage: scripts/fuzz.sh [duration, e.g. 30s or 5m]
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-1m}
targets=(
  "./server FuzzDecodePostBody"
  "./server FuzzDecodeGetParameters"
  "./store FuzzDecodeCursor"
  "./store FuzzDecodeAuditCursor"
  "./resolvers FuzzWhereToFilter"
  "./auth FuzzLoadIssuers"
  "./seed/ctdc FuzzReader"
)
status=0
total=0
for target in "${targets[@]}"; do
  read -r pkg name <<< "$target"
  log=$(mktemp)
  # -parallel 1: the machine is shared; the executions are what is reported. Minimising each
  # new interesting input takes up to a minute by default, counted as no executions (an issuers
  # file from the examples stalled a whole run so): a few seconds keeps the run fuzzing.
  go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 3s -parallel 1 "$pkg" > "$log" 2>&1
  rc=$?
  execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  execs=${execs:-0}
  total=$((total + execs))
  if [ $rc -eq 0 ]; then
    echo "$name ($pkg): $execs executions in $fuzztime, no crash"
  else
    echo "$name ($pkg): FAILED after $execs executions:"; tail -n 30 "$log"; status=1
  fi
  rm -f "$log"
done
echo "total: $total executions"
exit $status
