#!/usr/bin/env bash
# Hostile users against resource limits (issue 11, points 8 and 10):
# - every job gets explicit rlimits, never root's: seen from inside a job
#   with cgroup = auto and with cgroup = none;
# - without cgroups, RLIMIT_NPROC (the tenant's pids_max) contains a fork
#   bomb, per job: two jobs of one user each get the whole limit, and
#   another tenant's job still runs while the bomb holds its maximum;
# - cgroup = none with enforce = refuse: a job asking for a limit the host
#   cannot enforce is refused at submit, naming the limit;
# - EINTR is not a job failure: 200 concurrent submissions with the CPUs
#   under full load end with no failed_to_start, every job run once.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
cd "$JQ_WORK"

# limit <file> <name>: "soft hard" of one row of a /proc/<pid>/limits copy.
limit() {
	python3 -c '
import sys
for line in open(sys.argv[1]):
    if line.startswith(sys.argv[2] + "  "):
        print(" ".join(line[len(sys.argv[2]):].split()[:2]))
' "$1" "$2"
}

# check_limits <file> <nproc>: the values docs/sandbox.md promises.
check_limits() {
	local f=$1 nproc=$2
	assert_eq "max processes" "$nproc $nproc" "$(limit "$f" "Max processes")"
	assert_eq "max open files" "4096 4096" "$(limit "$f" "Max open files")"
	assert_eq "max core file size" "0 0" "$(limit "$f" "Max core file size")"
	assert_eq "max locked memory" "8388608 8388608" "$(limit "$f" "Max locked memory")"
	assert_eq "max pending signals" "16384 16384" "$(limit "$f" "Max pending signals")"
	assert_eq "max msgqueue size" "819200 819200" "$(limit "$f" "Max msgqueue size")"
	assert_eq "max stack size" "8388608 unlimited" "$(limit "$f" "Max stack size")"
	assert_eq "max nice priority" "0 0" "$(limit "$f" "Max nice priority")"
	assert_eq "max realtime priority" "0 0" "$(limit "$f" "Max realtime priority")"
	assert_eq "max cpu time" "unlimited unlimited" "$(limit "$f" "Max cpu time")"
	assert_eq "max address space" "unlimited unlimited" "$(limit "$f" "Max address space")"
}

# jobs_limits <tenant> <out>: a job's own /proc/self/limits.
job_limits() {
	"$JOBQ" submit --tenant "$1" --wait -- cat /proc/self/limits >"$2" ||
		fail "job in '$1' failed: $(cat "$2")"
}

# ---- rlimits with cgroup = auto ----------------------------------------------
# jobqd inherits this shell's limits: loosen them (as far as this host
# lets root without CAP_SYS_RESOURCE), so that nothing of them may reach a job.
prlimit --pid $$ --stack=unlimited --core=unlimited
jq_config <<EOF2
[tenant.acme]
users = root
[tenant.capped]
users = root
pids_max = 300
EOF2
jq_start
job_limits acme "$JQ_TMP/l.default"
check_limits "$JQ_TMP/l.default" 4096
job_limits capped "$JQ_TMP/l.capped"
check_limits "$JQ_TMP/l.capped" 300
"$JOBQ" submit --tenant acme --pids 50 --wait -- cat /proc/self/limits >"$JQ_TMP/l.pids"
assert_eq "max processes of --pids 50" "50 50" "$(limit "$JQ_TMP/l.pids" "Max processes")"
jq_stop
pass "cgroup = auto: every rlimit explicit, RLIMIT_NPROC from --pids, pids_max or 4096"

# ---- fork bomb with cgroup = none --------------------------------------------
bomber=$(jq_user bomb)
other=$(jq_user other)
as() {
	local u=$1
	shift
	runuser -u "$u" -- env JOBQ_CONFIG="$JQ_CONF" "$@"
}
jq_config <<EOF2
cgroup = none
enforce = warn
[tenant.bomb]
users = $bomber
pids_max = 64
[tenant.other]
users = $other
EOF2
jq_start
as "$bomber" "$JOBQ" submit --tenant bomb --wait -- cat /proc/self/limits >"$JQ_TMP/l.none" ||
	fail "job without cgroups failed: $(cat "$JQ_TMP/l.none")"
check_limits "$JQ_TMP/l.none" 64

# A bounded bomb first (400 forks at most, so that it cannot hurt the host
# where the limit is missing): it reports how many forks succeeded, then
# holds its processes until its timeout.
forker='
import os, sys, time
want, hold = int(sys.argv[1]), sys.argv[2]
n = 0
for i in range(want):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        deadline = time.time() + 60
        while not os.path.exists(hold) and time.time() < deadline:
            time.sleep(0.1)
        os._exit(0)
    n += 1
print(n, flush=True)
open("ready.%s" % os.environ["JOBQ_JOB_ID"], "w").close()
deadline = time.time() + 60
while not os.path.exists(hold) and time.time() < deadline:
    time.sleep(0.1)
