#!/usr/bin/env bash
# How long a pipe takes to deliver its first byte to the reading process, for the producers
# `rcodex exec "PROMPT"` typically sits behind. It chooses the grace period exec waits for
# stdin when a prompt is on argv (runner/src/exec/prompt.rs). Prints one row per producer:
# runs, median, p95 and max in ms, measured from the reader's start to the first readable byte.
# Usage: bench/stdin_first_byte.sh [RUNS]   (run in a git checkout; default 20 runs)
set -euo pipefail
runs=${1:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 1000000 /dev/urandom | base64 >"$tmp/1mb.txt"

# The reader: start time, wait for fd 0 to be readable (data or EOF), print the delay in ms.
reader='use Time::HiRes qw(time); my $t0 = time; my $r = ""; vec($r, 0, 1) = 1;
select($r, undef, undef, 30); printf("%.2f\n", (time - $t0) * 1000); exit 0;'

measure() {
    local name=$1 cmd=$2
    for _ in $(seq "$runs"); do
        bash -c "$cmd 2>/dev/null | perl -e '$reader'" || true
    done | sort -n | awk -v name="$name" '
        { v[NR] = $1 }
        END {
            p95 = v[int((NR * 95 + 99) / 100)]
            printf "%-28s %4d %9.2f %9.2f %9.2f\n", name, NR, v[int((NR + 1) / 2)], p95, v[NR]
        }'
}

printf "%-28s %4s %9s %9s %9s\n" producer runs median_ms p95_ms max_ms
measure "echo" "echo data"
measure "printf (no newline)" "printf data"
measure "cat 1 MB file" "cat $tmp/1mb.txt"
measure "git diff HEAD~3" "git diff HEAD~3"
measure "git log -p -n 20" "git log -p -n 20"
measure "git status --short" "git status --short"
measure "python3 -c print (PATH)" "python3 -c 'print(1)'"
measure "/usr/bin/python3 -c print" "/usr/bin/python3 -c 'print(1)'"
measure "node -e console.log" "node -e 'console.log(1)'"
measure "jq . on a small file" "echo '{\"a\":1}' >$tmp/a.json; jq . $tmp/a.json"
measure "true (EOF, no data)" "true"
