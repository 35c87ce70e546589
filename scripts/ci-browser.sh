#!/bin/sh
# Runs quietwatch's end-to-end browser test (tests/browser) in headless Chromium.
# Installs Debian's `chromium` first when it is missing (needs root, as in CI). The test
# itself fails — it never skips — when Chromium is absent. Screenshots land in
# target/browser/{timeline,diff}.png.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] && [ -z "${QUIETWATCH_CHROMIUM:-}" ]; then
    echo "ci-browser: installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
cargo test --test browser "$@"
ls -l target/browser/*.png >&2 || true
