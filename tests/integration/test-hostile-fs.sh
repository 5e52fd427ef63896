#!/usr/bin/env bash
# Hostile users against what jobs leave on the host's file systems (issue
# 11; docs/sandbox.md, "What a hostile user can try"):
#  1. a member of a tenant with run_as leaves a setuid/setgid copy of a
#     shell in the job's read-write working directory (chmod 4755 / 2755,
#     install -m 4755, open(O_CREAT, 04755), a setgid directory): every
#     attempt fails with EPERM, no file there ends up with the bits, and
#     chmod 755 still works (positive control);
#  2. a user in no tenant lists jobq's cgroup tree (job ids, tenants,
#     pids, memory use) while jobs run: the base directory is 0700;
#  3. a member fills the file system of state_dir (and of the working
#     directories) while another tenant's job runs: that job still ends
#     'succeeded' with its exit code, its result written into the space
#     jobq-exec reserved at its start. The database is not on that file
#     system (a full database is the daemon's business, test-hostile-bytes).
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is missing"
jq_setup
alice=$(jq_user alice)
build=$(jq_user build)
bob=$(jq_user bob)
eve=$(jq_user eve)

FS="$JQ_TMP/fs"
mkdir "$FS"
mount -t tmpfs -o size=8m,mode=0755 tmpfs "$FS"
JQ_CLEANUP_HOOKS+=("umount -l '$FS'")
mkdir -m 0755 "$FS/state" "$FS/a" "$FS/b"
chown "$alice" "$FS/a"
chown "$bob" "$FS/b"
mkdir -m 0755 "$JQ_WORK/ci"
chown "$build" "$JQ_WORK/ci"

JQ_STATE="$FS/state" jq_config <<EOF2
[tenant.ci]
users = $alice
run_as = $build
[tenant.acme]
users = $alice
[tenant.globex]
users = $bob
EOF2
jq_start

show() { "$JOBQ" show "$1" --json | json_get "$2"; }
out() { cat "$FS/state/jobs/$1/stdout" 2>/dev/null || true; }

# --- 1. set-id bits from a run_as job ---------------------------------------
SETID='
try() { if "$@" 2>/dev/null; then echo "ALLOWED: $*"; else echo "refused: $*"; fi; }
cp /bin/sh s1 && try chmod 4755 s1
cp /bin/sh s2 && try chmod 2755 s2
try chmod u+s,g+s s2
try install -m 4755 /bin/sh s3
try python3 -c "import os; os.open(\"s4\", os.O_CREAT | os.O_WRONLY, 0o4755)"
try python3 -c "import os; os.open(\"s5\", os.O_CREAT | os.O_WRONLY, 0o2755)"
try python3 -c "import os; os.open(\".\", os.O_TMPFILE | os.O_WRONLY, 0o4755)"
mkdir d && try chmod 2755 d
cp /bin/sh ok && chmod 755 ok && echo control-ok'
id=$(cd "$JQ_WORK/ci" && as "$alice" "$JOBQ" submit --tenant ci -- sh -c "$SETID")
"$JOBQ" wait "$id" >/dev/null 2>&1 || true
assert_eq "set-id job state" succeeded "$(show "$id" state)"
o=$(out "$id")
case "$o" in *control-ok*) ;; *) fail "chmod 755 did not work in the job: $o" ;; esac
case "$o" in *ALLOWED*) fail "a set-id attempt succeeded: $o" ;; esac
[ "$(echo "$o" | grep -c '^refused')" = 8 ] || fail "want 8 refused attempts: $o"
[ "$(stat -c %a "$JQ_WORK/ci/ok")" = 755 ] || fail "control file: $(stat -c %a "$JQ_WORK/ci/ok")"
bad=$(find "$JQ_WORK/ci" -perm /6000)
[ -z "$bad" ] || fail "set-id files left in the working directory: $(ls -ld $bad)"
pass "run_as job: chmod/install/open/mkdir with S_ISUID or S_ISGID refused, chmod 755 works"

# --- 3 (and 2 while it runs). A full state_dir file system -------------------
# B waits for the test's mark in its own directory (its /tmp is private,
# A's directory not in its view), given once A filled the file system.
b=$(cd "$FS/b" && as "$bob" "$JOBQ" submit --tenant globex -- sh -c \
	'i=0; while [ ! -e go ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; exit 0')
wait_until 20 sh -c "$JOBQ show $b | grep -q running" || fail "job B did not start: $(show "$b" state)"
a=$(cd "$FS/a" && as "$alice" "$JOBQ" submit --tenant acme -- sh -c \
	'head -c 20000000 /dev/zero >fill; touch full; exec sleep 300')
wait_until 20 test -e "$FS/a/full" || fail "job A did not fill the file system: $(show "$a" state)"
# head stopped short: the file system was full (nothing frees space until B ends).
[ "$(stat -c %s "$FS/a/fill")" -lt 20000000 ] || fail "the 8M file system took 20M"
touch "$FS/b/go"

# 2. Both jobs are running: a user in no tenant sees nothing of them.
tops=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "jq-test-$$" 2>/dev/null)
[ -n "$tops" ] || skip "no cgroup tree (cgroup = none on this host)"
jobdirs=$(find $tops -path "*/tenants/*/job-*" -type d | wc -l)
[ "$jobdirs" -gt 0 ] || fail "no job cgroup below '$tops' while jobs run"
for t in $tops; do
	[ "$(stat -c %a "$t")" = 700 ] || fail "cgroup base '$t' has mode $(stat -c %a "$t")"
	if runuser -u "$eve" -- ls "$t" >/dev/null 2>&1 ||
		runuser -u "$eve" -- ls "$t/tenants" >/dev/null 2>&1; then
		fail "a user in no tenant lists '$t'"
	fi
done
leak=$(runuser -u "$eve" -- find /sys/fs/cgroup -path "*jq-test-$$/*" 2>/dev/null | head -3 || true)
[ -z "$leak" ] || fail "a user in no tenant finds: $leak"
pass "cgroup tree: $(echo "$tops" | wc -l) base directories 0700, nothing listed by a user in no tenant"

# 3. B ends while the file system is full.
"$JOBQ" wait "$b" >/dev/null 2>&1 || true
assert_eq "job B state ($(show "$b" reason))" succeeded "$(show "$b" state)"
assert_eq "job B exit code" 0 "$(show "$b" exit_code)"
! grep -q "cannot write result" "$JQ_TMP/jobqd.log" || fail "$(grep "cannot write result" "$JQ_TMP/jobqd.log")"
"$JOBQ" cancel "$a" >/dev/null
"$JOBQ" wait "$a" >/dev/null 2>&1 || true
pass "full state_dir file system: the other tenant's job ended succeeded, exit 0"
