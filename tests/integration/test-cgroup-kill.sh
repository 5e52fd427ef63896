#!/usr/bin/env bash
# Whole-tree kill through the job's cgroup: cancel and timeout leave no
# process behind, also children that left the job's session (setsid),
# ignore SIGHUP (nohup) or were orphaned by a double fork; the job's
# cgroup is removed. At start the daemon kills and removes leftover job
# cgroups and marks a job whose helper is gone 'lost'.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg-lib.sh"
need_root
jq_setup
jq_config <<EOF2
[tenant.acme]
users = root
EOF2
jq_start
need_cgroups
cd "$JQ_WORK"

# Sleepers with a number unique to this test and job in their argv, so
# that pgrep finds exactly them from outside the job's pid namespace.
mark=$((7000000 + $$ % 1000000))
sleepers() {
	echo "setsid sleep ${mark}${1}1 & nohup sleep ${mark}${1}2 >/dev/null 2>&1 & (sleep ${mark}${1}3 &) ; trap '' TERM; sleep ${mark}${1}4"
}
count() {
	pgrep -f "^sleep ${mark}$1" | wc -l
}
count_is() {
	[ "$(count "$1")" = "$2" ]
}
state_is() {
	[ "$(jstate "$1")" = "$2" ]
}

j=$("$JOBQ" submit --tenant acme -- sh -c "$(sleepers 1)")
wait_until 10 count_is 1 4 ||
	fail "the job's sleepers did not start ($(count 1))"
cg_dir acme "$j" cgroup.procs >/dev/null || fail "job $j has no cgroup while it runs"
"$JOBQ" cancel "$j" >/dev/null
"$JOBQ" wait "$j" >/dev/null 2>&1 || true
assert_eq "state" cancelled "$(jstate "$j")"
assert_eq "processes left after cancel" 0 "$(count 1)"
[ -z "$(cg_job_dirs)" ] || fail "job cgroup left after cancel: $(cg_job_dirs)"
pass "cancel kills setsid, nohup and double-forked children; cgroup removed"

j=$("$JOBQ" submit --tenant acme --timeout 1s -- sh -c "$(sleepers 2)")
"$JOBQ" wait "$j" >/dev/null 2>&1 || true
assert_eq "state" timeout "$(jstate "$j")"
assert_eq "processes left after timeout" 0 "$(count 2)"
[ -z "$(cg_job_dirs)" ] || fail "job cgroup left after timeout: $(cg_job_dirs)"
pass "timeout kills the whole tree; cgroup removed"

# A job that ends by itself leaves no daemon behind either.
j=$("$JOBQ" submit --tenant acme -- sh -c "setsid sleep ${mark}31 & echo started")
assert_exit 0 "$JOBQ" wait "$j"
assert_eq "processes left after the job ended" 0 "$(count 3)"
[ -z "$(cg_job_dirs)" ] || fail "job cgroup left after the job ended: $(cg_job_dirs)"
pass "a job's leftovers die with it"

# Reconciliation: the helper of a running job dies together with the
# daemon; the job's processes are still in its cgroup. A stray job
# cgroup nobody owns is there too. The restarted daemon kills and
# removes both and marks the job lost.
j=$("$JOBQ" submit --tenant acme -- sh -c "$(sleepers 4)")
wait_until 10 count_is 4 4 ||
	fail "the job's sleepers did not start ($(count 4))"
helper=$(pgrep -f "jobq-exec $JQ_TMP/state/jobs/$j\$" | head -n 1)
procs_dir=$(cg_dir acme "$j" cgroup.procs)
stray="$(dirname "$procs_dir")/job-999999"
mkdir "$stray"
kill -KILL "$JQ_DPID"
wait "$JQ_DPID" 2>/dev/null || true
JQ_DPID=""
for p in $(pgrep -f "jobq-exec $JQ_TMP/state/jobs/$j\$"); do kill -KILL "$p"; done
wait_until 10 sh -c "! kill -0 $helper" || fail "helper $helper did not die"
jq_start
wait_until 10 state_is "$j" lost ||
	fail "job $j is '$(jstate "$j")' with its helper gone, want lost"
wait_until 10 count_is 4 0 ||
	fail "$(count 4) processes of the lost job still run"
[ ! -d "$stray" ] || fail "stray job cgroup '$stray' not removed"
[ -z "$(cg_job_dirs)" ] || fail "job cgroups left after the restart: $(cg_job_dirs)"
pass "restart: lost job's processes killed, leftover cgroups removed"
