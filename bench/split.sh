#!/bin/sh
# A run split over key groups (issue 23): one rule set holding state for KEYS callers
# (bench/split/rules.vigil), 2 calls each (a third for one in ten), measured three ways on
# this machine in one run:
#   - `vigil run` over the file: wall time and peak RSS;
#   - one `vigil serve`: from publishing the file into JetStream until every record is
#     stored, and the server's peak RSS;
#   - SERVERS servers of `vigil serve --groups GROUPS`: the same, each server's peak RSS;
# and the router alone (runtime/examples/route.rs, no broker): its events/s are the serial
# part of a split run. Servers are started and settled (each holds its share of the parts)
# before the input is published, so no part changes hands while it is measured.
#
#   bench/split.sh [KEYS] [GROUPS] [SERVERS]     # defaults: 1000000 8 3
#
# Needs a release build (cargo build --release; $VIGIL overrides), nats-server ($NATS_SERVER
# or on the PATH), python3 and curl.
set -eu
keys=${1:-1000000}
groups=${2:-8}
servers=${3:-3}
vigil=${VIGIL:-target/release/vigil}
target=$(dirname "$vigil")
nats=${NATS_SERVER:-nats-server}
dir=$(mktemp -d)
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free)
"$nats" -js -a 127.0.0.1 -p "$port" -sd "$dir/store" > "$dir/nats.log" 2>&1 &
pids=$!
trap 'kill $pids 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
url=nats://127.0.0.1:$port

python3 - "$keys" > "$dir/events.jsonl" <<'PY'
import sys, random
keys = int(sys.argv[1])
rng = random.Random(23)
calls = [k for k in range(keys) for _ in range(3 if k % 10 == 0 else 2)]
rng.shuffle(calls)
t = 1_646_092_800_000  # 2022-03-01
out = sys.stdout
for n, k in enumerate(calls):
    ms = t + n * 10
    out.write('{"type":"Call","time":%d,"caller":"+86130%08d","callee":"r%d"}\n' % (ms, k, n % 1000))
out.write('{"type":"$tick","time":"2100-01-01T00:00:00Z"}\n')
PY
lines=$(wc -l < "$dir/events.jsonl")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $keys keys, $lines lines, G = $groups, $servers servers"
"$vigil" build bench/split/ -o "$dir/rules.bundle" 2> /dev/null

# Checkpoints are whole snapshots: over a million keys, one a second (the default) is most of
# the work; $CHECKPOINTS sets them (see docs/BENCHMARKS.md).
CHECKPOINTS=${CHECKPOINTS:---checkpoint-every 10000 --checkpoint-interval 60s}
now() { date +%s.%N; }
/usr/bin/time -f "%e %M" -o "$dir/run.time" "$vigil" run --bundle "$dir/rules.bundle" \
    --events "$dir/events.jsonl" > "$dir/run.jsonl" 2> /dev/null
records=$(wc -l < "$dir/run.jsonl")
read run_s run_kb < "$dir/run.time"
echo "vigil run:          $run_s s, $(echo "$lines / $run_s" | bc) events/s, peak RSS $((run_kb / 1024)) MiB, $records records"

"$target/examples/route" "$dir/rules.bundle" "$dir/events.jsonl" "$groups" 2> /dev/null || \
    echo "router alone: build it with cargo build --release -p vigil-runtime --example route"

metric() { curl -s "127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
hwm() { awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$1/status"; }
# measure STREAM LABEL HTTP-PORTS...: publishes the input into deployment STREAM and waits
# until the servers listening on the ports stored every record.
measure() {
    stream=$1; name=$2; shift 2
    t0=$(now)
    "$vigil" serve publish "$dir/events.jsonl" --nats "$url" --stream "$stream" --batch 100 2> /dev/null
    t1=$(now)
    while :; do
        sum=0
        for p in "$@"; do sum=$((sum + $(metric "$p" vigil_records_total | cut -d. -f1))); done
        [ "$sum" -ge "$records" ] && break
        if [ "$(echo "$(now) - $t0 > 900" | bc)" = 1 ]; then
            echo "$name: $sum of $records records after 15 minutes" >&2
            exit 1
        fi
        sleep 0.1
    done
    t2=$(now)
    secs=$(echo "$t2 - $t0" | bc)
    echo "$name: $secs s ($(echo "$t1 - $t0" | bc) s of it publishing), $(echo "$lines / $secs" | bc) events/s"
}

# One server.
http=$(free)
"$vigil" serve --bundle "$dir/rules.bundle" --nats "$url" --stream one \
    --tick 0s --max-skew 100000d --lease 2s $CHECKPOINTS \
    --listen "127.0.0.1:$http" 2> "$dir/one.log" &
one=$!
pids="$pids $one"
until [ -n "$(metric "$http" vigil_active)" ]; do sleep 0.05; done
measure one "one vigil serve" "$http"
echo "  peak RSS $(hwm "$one") MiB"
kill "$one"

# SERVERS servers split over GROUPS key groups.
ports=""
split_pids=""
for k in $(seq "$servers"); do
    p=$(free)
    "$vigil" serve --bundle "$dir/rules.bundle" --nats "$url" --stream split \
        --groups "$groups" --tick 0s --lease 2s $CHECKPOINTS \
        --listen "127.0.0.1:$p" 2> "$dir/split-$k.log" &
    split_pids="$split_pids $!"
    pids="$pids $!"
    ports="$ports $p"
done
# Settled: every part served, and nothing given up for 3 s.
parts=$((groups + 2))
while :; do
    sleep 3
    serving=$(cat "$dir"/split-*.log | grep -c "serving " || true)
    given=$(cat "$dir"/split-*.log | grep -c "gave up" || true)
    [ $((serving - given)) -ge "$parts" ] && [ "$given" = "${last_given:-x}" ] && break
    last_given=$given
done
measure split "$servers servers, --groups $groups" $ports
for pid in $split_pids; do
    held=$(grep -h "holder=[^ ]*:$pid " "$dir"/split-*.log | grep -c "serving " || true)
    echo "  server $pid: peak RSS $(hwm "$pid") MiB, $held parts started"
done
