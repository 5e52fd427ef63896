#!/usr/bin/env bash
# Hostile users against the sandbox's paths (issue 11, point 2; docs/sandbox.md,
# "What a hostile user can try"): a working directory swapped for a symlink
# after submit (to /, to a hidden directory, to jobq's state), a parent
# component swapped, working directories in /proc, /sys and /dev (by name
# from a raw client, and by what they are through bind mounts), a directory
# the job's user cannot search, a hidden directory inside a read-write
# working directory, the same with the openat2-less path walk (test hook),
# and a swap storm while 1,000 jobs start. Every attack has a positive
# control: the same job without the attack runs, so no case passes because
# nothing ran. Jobs are submitted by root and run as nobody.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is missing"
jq_setup
X="$JQ_TMP/x"
H="$JQ_TMP/hidden"
mkdir -m 0755 "$X"
# A hidden directory the job could read and write if it were not hidden.
mkdir -m 1777 "$H" "$H/q"
echo topsecret >"$H/secret"
chmod 0644 "$H/secret"
mkdir -m 1777 "$X/w"
mkdir -m 1777 "$X/w/hidden"
echo topsecret >"$X/w/hidden/secret"
chmod 0644 "$X/w/hidden/secret"
jq_config <<EOF2
max_running = 16
[tenant.acme]
users = root
tmp_size = 16M
max_running = 16
hide_paths = $H, $X/w/hidden
EOF2
jq_start

# Bind mounts this test makes on the host, undone at exit.
MOUNTS=()
umount_all() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null || true
	done
}
JQ_CLEANUP_HOOKS+=(umount_all)
SWAPPER=""
JQ_CLEANUP_HOOKS+=('[ -z "$SWAPPER" ] || kill -KILL "$SWAPPER" 2>/dev/null || true')

show() { "$JOBQ" show "$1" --json | json_get "$2"; }

# The job every attack case runs: what it sees and where it can write.
PROBE='ls -A; echo probe > w-probe && echo wrote; ls /proc | grep -c "^[0-9]*$"'

# ended ID: waits for the job's end (its exit code does not matter here).
ended() {
	"$JOBQ" wait "$1" >/dev/null 2>&1 || true
}

# expect_refused ID PATH WORDS: the job never ran, and says why, naming PATH.
expect_refused() {
	local id=$1 path=$2 words=$3 state reason
	ended "$id"
	state=$(show "$id" state)
	reason=$(show "$id" reason)
	[ "$state" = failed_to_start ] || fail "job $id from '$path' was not refused: $state ($reason); output: $(cat "$JQ_TMP/state/jobs/$id/stdout" 2>/dev/null | head -c 300)"
	case "$reason" in
	*"'$path'"*) ;;
	*) fail "job $id: the reason does not name '$path': $reason" ;;
	esac
	case "$reason" in
	*"$words"*) ;;
	*) fail "job $id: want '$words' in the reason: $reason" ;;
	esac
}

# control DIR: the probe job from DIR runs, writes there and sees only its own /proc.
control() {
	local out
	out=$(cd "$1" && "$JOBQ" submit --tenant acme --wait -- sh -c "$PROBE") ||
		fail "control job in '$1' failed: $out"
	echo "$out" | grep -qx wrote || fail "control job in '$1' could not write: $out"
	[ -f "$1/w-probe" ] || fail "control job's write is not in '$1'"
	rm -f "$1/w-probe"
}

# swap_case CWD PART TARGET: the probe is held in CWD (made, and run there
# once as the control); then PART (CWD or one of its parents) is renamed
# away and replaced by a symlink to TARGET, and the job released.
swap_case() {
	local cwd=$1 part=$2 target=$3 id
	mkdir -p -m 1777 "$cwd"
	control "$cwd"
	id=$(cd "$cwd" && "$JOBQ" submit --tenant acme --hold -- sh -c "$PROBE")
	mv "$part" "$part.real"
	ln -s "$target" "$part"
	"$JOBQ" release "$id" >/dev/null
	expect_refused "$id" "$cwd" "symbolic link"
	[ ! -e "$target/w-probe" ] && [ ! -e "$target/q/w-probe" ] ||
		fail "the job wrote into '$target'"
}

