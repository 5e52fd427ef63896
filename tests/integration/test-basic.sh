#!/usr/bin/env bash
# The user's basic loop end to end: submit, --wait exit codes and output,
# env and cwd, logs, list/show JSON, cancel, hold/release, clear errors.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
jq_config <<EOF2
max_running = 4
max_log_bytes = 64K
[tenant.acme]
users = root
max_running = 2
max_timeout = 1h
[tenant.globex]
users = root
EOF2
jq_start
cd "$JQ_WORK"

# Exit codes and output pass through --wait, like running the command locally.
out=$("$JOBQ" submit --tenant acme --wait -- sh -c 'echo out; echo err >&2; exit 0' 2>"$JQ_TMP/err")
assert_eq "stdout of --wait" "out" "$out"
assert_eq "stderr of --wait" "err" "$(cat "$JQ_TMP/err")"
assert_exit 3 "$JOBQ" submit --tenant acme --wait -- sh -c 'exit 3'
assert_exit 143 "$JOBQ" submit --tenant acme --wait -- sh -c 'kill -TERM $$'
assert_exit 127 "$JOBQ" submit --tenant acme --wait -- no-such-command-jq
"$JOBQ" submit --tenant acme --wait -- no-such-command-jq 2>"$JQ_TMP/err" || true
grep -q "jobq: 'no-such-command-jq': command not found" "$JQ_TMP/err" ||
	fail "command not found message: $(cat "$JQ_TMP/err")"
pass "exit codes and output through --wait"

# Root's jobs run as nobody; env (inherited and --env) and cwd are honoured.
mkdir -m 0777 "$JQ_WORK/sub"
cd "$JQ_WORK/sub"
out=$(JQ_INHERITED=yes "$JOBQ" submit --tenant acme --env FOO=bar --wait -- \
	sh -c 'echo "$(id -un) $FOO $JQ_INHERITED $(pwd) $JOBQ_TENANT"')
assert_eq "identity, env and cwd" "nobody bar yes $JQ_WORK/sub acme" "$out"
cd "$JQ_WORK"
pass "identity, env, cwd"

# A job that cannot start ends failed_to_start with the step and the value.
mkdir -m 0700 "$JQ_WORK/private"
cd "$JQ_WORK/private"
rc=0
"$JOBQ" submit --tenant acme --wait -- true 2>"$JQ_TMP/err" || rc=$?
cd "$JQ_WORK"
[ "$rc" = 125 ] || fail "failed_to_start exit code $rc"
grep -q "chdir" "$JQ_TMP/err" || fail "failed_to_start reason: $(cat "$JQ_TMP/err")"
pass "failed_to_start names the step"

# submit prints the id; show/list --json carry the stable keys.
id=$("$JOBQ" submit --tenant globex --name hello -- sh -c 'echo hi; echo oops >&2')
[[ "$id" =~ ^[0-9]+$ ]] || fail "submit printed '$id', not an id"
assert_exit 0 "$JOBQ" wait "$id"
json=$("$JOBQ" show "$id" --json)
for k in id tenant user name state reason exit_code signal submitted_at started_at finished_at limits accounting; do
	echo "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if '$k' in d else 1)" ||
		fail "show --json lacks key '$k': $json"
done
assert_eq "state" succeeded "$(echo "$json" | json_get state)"
assert_eq "name" hello "$(echo "$json" | json_get name)"
assert_eq "tenant" globex "$(echo "$json" | json_get tenant)"
assert_eq "user" root "$(echo "$json" | json_get user)"
assert_eq "exit_code" 0 "$(echo "$json" | json_get exit_code)"
assert_eq "signal" null "$(echo "$json" | json_get signal)"
for k in cpus memory_bytes pids timeout_s; do
	echo "$json" | json_get limits "$k" >/dev/null || fail "limits lacks '$k'"
done
for k in cpu_user_usec cpu_system_usec memory_peak_bytes io_read_bytes io_write_bytes wall_usec queue_wait_usec; do
	v=$(echo "$json" | json_get accounting "$k")
	[[ "$v" =~ ^[0-9]+$ ]] || fail "accounting.$k is '$v'"
