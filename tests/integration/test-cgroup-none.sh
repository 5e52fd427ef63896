#!/usr/bin/env bash
# Without cgroups (cgroup = none) a limit cannot be enforced: it is refused
# loudly -- the daemon does not start with tenant caps, a job asking for
# memory is refused at submit with the reason -- or, with enforce = warn, logged
# and left out of the effective limits. Never silently dropped.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
jq_config <<EOF2
cgroup = none
[tenant.acme]
users = root
memory_max = 64M
EOF2
rc=0
"$JOBQD" -c "$JQ_CONF" --foreground >"$JQ_TMP/refused.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "jobqd started with a memory_max it cannot enforce"
grep -q "tenant 'acme': limit memory_max (bytes) '67108864' cannot be enforced: cgroups are off" \
	"$JQ_TMP/refused.log" || fail "refusal message: $(cat "$JQ_TMP/refused.log")"
grep -q "enforce = warn" "$JQ_TMP/refused.log" || fail "no hint at enforce = warn: $(cat "$JQ_TMP/refused.log")"
pass "tenant caps that cannot be enforced stop the daemon with the reason"

jq_config <<EOF2
cgroup = none
[tenant.acme]
users = root
EOF2
jq_start
cd "$JQ_WORK"
rc=0
"$JOBQ" submit --tenant acme --memory 32M --wait -- true 2>"$JQ_TMP/err" || rc=$?
[ "$rc" != 0 ] || fail "a job with an unenforceable --memory was accepted"
grep -q "limit memory (bytes) '33554432' cannot be enforced" "$JQ_TMP/err" ||
	fail "refusal at submit: $(cat "$JQ_TMP/err")"
out=$("$JOBQ" submit --tenant acme --wait -- echo fine)
assert_eq "a job without limits runs" fine "$out"
"$JOBQ" doctor >"$JQ_TMP/doctor" 2>&1 && fail "doctor is happy without cgroups: $(cat "$JQ_TMP/doctor")"
grep -q "^cgroup mode .*fail.*none" "$JQ_TMP/doctor" || fail "doctor: $(cat "$JQ_TMP/doctor")"
grep -q "fix: " "$JQ_TMP/doctor" || fail "doctor gives no fix: $(cat "$JQ_TMP/doctor")"
jq_stop
pass "a job's unenforceable limit is refused; doctor fails with a fix"

jq_config <<EOF2
cgroup = none
enforce = warn
[tenant.acme]
users = root
memory_max = 64M
EOF2
jq_start
grep -q "warning: tenant 'acme': limit memory_max (bytes) '67108864' cannot be enforced" \
	"$JQ_TMP/jobqd.log" || fail "no warning for the tenant cap: $(cat "$JQ_TMP/jobqd.log")"
id=$("$JOBQ" submit --tenant acme --memory 32M -- true)
assert_exit 0 "$JOBQ" wait "$id"
assert_eq "effective memory of a warned limit" null "$("$JOBQ" show "$id" --json | json_get limits memory_bytes)"
grep -q "job $id: limit memory (bytes) '33554432' cannot be enforced.*running without it" \
	"$JQ_TMP/jobqd.log" || fail "no warning for the job's limit: $(cat "$JQ_TMP/jobqd.log")"
pass "enforce = warn: logged, and the effective limit says null"
