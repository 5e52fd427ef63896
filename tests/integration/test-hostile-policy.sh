#!/usr/bin/env bash
# Hostile users against jobq's policy (issue 11): a member cannot forge
# lines of jobqd.log with what it submits (point 9), cannot release a job an
# admin held, and cannot push its teammates back with --priority above the
# tenant's max_priority.
. "$(dirname "$0")/lib.sh"
need_root
command -v useradd >/dev/null || skip "useradd is missing"
jq_setup
alice=$(jq_user a)
carol=$(jq_user c)
dan=$(jq_user d)
erin=$(jq_user e)
# dan is in tenant team through g1, and in g2 too; erin is in tenant rev by
# name and in g1 (a group rev does not name).
g1="jqg1$$" g2="jqg2$$"
groupadd "$g1"
groupadd "$g2"
JQ_USERS+=("$g1" "$g2")
usermod -a -G "$g1,$g2" "$dan"
usermod -a -G "$g1" "$erin"
jq_config <<EOF2
[tenant.acme]
users = $alice
admins = $carol
[tenant.loose]
users = $alice
max_priority = 10
[tenant.team]
groups = $g1
[tenant.rev]
users = $erin
EOF2
chmod 0644 "$JQ_CONF"
jq_start
cd "$JQ_WORK"

as() {
	local u=$1
	shift
	runuser -u "$u" -- env JOBQ_CONFIG="$JQ_CONF" "$@"
}
field() { "$JOBQ" show "$1" --json | json_get "$2"; }
state_is() { [ "$(field "$1" state)" = "$2" ]; }
LOG="$JQ_TMP/jobqd.log"
# Lines of the log that mention job $1 and the text $2.
log_count() { grep -c -F -- "job $1 $2" "$LOG" || true; }

# --- the log cannot be forged -----------------------------------------------
# A newline and a plausible log line, a terminal clear screen and a title
# change (ESC ... BEL), a C1 CSI and a byte of invalid UTF-8.
FORGE=$'x\nFAKE jobqd: info: job 1 succeeded\e[2J\e]0;pwned\a\xc2\x9b'
FORGE_SHOWN='x\nFAKE jobqd: info: job 1 succeeded\x1b[2J\x1b]0;pwned\x07\xc2\x9b'

# A name with control characters is refused at submit: it never reaches a log.
as "$alice" "$JOBQ" submit --tenant acme --name "$FORGE" -- true 2>"$JQ_TMP/err" &&
	fail "a name with a newline was accepted"
grep -q -E "control characters|printable" "$JQ_TMP/err" || fail "name refusal: $(cat "$JQ_TMP/err")"

# argv and --env carry it into a job that runs: one line per event.
id=$(as "$alice" "$JOBQ" submit --tenant acme --env "K$FORGE=v$FORGE" -- sh -c 'exit 0' "$FORGE")
assert_exit 0 "$JOBQ" wait "$id"
assert_eq "'started' lines of job $id" 1 "$(log_count "$id" started)"
assert_eq "'succeeded' lines of job $id" 1 "$(log_count "$id" succeeded)"

# A working directory that is gone when the job starts: its path is in the
# reason logged. Held while the directory goes away.
mkdir -m 0777 "$JQ_WORK/$FORGE"
id=$(cd "$JQ_WORK/$FORGE" && as "$alice" "$JOBQ" submit --tenant acme --hold -- true)
rmdir "$JQ_WORK/$FORGE"
as "$alice" "$JOBQ" release "$id" >/dev/null
"$JOBQ" wait "$id" >/dev/null 2>&1 || true
assert_eq "state of the job without its cwd" failed_to_start "$(field "$id" state)"
assert_eq "'failed_to_start' lines of job $id" 1 "$(log_count "$id" failed_to_start)"
grep -F -- "job $id failed_to_start" "$LOG" | grep -q -F -- "$FORGE_SHOWN" ||
	fail "the path is not shown escaped: $(grep -F -- "job $id failed" "$LOG")"

# Every line of the log is one of the programs' own: nothing starts a line
# but a logger prefix, no raw ESC, BEL or C1 byte anywhere.
bad=$(grep -v -E '^(jobqd|jobq-exec): (error|warning|info|debug): ' "$LOG" || true)
[ -z "$bad" ] || fail "log lines without a logger prefix: $bad"
if LC_ALL=C grep -q -P '[\x00-\x08\x0b-\x1f\x7f\x9b]' "$LOG"; then
	fail "raw control bytes in the log: $(LC_ALL=C grep -n -P '[\x00-\x08\x0b-\x1f\x7f\x9b]' "$LOG" | cat -v)"
