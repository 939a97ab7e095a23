#!/usr/bin/env bash
# Replay throughput, in MB of rollout per second, on one core and on two.
#
#   bash bench/replay.sh [FILES] [RUNS]      # defaults: 1000 rollouts, best of 5 runs
#   RCODEX=/path/to/rcodex bash bench/replay.sh   # another build (say, an older commit's)
#
# Makes at least FILES rollouts with `rcodex batch` on the bundled scenarios (--repeat), then
# times `rcodex replay --summary TREE` (lines only, no machine) and `rcodex replay TREE` (verify:
# every request rebuilt and checked) with RAYON_NUM_THREADS=1 and =2. Prints
# a markdown table: wall, CPU (user+sys), MB/s of wall time, MB per CPU-second (what one core
# does, whatever else the machine runs), peak RSS; and peak RSS on a tree a tenth the size, to
# show memory does not grow with the number of files. Nothing leaves 127.0.0.1.
set -euo pipefail

FILES=${1:-1000}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -z ${RCODEX:-} ]]; then
  RCODEX="$ROOT/target/release/rcodex"
  (cd "$ROOT" && cargo build --quiet --release -p rcodex-runner --bin rcodex)
fi

scenarios=$(find "$ROOT/scenarios" -name '*.toml' | wc -l)
repeat=$(((FILES + scenarios - 1) / scenarios))
echo "making $((repeat * scenarios)) rollouts: $scenarios scenarios x $repeat ..." >&2
"$RCODEX" batch "$ROOT/scenarios" --repeat "$repeat" -j 16 --out "$WORK/big/batch" >/dev/null 2>&1 || {
  echo "rcodex batch failed; see $WORK/big/batch/summary.txt" >&2
  exit 1
}
mkdir -p "$WORK/small/batch/rollouts"
mapfile -t all < <(find "$WORK/big/batch/rollouts" -name '*.jsonl' | sort)
cp -t "$WORK/small/batch/rollouts" "${all[@]:0:${#all[@]}/10}"

# measure THREADS MODE TREE -> "files mb wall cpu rss_kb" of the fastest of RUNS runs. Wall and
# CPU come from bash's `time` (millisecond resolution; /usr/bin/time rounds to 10 ms, a fifth of
# a --summary run), peak RSS from /usr/bin/time.
measure() {
  local threads=$1 mode=$2 tree=$3 best="" i
  for ((i = 0; i < RUNS; i++)); do
    local out="$WORK/out" times="$WORK/time" rss="$WORK/rss"
    local args=()
    [[ $mode == summary ]] && args+=(--summary)
    local TIMEFORMAT='%3R %3U %3S'
    { time RAYON_NUM_THREADS=$threads /usr/bin/time -f '%M' -o "$rss" \
      "$RCODEX" replay "${args[@]}" "$tree" >"$out" 2>/dev/null; } 2>"$times" || {
      echo "rcodex replay ${args[*]} $tree exited non-zero:" >&2
      tail -n 5 "$out" >&2
      exit 1
    }
    # Totals line: "N files: ...; X MB in S s, R MB/s".
    local files mb
    files=$(tail -n 1 "$out" | awk '{print $1}')
    mb=$(tail -n 1 "$out" | sed -E 's/.*; ([0-9.]+) MB in.*/\1/')
    local row
    row=$(awk -v f="$files" -v mb="$mb" -v r="$(cat "$rss")" \
      '{printf "%s %s %s %.3f %s", f, mb, $1, $2 + $3, r}' "$times")
    if [[ -z $best ]] || awk -v a="$row" -v b="$best" 'BEGIN{split(a,x," ");split(b,y," ");exit !(x[3]<y[3])}'; then
      best=$row
    fi
  done
  echo "$best"
}

echo "| mode | threads | files | MB | wall s | CPU s | MB/s (wall) | MB per CPU-s | peak RSS MiB | peak RSS MiB, a tenth of the files |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for mode in summary verify; do
  for threads in 1 2; do
    read -r files mb wall cpu rss <<<"$(measure "$threads" "$mode" "$WORK/big")"
    read -r _ _ _ _ small_rss <<<"$(measure "$threads" "$mode" "$WORK/small")"
    awk -v m="$mode" -v t="$threads" -v f="$files" -v mb="$mb" -v w="$wall" -v c="$cpu" -v r="$rss" -v s="$small_rss" 'BEGIN{
      wall = (w > 0) ? mb / w : 0; core = (c > 0) ? mb / c : 0;
      printf "| %s | %d | %d | %.1f | %.3f | %.3f | %.0f | %.0f | %.1f | %.1f |\n", m, t, f, mb, w, c, wall, core, r / 1024, s / 1024 }'
  done
done
echo
echo "$(nproc) cores; load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
