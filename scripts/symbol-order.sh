#!/usr/bin/env bash
# Regenerates symbols.order, the link order of the release binary's functions (see
# ARCHITECTURE.md, "Code layout"): builds the binary without it, records with callgrind which
# functions `vigil run` executes on the bundled city example and, where ../shared/bench is
# present, on small instances of the peer benchmark's workloads, and lists them hottest first.
# Then relinks. Run it after changes that rename or add much of what a run executes; a stale
# list still works, it only packs less. Needs valgrind and python3; takes ~10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "symbol-order: valgrind is needed" >&2; exit 2; }
VIGIL_NO_SYMBOL_ORDER=1 cargo build --release --locked
bin=target/release/vigil
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
profile() { # name, vigil arguments...
  local name=$1; shift
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$tmp/$name.cg" \
    "$bin" "$@" >/dev/null 2>&1
}
profile city run rules/ --events examples/city-1day.jsonl --lateness 10s --out "$tmp/city.out"
gen=../shared/bench/gen.py
if [ -f "$gen" ]; then
  for w in W1:10 W1:1000 W2:20 W3:1 W4:100 W5:1; do
    name=${w%%:*}-${w##*:}
    python3 "$gen" --workload "${w%%:*}" --events 20000 --rules "${w##*:}" --seed 1 --out "$tmp/$name"
    profile "$name" run "$tmp/$name/vigil" --events "$tmp/$name/events.jsonl" --out "$tmp/$name.out"
  done
fi
python3 scripts/symbol_order.py "$bin" symbols.order "$tmp"/*.cg
cargo build --release --locked