attack_swaps() {
	local tag=$1
	swap_case "$X/$tag-root/s" "$X/$tag-root/s" /
	swap_case "$X/$tag-hidden/s" "$X/$tag-hidden/s" "$H"
	mkdir -p "$JQ_TMP/state"
	swap_case "$X/$tag-state/s" "$X/$tag-state/s" "$JQ_TMP/state"
	pass "$tag: a cwd swapped for a symlink to /, a hidden dir or jobq's state is refused"
	# The hidden directory has a q of its own.
	swap_case "$X/$tag-parent/p/q" "$X/$tag-parent/p" "$H"
	pass "$tag: a parent of the cwd swapped for a symlink is refused"
}

attack_swaps openat2

# (b) A raw client names the kernel's trees as its working directory.
# raw_submit CWD: prints "id N" or "error MESSAGE".
raw_submit() {
	python3 - "$JQ_TMP/jobq.sock" "$1" "$PROBE" <<'PY'
import socket, struct, sys
sys.path.insert(0, "")
sock, cwd, probe = sys.argv[1], sys.argv[2], sys.argv[3]
T_ID, T_TENANT, T_ARGV, T_CWD, T_MESSAGE = 1, 2, 23, 25, 37
def field(tag, data):
    data = data.encode() if isinstance(data, str) else data
    return struct.pack(">HI", tag, len(data)) + data
body = field(T_TENANT, "acme") + field(T_ARGV, "sh") + field(T_ARGV, "-c") + \
    field(T_ARGV, probe) + field(T_CWD, cwd)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sock)
s.sendall(struct.pack(">IHH", len(body), 1, 1) + body)
def recv(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("connection closed")
        b += c
    return b
n, ver, typ = struct.unpack(">IHH", recv(8))
body = recv(n)
fields, off = {}, 0
while off < len(body):
    tag, ln = struct.unpack(">HI", body[off:off + 6])
    fields.setdefault(tag, body[off + 6:off + 6 + ln])
    off += 6 + ln
if typ == 100:
    print("error", fields.get(T_MESSAGE, b"").decode())
else:
    print("id", struct.unpack(">q", fields[T_ID])[0])
PY
}

mkdir -m 1777 "$X/raw"
got=$(raw_submit "$X/raw")
[ "${got%% *}" = id ] || fail "control: a raw submit from '$X/raw' was refused: $got"
id=${got#id }
ended "$id"
assert_eq "control raw job's state" succeeded "$(show "$id" state)"
[ -f "$X/raw/w-probe" ] || fail "control raw job did not write in its cwd"
for cwd in /proc/self/.. /proc/self/cwd /proc/1/root /proc /sys/fs/cgroup /dev/shm /dev; do
	got=$(raw_submit "$cwd")
	if [ "${got%% *}" = id ]; then
		id=${got#id }
		ended "$id"
		fail "cwd '$cwd' was accepted: job $id ended $(show "$id" state), saw $(tail -n 1 "$JQ_TMP/state/jobs/$id/stdout" 2>/dev/null) processes"
	fi
	case "$got" in
	*"'$cwd'"*) ;;
	*) fail "the refusal of '$cwd' does not name it: $got" ;;
	esac
done
pass "(b) /proc/self/.., /proc/self/cwd, /proc/1/root, /sys/fs/cgroup, /dev/shm refused at submit"
out=$(cd /proc && "$JOBQ" submit --tenant acme -- true 2>&1) && fail "jobq submit from /proc was accepted: $out"
echo "$out" | grep -q "cannot submit from '/proc'" || fail "jobq's refusal is unclear: $out"
pass "jobq refuses to submit from /proc"

# The helper's check is the one that counts: procfs, cgroupfs and the
# host's /dev bound elsewhere are refused by what they are, not their name.
for src in /proc /sys/fs/cgroup /dev; do
	name=$(echo "$src" | tr / _)
	mkdir -m 0755 "$X/bind$name"
	mount --bind "$src" "$X/bind$name"
	MOUNTS+=("$X/bind$name")
	id=$(cd "$X/bind$name" && "$JOBQ" submit --tenant acme -- sh -c "$PROBE")
	expect_refused "$id" "$X/bind$name" "kernel filesystem"
