#!/bin/sh
# Validates a `quietwatch export --warc` file with an independent reader (warcio, from pip):
# every block and payload digest (`warcio check`), strict HTTP parsing of every record, and a
# count of records by type. Usage: scripts/warcio-check.sh FILE.warc.gz
# Needs: pip install warcio   (note: `python3 -m warcio` does not run; `warcio.cli` does)
set -eu
file=${1:?usage: $0 FILE.warc.gz}
python3 -m warcio.cli check -v "$file"
python3 - "$file" <<'PY'
import collections, sys
from warcio.archiveiterator import ArchiveIterator
counts = collections.Counter()
with open(sys.argv[1], "rb") as f:
    for r in ArchiveIterator(f, verify_http=True, check_digests="raise"):
        r.content_stream().read()
        counts[r.rec_type] += 1
print(", ".join(f"{n} {t}" for t, n in sorted(counts.items())), "- all digests and HTTP heads OK")
PY
