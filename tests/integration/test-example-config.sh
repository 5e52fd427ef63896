#!/usr/bin/env bash
# The shipped example configuration works as the demo uses it: relative
# paths ("../var/...") resolved against the INI's directory, both tenants
# accepting and running jobs in the full sandbox and cgroups.
. "$(dirname "$0")/lib.sh"
need_root
jq_setup
mkdir "$JQ_TMP/config"
# Only the cgroup subtree is renamed, so parallel tests and the demo never share one.
sed "s/^cgroup_name = jobq /cgroup_name = jq-test-$$ /" "$JQ_SRC_DIR/config/jobq.example.ini" >"$JQ_CONF"
grep -q "^cgroup_name = jq-test-$$ " "$JQ_CONF" || fail "the example no longer sets cgroup_name"
mv "$JQ_CONF" "$JQ_TMP/config/jobq.ini"
JQ_CONF="$JQ_TMP/config/jobq.ini"
export JOBQ_CONFIG="$JQ_CONF"
"$JOBQD" -c "$JQ_CONF" --foreground >>"$JQ_TMP/jobqd.log" 2>&1 &
JQ_DPID=$!
wait_until 20 "$JOBQ" list || fail "jobqd did not come up on the example config"
[ -S "$JQ_TMP/var/jobq.sock" ] || fail "the socket is not at ../var/jobq.sock relative to the INI"
[ -f "$JQ_TMP/var/jobq.db" ] || fail "the database is not at ../var/jobq.db relative to the INI"
cd "$JQ_WORK"
for t in acme globex; do
	out=$("$JOBQ" submit --tenant "$t" --wait -- sh -c 'echo "$JOBQ_TENANT ran"')
	assert_eq "job of $t" "$t ran" "$out"
done
# And from another directory, with the config named relatively.
cd "$JQ_TMP/var"
assert_exit 0 "$JOBQ" -c ../config/jobq.ini list
pass "example configuration with relative paths"
