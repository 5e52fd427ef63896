#!/usr/bin/env bash
# Hostile users against the terminal of whoever lists their jobs (issue 11):
# a member puts escape sequences (clear screen, OSC 52 clipboard write,
# window title), carriage returns, newlines, C1 controls and bidi overrides
# into its argv, job name, working directory and (where the host allows it)
# its account name. root's `jobq list`, `show`, `wait`, `list --json` and
# `report --format csv` print none of it raw: the human forms show it
# escaped like jobqd's log, JSON is printable ASCII that reads back as the
# same text, and CSV keeps one record per line.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "needs python3"
jq_setup

# A member whose account name is hostile too, where useradd allows one
# (--badname takes C1 controls and bidi overrides, not C0 controls).
evil=$'=jq\xe2\x80\xae\xc2\x9b'"$$"
evil_shown="=jq\\xe2\\x80\\xae\\xc2\\x9b$$"
if useradd --badname -M -N -s /bin/sh "$evil" >/dev/null 2>&1; then
	JQ_USERS+=("$evil")
	mallory=$evil
else
	echo "note: useradd --badname refused '$evil': the account name is not checked"
	mallory=$(jq_user m)
	evil_shown=""
fi
jq_config <<EOF2
[tenant.acme]
users = $mallory
EOF2
chmod 0644 "$JQ_CONF"
jq_start
cd "$JQ_WORK"

# Fails unless file $1 holds only text that cannot act on a terminal:
# printable ASCII, newlines, and valid UTF-8 that is no C1 control, no line
# or paragraph separator and no bidi override or isolate.
assert_inert() {
	python3 - "$1" "$2" <<'EOF' || fail "$2: raw control bytes (see above)"
import sys
data = open(sys.argv[1], "rb").read()
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit(f"{sys.argv[2]}: invalid UTF-8 at byte {e.start}: {data!r}")
bad = [c for c in text
       if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f
       or c in "\u2028\u2029" or 0x202a <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069]
if bad:
    sys.exit(f"{sys.argv[2]}: raw {[hex(ord(c)) for c in bad]} in {data!r}")
EOF
}

# Fails unless file $2 contains the text $3 (fixed string).
assert_shows() {
	grep -q -F -- "$3" "$2" || fail "$1 does not show '$3': $(cat -v "$2")"
}

# Clear screen and cursor home, an OSC 52 clipboard write (BEL), a window
# title (ST), a carriage return over the line, a fake line below, a C1 CSI
# and a right-to-left override.
ARG=$'x\e[2J\e[H\e]52;c;cm0gLXJmIH4K\a\e]0;pwned\e\\\rFAKE\n7 acme root\xc2\x9b31m\xe2\x80\xae'
ARG_SHOWN='x\x1b[2J\x1b[H\x1b]52;c;cm0gLXJmIH4K\x07\x1b]0;pwned\x1b\\\rFAKE\n7 acme root\xc2\x9b31m\xe2\x80\xae'
# A name may not hold C0 controls (refused at submit), but C1 controls and
# bidi controls are printable UTF-8 to that check.
NAME=$'n\xe2\x80\xaegnp.exe\xc2\x9b2J'
NAME_SHOWN='n\xe2\x80\xaegnp.exe\xc2\x9b2J'

as "$mallory" "$JOBQ" submit --tenant acme --name $'a\e[2J' -- true 2>/dev/null &&
	fail "a name with ESC was accepted"
named=$(as "$mallory" "$JOBQ" submit --tenant acme --name "$NAME" -- sh -c 'exit 0' "$ARG")
unnamed=$(as "$mallory" "$JOBQ" submit --tenant acme -- /bin/echo "$ARG")
# A working directory gone when the job starts: its path is in the reason.
DIR=$'d\e]0;pwned\a\r\xe2\x80\xae\xe2\x81\xa6'
DIR_SHOWN='d\x1b]0;pwned\x07\r\xe2\x80\xae\xe2\x81\xa6'
mkdir -m 0777 "$JQ_WORK/$DIR"
gone=$(cd "$JQ_WORK/$DIR" && as "$mallory" "$JOBQ" submit --tenant acme --hold -- true)
rmdir "$JQ_WORK/$DIR"
as "$mallory" "$JOBQ" release "$gone" >/dev/null
assert_exit 0 "$JOBQ" wait "$named"
assert_exit 0 "$JOBQ" wait "$unnamed"
"$JOBQ" wait "$gone" 2>"$JQ_TMP/wait.err" && fail "job $gone without its cwd succeeded"

