#!/usr/bin/env bash
# Fair share on the real daemon (issue 5): why a job waits (reasons and
# positions), priorities inside a tenant, --after / --after-any and a
# failed dependency, holds, jobq share --json, submit --array, max_queued
# and timeouts. The ratio of shares is the simulation's job
# (tests/unit/test-scheduler.c); here short jobs and a gate file.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
jq_config <<EOF2
max_running = 2
[tenant.a]
users = root
weight = 100
max_running = 1
[tenant.b]
users = root
weight = 300
[tenant.c]
users = root
weight = 100
memory_max = 1G
[tenant.d]
users = root
max_queued = 3
EOF2
jq_start
cd "$JQ_WORK"

GATE="$JQ_WORK/go"
# A job that runs until the gate opens (bounded: 60s at most).
blocker=(sh -c 'i=0; while [ ! -e go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done')

field() { "$JOBQ" show "$1" --json | json_get "$2"; }
state_is() { [ "$(field "$1" state)" = "$2" ]; }

j1=$("$JOBQ" submit --tenant a -- "${blocker[@]}")
wait_until 20 state_is "$j1" running || fail "job $j1 did not start"
j2=$("$JOBQ" submit --tenant a -- true)
j3=$("$JOBQ" submit --tenant a --priority 5 -- true)
assert_eq "reason at tenant max_running" "tenant max_running" "$(field "$j2" reason)"
# Priority first: j3 overtakes j2 in the tenant's queue.
assert_eq "position of the priority job" 1 "$(field "$j3" position)"
assert_eq "position of the older job" 2 "$(field "$j2" position)"
"$JOBQ" list --tenant a | grep -E "^$j2 .*tenant max_running \(#2\)" >/dev/null ||
	fail "list does not show reason and position: $("$JOBQ" list --tenant a)"
pass "tenant max_running, priority order and positions"

j4=$("$JOBQ" submit --tenant c --memory 768M -- "${blocker[@]}")
wait_until 20 state_is "$j4" running || fail "job $j4 did not start"
j5=$("$JOBQ" submit --tenant c --memory 512M -- true)
assert_eq "reason at the tenant's memory cap" "tenant memory cap" "$(field "$j5" reason)"
pass "tenant memory cap"

# Both global slots are taken (j1, j4).
j6=$("$JOBQ" submit --tenant b -- true)
assert_eq "reason without a slot" "no free slot" "$(field "$j6" reason)"
j7=$("$JOBQ" submit --tenant b --hold -- true)
assert_eq "reason when held" "held by owner" "$(field "$j7" reason)"
j8=$("$JOBQ" submit --tenant b --after "$j1" -- true)
assert_eq "reason with a dependency" "dependency $j1" "$(field "$j8" reason)"
"$JOBQ" show "$j8" | grep -q "dependency $j1" || fail "show does not say why job $j8 waits"
pass "no free slot, held, dependency"

share=$("$JOBQ" share --json)
python3 - "$share" <<'PY' || fail "share --json: $share"
import json, sys
s = json.loads(sys.argv[1])
t = {r["tenant"]: r for r in s["tenants"]}
assert set(t) == {"a", "b", "c", "d"}, t
assert abs(sum(r["share"] for r in t.values()) - 1) < 1e-3
assert abs(t["b"]["share"] - 0.5) < 1e-3 and abs(t["a"]["share"] - 1 / 6) < 1e-3
for k in ("weight", "share", "usage", "effective_share", "running", "queued"):
    assert all(k in r for r in t.values()), k
assert t["a"]["running"] == 1 and t["c"]["running"] == 1 and t["b"]["running"] == 0
assert t["a"]["queued"] == 2 and t["b"]["queued"] == 2 and t["c"]["queued"] == 1, t
assert s["running"] == 2 and s["max_running"] == 2 and s["decisions"] >= 2
PY
"$JOBQ" share | grep -qE "^b +300 +50\.0%" || fail "share table: $("$JOBQ" share)"
pass "jobq share"

touch "$GATE"
for id in "$j1" "$j2" "$j3" "$j4" "$j5" "$j6" "$j8"; do
	assert_exit 0 "$JOBQ" wait "$id"
done
s2=$(field "$j2" started_at)
s3=$(field "$j3" started_at)
[[ "$s3" < "$s2" ]] || fail "priority 5 job started at $s3, after the older job ($s2)"
assert_eq "held job stays held" held "$(field "$j7" state)"
"$JOBQ" release "$j7" >/dev/null
assert_exit 0 "$JOBQ" wait "$j7"
pass "everything ran once unblocked; release"

# --after needs success; --after-any any end; a failure cascades.
f=$("$JOBQ" submit --tenant a -- false)
d1=$("$JOBQ" submit --tenant a --after "$f" -- true)
d2=$("$JOBQ" submit --tenant b --after-any "$f" -- true)
d3=$("$JOBQ" submit --tenant b --after "$d1" -- true)
assert_exit 130 "$JOBQ" wait "$d1"
assert_eq "state after a failed dependency" cancelled "$(field "$d1" state)"
assert_eq "reason after a failed dependency" "dependency $f failed" "$(field "$d1" reason)"
assert_exit 130 "$JOBQ" wait "$d3"
assert_eq "cascaded reason" "dependency $d1 failed" "$(field "$d3" reason)"
assert_exit 0 "$JOBQ" wait "$d2"
# A dependency that already failed cancels the submission at once.
late=$("$JOBQ" submit --tenant a --after "$f" -- true)
assert_eq "late dependent" cancelled "$(field "$late" state)"
pass "--after, --after-any, dependency N failed"

# --array: one request, consecutive ids, the index in each job's environment.
mapfile -t ids < <("$JOBQ" submit --tenant b --array 5 -- sh -c 'echo "$JOBQ_ARRAY_INDEX"')
assert_eq "array size" 5 "${#ids[@]}"
for k in 0 1 2 3 4; do
	assert_eq "array id $k" $((ids[0] + k)) "${ids[$k]}"
	assert_exit 0 "$JOBQ" wait "${ids[$k]}"
	assert_eq "JOBQ_ARRAY_INDEX of job ${ids[$k]}" "$k" "$("$JOBQ" logs "${ids[$k]}")"
done
assert_exit 2 "$JOBQ" submit --tenant b --array 100001 -- true
"$JOBQ" submit --tenant d --hold --array 4 -- true 2>"$JQ_TMP/err" && fail "max_queued let 4 in"
grep -q "max_queued" "$JQ_TMP/err" || fail "max_queued message: $(cat "$JQ_TMP/err")"
mapfile -t ids < <("$JOBQ" submit --tenant d --hold --array 3 -- true)
assert_eq "array up to max_queued" 3 "${#ids[@]}"
pass "--array and max_queued"

# Timeouts still end as timeout and exit 124.
assert_exit 124 "$JOBQ" submit --tenant b --timeout 1s --wait -- sleep 30
pass "timeout"
