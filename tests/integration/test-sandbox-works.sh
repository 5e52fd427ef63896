#!/usr/bin/env bash
# The sandbox (issue 4) still lets real work happen: a C compile and run,
# files owned by the job's user on the host, ro/rw/hide paths, network =
# host, and setup failures that name their step.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
mkdir -m 0755 "$JQ_TMP/ro"
echo readable >"$JQ_TMP/ro/file"
rwdir=$(mktemp -d /var/tmp/jq-rw.XXXXXX)
chmod 1777 "$rwdir"
JQ_CLEANUP_HOOKS+=("rm -rf '$rwdir'")
jq_config <<EOF2
[tenant.acme]
users = root
ro_paths = $JQ_TMP/ro
rw_paths = $rwdir
hide_paths = /etc/hostname
[tenant.net]
users = root
network = host
nofile = 1000
EOF2
jq_start
cd "$JQ_WORK"

# A C compile and run inside the sandbox.
if command -v gcc >/dev/null; then
	printf '#include <stdio.h>\nint main(void) { puts("built"); return 0; }\n' >hello.c
	chmod 0644 hello.c
	out=$("$JOBQ" submit --tenant acme --wait -- sh -c 'gcc -o hello hello.c && ./hello')
	assert_eq "compile and run" built "$out"
	pass "C compile and run"
else
	echo "gcc is missing: compile case skipped"
fi

# Files the job writes in its cwd belong to the job's user (nobody for root).
"$JOBQ" submit --tenant acme --wait -- sh -c 'echo x > owned' >/dev/null
assert_eq "owner on the host" nobody "$(stat -c %U "$JQ_WORK/owned")"
pass "files owned by the job's user"

# ro_paths (even under /tmp) readable not writable; rw_paths writable; hide_paths gone.
out=$("$JOBQ" submit --tenant acme --wait -- cat "$JQ_TMP/ro/file")
assert_eq "ro path" readable "$out"
assert_exit 2 "$JOBQ" submit --tenant acme --wait -- sh -c "echo x > '$JQ_TMP/ro/new'"
"$JOBQ" submit --tenant acme --wait -- sh -c "echo rw > '$rwdir/f'" >/dev/null
assert_eq "rw path" rw "$(cat "$rwdir/f")"
"$JOBQ" submit --tenant acme --wait -- cat /etc/hostname >/dev/null 2>&1 && fail "hidden /etc/hostname read"
pass "ro_paths, rw_paths, hide_paths"

# network = host shares the host's interfaces; the default has lo only.
host_ifs=$(ls /sys/class/net | tr '\n' ' ')
out=$("$JOBQ" submit --tenant net --wait -- sh -c 'ls /sys/class/net | tr "\n" " "')
assert_eq "host network" "$host_ifs" "$out"
out=$("$JOBQ" submit --tenant acme --wait -- ls /sys/class/net)
assert_eq "no network" lo "$out"
pass "network = host"

# rlimits: no core files, nofile as configured (default 4096).
out=$("$JOBQ" submit --tenant acme --wait -- sh -c 'ulimit -c; ulimit -n; ulimit -Hn')
assert_eq "rlimits" "0 4096 4096" "$(echo $out)"
assert_eq "tenant nofile" 1000 "$("$JOBQ" submit --tenant net --wait -- sh -c 'ulimit -n')"
pass "rlimits"

# The job's status passes through the init: exit codes and signals.
assert_exit 7 "$JOBQ" submit --tenant acme --wait -- sh -c 'exit 7'
assert_exit 137 "$JOBQ" submit --tenant acme --wait -- sh -c 'kill -KILL $$'
id=$("$JOBQ" submit --tenant acme -- sh -c 'kill -SEGV $$')
"$JOBQ" wait "$id" >/dev/null || true
assert_eq "signal recorded" 11 "$("$JOBQ" show "$id" --json | json_get signal)"
# Orphans are reaped by the init; their CPU time is in the job's accounting.
id=$("$JOBQ" submit --tenant acme -- sh -c '(i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done) & wait')
"$JOBQ" wait "$id" >/dev/null
cpu=$("$JOBQ" show "$id" --json | json_get accounting cpu_user_usec)
[ "$cpu" -gt 100000 ] || fail "the tree's CPU time is missing: $cpu usec"
pass "status and accounting through the init"

# A setup failure names its step and errno: a directory the job cannot enter.
mkdir -m 0700 "$JQ_WORK/private"
cd "$JQ_WORK/private"
rc=0
"$JOBQ" submit --tenant acme --wait -- true 2>"$JQ_TMP/err" || rc=$?
cd "$JQ_WORK"
assert_eq "failed_to_start exit" 125 "$rc"
grep -q "chdir: Permission denied ('$JQ_WORK/private')" "$JQ_TMP/err" ||
	fail "failed_to_start reason on stderr: $(cat "$JQ_TMP/err")"
id=$("$JOBQ" list --json | python3 -c 'import json,sys; print(max(j["id"] for j in json.load(sys.stdin)))')
assert_eq "state" failed_to_start "$("$JOBQ" show "$id" --json | json_get state)"
"$JOBQ" show "$id" | grep -q "chdir: Permission denied" || fail "jobq show lacks the reason: $("$JOBQ" show "$id")"
assert_exit 127 "$JOBQ" submit --tenant acme --wait -- no-such-command-jq
pass "setup failures name their step"
