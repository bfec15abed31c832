#!/usr/bin/env bash
# The test suite: unit tests, the ABI layout test, and end-to-end tests that fetch real
# Debian kernels, build the module, and boot them in QEMU. VM tests run one at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
cargo build --workspace --locked
cargo test --workspace --locked -- --test-threads=1
