#!/usr/bin/env bash
# Load through HAProxy: N sessions (default 150) held by two `serve`
# instances behind HAProxy (deploy/haproxy.cfg, its addresses put on
# loopback: HAProxy 127.0.0.1:22022, instances 127.0.0.2 and 127.0.0.3,
# PROXY protocol v2, health checks) against one instance direct
# (127.0.0.4), both with the release build and the same flags; prints
# key-to-frame p50/p90/p99 of each, alternately, ROUNDS times (default 2)
# so a noisy machine weighs on both. Needs haproxy; stops what it starts.
# Figures go to docs/performance.md ("Behind HAProxy").
# Usage: scripts/fleet-load.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-150}"
rounds="${2:-2}"
# Sessions, and HAProxy (2 x maxconn + 20 descriptors): a soft limit only.
ulimit -Sn 16384 2>/dev/null || ulimit -Sn 8192
command -v haproxy >/dev/null || { echo "fleet-load: needs haproxy (Debian: apt-get install haproxy)" >&2; exit 2; }

cargo bench --bench load --no-run 2>/dev/null
bin=target/release/aiwatch-tui
work=$(mktemp -d)
pids=()
cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        for log in "$work"/*.log "$work/haproxy.err"; do
            echo "== $log" >&2
            tail -5 "$log" >&2
        done
    fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# One instance on ADDRESS (SSH :2222, health :9180), PROXY protocol from
# loopback when asked; waits until /healthz says ready.
instance() {
    local address=$1 proxy=$2
    mkdir -p "$work/$address"
    XDG_CONFIG_HOME="$work/$address" XDG_DATA_HOME="$work/$address" \
        "$bin" serve --no-store --lang en --listen "$address:2222" \
        --health "$address:9180" --max-per-address 1000 --max-sessions 1000 \
        --host-key "$work/host_key" $proxy 2>"$work/$address.log" &
    pids+=($!)
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/$address/9180" && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && grep -q ready <&3) 2>/dev/null; then
            return
        fi
        sleep 0.1
    done
    echo "fleet-load: instance $address did not start:" >&2
    cat "$work/$address.log" >&2
    exit 1
}

instance 127.0.0.2 "--proxy-protocol 127.0.0.0/8"
instance 127.0.0.3 "--proxy-protocol 127.0.0.0/8"
instance 127.0.0.4 ""
sed -e 's/203.0.113.10:22/127.0.0.1:22022/' -e 's/10.0.0.11:2222/127.0.0.2:2222/' \
    -e 's/10.0.0.12:2222/127.0.0.3:2222/' deploy/haproxy.cfg >"$work/haproxy.cfg"
haproxy -db -f "$work/haproxy.cfg" >/dev/null 2>"$work/haproxy.err" &
pids+=($!)
sleep 3 # two health checks each
kill -0 "${pids[-1]}" 2>/dev/null || { echo "fleet-load: haproxy did not start" >&2; exit 1; }

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $n sessions"
for round in $(seq "$rounds"); do
    for target in haproxy:127.0.0.1:22022 direct:127.0.0.4:2222; do
        echo "round $round, ${target%%:*}:"
        cargo bench --bench load -- --sessions "$n" --connect "${target#*:}" 2>"$work/bench.log" | tail -1
    done
done
for address in 127.0.0.2 127.0.0.3; do
    echo "$address: $(grep -c 'event=session_start' "$work/$address.log") sessions started"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
