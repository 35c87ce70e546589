#!/usr/bin/env bash
# Crawl benchmark (issue 2): 2,000 pages of ~40 KB on loopback, served by nginx, delay 0.
#
#   bash benches/crawl.sh [PAGES] [PROFILE]        (QW_BIN=… to measure another binary)
#
# PROFILE is "dense" (default: prose-heavy pages of random words, the worst case for the
# database size) or "markup" (pages shaped like real GCA agreement pages); see gen_site.py.
# Installs nginx-light from apt if missing, generates the site (benches/gen_site.py), builds
# the release binary, then measures: the first crawl (pages/s, peak RSS), a recheck answered
# with 304s (pages/s, peak RSS), the database size against the raw HTML, and the bytes added
# per unchanged recheck. Results go to stdout; copy them into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${1:-2000}
PROFILE=${2:-dense}
PORT=${PORT:-18089}
work=$(mktemp -d)
trap 'nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$work"' EXIT

if ! command -v nginx >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

raw=$(python3 benches/gen_site.py "$work/site" "$PAGES" "$PROFILE")
chmod -R a+rX "$work"   # nginx workers run unprivileged; mktemp -d is 0700
mkdir -p "$work/logs"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
error_log $work/logs/error.log;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    etag on;
    if_modified_since before;
    keepalive_requests 100000;
    types { text/html html; text/plain txt; }
    server {
        listen 127.0.0.1:$PORT;
        root $work/site;
        index index.html;
    }
}
CONF
nginx -p "$work" -c "$work/nginx.conf"

# QW_BIN=path/to/quietwatch measures another build (an older commit, for a before/after).
if [ -n "${QW_BIN:-}" ]; then
    bin=$QW_BIN
else
    cargo build --release --quiet
    bin=${CARGO_TARGET_DIR:-target}/release/quietwatch
fi
cat > "$work/qw.toml" <<CONF
[crawl]
user_agent = "quietwatch-bench/0.1"
concurrency = 16
per_host_concurrency = 16
delay_ms = 0
timeout_s = 30
retries = 0

[storage]
db = "$work/bench.db"

[[site]]
name = "bench"
start = ["http://127.0.0.1:$PORT/index.html"]
# As in the shipped config: the agreements, not the menus or the supplier lists.
allow = ["http://127.0.0.1:$PORT/agreements/"]
deny = ["*/lot-suppliers*"]
max_depth = 2
max_pages = 10000
sitemaps = false
documents = false
CONF

db_bytes() {
    python3 - "$work/bench.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print(c.execute("PRAGMA page_count").fetchone()[0] * c.execute("PRAGMA page_size").fetchone()[0])
PY
}

measure() {
    local label=$1
    local start end rss
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$work/rss" "$bin" --config "$work/qw.toml" -q crawl
    end=$(date +%s.%N)
    rss=$(cat "$work/rss")
    python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); n=int(sys.argv[3]); print(f'$label: {n} pages in {s:.2f} s = {n/s:.0f} pages/s, peak RSS {int(sys.argv[4])/1024:.0f} MB')" "$start" "$end" "$((PAGES + 1))" "$rss"
}

echo "site: $PAGES pages ($PROFILE), $raw bytes of HTML ($((raw / PAGES)) bytes a page)"
measure "first crawl"
size1=$(db_bytes)
measure "recheck (304s)"
size2=$(db_bytes)
python3 -c "import sys; r=int(sys.argv[1]); a=int(sys.argv[2]); b=int(sys.argv[3]); n=int(sys.argv[4]); print(f'database after first crawl: {a} bytes = {100*a/r:.1f}% of the raw HTML'); print(f'added by the recheck: {b-a} bytes = {(b-a)/n:.0f} bytes per unchanged page')" "$raw" "$size1" "$size2" "$((PAGES + 1))"
