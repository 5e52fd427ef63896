# Shared helpers of the integration tests: each test starts a real jobqd on
# a temporary socket, database and state directory and drives it with the
# real jobq. Sourced, not run.
set -euo pipefail

: "${JQ_BIN_DIR:?JQ_BIN_DIR must point at the built bin/ directory}"
JOBQ="$JQ_BIN_DIR/jobq"
JOBQD="$JQ_BIN_DIR/jobqd"
JQ_TMP=""
JQ_DPID=""
JQ_USERS=()
JQ_FAILED=0

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*" >&2
	JQ_FAILED=1
	exit 1
}

pass() {
	echo "ok: $*"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (to run jobs as other users)"
}

# cgroups (issue 3): every cgroup directory this test's daemon made
# (cgroup_name = jq-test-$$), in every hierarchy, including a memory
# hierarchy nested below the cgroup the test runs in. Depth first.
jq_cg_dirs() {
	find /sys/fs/cgroup -maxdepth 8 -type d -name "jq-test-$$" 2>/dev/null |
		while read -r top; do find "$top" -depth -type d; done
}

# Kills what is left in our cgroups and removes them, deepest first.
jq_cg_cleanup() {
	local d p tries
	[ -d /sys/fs/cgroup ] || return 0
	for d in $(jq_cg_dirs); do
		if [ -e "$d/cgroup.kill" ]; then
			echo 1 >"$d/cgroup.kill" 2>/dev/null || true
		fi
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
	done
	for d in $(jq_cg_dirs); do
		tries=0
		# Killed tasks leave their cgroup a moment after the signal.
		until rmdir "$d" 2>/dev/null || [ ! -d "$d" ]; do
			tries=$((tries + 1))
			[ "$tries" -lt 200 ] || { echo "cannot remove cgroup '$d'" >&2; break; }
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
				kill -KILL "$p" 2>/dev/null || true
			done
			sleep 0.05
		done
	done
}

# Stops what this test started: the daemon by its pid, helpers of jobs in
# our own state directory by theirs, our cgroups, the throwaway users.
JQ_CLEANUP_HOOKS=()

jq_cleanup() {
	local rc=$? h
	# A check that failed fails the test, whatever ran after it.
	[ "$JQ_FAILED" = 0 ] || [ "$rc" != 0 ] || rc=1
	for h in "${JQ_CLEANUP_HOOKS[@]}"; do
		eval "$h" || true
	done
	if [ -n "$JQ_DPID" ] && kill -0 "$JQ_DPID" 2>/dev/null; then
		kill -TERM "$JQ_DPID" 2>/dev/null || true
		wait "$JQ_DPID" 2>/dev/null || true
	fi
	if [ -n "$JQ_TMP" ]; then
		local p
		for p in $(pgrep -f "jobq-exec $JQ_TMP/" || true); do
			kill -KILL "$p" 2>/dev/null || true
		done
		if [ "$rc" != 0 ] && [ -f "$JQ_TMP/jobqd.log" ]; then
			echo "--- jobqd log ---" >&2
			tail -n 50 "$JQ_TMP/jobqd.log" >&2 || true
		fi
		rm -rf "$JQ_TMP"
	fi
	jq_cg_cleanup
	local u
	if [ -f "$JQ_USERS_FILE" ]; then
		mapfile -t -O "${#JQ_USERS[@]}" JQ_USERS <"$JQ_USERS_FILE"
		rm -f "$JQ_USERS_FILE"
	fi
	for u in "${JQ_USERS[@]}"; do
		userdel -r "$u" >/dev/null 2>&1 || userdel "$u" >/dev/null 2>&1 || true
		groupdel "$u" >/dev/null 2>&1 || true
	done
	exit "$rc"
}
trap jq_cleanup EXIT
# ctest stops a test that runs too long with SIGTERM: clean up then too.
trap 'exit 143' TERM INT

# jq_setup: a temporary directory, world-traversable so that jobs running
# as other users can use it as their working directory.
jq_setup() {
	JQ_TMP=$(mktemp -d /tmp/jq-it.XXXXXX)
	chmod 0755 "$JQ_TMP"
	JQ_CONF="$JQ_TMP/jobq.ini"
	export JOBQ_CONFIG="$JQ_CONF"
	JQ_WORK="$JQ_TMP/work"
	mkdir -m 1777 "$JQ_WORK"
}

# jq_config: writes the INI with our paths (JQ_DB and JQ_STATE override
# the database and state_dir) and the text read from stdin appended.
jq_config() {
	{
		echo "[daemon]"
		echo "socket = $JQ_TMP/jobq.sock"
		echo "database = ${JQ_DB:-$JQ_TMP/jobq.db}"
		echo "state_dir = ${JQ_STATE:-$JQ_TMP/state}"
		echo "cgroup_name = jq-test-$$"
		echo "kill_grace = 2s"
		cat
	} >"$JQ_CONF"
}

# Polls cmd until it succeeds, at most $1 seconds: waiting for a state,
# not sleeping for a guess.
wait_until() {
	local limit=$1
	shift
	local deadline=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

jq_start() {
	"$JOBQD" -c "$JQ_CONF" --foreground >>"$JQ_TMP/jobqd.log" 2>&1 &
	JQ_DPID=$!
	wait_until 20 "$JOBQ" list || fail "jobqd did not come up (log: $(tail -n 5 "$JQ_TMP/jobqd.log"))"
}

jq_stop() {
	kill -TERM "$JQ_DPID"
	wait "$JQ_DPID" || true
	JQ_DPID=""
}

# as USER CMD...: runs CMD as USER with this test's config. (Tests that
# define their own as() override this one.)
as() {
	local u=$1
	shift
	runuser -u "$u" -- env JOBQ_CONFIG="$JQ_CONF" "$@"
}

# A throwaway user (removed at exit). Prints its name. Tests call it as
# name=$(jq_user x), in a subshell, so the name is recorded in a file the
# cleanup reads ($$ is the test's own pid in the subshell too).
JQ_USERS_FILE="/tmp/jq-users.$$"
jq_user() {
	local name="jqt$1$$"
	name=${name:0:31}
	useradd -M -N -s /bin/sh "$name" >/dev/null
	echo "$name" >>"$JQ_USERS_FILE"
	JQ_USERS+=("$name")
	echo "$name"
}

# Reads one key of a JSON object on stdin: json_get key [key...]
json_get() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = v[int(k)] if isinstance(v, list) else v[k]
print("null" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
' "$@"
}

assert_eq() {
	local what=$1 want=$2 got=$3
	[ "$want" = "$got" ] || fail "$what: want '$want', got '$got'"
}

# assert_exit <code> cmd...: runs cmd and checks its exit code.
assert_exit() {
	local want=$1
	shift
	local got=0
	"$@" || got=$?
	[ "$got" = "$want" ] || fail "'$*' exited $got, want $want"
}
