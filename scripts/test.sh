#!/usr/bin/env bash
# The one test command (README "Run the tests", and what CI's .ci/run calls).
#
# It installs what the tests need outside cargo — warcio (an independent WARC reader that
# validates `quietwatch export`), Debian's Chromium (the web UI's end-to-end test) and
# poppler-utils (pdftotext, which the document tests compare PDF text with) — and
# then runs formatting, lint and every test. Nothing is cached; everything is rebuilt from
# the registries, so it works the same on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# poppler's pdftotext: the independent PDF extractor tests/documents.rs compares with
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== installing ${need_apt[*]} (apt)"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Independent readers the tests check quietwatch's output with: warcio (WARC export),
# feedparser (the Atom feed), jsonschema (Teams' Adaptive Card schema).
if ! python3 -c 'import warcio, feedparser, jsonschema' >/dev/null 2>&1; then
    echo "== installing warcio, feedparser, jsonschema (pip)"
    python3 -m pip install --quiet --disable-pip-version-check \
        'warcio==1.8.1' 'feedparser==6.0.14' 'jsonschema==4.26.0'
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
# Library, binary and integration tests (the crate has no doc tests; benches are run by hand,
# see BENCHMARKS.md). The closing line totals every test binary's result.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --lib --bins --tests 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, i }' "$log"
exit "$status"
