#!/usr/bin/env bash
# Durability under crashes: jobqd is killed with SIGKILL at random points
# of a burst of submissions and dispatches, 20 rounds, 1,000 submissions in
# all. Afterwards every acknowledged job exists exactly once, ran at most
# once, and has exactly one end state with at most one accounting row
# (exactly one for every job that ran).
. "$(dirname "$0")/lib.sh"
need_root
command -v sqlite3 >/dev/null || skip "the sqlite3 shell is missing"
jq_setup
jq_config <<EOF2
max_running = 4
[tenant.acme]
users = root
[tenant.globex]
users = root
EOF2
cd "$JQ_WORK"
rounds=${JQ_CRASH_ROUNDS:-20}
per_submitter=10

submitter() {
	local r=$1 p=$2 i tenant=acme
	[ $((p % 2)) = 0 ] && tenant=globex
	for i in $(seq 1 "$per_submitter"); do
		# Only an id printed by jobq is an acknowledged submission.
		"$JOBQ" submit --tenant "$tenant" -- sh -c 'echo "$JOBQ_JOB_ID" >> runs' \
			>>"$JQ_TMP/acked.$r.$p" 2>/dev/null || true
	done
}

for r in $(seq 1 "$rounds"); do
	jq_start
	pids=()
	for p in 1 2 3 4 5; do
		submitter "$r" "$p" &
		pids+=($!)
	done
	# A random point of the burst: 0 to ~0.3 s in.
	sleep "0.$((RANDOM % 30))"
	kill -KILL "$JQ_DPID"
	wait "$JQ_DPID" 2>/dev/null || true
	JQ_DPID=""
	wait "${pids[@]}"
done

jq_start
cat "$JQ_TMP"/acked.* | sort -n >"$JQ_TMP/acked"
n_acked=$(wc -l <"$JQ_TMP/acked")
[ "$n_acked" -gt 0 ] || fail "no submission was acknowledged"
# shellcheck disable=SC2046
"$JOBQ" wait $(cat "$JQ_TMP/acked") >/dev/null 2>&1 || true

db="$JQ_TMP/jobq.db"
q() { sqlite3 -readonly "$db" "$1"; }
# Every acknowledged job exists exactly once.
sqlite3 -readonly "$db" 'select id from jobs order by id' >"$JQ_TMP/stored"
missing=$(comm -23 <(sort "$JQ_TMP/acked") <(sort "$JQ_TMP/stored") | wc -l)
assert_eq "acknowledged jobs missing from the database" 0 "$missing"
assert_eq "duplicate acknowledgements" "$n_acked" "$(sort -u "$JQ_TMP/acked" | wc -l)"
# Each ran at most once.
dups=$(sort -n runs | uniq -d | wc -l)
assert_eq "jobs that ran twice" 0 "$dups"
# Exactly one end state each: nothing left queued, starting or running.
left=$(q "select count(*) from jobs where state in ('queued','held','starting','running')")
assert_eq "jobs without an end state" 0 "$left"
# At most one accounting row per job; exactly one for every job that ran.
assert_eq "jobs with two accounting rows" "" "$(q 'select job_id from accounting group by job_id having count(*) > 1')"
ran_without=$(sort -n runs | while read -r id; do
	[ "$(q "select count(*) from accounting where job_id = $id")" = 1 ] || echo "$id"
done | wc -l)
assert_eq "jobs that ran without an accounting row" 0 "$ran_without"
succeeded=$(q "select count(*) from jobs where state = 'succeeded'")
pass "$rounds crash rounds: $n_acked acknowledged, $(wc -l <runs) ran, $succeeded succeeded, none lost or doubled"
