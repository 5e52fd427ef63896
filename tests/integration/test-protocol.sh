#!/usr/bin/env bash
# The socket under hostile input: malformed, oversized and invalid frames
# get an error (and a close if malformed), never a crash or a hang; 150
# clients are served at once.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is missing"
jq_setup
jq_config <<EOF2
[tenant.acme]
users = root
EOF2
jq_start
python3 "$(dirname "$0")/protocol-client.py" "$JQ_TMP/jobq.sock"
kill -0 "$JQ_DPID" || fail "jobqd died"
pass "protocol"
