#!/usr/bin/env bash
# Document extraction cost: time and peak memory (max RSS) per MB of input, for the PDFs,
# DOCX/ODT and XLSX/XLS/ODS files of fixtures/documents/real, each read by the worker process
# exactly as the crawl reads it (`quietwatch extract-worker`, one process per document,
# process start-up included). Small: a few seconds. Figures go in BENCHMARKS.md "Documents".
#
#   cargo build --release && benches/documents.sh [path/to/quietwatch]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-${CARGO_TARGET_DIR:-target}/release/quietwatch}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
python3 - "$bin" <<'PY'
import os, subprocess, sys, time, glob, collections
binary = sys.argv[1]
header = ("quietwatch-extract 1 {kind} 16777216 2097152 10000 67108864 134217728 256 2000 "
          "2000000 20000\n")
groups = collections.defaultdict(lambda: [0, 0.0, 0, 0])  # bytes, seconds, max rss kB, files
for path in sorted(glob.glob("fixtures/documents/real/*")):
    ext = path.rsplit(".", 1)[-1].lower()
    group = {"pdf": "PDF", "docx": "DOCX/ODT", "odt": "DOCX/ODT",
             "xlsx": "XLSX/XLS/ODS", "xls": "XLSX/XLS/ODS", "ods": "XLSX/XLS/ODS"}.get(ext)
    if not group:
        continue
    data = open(path, "rb").read()
    best = None
    for _ in range(3):
        start = time.perf_counter()
        out = subprocess.run(["/usr/bin/time", "-f", "%M", binary, "extract-worker"],
                             input=header.format(kind=ext).encode() + data,
                             capture_output=True)
        took = time.perf_counter() - start
        rss = int(out.stderr.decode().strip().splitlines()[-1])
        best = min(best or (took, rss), (took, rss))
    status = out.stdout[:1].decode()
    print(f"{os.path.basename(path):32} {len(data)/1024:8.0f} KB {best[0]*1000:8.1f} ms "
          f"{best[1]/1024:6.1f} MB peak  {'text' if status == 'T' else 'unavailable'}")
    g = groups[group]
    g[0] += len(data); g[1] += best[0]; g[2] = max(g[2], best[1]); g[3] += 1
print()
print(f"{'kind':14} {'files':>5} {'MB in':>7} {'ms per MB':>10} {'peak RSS':>9}")
for name, (size, secs, rss, n) in groups.items():
    mb = size / 1e6
    print(f"{name:14} {n:5} {mb:7.2f} {secs*1000/mb:10.0f} {rss/1024:7.1f} MB")
PY