done
pass "procfs, cgroupfs and /dev bound elsewhere are refused by filesystem"

# "/" is never a read-write working directory: a job from / runs in the
# read-only root, and the host's root bound elsewhere is refused.
out=$(cd / && "$JOBQ" submit --tenant acme --wait -- sh -c 'pwd; touch /jq-hostile-root 2>/dev/null && echo wrote; true')
assert_eq "control: a job from / runs there, read-only" / "$out"
[ ! -e /jq-hostile-root ] || fail "a job from / wrote into the host's root"
mkdir -m 0755 "$X/rootbind"
mount --bind / "$X/rootbind"
MOUNTS+=("$X/rootbind")
id=$(cd "$X/rootbind" && "$JOBQ" submit --tenant acme -- sh -c "$PROBE")
expect_refused "$id" "$X/rootbind" "root directory"
pass "/ is never a read-write cwd"

# A directory the job's user cannot search is refused, not reached as root.
mkdir -m 0700 "$X/locked"
mkdir -m 1777 "$X/locked/sub"
mkdir -m 1777 "$X/open"
control "$X/open"
id=$(cd "$X/locked/sub" && "$JOBQ" submit --tenant acme -- sh -c "$PROBE")
expect_refused "$id" "$X/locked/sub" "Permission denied"
[ ! -e "$X/locked/sub/w-probe" ] || fail "the job wrote below a directory it cannot search"
pass "a cwd the job's user cannot search is refused"

