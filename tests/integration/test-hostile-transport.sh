#!/usr/bin/env bash
# A hostile local user against jobqd's transport (issue 11, points 1 and 3):
# pipelined floods of every request type, more connections than its cap,
# hundreds of half-sent maximum-size frames, replies it never reads, a
# request trickled past its deadline, an oversized LIST. The daemon lives,
# its memory stays bounded, and root and another user are served meanwhile.
# JQ_HOSTILE_CASES="pipeline conns ..." runs only those cases.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is missing"
command -v setpriv >/dev/null || skip "setpriv is missing"
jq_setup
outsider=$(jq_user out)
member=$(jq_user mem)
other=$(jq_user oth)
uid() { id -u "$1"; }
jq_config <<EOF2
[tenant.acme]
users = $member
max_queued = 40
[tenant.globex]
users = $other, root
EOF2
jq_start
client="$(dirname "$0")/hostile-transport-client.py"
cases=${JQ_HOSTILE_CASES:-pipeline conns memory unread biglist deadline}
want() { [[ " $cases " == *" $1 "* ]]; }
as() { local u=$1; shift; setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --init-groups "$@"; }

cd "$JQ_WORK"
# Job 1: an ended job with output, which the floods show, wait on and read.
id=$(as "$member" "$JOBQ" submit --tenant acme -- echo hello)
assert_eq "first job id" 1 "$id"
assert_exit 0 as "$member" "$JOBQ" wait 1
as "$member" "$JOBQ" submit --tenant acme --hold --array 39 -- true >/dev/null

if want pipeline; then
	# 100,000 requests in one write, of every type, half of them with a
	# field their type refuses (the recipe that overflowed main's stack),
	# from a user in no tenant and from a member at once.
	# Under ASan+UBSan (JQ_SANITIZED=1), 10,000: the same frames, a tenth as many.
	frames=100000
	[ "${JQ_SANITIZED:-0}" = 1 ] && frames=10000
	python3 "$client" pipeline "$JQ_TMP/jobq.sock" "$JQ_DPID" "$(uid "$outsider")" \
		"$(uid "$member")" acme "$(uid "$other")" globex "$frames" ||
		fail "pipelined requests (daemon alive: $(kill -0 "$JQ_DPID" 2>/dev/null && echo yes || echo no))"
	kill -0 "$JQ_DPID" || fail "jobqd died"
	pass "pipelined floods of every request type"
fi

if want conns; then
	# Its default cap (max_connections_per_user = 256) and 10 more: the
	# extra are refused with the reason, root and another user are served.
	python3 "$client" conns "$JQ_TMP/jobq.sock" "$JQ_DPID" "$(uid "$outsider")" \
		"$(uid "$other")" globex 256 || fail "connections beyond the per-user cap"
	pass "per-user connection cap"
fi

if want memory; then
	# 200 connections, each 1 MiB into a 1.25 MiB SUBMIT frame. The daemon
	# holds at most JQ_USER_MAX_INPUT (16 MiB) of one user's unfinished
	# requests, plus one frame (1.25 MiB) read before the refusal, plus
	# what 200 connections cost (under 1 MiB). Bound: 24 MiB; measured
	# +16 MiB in each of 3 runs (main: +201 MiB, and nothing refused).
	python3 "$client" memory "$JQ_TMP/jobq.sock" "$JQ_DPID" "$(uid "$outsider")" \
		"$(uid "$other")" globex 200 $((24 * 1024)) || fail "partial frames"
	pass "partial maximum-size frames hold bounded memory"
fi

if want unread; then
	# 4 connections pipeline 2,000 LISTs of 40 jobs (~10 KiB each, 80 MiB
	# in all) and read nothing: the daemon stops handling them at
	# JQ_USER_MAX_PENDING (16 MiB) of unread replies, counted with their
	# buffers. Bound: 24 MiB; measured +16 MiB in each of 3 runs (main:
	# jobqd dies of the 2,000 pipelined LISTs).
	# Under ASan+UBSan (JQ_SANITIZED=1) 500 each: 20 MiB, still past the limit.
	lists=2000
	[ "${JQ_SANITIZED:-0}" = 1 ] && lists=500
	python3 "$client" unread "$JQ_TMP/jobq.sock" "$JQ_DPID" "$(uid "$member")" \
		"$(uid "$other")" globex 4 $((24 * 1024)) "$lists" || fail "unread replies"
	pass "unread replies hold bounded memory, and are all sent once read"
fi

if want biglist; then
	python3 "$client" biglist "$JQ_TMP/jobq.sock" "$JQ_DPID" || fail "oversized LIST"
	pass "a 1 MiB LIST is refused on its header"
fi

if want deadline; then
	jq_stop
	sed -i '/^\[daemon\]$/a request_read_timeout = 2s' "$JQ_CONF"
	jq_start
	python3 "$client" deadline "$JQ_TMP/jobq.sock" "$JQ_DPID" 2 || fail "request deadline"
	pass "a trickled request is dropped at request_read_timeout"
fi
kill -0 "$JQ_DPID" || fail "jobqd died"
