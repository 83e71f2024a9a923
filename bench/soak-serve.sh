#!/bin/sh
# A long run of `vigil serve` at a steady rate (issue 26's soak, issue 22's server): EVENTS are
# fed into the input at the rate that spreads them over MINUTES, and every 30 s the server's
# resident memory and gauges are written to OUT.csv.
#
#   bench/soak-serve.sh EVENTS.jsonl [MINUTES] [OUT.csv]
#
# Needs a release build and nats-server ($NATS_SERVER or on the PATH).
set -eu
events=$1
minutes=${2:-30}
out=${3:-soak-serve.csv}
vigil=${VIGIL:-target/release/vigil}
nats=${NATS_SERVER:-nats-server}
dir=$(mktemp -d)
free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free)
http=$(free)
"$nats" -js -a 127.0.0.1 -p "$port" -sd "$dir/store" > "$dir/nats.log" 2>&1 &
nats_pid=$!
trap 'kill $nats_pid ${serve_pid:-} ${feed_pid:-} 2>/dev/null; rm -rf "$dir"' EXIT
url=nats://127.0.0.1:$port
sleep 1
"$vigil" serve rules/ --nats "$url" --lateness 10s --tick 0s --listen "127.0.0.1:$http" \
    2> "$dir/serve.log" &
serve_pid=$!
metric() { curl -s "127.0.0.1:$http/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
until [ -n "$(metric vigil_active)" ]; do sleep 0.1; done
lines=$(wc -l < "$events")
rate=$((lines / (minutes * 60) + 1))
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $lines lines at $rate a second for $minutes minutes"
python3 - "$events" "$rate" <<'PY' | "$vigil" serve publish - --nats "$url" --batch 100 2> "$dir/feed.log" &
import sys, time
path, rate = sys.argv[1], int(sys.argv[2])
step = max(1, rate // 10)
start = time.monotonic()
with open(path, "rb") as f:
    for n, line in enumerate(f, 1):
        sys.stdout.buffer.write(line)
        if n % step == 0:
            sys.stdout.flush()
            ahead = start + n / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
PY
feed_pid=$!
echo "seconds,rss_kib,input_lines,records,workflow_instances,consumer_lag" > "$out"
t0=$(date +%s)
while kill -0 "$feed_pid" 2> /dev/null || [ "$(metric vigil_consumer_lag_messages)" != 0 ]; do
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$serve_pid/status")
    echo "$(( $(date +%s) - t0 )),$rss,$(metric vigil_input_lines_total),$(metric vigil_records_total),$(metric vigil_workflow_instances),$(metric vigil_consumer_lag_messages)" >> "$out"
    sleep 30
done
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$serve_pid/status")
echo "$(( $(date +%s) - t0 )),$rss,$(metric vigil_input_lines_total),$(metric vigil_records_total),$(metric vigil_workflow_instances),$(metric vigil_consumer_lag_messages)" >> "$out"
echo "done: $(tail -1 "$out")"
