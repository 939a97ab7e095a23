#!/usr/bin/env bash
# Cost of real workspaces, setup and graders in `rcodex batch`: N generated no-tool scenarios of
# each kind, one process, -j 2, best wall of RUNS. Prints ms per scenario and the extra over the
# inline-files baseline. Usage: bash bench/graders.sh [N=200] [RUNS=3]; RCODEX=PATH for another build.
set -euo pipefail
N=${1:-200}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RCODEX=${RCODEX:-$ROOT/target/release/rcodex}
[ -x "$RCODEX" ] || { echo "build first: cargo build --release -p rcodex-runner --bin rcodex" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK XDG_CACHE_HOME=$WORK/cache

# A 100-file project, as a folder and as a git repository with two commits.
mkdir -p "$WORK/project/src"
for i in $(seq 1 100); do printf 'line %s\n' "$i" > "$WORK/project/src/f$i.txt"; done
cp -r "$WORK/project" "$WORK/repo"
git -C "$WORK/repo" init -q
git -C "$WORK/repo" -c user.name=b -c user.email=b@b add -A
git -C "$WORK/repo" -c user.name=b -c user.email=b@b commit -qm one
echo 2 > "$WORK/repo/VERSION"
git -C "$WORK/repo" -c user.name=b -c user.email=b@b add -A
git -C "$WORK/repo" -c user.name=b -c user.email=b@b commit -qm two

reply='[[model.reply]]
message = "ok"
[expect]
final_message = "ok"'
kind() { # name, extra TOML
  mkdir -p "$WORK/sc/$1"
  for i in $(seq 1 "$N"); do
    printf 'name = "%s %s"\nprompt = "p"\n%s\n%s\n' "$1" "$i" "$2" "$reply" > "$WORK/sc/$1/s$i.toml"
  done
}
kind files '[workspace.files]
"a.txt" = "x\n"'
kind dir "[workspace]
dir = \"$WORK/project\""
kind git "[workspace]
git = { repo = \"$WORK/repo\", rev = \"HEAD~1\" }"
kind remote_git "[workspace]
git = { repo = \"file://$WORK/repo\", rev = \"HEAD~1\" }"
kind setup_grader 'setup = ["true"]
[[expect.command]]
run = "true"'

printf '| kind | scenarios | best wall s | ms/scenario | extra ms/scenario |\n|---|---:|---:|---:|---:|\n'
base=
for k in files dir git remote_git setup_grader; do
  best=
  for r in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/out"
    s=$(date +%s.%N)
    "$RCODEX" batch "$WORK/sc/$k" -j 2 --out "$WORK/out" > /dev/null 2>&1 || { echo "$k: batch failed" >&2; exit 1; }
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$best" ] || (( $(echo "$t < $best" | bc) )); then best=$t; fi
  done
  per=$(echo "scale=2; $best * 1000 / $N" | bc)
  [ -z "$base" ] && base=$per
  printf '| %s | %s | %.2f | %s | %s |\n' "$k" "$N" "$best" "$per" "$(echo "scale=2; $per - $base" | bc)"
done
