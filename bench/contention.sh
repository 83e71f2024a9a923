#!/bin/sh
# `vigil run` on a busy machine (issue 25): the default (input decoded on a second thread when
# there is more than one core) against `--single-thread`, for W1 R=1000, W3 and W5 of the peer
# harness, (a) with one CPU-bound process competing (`yes > /dev/null`), (b) with one CPU
# (`taskset -c 0`), (c) idle. Prints the median wall time of RUNS runs of each, and the ratio.
#
#   bench/contention.sh [EVENTS] [RUNS]        # defaults: 1000000 events, 5 runs
#
# Needs a release build (cargo build --release; $VIGIL overrides) and python3 for the
# generator (../shared/bench/gen.py, stdlib only). Data goes to $BENCH_DATA (default
# /tmp/vigil-contention), generated once per size.
set -eu
events=${1:-1000000}
runs=${2:-5}
vigil=${VIGIL:-target/release/vigil}
gen=${GEN:-../shared/bench/gen.py}
data=${BENCH_DATA:-/tmp/vigil-contention}

for w in "W1 1000" "W3 1" "W5 1"; do
    set -- $w
    dir="$data/$1-$events"
    [ -f "$dir/events.jsonl" ] || python3 "$gen" --workload "$1" --events "$events" --rules "$2" --seed 1 --out "$dir" > /dev/null
done

# Median wall seconds of $runs runs of: $vigil run ... $@
median() {
    dir=$1
    shift
    for _ in $(seq "$runs"); do
        s=$(date +%s.%N)
        "$@" "$vigil" run "$dir/vigil" --events "$dir/events.jsonl" --out /dev/null $extra 2> /dev/null
        e=$(date +%s.%N)
        echo "$e - $s" | bc
    done | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }'
}

row() {
    label=$1
    dir=$2
    shift 2
    extra=""
    d=$(median "$dir" "$@")
    extra="--single-thread"
    s=$(median "$dir" "$@")
    printf '| %s | %s | %s s | %s s | %s |\n' "$label" "$(basename "$dir")" "$d" "$s" "$(echo "scale=2; $d / $s" | bc)"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; median of $runs runs"
echo
echo '| condition | workload | default | --single-thread | default / single |'
echo '|---|---|---:|---:|---:|'
for w in W1-$events W3-$events W5-$events; do
    row idle "$data/$w"
done
yes > /dev/null &
busy=$!
trap 'kill $busy 2> /dev/null' EXIT
for w in W1-$events W3-$events W5-$events; do
    row "one busy process" "$data/$w"
done
kill $busy
for w in W1-$events W3-$events W5-$events; do
    row "taskset -c 0" "$data/$w" taskset -c 0
done