# A hidden directory inside a read-write working directory: empty, read-only.
out=$(cd "$X/w" && "$JOBQ" submit --tenant acme --wait -- sh -c '
	echo ok > mine && echo wrote-mine
	ls -A hidden 2>/dev/null && echo listed
	cat hidden/secret 2>/dev/null
	touch hidden/new 2>/dev/null && echo wrote-hidden
	chmod 777 hidden 2>/dev/null && echo chmod-hidden
	true') || fail "the job in '$X/w' failed: $out"
echo "$out" | grep -qx wrote-mine || fail "control: the job could not write its cwd: $out"
echo "$out" | grep -q -e topsecret -e secret -e wrote-hidden -e chmod-hidden &&
	fail "the hidden directory inside the cwd is visible or writable: $out"
[ ! -e "$X/w/hidden/new" ] || fail "the job created a file in the hidden directory"
[ "$(stat -c %a "$X/w/hidden")" = 1777 ] || fail "the hidden directory's mode changed"
pass "a hidden directory inside a read-write cwd stays empty and read-only"
id=$(cd "$H/q" && "$JOBQ" submit --tenant acme -- sh -c "$PROBE")
expect_refused "$id" "$H/q" "chdir: "
[ ! -e "$H/q/w-probe" ] || fail "a job ran inside the hidden '$H/q'"
pass "a cwd inside a hidden directory is refused"

# The openat2-less walk (kernels before 5.6), forced by the test hook.
jq_stop
JOBQ_EXEC_TEST_NO_OPENAT2=1 jq_start
attack_swaps walk
grep -q "test hook: paths resolved without openat2" "$JQ_TMP/jobqd.log" ||
	fail "the test hook did not reach jobq-exec"
jq_stop
jq_start

# The race: a process swaps the working directory with symlinks to the
# hidden directory and to / (renameat2 RENAME_EXCHANGE) in a loop while
# 1,000 jobs start from it. Each job checks what it sees and says so; the
# host is checked for writes outside the real directory. failed_to_start
# is allowed, an escape is not.
R="$JQ_TMP/race"
mkdir -m 0755 "$R"
mkdir -m 1777 "$R/c"
touch "$R/c/marker-c"
ln -s "$H" "$R/s1"
ln -s / "$R/s2"
RACE='r=ok
[ -e marker-c ] || r="$r not-its-cwd"
[ -e secret ] && r="$r ESCAPE-hidden-cwd"
[ -e etc ] && r="$r ESCAPE-root-cwd"
cat '"$H"'/secret 2>/dev/null && r="$r ESCAPE-hidden"
[ "$(tr -d "\0" </proc/1/cmdline)" = jobq-exec-init ] || r="$r ESCAPE-proc-1"
[ -e /proc/'"$JQ_DPID"' ] && r="$r ESCAPE-proc-jobqd"
echo "$JOBQ_JOB_ID" > "w-$JOBQ_JOB_ID" || r="$r no-write"
echo "$r"'
# 1,000 starts; 200 under ASan+UBSan (JQ_SANITIZED=1), where a start is ~5x slower.
N=${JQ_RACE_JOBS:-1000}
[ -z "${JQ_RACE_JOBS:-}" ] && [ "${JQ_SANITIZED:-0}" = 1 ] && N=200
ids=$(cd "$R/c" && "$JOBQ" submit --tenant acme --hold --array "$N" -- sh -c "$RACE")
[ "$(echo "$ids" | wc -w)" = "$N" ] || fail "the array did not queue $N jobs"
python3 - "$R" <<'PY' &
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
r = sys.argv[1].encode()
c, s1, s2 = r + b"/c", r + b"/s1", r + b"/s2"
# c is a symlink half of the time; the short sleeps leave the CPU to the
# jobs (2 cores) and still swap ~2,000 times a second.
while True:
    for s in (s1, s1, s2, s2):
        if libc.renameat2(AT_FDCWD, c, AT_FDCWD, s, RENAME_EXCHANGE) != 0:
            sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
        time.sleep(0.0002)
PY
SWAPPER=$!
t0=$SECONDS
# shellcheck disable=SC2086
"$JOBQ" release $ids >/dev/null
# shellcheck disable=SC2086
"$JOBQ" wait $ids >/dev/null 2>&1 || true
kill -KILL "$SWAPPER" 2>/dev/null || fail "the swapper died early"
wait "$SWAPPER" 2>/dev/null || true
SWAPPER=""
echo "$N starts under the swap storm in $((SECONDS - t0))s"
# One pass over the jobs' outputs and the daemon's log (one CLI call per
# job would take longer than the starts): "ran refused", or what went wrong.
counts=$(python3 - "$JQ_TMP" "$R/c" $ids 2>&1 <<'PY'
import re, sys
tmp, cwd, ids = sys.argv[1], sys.argv[2], sys.argv[3:]
ends = {}
for line in open(tmp + "/jobqd.log", errors="replace"):
    m = re.search(r"job (\d+) (succeeded|failed_to_start|failed|cancelled|lost)\b(.*)", line)
    if m:
        ends.setdefault(m.group(1), m.group(2) + m.group(3))
ran = refused = 0
for i in ids:
    try:
        out = open("%s/state/jobs/%s/stdout" % (tmp, i)).read().strip()
    except FileNotFoundError:
        out = ""
    end = ends.get(i, "(no end in the log)")
    if out:
        if out != "ok" or not end.startswith("succeeded"):
            sys.exit("race job %s: %s (%s)" % (i, out, end))
        ran += 1
    elif end.startswith("failed_to_start: chdir: a path component is a symbolic link") \
            and end.endswith("('%s')" % cwd):
        refused += 1
    else:
        sys.exit("race job %s printed nothing and ended: %s" % (i, end))
print(ran, refused)
PY
) || fail "$counts"
read -r ran refused <<<"$counts"
echo "race: $ran jobs ran clean, $refused refused"
# Positive control: jobs did run from the real directory, and the swap did hit.
[ "$ran" -ge 10 ] || fail "only $ran of $N race jobs ran: the race proves nothing"
[ "$refused" -ge 1 ] || fail "no race job met the symlink: the race proves nothing"
for d in "$H" "$H/q" / "$JQ_TMP" "$JQ_TMP/state" "$R"; do
	ls "$d" | grep -q "^w-" && fail "a race job wrote into '$d'"
done
real=$(find "$R" -maxdepth 1 -mindepth 1 -type d)
[ "$(ls "$real" | grep -c "^w-")" = "$ran" ] || fail "the writes in '$real' do not match the $ran jobs that ran"
pass "swap storm over $N starts: no escape"

pass "all hostile sandbox cases"
