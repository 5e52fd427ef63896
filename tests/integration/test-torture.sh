#!/usr/bin/env bash
# Hostile clients against the live daemon: 10,000 connections opened and
# dropped, truncated frames, a one-byte-at-a-time client; a normal client
# is served promptly throughout and no fd leaks. Output floods: a job
# printing 1 GB is cut at max_log_bytes while the daemon's memory stays flat.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is missing"
jq_setup
jq_config <<EOF2
max_log_bytes = 1M
[tenant.acme]
users = root
EOF2
jq_start
python3 "$(dirname "$0")/torture-client.py" "$JQ_TMP/jobq.sock" "$JQ_DPID"
kill -0 "$JQ_DPID" || fail "jobqd died"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$JQ_DPID/status"; }
before=$(rss)
cd "$JQ_WORK"
id=$("$JOBQ" submit --tenant acme -- sh -c 'head -c 1000000000 /dev/zero')
assert_exit 0 "$JOBQ" wait "$id"
"$JOBQ" logs "$id" >"$JQ_TMP/out"
size=$(stat -c %s "$JQ_TMP/out")
[ "$size" -le $((1024 * 1024 + 200)) ] || fail "log not capped: $size bytes"
grep -aq "output truncated" "$JQ_TMP/out" || fail "no truncation marker"
after=$(rss)
[ "$after" -le $((before + 16384)) ] || fail "daemon RSS grew from ${before}K to ${after}K"
pass "1 GB of output cut at max_log_bytes, daemon RSS ${before}K -> ${after}K"
