#!/usr/bin/env bash
# Per-job sandbox setup cost: jobq-exec vs bubblewrap vs a bare spawn of
# /bin/true (bench/isolation.c). Needs root (jobq-exec maps the job's uid).
# Not part of scripts/test. Usage: bench/isolation.sh [N]
set -euo pipefail
JQ_ROOT=$(cd "$(dirname "$0")/.." && pwd)
build="${JQ_BUILD_DIR:-$JQ_ROOT/build-bench}"
[ "$(id -u)" = 0 ] || { echo "bench/isolation.sh: needs root" >&2; exit 1; }
if ! command -v bwrap >/dev/null; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null
fi
cmake -S "$JQ_ROOT" -B "$build" -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target jobq-exec -j"$(nproc)" >/dev/null
work=$(mktemp -d /tmp/jq-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
gcc -O2 -D_GNU_SOURCE -I"$JQ_ROOT/common" -I"$JQ_ROOT/executor" -o "$work/isolation" \
	"$JQ_ROOT/bench/isolation.c" "$build/libjq_executor.a" "$build/libjq_common.a" -lcap -lseccomp
# The run directory (logs, spec, result) lives on a tmpfs: jobq-exec's
# result record is fsynced with its directory, which on a disk costs more
# than the whole sandbox (about 9 ms on our hosts) and is durability, not
# isolation. bwrap writes nothing.
run=$(mktemp -d /dev/shm/jq-bench-run.XXXXXX)
trap 'rm -rf "$work" "$run"' EXIT
"$work/isolation" "$build/bin/jobq-exec" "$run" "${1:-200}"