'
chmod 1777 "$JQ_WORK"
b=$(as "$bomber" "$JOBQ" submit --tenant bomb --timeout 15s -- python3 -c "$forker" 400 "$JQ_WORK/never")
wait_until 30 test -e "$JQ_WORK/ready.$b" || fail "the bounded bomb never got ready"
n=$(pgrep -c -u "$bomber" || true)
# Inside the job: the init, python and its children, all the job's uid.
[ "$n" -le 64 ] || fail "$n processes of the bomb's user with pids_max = 64 (no RLIMIT_NPROC?)"
out=$(as "$other" "$JOBQ" submit --tenant other --wait -- echo still-runs) ||
	fail "another tenant's job failed while the bomb held its maximum"
assert_eq "another tenant's job" still-runs "$out"
as "$bomber" "$JOBQ" wait "$b" >/dev/null 2>&1 || true
assert_eq "bounded bomb end state" timeout "$("$JOBQ" show "$b" --json | json_get state)"
forks=$("$JOBQ" logs "$b")
[ "$forks" -ge 55 ] && [ "$forks" -le 62 ] ||
	fail "the bounded bomb forked $forks children under RLIMIT_NPROC 64 (want 62, less the init)"
pass "cgroup = none: a bounded bomb stops at RLIMIT_NPROC ($forks forks, $n tasks), other tenants run"

# Per job, not per user: two jobs of one user each fork 40 at once.
h1=$(as "$bomber" "$JOBQ" submit --tenant bomb --timeout 60s -- python3 -c "$forker" 40 "$JQ_WORK/go")
wait_until 30 test -e "$JQ_WORK/ready.$h1" || fail "first parallel job never got ready"
h2=$(as "$bomber" "$JOBQ" submit --tenant bomb --timeout 60s -- python3 -c "$forker" 40 "$JQ_WORK/go")
wait_until 30 test -e "$JQ_WORK/ready.$h2" || fail "second parallel job never got ready"
touch "$JQ_WORK/go"
as "$bomber" "$JOBQ" wait "$h1" "$h2" || fail "a parallel job failed"
assert_eq "forks of the first job" 40 "$("$JOBQ" logs "$h1")"
assert_eq "forks of the second job (its own count)" 40 "$("$JOBQ" logs "$h2")"
pass "RLIMIT_NPROC counts per job: two jobs of one user each forked 40 under 64"

# The real thing, now that the limit is known to hold.
b=$(as "$bomber" "$JOBQ" submit --tenant bomb --timeout 6s -- sh -c 'f() { f | f & }; f; sleep 30')
is_running() { [ "$("$JOBQ" show "$1" --json | json_get state)" = running ]; }
wait_until 10 is_running "$b" || fail "the fork bomb never ran"
max=0
for _ in $(seq 1 20); do
	n=$(pgrep -c -u "$bomber" || true)
	[ "$n" -le "$max" ] || max=$n
	sleep 0.1 # sampling the bomb's size, not waiting for a state
done
[ "$max" -le 64 ] || fail "$max processes of the fork bomb's user under RLIMIT_NPROC 64"
out=$(as "$other" "$JOBQ" submit --tenant other --wait -- echo still-runs) ||
	fail "another tenant's job failed during the fork bomb"
assert_eq "another tenant's job during the bomb" still-runs "$out"
as "$bomber" "$JOBQ" wait "$b" >/dev/null 2>&1 || true
st=$("$JOBQ" show "$b" --json | json_get state)
case "$st" in timeout | failed) ;; *) fail "fork bomb ended '$st'" ;; esac
gone() { ! pgrep -u "$bomber" >/dev/null; }
wait_until 10 gone || fail "processes of the fork bomb outlived it: $(pgrep -u "$bomber" | wc -l)"
jq_stop
pass "cgroup = none: a fork bomb held at $max tasks ends '$st', another tenant's job runs"

# ---- enforce = refuse with cgroup = none: refused at submit -----------------
jq_config <<EOF2
cgroup = none
[tenant.acme]
users = root
default_memory = 1G
EOF2
"$JOBQD" -c "$JQ_CONF" --foreground >"$JQ_TMP/refused.log" 2>&1 &
refused=$!
up_or_gone() { ! kill -0 "$refused" 2>/dev/null || "$JOBQ" list; }
wait_until 20 up_or_gone || true
if kill -0 "$refused" 2>/dev/null; then
	kill -TERM "$refused"
	wait "$refused" || true
	fail "jobqd started with a default_memory it cannot enforce"
fi
rc=0
wait "$refused" || rc=$?
[ "$rc" != 0 ] || fail "jobqd exited 0 with a default_memory it cannot enforce"
grep -q "tenant 'acme': default_memory: limit memory (bytes) '1073741824' cannot be enforced" \
	"$JQ_TMP/refused.log" || fail "default_memory refusal: $(cat "$JQ_TMP/refused.log")"
