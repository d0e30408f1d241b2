#!/usr/bin/env bash
# Load test of `aiwatch-tui serve` on loopback: N concurrent SSH sessions
# (default 10), each pressing keys. Bounded: at most 1000 sessions and
# 180 s; it starts its own server on a free port and stops it.
# Usage: scripts/load.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 8192 2>/dev/null || true
exec cargo bench --bench load -- --sessions "${1:-10}"
