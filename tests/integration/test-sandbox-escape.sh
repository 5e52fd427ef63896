#!/usr/bin/env bash
# The sandbox (issue 4, docs/sandbox.md): each case is a job that tries to
# get out, and an assertion that it did not. Jobs are submitted by root and
# so run as nobody; the daemon's files live in $JQ_TMP.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
jq_config <<EOF2
max_running = 4
[tenant.acme]
users = root
tmp_size = 16M
EOF2
jq_start
cd "$JQ_WORK"

# job SCRIPT: runs sh -c SCRIPT in acme from the current directory;
# sets OUT, ERR and RC.
job() {
	RC=0
	OUT=$("$JOBQ" submit --tenant acme --wait -- sh -c "$1" 2>"$JQ_TMP/err") || RC=$?
	ERR=$(cat "$JQ_TMP/err")
}

# Host processes and the daemon are invisible; /proc shows the job's own.
job 'ls /proc | grep -cE "^[0-9]+$"; cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\0" " "'
[ "$RC" = 0 ] || fail "ps job failed ($RC): $ERR"
n=$(echo "$OUT" | head -n 1)
[ "$n" -le 4 ] || fail "the job sees $n processes: $OUT"
echo "$OUT" | grep -q jobqd && fail "the job sees jobqd: $OUT"
job "test -e /proc/$JQ_DPID/cmdline && grep -a jobqd /proc/$JQ_DPID/cmdline"
[ "$RC" != 0 ] || fail "the job found the daemon as pid $JQ_DPID: $OUT"
job 'ps -e -o pid=,comm= | grep -v -e "ps$" -e "sh$" -e "jobq-exec$" -e "grep$"'
[ -z "$OUT" ] || fail "ps shows foreign processes: $OUT"
job 'tr "\0" " " < /proc/1/cmdline'
assert_eq "PID 1 is the sandbox's init" "jobq-exec-init" "$(echo $OUT)"
pass "no host process is visible"

# Signals cannot reach outside: the daemon survives a SIGKILL attempt.
job "kill -KILL $JQ_DPID"
[ "$RC" != 0 ] || fail "kill of the daemon's pid succeeded"
kill -0 "$JQ_DPID" || fail "the daemon died"
job 'kill -KILL -1; echo survived'
"$JOBQ" list >/dev/null || fail "the daemon does not answer after kill -1"
pass "signals stay inside"

# No writes to the host outside the working directory.
mkdir -m 1777 "$JQ_TMP/other"
for target in /etc/jq-escape-$$ /usr/jq-escape-$$ /var/tmp/jq-escape-$$; do
	job "echo x > '$target'"
	[ "$RC" != 0 ] || fail "the job wrote '$target'"
	[ ! -e "$target" ] || fail "'$target' exists on the host"
done
# Under /tmp the job writes into its private /tmp at most: never the host's.
for target in "$JQ_TMP/other/x" "$JQ_TMP/x"; do
	job "echo x > '$target'"
	[ ! -e "$target" ] || fail "'$target' exists on the host"
done
job 'echo ok > in-cwd && cat in-cwd && echo t > /tmp/t && cat /tmp/t'
assert_eq "writes in cwd and /tmp" "ok t" "$(echo $OUT)"
[ -f "$JQ_WORK/in-cwd" ] || fail "the cwd write did not reach the host"
[ ! -e /tmp/t ] || fail "the job's /tmp is the host's"
pass "writes only in cwd and its private /tmp"

# jobq's database, socket, config and other jobs' logs are invisible, also
# from a cwd that contains them and through /proc/1/root.
id=$("$JOBQ" submit --tenant acme -- echo secret-log-line)
"$JOBQ" wait "$id" >/dev/null
[ -r "$JQ_TMP/jobq.db" ] && [ -S "$JQ_TMP/jobq.sock" ] || fail "test setup: no db or socket"
chmod 0644 "$JQ_CONF" "$JQ_TMP/jobq.db"
chmod 0755 "$JQ_TMP/state" "$JQ_TMP/state/jobs" "$JQ_TMP/state/jobs/$id"
chmod 0644 "$JQ_TMP/state/jobs/$id/stdout"
cd "$JQ_TMP"
for f in jobq.db jobq.ini "state/jobs/$id/stdout" "/proc/1/root$JQ_TMP/jobq.db" \
	"/proc/self/root$JQ_TMP/jobq.ini"; do
	job "cat '$f'"
	[ "$RC" != 0 ] || fail "the job read '$f': $(echo "$OUT" | head -c 100)"
	echo "$OUT" | grep -qa -e "SQLite format" -e secret-log-line -e tenant.acme &&
		fail "the job read the content of '$f'"
