#!/usr/bin/env bash
# Tenant caps and per-job limits on the real kernel: a tenant's memory_max
# ends its job 'oom' while another tenant's job runs fine, a job's own
# --memory too; requests above the caps are refused, the effective values
# shown; cpu_max holds a busy loop to half a CPU; pids_max contains a fork
# bomb that then ends by its timeout; every job cgroup is gone afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg-lib.sh"
need_root
jq_setup
jq_config <<EOF2
max_running = 6
[tenant.small]
users = root
memory_max = 64M
[tenant.other]
users = root
[tenant.slow]
users = root
cpu_max = 0.5
pids_max = 100000
[tenant.forky]
users = root
pids_max = 40
EOF2
jq_start
need_cgroups
cd "$JQ_WORK"

# Allocates and touches N MiB.
alloc='import sys; n = int(sys.argv[1]) << 20; b = bytearray(n); b[::4096] = b"x" * len(range(0, n, 4096)); print("survived")'

# 256M in a 64M tenant ends oom; 128M in an uncapped tenant at the same time succeeds.
big=$("$JOBQ" submit --tenant small -- python3 -c "$alloc" 256)
ok=$("$JOBQ" submit --tenant other -- python3 -c "$alloc" 128)
"$JOBQ" wait "$big" "$ok" >/dev/null 2>&1 || true
assert_eq "state of 256M in a 64M tenant" oom "$(jstate "$big")"
reason=$("$JOBQ" show "$big" --json | json_get reason)
[[ "$reason" =~ ^killed:\ out\ of\ memory\ \(tenant\ limit\ 64M,\ peak\ [0-9.]+M\)$ ]] ||
	fail "oom reason: '$reason'"
assert_eq "state of 128M in an uncapped tenant" succeeded "$(jstate "$ok")"
assert_eq "its output" survived "$("$JOBQ" logs "$ok")"
peak=$(acct "$big" memory_peak_bytes)
[ "$peak" -le $((64 << 20)) ] || fail "peak $peak above the tenant's 64M"
pass "memory_max: oom in the capped tenant ($reason), the other tenant unharmed"

# A job's own --memory; show tells the effective limit.
j=$("$JOBQ" submit --tenant other --memory 32M -- python3 -c "$alloc" 128)
"$JOBQ" wait "$j" >/dev/null 2>&1 || true
assert_eq "state of 128M with --memory 32M" oom "$(jstate "$j")"
assert_eq "effective memory" $((32 << 20)) "$("$JOBQ" show "$j" --json | json_get limits memory_bytes)"
"$JOBQ" show "$j" --json | json_get reason | grep -q '^killed: out of memory (limit 32M, peak ' ||
	fail "reason: $("$JOBQ" show "$j" --json | json_get reason)"
pass "--memory is enforced and shown"

# Requests above the tenant's caps are refused with the numbers (issue 11:
# refused, not clamped); what fits is taken as asked and shown.
"$JOBQ" submit --tenant slow --cpus 4 -- true 2>"$JQ_TMP/err" && fail "--cpus 4 accepted under cpu_max 0.5"
grep -qF -- "--cpus 4 exceeds tenant 'slow' cpu_max (0.5)" "$JQ_TMP/err" || fail "cpus refusal: $(cat "$JQ_TMP/err")"
"$JOBQ" submit --tenant small --memory 1G -- true 2>"$JQ_TMP/err" && fail "--memory 1G accepted under memory_max 64M"
grep -qF -- "--memory 1G exceeds tenant 'small' memory_max (64M)" "$JQ_TMP/err" ||
	fail "memory refusal: $(cat "$JQ_TMP/err")"
