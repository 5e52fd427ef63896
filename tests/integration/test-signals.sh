#!/usr/bin/env bash
# Signals: SIGTERM with shutdown = drain waits for running jobs, with
# shutdown = kill cancels them; SIGHUP re-reads the INI, keeps the old one
# when the new one is invalid, and leaves queued jobs of a removed tenant
# queued with the reason "tenant removed".
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
conf() {
	jq_config <<EOF2
shutdown = $1
[tenant.acme]
users = root
max_running = 1
[tenant.globex]
users = root
max_running = 1
EOF2
}
conf drain
jq_start
cd "$JQ_WORK"
mkfifo gate
chmod 0666 gate

# drain: the daemon stays until the running job has ended, then exits 0.
a=$("$JOBQ" submit --tenant acme -- sh -c 'read x < gate; echo drained')
wait_until 10 sh -c "\"$JOBQ\" show $a --json | grep -q '\"state\": *\"running\"'" || fail "job $a never ran"
kill -TERM "$JQ_DPID"
wait_until 5 sh -c "grep -q 'waiting for 1 running jobs' '$JQ_TMP/jobqd.log'" || fail "no drain message"
kill -0 "$JQ_DPID" || fail "jobqd exited while draining"
echo go >gate
wait "$JQ_DPID" || fail "jobqd exited non-zero after draining"
JQ_DPID=""
jq_start
assert_eq "drained job" succeeded "$("$JOBQ" show "$a" --json | json_get state)"
pass "shutdown = drain"

# kill: running jobs are cancelled, then the daemon exits.
jq_stop
conf kill
jq_start
b=$("$JOBQ" submit --tenant acme -- sleep 60)
wait_until 10 sh -c "\"$JOBQ\" show $b --json | grep -q '\"state\": *\"running\"'" || fail "job $b never ran"
kill -TERM "$JQ_DPID"
wait "$JQ_DPID" || fail "jobqd exited non-zero after killing"
JQ_DPID=""
jq_start
assert_eq "killed job" cancelled "$("$JOBQ" show "$b" --json | json_get state)"
pass "shutdown = kill"

# SIGHUP with an invalid file: the old configuration stays.
echo "bogus_key = 1" >>"$JQ_CONF"
kill -HUP "$JQ_DPID"
wait_until 5 sh -c "grep -q 'reload failed' '$JQ_TMP/jobqd.log'" || fail "no reload error logged"
grep 'reload failed' "$JQ_TMP/jobqd.log" | grep -q "jobq.ini:[0-9]*: bogus_key" || fail "reload error without file and line"
assert_exit 0 "$JOBQ" submit --tenant acme --wait -- true
pass "invalid reload keeps the old configuration"

# SIGHUP removing a tenant: its queued jobs stay queued, with a reason.
c=$("$JOBQ" submit --tenant globex -- sh -c 'read x < gate')
d=$("$JOBQ" submit --tenant globex -- true)
wait_until 10 sh -c "\"$JOBQ\" show $c --json | grep -q '\"state\": *\"running\"'" || fail "job $c never ran"
jq_config <<EOF2
shutdown = kill
[tenant.acme]
users = root
EOF2
kill -HUP "$JQ_DPID"
wait_until 5 sh -c "grep -q 'configuration reloaded' '$JQ_TMP/jobqd.log'" || fail "no reload logged"
echo go >gate
assert_exit 0 "$JOBQ" wait "$c"
assert_eq "queued job of a removed tenant" queued "$("$JOBQ" show "$d" --json | json_get state)"
assert_eq "its reason" "tenant removed" "$("$JOBQ" show "$d" --json | json_get reason)"
"$JOBQ" submit --tenant globex -- true 2>/dev/null && fail "submitted to a removed tenant"
pass "reload removing a tenant"
