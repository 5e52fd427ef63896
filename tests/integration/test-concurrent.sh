#!/usr/bin/env bash
# 200 jobs submitted concurrently by 20 processes: each runs exactly once.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
jq_config <<EOF2
max_running = 8
[tenant.acme]
users = root
[tenant.globex]
users = root
EOF2
jq_start
cd "$JQ_WORK"

submitter() {
	local p=$1 i tenant
	for i in $(seq 1 10); do
		tenant=acme
		[ $((i % 2)) = 0 ] && tenant=globex
		"$JOBQ" submit --tenant "$tenant" -- sh -c 'echo "$JOBQ_JOB_ID" >> runs' >>"$JQ_TMP/ids.$p" ||
			echo "submit failed" >>"$JQ_TMP/errors"
	done
}
pids=()
for p in $(seq 1 20); do
	submitter "$p" &
	pids+=($!)
done
wait "${pids[@]}"
[ ! -s "$JQ_TMP/errors" ] || fail "$(wc -l <"$JQ_TMP/errors") submissions failed"
cat "$JQ_TMP"/ids.* | sort -n >"$JQ_TMP/ids"
assert_eq "acknowledged submissions" 200 "$(sort -u "$JQ_TMP/ids" | wc -l)"

# shellcheck disable=SC2046
"$JOBQ" wait $(cat "$JQ_TMP/ids") || fail "a job failed"
sort -n "$JQ_WORK/runs" >"$JQ_TMP/ran"
assert_eq "runs" 200 "$(wc -l <"$JQ_TMP/ran")"
cmp -s "$JQ_TMP/ids" "$JQ_TMP/ran" || fail "the jobs that ran are not exactly the jobs submitted"
n=$("$JOBQ" list --state succeeded --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_eq "succeeded jobs" 200 "$n"
pass "200 concurrent submissions ran exactly once"