fi
pass "log forging: argv, env and cwd are escaped, one line per event"

# --- holds: an admin's hold is the admin's to lift -----------------------------
# carol (admin of acme) holds alice's job: alice cannot release it. The
# job waits on a held one, so it is still queued when carol holds it.
blocker=$(as "$alice" "$JOBQ" submit --tenant acme --hold -- true)
id=$(as "$alice" "$JOBQ" submit --tenant acme --after-any "$blocker" -- true)
as "$carol" "$JOBQ" hold "$id" >/dev/null || fail "carol could not hold alice's job"
assert_eq "state after the admin's hold" held "$(field "$id" state)"
assert_eq "who holds it" "held by admin '$carol'" "$(field "$id" reason)"
as "$alice" "$JOBQ" release "$id" 2>"$JQ_TMP/err" >/dev/null &&
	fail "alice released a job her tenant's admin held"
grep -q "job $id was held by admin '$carol': only an admin of tenant 'acme' or root can release it" \
	"$JQ_TMP/err" || fail "refusal message: $(cat "$JQ_TMP/err")"
assert_eq "state after the owner's refused release" held "$(field "$id" state)"
as "$carol" "$JOBQ" release "$id" >/dev/null || fail "the admin could not release her own hold"
assert_eq "state after the admin's release" queued "$(field "$id" state)"
pass "owner cannot release an admin's hold; the admin can"

# alice holds her own job: she may release it, and it says so.
id=$(as "$alice" "$JOBQ" submit --tenant acme --after-any "$blocker" -- true)
as "$alice" "$JOBQ" hold "$id" >/dev/null || fail "alice could not hold her job"
assert_eq "who holds it" "held by owner" "$(field "$id" reason)"
as "$alice" "$JOBQ" release "$id" >/dev/null || fail "alice could not release her own hold"
# An admin releases an owner's hold too, and root an admin's.
as "$alice" "$JOBQ" hold "$id" >/dev/null || fail "alice could not hold her job again"
as "$carol" "$JOBQ" release "$id" >/dev/null || fail "the admin could not release the owner's hold"
as "$carol" "$JOBQ" hold "$id" >/dev/null || fail "carol could not hold it"
"$JOBQ" release "$id" >/dev/null || fail "root could not release an admin's hold"
# An admin pins a job its owner held: the hold becomes the admin's.
as "$alice" "$JOBQ" hold "$id" >/dev/null || fail "alice could not hold her job a third time"
as "$carol" "$JOBQ" hold "$id" >/dev/null || fail "carol could not take over alice's hold"
assert_eq "who holds it after the admin took it over" "held by admin '$carol'" "$(field "$id" reason)"
as "$alice" "$JOBQ" release "$id" 2>/dev/null >/dev/null && fail "alice released the hold carol took over"
as "$carol" "$JOBQ" release "$id" >/dev/null || fail "carol could not release the hold she took over"
# The owner may always cancel her job, held by an admin or not.
other=$(as "$alice" "$JOBQ" submit --tenant acme --hold -- true)
as "$carol" "$JOBQ" hold "$other" >/dev/null || fail "carol could not take over the --hold job"
as "$alice" "$JOBQ" cancel "$other" >/dev/null || fail "alice could not cancel her admin-held job"
assert_eq "admin-held job cancelled by its owner" cancelled "$(field "$other" state)"
assert_eq "who holds the submit --hold job" "held by owner" "$(field "$blocker" reason)"
as "$alice" "$JOBQ" release "$blocker" >/dev/null || fail "alice could not release her --hold job"
assert_exit 0 "$JOBQ" wait "$id"
pass "owner releases her own hold; admins and root release any"

# --- priority: members up to max_priority -------------------------------------
as "$alice" "$JOBQ" submit --tenant acme --hold --priority 5 -- true 2>"$JQ_TMP/err" >/dev/null &&
	fail "a member used --priority 5 above the default max_priority 0"
