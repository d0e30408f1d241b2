#!/usr/bin/env bash
# Soak test of `aiwatch-tui serve` on loopback: N sessions (default 200)
# for S seconds (default 600) pressing random keys, long `/` lines,
# resizes and abrupt kills; prints threads and memory before, at peak and
# after, key-to-frame times and panics. Bounded: at most 1000 sessions
# and one hour; it starts its own server on a free port and stops it.
# Usage: scripts/soak.sh [N] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 8192 2>/dev/null || true
exec cargo bench --bench soak -- --sessions "${1:-200}" --seconds "${2:-600}"
