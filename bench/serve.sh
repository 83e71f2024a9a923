#!/bin/sh
# Throughput of `vigil serve` (issue 22): events from the JetStream input to records stored on
# the output stream, against `vigil run` over the same file on the same machine, in one run.
#
#   bench/serve.sh EVENTS.jsonl [BATCH]
#
# Needs a release build (cargo build --release) and nats-server ($NATS_SERVER or on the PATH).
# Prints the load average, both times and their ratio. The server runs with --tick 0s (a
# wall-clock tick would make a historical file late) and a checkpoint every 100 messages;
# $SERVE_OPTIONS adds options (`--checkpoint-every 1000`, say).
set -eu
events=$1
batch=${2:-100}
vigil=${VIGIL:-target/release/vigil}
nats=${NATS_SERVER:-nats-server}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
http=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$nats" -js -a 127.0.0.1 -p "$port" -sd "$dir/store" > "$dir/nats.log" 2>&1 &
nats_pid=$!
trap 'kill $nats_pid ${serve_pid:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
url=nats://127.0.0.1:$port
lines=$(wc -l < "$events")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $lines lines, $batch lines per message"

now() { date +%s.%N; }
t0=$(now)
"$vigil" run rules/ --events "$events" --lateness 10s > "$dir/run.jsonl" 2> /dev/null
t1=$(now)
records=$(wc -l < "$dir/run.jsonl")
echo "vigil run:   $(echo "$t1 - $t0" | bc) s, $records records"

metric() { curl -s "127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
serve() {
    "$vigil" serve rules/ --nats "$url" --lateness 10s --tick 0s --max-skew 100000d \
        --lease 1s --listen "127.0.0.1:$http" ${SERVE_OPTIONS:-} 2>> "$dir/serve.log" &
    serve_pid=$!
    until [ -n "$(metric vigil_active)" ]; do sleep 0.05; done
}
# A first start creates the streams; the input is stored before the measured one.
serve
kill "$serve_pid"; wait "$serve_pid" 2> /dev/null || true
"$vigil" serve publish "$events" --nats "$url" --batch "$batch"
sleep 1.5 # the first server's lease runs out
t2=$(now)
serve
until [ "$(metric vigil_input_lines_total)" = "$lines" ]; do
    sleep 0.05
    if [ "$(echo "$(now) - $t2 > 600" | bc)" = 1 ]; then
        echo "vigil serve did not read the $lines lines within 10 minutes: $(metric vigil_input_lines_total)" >&2
        exit 1
    fi
done
t3=$(now)
stored=$(metric vigil_records_total)
echo "vigil serve: $(echo "$t3 - $t2" | bc) s, $stored records (stream to stored records)"
echo "ratio serve/run: $(echo "scale=1; ($t3 - $t2) / ($t1 - $t0)" | bc)x"
