#!/usr/bin/env bash
# Accounting (issue 6) on the real daemon: known workloads are recorded
# accurately (CPU, children's CPU, peak memory, bytes written), `jobq report`
# totals equal the per-job sums in table, csv and json, each user sees only
# their tenants, and retention deletes old jobs and logs but keeps their
# accounting rows.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "needs python3"
command -v sqlite3 >/dev/null || skip "needs sqlite3"
jq_setup
alice=$(jq_user a)
bob=$(jq_user b)
eve=$(jq_user e)
jq_config <<EOF2
max_running = 4
[tenant.acme]
users = root, $alice
admins = $bob
[tenant.beta]
users = root, $bob
EOF2
chmod 0644 "$JQ_CONF"
jq_start
cd "$JQ_WORK"

as() {
	local u=$1
	shift
	runuser -u "$u" -- env JOBQ_CONFIG="$JQ_CONF" "$@"
}

# One number of a job's accounting: acct ID KEY
acct() {
	"$JOBQ" show "$1" --json | json_get accounting "$2"
}

# within WHAT GOT WANT PERCENT: |got - want| <= want * percent / 100
within() {
	python3 -c '
import sys
what, got, want, pct = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
if abs(got - want) > want * pct / 100:
    sys.exit("%s: got %d, want %d within %g%%" % (what, got, want, pct))
' "$@" || fail "$1 not within $4%: got $2, want $3"
}

# A job that burns ~1 s of CPU and prints its own user+system time in usec.
cat >"$JQ_WORK/burn.py" <<'EOF2'
import resource, sys, time
end = time.process_time() + float(sys.argv[1])
while time.process_time() < end:
    pass
u = resource.getrusage(resource.RUSAGE_SELF)
print(int((u.ru_utime + u.ru_stime) * 1e6))
EOF2
id=$("$JOBQ" submit --tenant acme --name burn --json -- python3 "$JQ_WORK/burn.py" 1 | json_get id)
assert_exit 0 "$JOBQ" wait "$id"
own=$("$JOBQ" logs "$id")
cpu=$(($(acct "$id" cpu_user_usec) + $(acct "$id" cpu_system_usec)))
# The job's own CPU plus its setup in the cgroup (see test-cgroup-acct.sh):
# never less, at most 5% + 50 ms more.
[ "$cpu" -ge $((own - own / 100)) ] || fail "cpu of a 1 s burn: $cpu below its own $own"
[ "$cpu" -le $((own + own / 20 + 50000)) ] || fail "cpu of a 1 s burn: $cpu above its own $own + 5% + 50 ms"
[ "$cpu" -ge 900000 ] || fail "cpu of a 1 s burn: only $cpu usec"
pass "CPU of a 1 s burn: $cpu usec recorded, $own usec measured by the job"

# Children that exit before the job (one waited for, one orphaned and
# reaped by the sandbox's init) have their CPU counted.
cat >"$JQ_WORK/kids.py" <<'EOF2'
import os, resource, subprocess, sys, time
def cpu():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime) * 1e6)
burn = [sys.executable, sys.argv[1], "0.5"]
subprocess.run(burn, capture_output=True)
# an orphan: its parent exits at once; it reports its CPU through a pipe
r, w = os.pipe()
if os.fork() == 0:
    os.close(r)
    if os.fork() == 0:
        subprocess.run(burn, capture_output=True)
        os.write(w, str(cpu()).encode())
        os._exit(0)
    os._exit(0)
os.close(w)
os.wait()
orphan = int(os.read(r, 64) or b"0")
time.sleep(0.2)
print(orphan + cpu())
EOF2
id=$("$JOBQ" submit --tenant acme --name kids --json -- python3 "$JQ_WORK/kids.py" "$JQ_WORK/burn.py" | json_get id)
assert_exit 0 "$JOBQ" wait "$id"
own=$("$JOBQ" logs "$id")
cpu=$(($(acct "$id" cpu_user_usec) + $(acct "$id" cpu_system_usec)))
[ "$own" -ge 900000 ] || fail "children burnt only $own usec (is the orphan counted?)"
# The cgroup counts what the job's processes measured of themselves plus
# what ran in it besides (the sandbox's init, the setup before exec, three
# python starts): 1-3% more on an idle host, 68 ms (5.6%) more in an ASan
# build beside a loaded suite. So never less, and at most 5% + 100 ms more.
echo "cpu of a job whose children exited: $cpu usec, its processes measured $own"
[ "$cpu" -ge $((own - own / 100)) ] || fail "cpu of a job whose children exited: $cpu below their own $own"
[ "$cpu" -le $((own + own / 20 + 100000)) ] || fail "cpu of a job whose children exited: $cpu above their own $own + 5% + 100 ms"
pass "children's CPU counted: $cpu usec recorded, $own usec measured"