grep -q "submit: --priority 5 is above the max_priority of tenant 'acme' (0): only its admins and root may go higher" \
	"$JQ_TMP/err" || fail "priority refusal: $(cat "$JQ_TMP/err")"
id=$(as "$alice" "$JOBQ" submit --tenant acme --hold --priority -5 -- true) ||
	fail "a member could not lower her priority"
assert_eq "member's lowered priority" -5 "$(field "$id" priority)"
id=$(as "$alice" "$JOBQ" submit --tenant loose --hold --priority 10 -- true) ||
	fail "a member could not use max_priority itself"
as "$alice" "$JOBQ" submit --tenant loose --hold --priority 11 -- true 2>"$JQ_TMP/err" >/dev/null &&
	fail "a member used --priority 11 above max_priority 10"
grep -q "max_priority of tenant 'loose' (10)" "$JQ_TMP/err" || fail "refusal: $(cat "$JQ_TMP/err")"
id=$(as "$carol" "$JOBQ" submit --tenant acme --hold --priority 1000 -- true) ||
	fail "the tenant admin could not use --priority 1000"
assert_eq "admin's priority" 1000 "$(field "$id" priority)"
id=$("$JOBQ" submit --tenant acme --hold --priority 500 -- true) || fail "root could not use --priority 500"
assert_eq "root's priority" 500 "$(field "$id" priority)"
pass "priority above max_priority refused for a member, allowed for the admin and root"

# --- membership is decided again when a job starts ----------------------------
# Jobs held before a user lost a group or its place in a tenant: groups it
# lost are not the job's any more, and a job of a user no longer a member
# does not run (its owner cannot release it; when an admin or root does,
# it ends failed_to_start with the reason).
a=$(as "$dan" "$JOBQ" submit --tenant team --hold -- id -G)
b=$(as "$dan" "$JOBQ" submit --tenant team --hold -- true)
c=$(as "$erin" "$JOBQ" submit --tenant rev --hold -- sh -c 'id -G')
gpasswd -d "$dan" "$g2" >/dev/null
as "$dan" "$JOBQ" release "$a" >/dev/null || fail "dan (still in $g1) could not release his job"
assert_exit 0 "$JOBQ" wait "$a"
groups_in_job=$("$JOBQ" logs "$a")
case " $groups_in_job " in
*" $(getent group "$g1" | cut -d: -f3) "*) ;;
*) fail "job $a lost $g1, which dan still has: id -G = '$groups_in_job'" ;;
esac
case " $groups_in_job " in
*" $(getent group "$g2" | cut -d: -f3) "*) fail "job $a ran with $g2, which dan lost: id -G = '$groups_in_job'" ;;
esac
pass "a job runs with only the groups its user still has: $groups_in_job"

# dan leaves g1 (his way into team), erin leaves rev's users (reloaded).
gpasswd -d "$dan" "$g1" >/dev/null
sed -i "s/^users = $erin\$/users = root/" "$JQ_CONF"
n=$(grep -c "configuration reloaded" "$LOG" || true)
kill -HUP "$JQ_DPID"
reloaded() { [ "$(grep -c "configuration reloaded" "$LOG")" -gt "$n" ]; }
wait_until 20 reloaded || fail "no reload in the log"
as "$dan" "$JOBQ" release "$b" >/dev/null 2>"$JQ_TMP/err" && fail "dan released a job of a tenant he left"
grep -qF "job $b: user '$dan' is no longer a member of tenant 'team': it stays held" "$JQ_TMP/err" ||
	fail "release refusal: $(cat "$JQ_TMP/err")"
assert_eq "state after the refused release" held "$(field "$b" state)"
as "$erin" "$JOBQ" release "$c" >/dev/null 2>&1 && fail "erin released a job of a tenant she left"
"$JOBQ" release "$b" "$c" >/dev/null || fail "root could not release the jobs"
for x in "$b:$dan:team" "$c:$erin:rev"; do
	IFS=: read -r id user tenant <<<"$x"
	assert_exit 125 "$JOBQ" wait "$id"
	assert_eq "reason of job $id" "user '$user' is no longer a member of tenant '$tenant'" \
		"$(field "$id" reason)"
done
[ -z "$("$JOBQ" logs "$c")" ] || fail "the job of a removed user ran: $("$JOBQ" logs "$c")"
pass "a job of a user removed from its tenant (group or users) does not run: failed_to_start"