j=$("$JOBQ" submit --tenant slow --cpus 0.5 --memory 1G --pids 100000 -- true)
assert_exit 0 "$JOBQ" wait "$j"
json=$("$JOBQ" show "$j" --json)
assert_eq "cpus at cpu_max" 0.5 "$(echo "$json" | json_get limits cpus)"
assert_eq "memory not capped: as asked" $((1 << 30)) "$(echo "$json" | json_get limits memory_bytes)"
assert_eq "pids as asked" 100000 "$(echo "$json" | json_get limits pids)"
pass "requests above the tenant's caps refused, the others as asked"

# cpu_max = 0.5: a 3 s busy loop gets at most 0.55 CPU (its own accounting).
j=$("$JOBQ" submit --tenant slow -- python3 -c '
import time
t = time.time()
while time.time() - t < 3:
    pass')
assert_exit 0 "$JOBQ" wait "$j"
cpu=$(($(acct "$j" cpu_user_usec) + $(acct "$j" cpu_system_usec)))
wall=$(acct "$j" wall_usec)
python3 -c "import sys; r = $cpu / $wall; print('cpu_max 0.5: %.3f CPU' % r); sys.exit(0 if 0.05 <= r <= 0.55 else 1)" ||
	fail "busy loop under cpu_max 0.5 used $cpu usec CPU in $wall usec"
pass "cpu_max holds a busy loop to half a CPU"

# pids_max = 40 contains a fork bomb; the bomb then ends by its timeout.
# pids.events counts the forks the limit refused: v1 in the job's cgroup,
# v2 in the tenant's (where the limit is).
bomb=$("$JOBQ" submit --tenant forky --timeout 25s -- python3 -c '
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)')
wait_until 20 cg_dir forky pids.events || fail "no pids cgroup for tenant forky"
dir=$(cg_dir forky pids.events)
nrefused() {
	local jd n t=0
	jd=$(cg_dir forky "$bomb" pids.events) && n=$(sed -n 's/^max //p' "$jd/pids.events") && t=$((t + n))
	n=$(sed -n 's/^max //p' "$dir/pids.events") && t=$((t + n))
	echo "$t"
}
# The job's RLIMIT_NPROC is pids_max too (docs/sandbox.md) and the kernel
# checks it before the pids controller: a bomb alone in its tenant is
# refused by either, at the same count of tasks.
refused() { [ "$(nrefused)" -gt 0 ] || [ "$(cat "$dir/pids.current")" -ge 40 ]; }
wait_until 22 refused || fail "the bomb never hit pids_max ($(cat "$dir/pids.current") pids)"
n=$(cat "$dir/pids.current") nref=$(nrefused)
[ "$n" -le 40 ] || fail "$n pids in a tenant with pids_max 40"
"$JOBQ" wait "$bomb" >/dev/null 2>&1 || true
assert_eq "fork bomb end state" timeout "$(jstate "$bomb")"
pids_zero() { [ "$(cat "$dir/pids.current")" = 0 ]; }
wait_until 10 pids_zero ||
	fail "$(cat "$dir/pids.current") pids left after the bomb's timeout"
pass "pids_max contains a fork bomb ($n pids, $nref forks refused), timeout ends it"

# A reload re-applies the tenants' caps to their cgroups (read back from the kernel).
tenant_mem() {
	local d
	if d=$(cg_dir small memory.max); then cat "$d/memory.max"; else
		d=$(cg_dir small memory.limit_in_bytes) && cat "$d/memory.limit_in_bytes"
	fi
}
assert_eq "memory cap before reload" $((64 << 20)) "$(tenant_mem)"
sed -i 's/^memory_max = 64M$/memory_max = 32M/' "$JQ_CONF"
kill -HUP "$JQ_DPID"
mem_is() { [ "$(tenant_mem)" = "$1" ]; }
wait_until 10 mem_is $((32 << 20)) ||
	fail "reload did not re-apply memory_max: $(tenant_mem)"
pass "reload re-applies the tenant caps"

left=$(cg_job_dirs)
[ -z "$left" ] || fail "job cgroups left behind: $left"
pass "every job cgroup removed"