# Peak memory: 200 MiB touched; the job reports its own peak (ru_maxrss).
cat >"$JQ_WORK/mem.py" <<'EOF2'
import resource
b = b"x" * (200 << 20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
EOF2
id=$("$JOBQ" submit --tenant acme --name mem --json -- python3 "$JQ_WORK/mem.py" | json_get id)
assert_exit 0 "$JOBQ" wait "$id"
own=$("$JOBQ" logs "$id")
peak=$(acct "$id" memory_peak_bytes)
within "peak memory of a 200 MiB job" "$peak" "$own" 10
within "peak memory of a 200 MiB job (absolute)" "$peak" $((210 << 20)) 10
pass "peak memory: $peak bytes recorded, $own measured"

# Bytes written: 32 MiB to a file on disk.
mkdir -m 0777 "$JQ_WORK/io"
id=$("$JOBQ" submit --tenant beta --name write --json -- \
	dd if=/dev/zero of="$JQ_WORK/io/f" bs=1M count=32 conv=fsync status=none | json_get id)
assert_exit 0 "$JOBQ" wait "$id"
wrote=$(acct "$id" io_write_bytes)
within "bytes written by dd" "$wrote" $((32 << 20)) 10
pass "bytes written: $wrote recorded for 32 MiB"

# A few more jobs in both tenants, one cancelled while held (never ran).
"$JOBQ" submit --tenant beta --wait -- true
"$JOBQ" submit --tenant beta --wait -- sh -c 'exit 3' || true
held=$("$JOBQ" submit --tenant beta --hold --json -- true | json_get id)
"$JOBQ" cancel "$held" >/dev/null
as "$alice" "$JOBQ" submit --tenant acme --wait -- true

# Every finished job has accounting; compare every report with the per-job sums.
"$JOBQ" list --json >"$JQ_TMP/jobs.json"
for by in tenant user day state; do
	"$JOBQ" report --by "$by" --format json >"$JQ_TMP/r.json"
	"$JOBQ" report --by "$by" --format csv >"$JQ_TMP/r.csv"
	"$JOBQ" report --by "$by" >"$JQ_TMP/r.txt"
	python3 - "$by" "$JQ_TMP/jobs.json" "$JQ_TMP/r.json" "$JQ_TMP/r.csv" "$JQ_TMP/r.txt" <<'EOF2' ||
import csv, json, sys
by, jobs_f, json_f, csv_f, txt_f = sys.argv[1:]
jobs = json.load(open(jobs_f))
SUMS = ["cpu_user_usec", "cpu_system_usec", "io_read_bytes", "io_write_bytes", "wall_usec",
        "queue_wait_usec"]
def key(j):
    if by == "day":
        return j["finished_at"][:10]
    return j[by]
want = {}
for j in jobs:
    if j["finished_at"] is None:
        continue
    a = j["accounting"] or {}
    w = want.setdefault(key(j), dict({k: 0 for k in SUMS}, jobs=0, memory_peak_bytes=None))
    w["jobs"] += 1
    for k in SUMS:
        w[k] += a.get(k) or 0
    m = a.get("memory_peak_bytes")
    if m is not None and (w["memory_peak_bytes"] is None or m > w["memory_peak_bytes"]):
        w["memory_peak_bytes"] = m
total = dict({k: sum(w[k] for w in want.values()) for k in SUMS + ["jobs"]})
peaks = [w["memory_peak_bytes"] for w in want.values() if w["memory_peak_bytes"] is not None]
total["memory_peak_bytes"] = max(peaks) if peaks else None

r = json.load(open(json_f))
got = {row.pop(by): row for row in r["rows"]}
assert got == want, "json rows %r != per-job sums %r" % (got, want)
assert r["totals"] == total, "json totals %r != %r" % (r["totals"], total)

rows = list(csv.reader(open(csv_f)))
assert rows[0] == [by, "jobs", "cpu_user_usec", "cpu_system_usec", "memory_peak_bytes",
                   "io_read_bytes", "io_write_bytes", "wall_usec", "queue_wait_usec"], rows[0]
got = {}
for row in rows[1:]:
    d = dict(zip(rows[0], row))
    k = d.pop(by)
    got[k] = {c: (int(v) if v != "" else None) for c, v in d.items()}
assert got == want, "csv rows %r != per-job sums %r" % (got, want)
for c in SUMS + ["jobs"]:
    assert sum(g[c] for g in got.values()) == total[c], c

lines = open(txt_f).read().splitlines()
assert lines[0].split()[:3] == [by.upper(), "JOBS", "CPU-HOURS"], lines[0]
body = {l.split()[0]: l.split() for l in lines[1:-1]}
assert set(body) == set(want), (body, want)
for k, cols in body.items():
    assert int(cols[1]) == want[k]["jobs"], (k, cols)
    assert abs(float(cols[2]) - (want[k]["cpu_user_usec"] + want[k]["cpu_system_usec"]) / 3.6e9) < 0.0006
t = lines[-1].split()
assert t[0] == "TOTAL" and int(t[1]) == total["jobs"], t
assert abs(float(t[2]) - (total["cpu_user_usec"] + total["cpu_system_usec"]) / 3.6e9) < 0.0006
# aligned: every line as wide as the header
assert len(set(len(l) for l in lines)) == 1, lines
EOF2
		fail "report --by $by does not match the per-job sums"
done
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$JQ_TMP/jobs.json")
assert_eq "accounting rows = finished jobs" "$n" \
	"$(sqlite3 -readonly "$JQ_TMP/jobq.db" 'SELECT count(*) FROM accounting')"
assert_eq "the cancelled-while-held job: a row, nothing measured" "cancelled|||" \
	"$(sqlite3 -readonly "$JQ_TMP/jobq.db" \
		"SELECT state, started_at, cpu_user_usec, wall_usec FROM accounting WHERE job_id = $held")"
pass "report totals = per-job sums by tenant, user, day and state in json, csv and table"

# --since/--until and --tenant
assert_eq "report --since in the future" "0" \
	"$("$JOBQ" report --since "$(date -u -d tomorrow +%F)" --format csv | tail -n +2 | wc -l)"
assert_eq "report --until 1d (ago)" "0" \
	"$("$JOBQ" report --until 1d --format csv | tail -n +2 | wc -l)"
assert_eq "report --since 1h, beta only" "beta" \
	"$("$JOBQ" report --since 1h --tenant beta --format csv | tail -n +2 | cut -d, -f1)"
assert_exit 2 "$JOBQ" report --since yesterday
assert_exit 2 "$JOBQ" report --by week
assert_exit 2 "$JOBQ" report --format xml
pass "--since, --until, --tenant and usage errors"

# Who sees what: members their tenants, admins theirs, others nothing, root all.
tenants_of() {
	as "$1" "$JOBQ" report --format csv | tail -n +2 | cut -d, -f1 | tr '\n' ' '
}
assert_eq "alice (acme user) sees" "acme " "$(tenants_of "$alice")"
assert_eq "bob (beta user, acme admin) sees" "acme beta " "$(tenants_of "$bob")"
assert_eq "eve (no tenant) sees" "" "$(tenants_of "$eve")"
assert_eq "root sees" "acme beta " "$("$JOBQ" report --format csv | tail -n +2 | cut -d, -f1 | tr '\n' ' ')"
assert_exit 1 as "$alice" "$JOBQ" report --tenant beta
msg=$(as "$alice" "$JOBQ" report --tenant beta 2>&1 || true)
case "$msg" in
*"is not a member of tenant 'beta'"*) ;;
*) fail "refusal message for another tenant: $msg" ;;
esac
as "$alice" "$JOBQ" report --by user --format csv >"$JQ_TMP/alice.csv"
grep -q "^$bob," "$JQ_TMP/alice.csv" && fail "alice sees bob's beta jobs by user"
pass "report permissions: members, admins, others, root"

