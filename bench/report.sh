#!/usr/bin/env bash
# Size and first render of the HTML report of a large batch run.
#
#   bash bench/report.sh [N] [RUNS]     # defaults: 1000 scenarios, best of 5 renders
#   RCODEX=/path/to/rcodex CHROMIUM=/path/to/chromium bash bench/report.sh
#
# Runs N copies of the bundled scenario tools/shell_then_answer (a tool call and an answer)
# with `rcodex batch -j 2` against the scripted model, times `rcodex report OUT -o FILE`, then
# opens the page RUNS times in headless Chromium from file:// and reads the page's own
# self-check: `render` is the script's drawing time (parse the data, build the table),
# `first render` is performance.now() when drawing ends (from navigation start: reading the
# file, parsing the HTML and the data, drawing). Prints a markdown table. Nothing leaves
# 127.0.0.1; everything is written under a temp folder that is removed at the end.
set -euo pipefail
N=${1:-1000}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RCODEX=${RCODEX:-$ROOT/target/release/rcodex}
[ -x "$RCODEX" ] || RCODEX=$ROOT/target/debug/rcodex
[ -x "$RCODEX" ] || { echo "build first: cargo build -p rcodex-runner --bin rcodex" >&2; exit 2; }
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM missing: apt-get install -y chromium" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK

mkdir -p "$WORK/s"
for i in $(seq -w 1 "$N"); do
  cp "$ROOT/scenarios/tools/shell_then_answer.toml" "$WORK/s/s$i.toml"
done
start=$(date +%s%N)
"$RCODEX" batch "$WORK/s" -j 2 --out "$WORK/out" >/dev/null 2>&1
batch_ms=$(( ($(date +%s%N) - start) / 1000000 ))
start=$(date +%s%N)
"$RCODEX" report "$WORK/out" -o "$WORK/report.html" >/dev/null
write_ms=$(( ($(date +%s%N) - start) / 1000000 ))
bytes=$(stat -c %s "$WORK/report.html")

best_render=; best_first=; best_wall=
for _ in $(seq 1 "$RUNS"); do
  start=$(date +%s%N)
  check=$("$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$WORK/profile" --dump-dom "file://$WORK/report.html" 2>/dev/null |
    grep -o '<pre id="report-selfcheck"[^<]*' | sed 's/.*>//')
  wall=$(( ($(date +%s%N) - start) / 1000000 ))
  render=$(echo "$check" | sed -n 's/.*"render_ms":\([0-9]*\).*/\1/p')
  first=$(echo "$check" | sed -n 's/.*"since_navigation_ms":\([0-9]*\).*/\1/p')
  rows=$(echo "$check" | sed -n 's/.*"visible_rows":\([0-9]*\).*/\1/p')
  [ "$rows" = "$N" ] || { echo "the page drew $rows rows, not $N: $check" >&2; exit 1; }
  if [ -z "$best_first" ] || [ "$first" -lt "$best_first" ]; then
    best_first=$first; best_render=$render
  fi
  if [ -z "$best_wall" ] || [ "$wall" -lt "$best_wall" ]; then best_wall=$wall; fi
done

echo "| scenarios | report size | rcodex report | render (script) | first render | chromium --dump-dom wall |"
echo "|---|---|---|---|---|---|"
printf '| %s | %.2f MB | %s ms | %s ms | %s ms | %s ms |\n' "$N" \
  "$(echo "$bytes / 1048576" | bc -l)" "$write_ms" "$best_render" "$best_first" "$best_wall"
echo "(batch itself: $batch_ms ms; rcodex: $RCODEX; best of $RUNS renders)"
