#!/usr/bin/env bash
# Times `aiwatch-tui fetch` of one large feed file into a fresh store, then
# again (the file unchanged), and `newsboat -x reload` of the same file into
# a fresh cache in the same run: wall time and peak memory (GNU time's
# maximum resident set) of each, and the ratios (docs/performance.md,
# "Ingesting a 50,000-item feed").
#   scripts/ingest.sh BINARY FEED.xml [RUNS]
# FEED.xml: any RSS or Atom file (e.g. 50,000 generated items). Needs
# /usr/bin/time; newsboat is optional. Everything is written under a
# temporary folder that is removed at the end.
set -euo pipefail
bin=$(readlink -f "${1:?usage: ingest.sh BINARY FEED.xml [RUNS]}")
feed=$(readlink -f "${2:?usage: ingest.sh BINARY FEED.xml [RUNS]}")
runs=${3:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aiwatch-ingest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: one line "NAME wall_s max_rss_mib".
measure() {
    local name=$1; shift
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$tmp/out" 2>&1 || {
        echo "$name failed:"; cat "$tmp/out"; return 1; }
    read -r wall kib <"$tmp/time"
    awk -v n="$name" -v w="$wall" -v k="$kib" 'BEGIN { printf "%-22s %8.2f s %8.1f MiB\n", n, w, k / 1024 }'
    echo "$wall $kib" >"$tmp/last"
}

for run in $(seq "$runs"); do
    home=$tmp/home-$run
    mkdir -p "$home/config" "$home/data" "$home/state" "$home/cache"
    printf '[[feeds]]\nurl = "file://%s"\nname = "Ingest"\n' "$feed" >"$home/config/ingest.toml"
    export XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data XDG_STATE_HOME=$home/state XDG_CACHE_HOME=$home/cache
    measure "fetch (fresh store)" "$bin" --config "$home/config/ingest.toml" fetch
    read -r ours ours_kib <"$tmp/last"
    sed 's/^/    /' "$tmp/out"
    measure "fetch (again)" "$bin" --config "$home/config/ingest.toml" fetch
    sed 's/^/    /' "$tmp/out"
    if command -v newsboat >/dev/null; then
        nb=$home/nb
        mkdir -p "$nb"
        echo "file://$feed" >"$nb/urls"
        echo "show-read-feeds yes" >"$nb/config"
        measure "newsboat -x reload" newsboat -u "$nb/urls" -c "$nb/cache.db" -C "$nb/config" -x reload
        read -r theirs theirs_kib <"$tmp/last"
        awk -v a="$ours" -v b="$theirs" -v c="$ours_kib" -v d="$theirs_kib" \
            'BEGIN { printf "ratio time %.3f, ratio memory %.3f\n", a / b, c / d }'
    fi
    rm -rf "$home"
done