done
[[ "$(echo "$json" | json_get finished_at)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z$ ]] ||
	fail "finished_at not RFC 3339 with microseconds: $json"
list=$("$JOBQ" list --tenant globex --json)
assert_eq "list is an array with our job" "$id" "$(echo "$list" | json_get 0 id)"
pass "show/list --json keys"

# logs: stdout to stdout, stderr to stderr.
assert_eq "logs stdout" "hi" "$("$JOBQ" logs "$id" 2>/dev/null)"
assert_eq "logs stderr" "oops" "$("$JOBQ" logs "$id" 2>&1 >/dev/null)"
pass "logs"

# logs -f follows a running job to its end.
id=$("$JOBQ" submit --tenant acme -- sh -c 'for i in 1 2 3; do echo line$i; sleep 0.2; done')
assert_eq "logs -f" "line1 line2 line3" "$("$JOBQ" logs -f "$id" | tr '\n' ' ' | sed 's/ $//')"
pass "logs -f"

# Output is capped at max_log_bytes with a visible marker.
id=$("$JOBQ" submit --tenant acme -- sh -c 'yes 0123456789abcdef | head -c 1000000')
"$JOBQ" wait "$id"
"$JOBQ" logs "$id" >"$JQ_TMP/big"
size=$(stat -c %s "$JQ_TMP/big")
[ "$size" -le $((64 * 1024 + 200)) ] || fail "log not capped: $size bytes"
grep -q "output truncated" "$JQ_TMP/big" || fail "no truncation marker"
pass "max_log_bytes cap and marker"

# Cancel a running job: it ends cancelled, wait exits 130.
id=$("$JOBQ" submit --tenant acme -- sleep 60)
wait_until 10 sh -c "\"$JOBQ\" show $id --json | grep -q '\"state\": *\"running\"'" || fail "job $id never ran"
"$JOBQ" cancel "$id" >/dev/null
assert_exit 130 "$JOBQ" wait "$id"
assert_eq "cancelled state" cancelled "$("$JOBQ" show "$id" --json | json_get state)"
pass "cancel running"

# Hold/release: a held job does not run until released; a queued job can be cancelled.
id=$("$JOBQ" submit --tenant acme --hold -- true)
assert_eq "held" held "$("$JOBQ" show "$id" --json | json_get state)"
assert_eq "held reason" "held by owner" "$("$JOBQ" show "$id" --json | json_get reason)"
"$JOBQ" release "$id" >/dev/null
assert_exit 0 "$JOBQ" wait "$id"
id=$("$JOBQ" submit --tenant acme --hold -- true)
"$JOBQ" cancel "$id" >/dev/null
assert_eq "cancelled while held" cancelled "$("$JOBQ" show "$id" --json | json_get state)"
pass "hold, release, cancel queued"

# Tenant max_running: the third job of acme waits with a reason.
a=$("$JOBQ" submit --tenant acme -- sleep 30)
b=$("$JOBQ" submit --tenant acme -- sleep 30)
c=$("$JOBQ" submit --tenant acme -- true)
wait_until 10 sh -c "\"$JOBQ\" show $b --json | grep -q '\"state\": *\"running\"'" || fail "job $b never ran"
assert_eq "waiting reason" "tenant max_running" "$("$JOBQ" show "$c" --json | json_get reason)"
"$JOBQ" cancel "$a" "$b" >/dev/null
assert_exit 0 "$JOBQ" wait "$c"
pass "tenant max_running and reason"

# Timeout: --timeout ends the job in state timeout, --wait exits 124.
assert_exit 124 "$JOBQ" submit --tenant acme --timeout 1s --wait -- sleep 30
pass "timeout"

# Clear errors.
"$JOBQ" submit --tenant nope -- true 2>"$JQ_TMP/err" && fail "unknown tenant accepted"
grep -q "unknown tenant 'nope'" "$JQ_TMP/err" || fail "unknown tenant message: $(cat "$JQ_TMP/err")"
"$JOBQ" show 999999 2>"$JQ_TMP/err" && fail "show of a missing job succeeded"
grep -q "job 999999 not found" "$JQ_TMP/err" || fail "not found message: $(cat "$JQ_TMP/err")"
assert_exit 2 "$JOBQ" submit --tenant acme --bogus -- true
assert_exit 2 "$JOBQ" submit --tenant acme --memory 12Q -- true
jq_stop
"$JOBQ" list 2>"$JQ_TMP/err" && fail "list without a daemon succeeded"
grep -q "$JQ_TMP/jobq.sock" "$JQ_TMP/err" || fail "no-daemon message does not name the socket: $(cat "$JQ_TMP/err")"
pass "clear errors"
