#!/usr/bin/env bash
# Live restore: jobqd killed with SIGKILL (or stopped) while jobs run; the
# jobs keep running, the restarted daemon adopts them and records their
# end, logs and accounting as if nothing had happened; queued jobs are
# neither lost nor run twice; a job whose helper vanished is 'lost'.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
jq_config <<EOF2
max_running = 2
[tenant.acme]
users = root
EOF2
jq_start
cd "$JQ_WORK"

# Two jobs that run across the crash, three queued behind them.
mkfifo "$JQ_WORK/gate"
chmod 0666 "$JQ_WORK/gate"
a=$("$JOBQ" submit --tenant acme -- sh -c 'echo before; read x < gate; echo after; echo "$JOBQ_JOB_ID" >> runs')
b=$("$JOBQ" submit --tenant acme -- sh -c 'echo "$JOBQ_JOB_ID" >> runs; sleep 0.5')
q=()
for _ in 1 2 3; do
	q+=("$("$JOBQ" submit --tenant acme -- sh -c 'echo "$JOBQ_JOB_ID" >> runs')")
done
wait_until 10 sh -c "\"$JOBQ\" show $a --json | grep -q '\"state\": *\"running\"'" || fail "job $a never ran"
# The oldest match: the helper, not the pid-namespace init it forks.
helper=$(pgrep -o -f "jobq-exec $JQ_TMP/state/jobs/$a\$")

kill -KILL "$JQ_DPID"
wait "$JQ_DPID" 2>/dev/null || true
JQ_DPID=""
kill -0 "$helper" || fail "the job's helper died with the daemon"
pass "jobs survive SIGKILL of jobqd"

jq_start
# The daemon is back: the job still waits at its gate, adopted.
assert_eq "adopted job state" running "$("$JOBQ" show "$a" --json | json_get state)"
"$JOBQ" logs -f "$a" >"$JQ_TMP/follow" &
follow=$!
echo go >"$JQ_WORK/gate"
assert_exit 0 "$JOBQ" wait "$a" "$b" "${q[@]}"
wait "$follow" || fail "logs -f of an adopted job failed"
assert_eq "logs -f across the restart" "before after" "$(tr '\n' ' ' <"$JQ_TMP/follow" | sed 's/ $//')"
json=$("$JOBQ" show "$a" --json)
assert_eq "end state" succeeded "$(echo "$json" | json_get state)"
[[ "$(echo "$json" | json_get accounting wall_usec)" =~ ^[0-9]+$ ]] || fail "no accounting after restore: $json"
sort -n "$JQ_WORK/runs" >"$JQ_TMP/ran"
printf '%s\n' "$a" "$b" "${q[@]}" | sort -n >"$JQ_TMP/want"
cmp -s "$JQ_TMP/want" "$JQ_TMP/ran" || fail "jobs ran $(tr '\n' ' ' <"$JQ_TMP/ran"), want each of $(tr '\n' ' ' <"$JQ_TMP/want") once"
pass "adopted jobs end normally; queued jobs run exactly once"

# SIGTERM leaves running jobs running too.
c=$("$JOBQ" submit --tenant acme -- sh -c 'read x < gate; echo done')
wait_until 10 sh -c "\"$JOBQ\" show $c --json | grep -q '\"state\": *\"running\"'" || fail "job $c never ran"
jq_stop
jq_start
echo go >"$JQ_WORK/gate"
assert_exit 0 "$JOBQ" wait "$c"
pass "SIGTERM leaves running jobs running"

# A job whose helper is gone without a result (as after a reboot) is lost.
d=$("$JOBQ" submit --tenant acme -- sh -c 'read x < gate')
wait_until 10 sh -c "\"$JOBQ\" show $d --json | grep -q '\"state\": *\"running\"'" || fail "job $d never ran"
helper=$(pgrep -o -f "jobq-exec $JQ_TMP/state/jobs/$d\$")
kill -KILL "$JQ_DPID"
wait "$JQ_DPID" 2>/dev/null || true
JQ_DPID=""
# The helper first, so it cannot record its job's death; then the job.
children=$(pgrep -P "$helper" || true)
kill -KILL "$helper"
[ -z "$children" ] || kill -KILL $children
jq_start
assert_eq "vanished helper" lost "$("$JOBQ" show "$d" --json | json_get state)"
"$JOBQ" show "$d" --json | json_get reason | grep -q "jobq-exec helper" ||
	fail "lost job has no reason: $("$JOBQ" show "$d" --json)"
pass "a vanished helper makes the job lost"