# --- jobq list -------------------------------------------------------------
"$JOBQ" list >"$JQ_TMP/list" || fail "jobq list failed"
assert_inert "$JQ_TMP/list" "jobq list"
assert_eq "lines of jobq list" 4 "$(wc -l <"$JQ_TMP/list")"
assert_shows "jobq list" "$JQ_TMP/list" "$NAME_SHOWN"
assert_shows "jobq list" "$JQ_TMP/list" '/bin/echo x\x1b[2J\x1b[H'
[ -z "$evil_shown" ] || assert_shows "jobq list" "$JQ_TMP/list" "$evil_shown"
pass "list: names, argv and users escaped, one line per job"

# --- jobq show ---------------------------------------------------------------
"$JOBQ" show "$named" >"$JQ_TMP/show" || fail "jobq show failed"
assert_inert "$JQ_TMP/show" "jobq show $named"
assert_shows "jobq show" "$JQ_TMP/show" "name:        $NAME_SHOWN"
# argv as bash's $'...', which reads back as the same bytes.
assert_shows "jobq show" "$JQ_TMP/show" "argv:        sh -c 'exit 0' \$'$ARG_SHOWN'"
quoted=$(sed -n 's/^argv: *//p' "$JQ_TMP/show")
eval "set -- $quoted"
assert_eq "words of argv read back from jobq show" 4 "$#"
assert_eq "argv read back from jobq show" "$ARG" "$4"
[ -z "$evil_shown" ] || assert_shows "jobq show" "$JQ_TMP/show" "user:        $evil_shown"
"$JOBQ" show "$gone" >"$JQ_TMP/show-gone" || fail "jobq show failed"
assert_inert "$JQ_TMP/show-gone" "jobq show $gone"
assert_shows "jobq show" "$JQ_TMP/show-gone" "cwd:         $JQ_WORK/$DIR_SHOWN"
assert_shows "jobq show" "$JQ_TMP/show-gone" "$DIR_SHOWN"
pass "show: name, argv, user and cwd escaped; argv quoted for bash"

# --- jobq wait: the failed_to_start line quotes the path ---------------------
assert_inert "$JQ_TMP/wait.err" "jobq wait $gone"
assert_eq "lines of jobq wait's error" 1 "$(wc -l <"$JQ_TMP/wait.err")"
assert_shows "jobq wait" "$JQ_TMP/wait.err" "$DIR_SHOWN"
pass "wait: the reason is escaped"

# --- jobq list --json ----------------------------------------------------------
"$JOBQ" list --json >"$JQ_TMP/list.json" || fail "jobq list --json failed"
LC_ALL=C grep -q -P '[^\x20-\x7e\n]' "$JQ_TMP/list.json" &&
	fail "jobq list --json is not printable ASCII: $(cat -v "$JQ_TMP/list.json")"
"$JOBQ" show "$named" --json >"$JQ_TMP/show.json" || fail "jobq show --json failed"
LC_ALL=C grep -q -P '[^\x20-\x7e\n]' "$JQ_TMP/show.json" &&
	fail "jobq show --json is not printable ASCII: $(cat -v "$JQ_TMP/show.json")"
# ... and reads back as exactly what was submitted.
python3 - "$JQ_TMP/list.json" "$JQ_TMP/show.json" "$named" "$NAME" "$ARG" "$mallory" <<'EOF' ||
import json, sys
jobs = json.load(open(sys.argv[1]))
show = json.load(open(sys.argv[2]))
want_id, (name, arg, user) = int(sys.argv[3]), sys.argv[4:]
job = next(j for j in jobs if j["id"] == want_id)
assert job["name"] == name, job["name"]
assert job["user"] == user, job["user"]
assert show["argv"] == ["sh", "-c", "exit 0", arg], show["argv"]
EOF
	fail "the JSON does not read back as the submitted text"
pass "list --json, show --json: printable ASCII, read back exactly"

# --- jobq report --format csv ----------------------------------------------------
"$JOBQ" report --by user --format csv >"$JQ_TMP/report.csv" || fail "jobq report failed"
assert_inert "$JQ_TMP/report.csv" "jobq report --format csv"
assert_eq "lines of the csv (header, one user)" 2 "$(wc -l <"$JQ_TMP/report.csv")"
python3 - "$JQ_TMP/report.csv" <<'EOF' || fail "the csv does not parse as 2 rows of 9 fields"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert len(rows) == 2 and all(len(r) == 9 for r in rows), rows
EOF
# A leading '=' is kept (see docs/accounting.md): the key stays exact.
[ -z "$evil_shown" ] || assert_shows "csv" "$JQ_TMP/report.csv" "$evil_shown,3,"
"$JOBQ" report --by user >"$JQ_TMP/report" || fail "jobq report failed"
assert_inert "$JQ_TMP/report" "jobq report"
pass "report: csv and table escaped, one record per line"