# Retention: a tiny retention deletes the old jobs and their run directories,
# keeps the newest job (its id must not be reused), and keeps every
# accounting row: the report does not change.
last=$("$JOBQ" submit --tenant acme --json -- true | json_get id)
assert_exit 0 "$JOBQ" wait "$last"
"$JOBQ" report --by state --format json >"$JQ_TMP/before.json"
first=$(python3 -c 'import json,sys; print(min(j["id"] for j in json.load(open(sys.argv[1]))))' "$JQ_TMP/jobs.json")
[ -d "$JQ_TMP/state/jobs/$first" ] || fail "run directory of job $first missing before retention"
jq_stop
sed -i 's/^max_running = 4$/max_running = 4\nretention = 1s/' "$JQ_CONF"
jq_start
gone() { ! "$JOBQ" show "$first" >/dev/null 2>&1; }
wait_until 20 gone || fail "job $first was not deleted by retention = 1s"
wait_until 20 test ! -e "$JQ_TMP/state/jobs/$first" || fail "run directory of job $first kept"
"$JOBQ" show "$last" >/dev/null || fail "the newest job $last was deleted"
assert_exit 1 "$JOBQ" logs "$first"
assert_eq "jobs left" "$last" "$(sqlite3 -readonly "$JQ_TMP/jobq.db" 'SELECT group_concat(id) FROM jobs')"
ls "$JQ_TMP/state/jobs" | grep -qvx "$last" && fail "run directories left: $(ls "$JQ_TMP/state/jobs")"
"$JOBQ" report --by state --format json >"$JQ_TMP/after.json"
cmp -s "$JQ_TMP/before.json" "$JQ_TMP/after.json" || fail "report changed by retention"
assert_eq "accounting rows kept" "$((n + 1))" \
	"$(sqlite3 -readonly "$JQ_TMP/jobq.db" 'SELECT count(*) FROM accounting')"
assert_eq "job_accounting: deleted jobs" "$n" \
	"$(sqlite3 -readonly "$JQ_TMP/jobq.db" 'SELECT count(*) FROM job_accounting WHERE job_kept = 0')"
new=$("$JOBQ" submit --tenant acme --json -- true | json_get id)
[ "$new" -gt "$last" ] || fail "job id $new reused after retention"
grep -q "retention: deleted $n jobs" "$JQ_TMP/jobqd.log" || fail "no retention line in the log"
pass "retention deleted $n jobs and their logs, kept every accounting row"
