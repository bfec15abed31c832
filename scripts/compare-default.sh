#!/usr/bin/env bash
# The README's main job: compare the two Debian kernel lines the apt sources offer
# (debian:6.1 as baseline, debian:6.12 as candidate) on the default workloads, and write
# the comparison next to the run.
#
#   scripts/compare-default.sh                 # quick matrix, icount clock (a few minutes)
#   PINBENCH_MATRIX=full scripts/compare-default.sh   # the full matrix (slower)
#   PINBENCH_CLOCK=wall scripts/compare-default.sh    # real time, 5 boots per kernel
#   scripts/compare-default.sh --memory 2048   # extra arguments go to `pinbench run`
#
# The clock defaults to icount (guest time = instructions): on shared hosts wall-clock boots
# of one kernel differ by more than kernel changes do, so wall-clock verdicts need 5 boots a
# side (docs/calibration.md); icount runs are repeatable and one boot each suffices.
#
# Exit code: that of `pinbench compare` (0 no regression, 1 regression or behaviour change),
# or 3 when a kernel failed to fetch, build or boot (what finished is kept).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
cargo build --release --locked -p harness

store=${PINBENCH_RESULTS:-$PWD/pinbench-results}
mkdir -p "$store"
run="$store/compare-default-$(date -u +%Y%m%dT%H%M%SZ)"
matrix=(--quick)
[ "${PINBENCH_MATRIX:-quick}" = full ] && matrix=()
case "${PINBENCH_CLOCK:-icount}" in
  icount) clock=(--clock icount) ;;
  wall) clock=(--clock wall --repeat 5) ;;
  *) echo "compare-default: PINBENCH_CLOCK is icount or wall" >&2; exit 2 ;;
esac

rc=0
target/release/pinbench run --kernel debian:6.1 --kernel debian:6.12 "${matrix[@]}" \
  "${clock[@]}" --out "$run" "$@" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "compare-default: pinbench run exited $rc; partial results are in $run" >&2
  exit "$rc"
fi

# Compare exits 1 when it finds a regression or behaviour change: a result, not a failure.
status=0
render() { # FORMAT FILE
  local c=0
  target/release/pinbench compare "$run" --format "$1" -o "$run/$2" || c=$?
  if [ "$c" -gt 1 ]; then
    echo "compare-default: pinbench compare --format $1 failed (exit $c); the run is kept in $run" >&2
    exit "$c"
  fi
  status=$c
}
render text compare.txt
render markdown compare.md
render json compare.json
render html compare.html
cat "$run/compare.txt"
echo
echo "compare-default: run and reports in $run (compare.txt, .md, .json, .html)"
exit "$status"
