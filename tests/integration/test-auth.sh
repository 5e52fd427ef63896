#!/usr/bin/env bash
# Authorization with throwaway users: membership by users, groups and
# admins; who sees and controls which jobs; jobs run as their submitter.
. "$(dirname "$0")/lib.sh"
need_root
command -v useradd >/dev/null || skip "useradd is missing"
jq_setup
alice=$(jq_user a)
bob=$(jq_user b)
carol=$(jq_user c)
grp="jqg$$"
groupadd "$grp"
JQ_USERS+=("$grp")
usermod -a -G "$grp" "$bob"
jq_config <<EOF2
[tenant.acme]
users = $alice
admins = $carol
[tenant.globex]
groups = $grp
EOF2
chmod 0644 "$JQ_CONF"
jq_start
cd "$JQ_WORK"

as() {
	local u=$1
	shift
	runuser -u "$u" -- env JOBQ_CONFIG="$JQ_CONF" "$@"
}

# alice submits to acme; the job runs as alice and its files are hers.
out=$(as "$alice" "$JOBQ" submit --tenant acme --wait -- sh -c 'id -un; echo x > owned-by-me')
assert_eq "job identity" "$alice" "$out"
assert_eq "file owner" "$alice" "$(stat -c %U "$JQ_WORK/owned-by-me")"
pass "job runs as its submitter"

# bob is not in acme; he is in globex through his group.
as "$bob" "$JOBQ" submit --tenant acme -- true 2>"$JQ_TMP/err" && fail "bob submitted to acme"
grep -q "is not a member of tenant 'acme'" "$JQ_TMP/err" || fail "membership message: $(cat "$JQ_TMP/err")"
out=$(as "$bob" "$JOBQ" submit --tenant globex --wait -- id -un)
assert_eq "group member's job identity" "$bob" "$out"
pass "users and groups membership"

# alice's running job: bob can neither see nor cancel it; carol (admin) can.
id=$(as "$alice" "$JOBQ" submit --tenant acme -- sleep 60)
as "$bob" "$JOBQ" show "$id" 2>"$JQ_TMP/err" && fail "bob saw alice's job"
# Another user's job is answered exactly like a job that does not exist.
assert_eq "show denial message" "jobq: job $id not found" "$(cat "$JQ_TMP/err")"
as "$bob" "$JOBQ" show 999999 2>"$JQ_TMP/err2" && fail "bob saw a missing job"
assert_eq "missing job message" "jobq: job 999999 not found" "$(cat "$JQ_TMP/err2")"
as "$bob" "$JOBQ" cancel "$id" 2>/dev/null && fail "bob cancelled alice's job"
n=$(as "$bob" "$JOBQ" list --json | python3 -c 'import json,sys; print(len([j for j in json.load(sys.stdin) if j["id"] == '"$id"']))')
assert_eq "bob's list shows alice's job" 0 "$n"
n=$(as "$carol" "$JOBQ" list --json | python3 -c 'import json,sys; print(len([j for j in json.load(sys.stdin) if j["id"] == '"$id"']))')
assert_eq "admin's list shows alice's job" 1 "$n"
as "$carol" "$JOBQ" cancel "$id" >/dev/null || fail "tenant admin could not cancel"
assert_exit 130 as "$alice" "$JOBQ" wait "$id"
pass "visibility and control"

# Root sees everything.
n=$("$JOBQ" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$n" -ge 3 ] || fail "root sees only $n jobs"
# A user filter for list.
n=$("$JOBQ" list --user "$bob" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_eq "jobs of bob" 1 "$n"
pass "root and --user"