done
job 'ls state'
[ "$RC" != 0 ] || fail "the job listed the state directory: $OUT"
job "python3 -c 'import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"jobq.sock\")'"
[ "$RC" != 0 ] || fail "the job connected to jobqd's socket"
cd "$JQ_WORK"
pass "database, socket, config and logs hidden"

# No capability: setuid-root binary, file capabilities, mount, mknod.
cp /usr/bin/id "$JQ_WORK/suid-id"
chown root:root "$JQ_WORK/suid-id"
chmod 4755 "$JQ_WORK/suid-id"
job './suid-id -u; ./suid-id'
assert_eq "setuid binary's uid" 65534 "$(echo "$OUT" | head -n 1)"
echo "$OUT" | grep -q "euid=0" && fail "setuid-root took effect: $OUT"
if command -v setcap >/dev/null; then
	cp /bin/cat "$JQ_WORK/cap-cat"
	setcap cap_dac_read_search,cap_dac_override+ep "$JQ_WORK/cap-cat"
	job './cap-cat /etc/shadow'
	[ "$RC" != 0 ] || fail "file capabilities took effect"
else
	echo "setcap missing: file capability case skipped"
fi
job 'grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):" /proc/self/status'
for k in CapInh CapPrm CapEff CapBnd CapAmb; do
	echo "$OUT" | grep -q "^$k:[[:space:]]*0000000000000000$" || fail "$k not empty: $OUT"
done
echo "$OUT" | grep -q "^NoNewPrivs:[[:space:]]*1$" || fail "no_new_privs not set: $OUT"
echo "$OUT" | grep -q "^Seccomp:[[:space:]]*2$" || fail "no seccomp filter: $OUT"
mkdir -p "$JQ_WORK/mnt"
job 'mount -t tmpfs none mnt'
[ "$RC" != 0 ] || fail "the job mounted a tmpfs"
job 'unshare -r -m sh -c "mount -t tmpfs none mnt"'
[ "$RC" != 0 ] || fail "the job mounted inside its own user namespace"
job 'mknod nulldev c 1 3'
[ "$RC" != 0 ] || fail "mknod succeeded"
job "python3 -c 'import ctypes, os; l = ctypes.CDLL(None, use_errno=True); r = l.syscall(250, 0, 0, 0, 0, 0); print(r, ctypes.get_errno())'"
assert_eq "keyctl is denied" "-1 1" "$OUT"
pass "no capability, no setuid, no mount, no mknod, keyctl denied"

# Network: only lo, up.
job 'ls /sys/class/net; ip -o link 2>/dev/null | cut -d: -f2 | tr -d " "'
assert_eq "interfaces" "lo lo" "$(echo $OUT)"
job 'ip -o link show lo'
echo "$OUT" | grep -q "[<,]UP[,>]" || fail "lo is not up: $OUT"
pass "network: lo only, up"

# fds: only 0-2 (and ls's own directory fd).
exec 7</dev/null
job 'ls /proc/self/fd'
exec 7<&-
assert_eq "fds" "0 1 2 3" "$(echo $OUT)"
pass "no inherited fd"

# /dev: minimal, no tty.
job 'ls -A /dev'
assert_eq "/dev" "fd full null random shm stderr stdin stdout urandom zero" "$(echo $OUT)"
job 'exec 3</dev/tty'
[ "$RC" != 0 ] || fail "/dev/tty opened"
job 'echo x > /dev/null && head -c 4 /dev/urandom | wc -c'
assert_eq "device nodes work" 4 "$OUT"
pass "/dev minimal, no tty"

# /tmp is capped: ENOSPC inside, nothing on the host.
before=$(df -k --output=used /tmp | tail -n 1)
job 'dd if=/dev/zero of=/tmp/fill bs=1M count=64'
[ "$RC" != 0 ] || fail "filling /tmp past tmp_size succeeded"
echo "$ERR" | grep -q "No space left on device" || fail "no ENOSPC: $ERR"
[ ! -e /tmp/fill ] || fail "the fill reached the host's /tmp"
after=$(df -k --output=used /tmp | tail -n 1)
[ $((after - before)) -lt 8192 ] || fail "host /tmp grew by $((after - before)) KiB"
pass "/tmp capped at tmp_size"

pass "all escape cases"
