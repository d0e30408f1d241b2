#!/usr/bin/env bash
# Runs one fuzz target (see fuzz/fuzz_targets and src/fuzzing.rs) for a time,
# its corpus seeded from the project's own files. Needs the nightly toolchain
# and cargo-fuzz (`cargo install cargo-fuzz`).
#   scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags...]
# A failing input lands in fuzz/artifacts/TARGET/; copy it into
# fuzz/regressions/TARGET/ so `cargo test --test fuzz_regressions` keeps it fixed.
# Built without a sanitizer by default (SANITIZER=address to add one): the
# crate forbids unsafe code, so AddressSanitizer mostly watches the C inside
# SQLite and ring at twice the cost, and its build takes over an hour here.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?target: content_file config_file key_name ssh_input reader store_file feed opml proxy_header}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
corpus=fuzz/corpus/$target
mkdir -p "$corpus"
if [ -z "$(ls -A "$corpus")" ]; then
  case $target in
    # Named by their path: the same file name is in several folders.
    content_file|reader) find content tests/fixtures -name '*.toml' | while read -r f; do cp "$f" "$corpus/${f//\//_}"; done ;;
    config_file) cp config.toml "$corpus/"; find tests -name '*config*.toml' -exec cp -t "$corpus" {} + 2>/dev/null || true ;;
    key_name) for k in q G ctrl-c alt-x shift-up space enter esc tab backtab pgdn f5 minus; do printf %s "$k" > "$corpus/$k"; done ;;
    ssh_input) printf '\x07j\x1b[A\x1b[200~paste\x1b[201~\x1b[<0;3;4M\xc3\xa9' > "$corpus/mixed" ;;
    store_file) printf '' > "$corpus/empty" ;;
    # The first byte picks the HTTP charset (see src/fuzzing.rs).
    feed) for f in tests/fixtures/feeds/*; do case $f in *.toml|*.opml) ;; *) { printf '\0'; cat "$f"; } > "$corpus/$(basename "$f")" ;; esac; done ;;
    opml) find tests -name '*.opml' -exec cp -t "$corpus" {} + ;;
    # v1 TCP4, TCP6 and UNKNOWN lines, and v2 PROXY TCP4 (with a NOOP TLV) and LOCAL headers, each before an SSH version line.
    proxy_header)
      printf 'PROXY TCP4 203.0.113.7 10.0.0.1 51234 2222\r\nSSH-2.0-x\r\n' > "$corpus/v1-tcp4"
      printf 'PROXY TCP6 2001:db8::7 2001:db8::1 443 2222\r\nSSH-2.0-x\r\n' > "$corpus/v1-tcp6"
      printf 'PROXY UNKNOWN\r\nSSH-2.0-x\r\n' > "$corpus/v1-unknown"
      printf '\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0f\xcb\x00\x71\x07\x0a\x00\x00\x01\xc8\x22\x08\xae\x04\x00\x00SSH-2.0-x\r\n' > "$corpus/v2-tcp4-tlv"
      printf '\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00SSH-2.0-x\r\n' > "$corpus/v2-local" ;;
  esac
  cp fuzz/regressions/"$target"/* "$corpus/" 2>/dev/null || true
fi
exec cargo +nightly fuzz run -s "${SANITIZER:-none}" "$target" "$corpus" -- \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@"
