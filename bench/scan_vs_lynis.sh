#!/usr/bin/env bash
# Times `vigil scan` (built-in policy) against `lynis audit system --quick` on this
# machine, in the same run, with a warm file cache for both, and prints the ratio.
# Also times `vigil inventory` alone. Installs nothing: it says what is missing.
#
#   bench/scan_vs_lynis.sh [RUNS]     (default 5 vigil runs; Lynis runs twice, first is warm-up)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}

missing=()
command -v lynis >/dev/null || missing+=("lynis (apt-get install lynis)")
command -v go >/dev/null || missing+=("go")
command -v bc >/dev/null || missing+=("bc (apt-get install bc)")
command -v python3 >/dev/null || missing+=("python3")
if [ ${#missing[@]} -gt 0 ]; then
  printf 'missing: %s\n' "${missing[@]}" >&2
  exit 1
fi
[ "$(id -u)" = 0 ] || echo "note: not root; both tools see less of the system" >&2

bin=$(mktemp -d)/vigil
go build -o "$bin" ./cmd/vigil

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

# Warm-up: one run of each fills the page cache for both.
"$bin" scan --format json >/dev/null 2>&1 || true
lynis audit system --quick --no-colors --no-log >/dev/null 2>&1 || true

t0=$(now)
lynis audit system --quick --no-colors --no-log >/tmp/lynis-bench.out 2>&1 || true
t1=$(now)
lynis_s=$(elapsed "$t0" "$t1")
lynis_tests=$(grep -Eo 'Tests performed *: *[0-9]+' /tmp/lynis-bench.out | grep -Eo '[0-9]+$' || echo "?")

best=""
total=0
for i in $(seq "$runs"); do
  t0=$(now)
  "$bin" scan --format json --output /tmp/vigil-bench.json >/dev/null 2>&1 || true
  t1=$(now)
  s=$(elapsed "$t0" "$t1")
  total=$(echo "$total + $s" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
done
mean=$(echo "$total / $runs" | bc -l)
vigil_checks=$(python3 -c 'import json,sys; d=json.load(open("/tmp/vigil-bench.json")); s=d["summary"]; print(s["total"], s["pass"]+s["fail"])')

inv_best=""
for i in $(seq "$runs"); do
  t0=$(now)
  "$bin" inventory --format json >/dev/null 2>&1 || true
  t1=$(now)
  s=$(elapsed "$t0" "$t1")
  if [ -z "$inv_best" ] || [ "$(echo "$s < $inv_best" | bc -l)" = 1 ]; then inv_best=$s; fi
done

printf 'lynis audit system --quick: %.2f s, %s tests performed\n' "$lynis_s" "$lynis_tests"
printf 'vigil scan:                 best %.3f s, mean %.3f s over %d runs; checks (total, decided): %s\n' "$best" "$mean" "$runs" "$vigil_checks"
printf 'vigil inventory:            best %.3f s\n' "$inv_best"
printf 'ratio lynis/vigil (mean):   %.1fx   (target: >= 20x)\n' "$(echo "$lynis_s / $mean" | bc -l)"
