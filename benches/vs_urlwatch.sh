#!/usr/bin/env bash
# quietwatch vs urlwatch vs a bare fetch (issue 12), on loopback, served by nginx.
#
#   bash benches/vs_urlwatch.sh                 # the side-by-side table: 500 pages, 3 repetitions
#   bash benches/vs_urlwatch.sh scale           # quietwatch and curl at 500, 5,000 and 50,000 pages
#   bash benches/vs_urlwatch.sh -- --pages 2000 --reps 5 --tools quietwatch,curl --keep
#
# The workload (benches/gen_notices.py): GOV.UK-shaped procurement notices of ~47 KB in two
# versions; v1 → v2 rewrites 5% of them, deletes 2%, adds 1% and changes only a footer
# timestamp on the rest (500 pages: 25 / 10 / 5 / 465). The driver (benches/vs_urlwatch.py)
# measures each tool's first run, change check and unchanged recheck from a fresh state,
# tools alternating, and checks every change check's findings (it exits 1 when a tool missed a
# change or reported noise). See BENCHMARKS.md, "quietwatch vs urlwatch".
#
# Installs what is missing: nginx-light (apt), urlwatch 2.29 (PyPI, in a venv under
# ${QW_BENCH_CACHE:-~/.cache/quietwatch-bench}), and builds the release binary. Leaves nothing
# running; the generated sites are deleted at the end (50,000 pages is ~2.4 GB per version).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=table
if [ "${1:-}" = scale ]; then MODE=scale; shift; fi
if [ "${1:-}" = -- ]; then shift; fi

if ! command -v nginx >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

cache=${QW_BENCH_CACHE:-$HOME/.cache/quietwatch-bench}
venv=$cache/urlwatch-2.29
if [ "$MODE" = table ] && ! "$venv/bin/urlwatch" --version 2>/dev/null | grep -q '^urlwatch 2.29$'; then
    rm -rf "$venv"
    mkdir -p "$cache"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "urlwatch==2.29"
fi

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/quietwatch

machine() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ {print $2}') GiB, kernel $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "quietwatch $(git rev-parse --short HEAD)$(git diff --quiet -- src Cargo.toml Cargo.lock || echo '+changes'), $("$venv/bin/urlwatch" --version 2>/dev/null || true), $(curl --version | head -1 | cut -d' ' -f1-2), $(nginx -v 2>&1)"
}

if [ "$MODE" = table ]; then
    machine
    exec timeout --signal=TERM 3h python3 benches/vs_urlwatch.py --quietwatch "$bin" \
        --urlwatch "$venv/bin/urlwatch" "$@"
fi

# Scale: the same quietwatch runs (and the curl floor) at 500, 5,000 and 50,000 pages.
machine
for pages in ${SCALE_PAGES:-500 5000 50000}; do
    need=$((pages * 47 * 3 / 1000 + 1000))   # MB: two versions of the site and the database
    avail=$(df -Pm "${TMPDIR:-/tmp}" | awk 'NR == 2 {print $4}')
    if [ "$avail" -lt "$need" ]; then
        echo "skipping $pages pages: $need MB needed in ${TMPDIR:-/tmp}, $avail MB free" >&2
        continue
    fi
    echo "== $pages pages"
    timeout --signal=TERM 3h python3 benches/vs_urlwatch.py --quietwatch "$bin" \
        --tools quietwatch,curl --pages "$pages" --reps "${SCALE_REPS:-3}" "$@"
done