jq_config <<EOF2
cgroup = none
[tenant.acme]
users = root
EOF2
jq_start
njobs() { "$JOBQ" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
before=$(njobs)
rc=0
"$JOBQ" submit --tenant acme --memory 32M -- true >"$JQ_TMP/out" 2>"$JQ_TMP/err" || rc=$?
[ "$rc" != 0 ] || fail "a job asking for --memory without cgroups was accepted: $(cat "$JQ_TMP/out")"
grep -q "limit memory (bytes) '33554432' cannot be enforced: cgroups are off" "$JQ_TMP/err" ||
	fail "--memory refusal: $(cat "$JQ_TMP/err")"
rc=0
"$JOBQ" submit --tenant acme --cpus 1 -- true >"$JQ_TMP/out" 2>"$JQ_TMP/err" || rc=$?
[ "$rc" != 0 ] || fail "a job asking for --cpus without cgroups was accepted"
grep -q "limit cpus (millicpus) '1000' cannot be enforced" "$JQ_TMP/err" ||
	fail "--cpus refusal: $(cat "$JQ_TMP/err")"
assert_eq "jobs stored after the refusals" "$before" "$(njobs)"
# pids hold without cgroups (RLIMIT_NPROC): accepted, effective, applied.
id=$("$JOBQ" submit --tenant acme --pids 77 -- cat /proc/self/limits)
assert_exit 0 "$JOBQ" wait "$id"
assert_eq "effective pids without cgroups" 77 "$("$JOBQ" show "$id" --json | json_get limits pids)"
"$JOBQ" logs "$id" >"$JQ_TMP/l.77"
assert_eq "RLIMIT_NPROC of --pids 77" "77 77" "$(limit "$JQ_TMP/l.77" "Max processes")"
jq_stop
pass "enforce = refuse, cgroup = none: --memory and --cpus refused at submit, --pids enforced"

# ---- EINTR under load ----------------------------------------------------------
# jobqd writes each job's cgroup v1 memory.limit_in_bytes while SIGCHLDs of
# ending helpers arrive; the kernel then fails the write with EINTR. 200
# short jobs, the CPUs busy beside them and a stream of SIGCHLDs (both
# bounded, stopped by pid).
command -v stress-ng >/dev/null || skip "stress-ng is missing (scripts/deps installs it)"
jq_config <<EOF2
max_running = 8
[tenant.acme]
users = root
[tenant.globex]
users = root
EOF2
jq_start
stress-ng --cpu 2 --timeout 300s >/dev/null 2>&1 &
stress=$!
JQ_CLEANUP_HOOKS+=("kill -TERM $stress 2>/dev/null; wait $stress 2>/dev/null")
# Helpers end all the time here, each with a SIGCHLD for jobqd; a stream
# of spurious ones (libuv then finds nothing to reap) makes a signal
# pending during nearly every cgroup write, as a burst of endings would.
(
	end=$((SECONDS + 300))
	while [ "$SECONDS" -lt "$end" ] && kill -CHLD "$JQ_DPID" 2>/dev/null; do :; done
) &
storm=$!
JQ_CLEANUP_HOOKS+=("kill -TERM $storm 2>/dev/null; wait $storm 2>/dev/null")
submitter() {
	local p=$1 i tenant
	for i in $(seq 1 "$per"); do
		tenant=acme
		[ $((i % 2)) = 0 ] && tenant=globex
		"$JOBQ" submit --tenant "$tenant" -- sh -c 'echo "$JOBQ_JOB_ID" >> runs' >>"$JQ_TMP/ids.$p" ||
			echo "submit failed" >>"$JQ_TMP/errors"
	done
}
# 20 submitters x 10; x 3 under ASan+UBSan (JQ_SANITIZED=1), 5x slower.
per=10
[ "${JQ_SANITIZED:-0}" = 1 ] && per=3
total=$((20 * per))
rm -f "$JQ_WORK/runs"
pids=()
for p in $(seq 1 20); do
	submitter "$p" &
	pids+=($!)
done
wait "${pids[@]}"
[ ! -s "$JQ_TMP/errors" ] || fail "$(wc -l <"$JQ_TMP/errors") submissions failed"
cat "$JQ_TMP"/ids.* | sort -n >"$JQ_TMP/ids"
assert_eq "acknowledged submissions" "$total" "$(sort -u "$JQ_TMP/ids" | wc -l)"
# shellcheck disable=SC2046
"$JOBQ" wait $(cat "$JQ_TMP/ids") >/dev/null 2>&1 || true
kill -TERM "$stress" "$storm" 2>/dev/null || true
wait "$stress" "$storm" 2>/dev/null || true
nfts=$("$JOBQ" list --state failed_to_start --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$nfts" = 0 ] || fail "$nfts jobs failed to start under load: $(grep 'failed to start' "$JQ_TMP/jobqd.log" | head -3)"
sort -n "$JQ_WORK/runs" >"$JQ_TMP/ran"
assert_eq "runs under load" "$total" "$(wc -l <"$JQ_TMP/ran")"
cmp -s "$JQ_TMP/ids" "$JQ_TMP/ran" || fail "the jobs that ran are not exactly the jobs submitted"
pass "$total concurrent submissions under full CPU load: 0 failed_to_start, each ran once"
