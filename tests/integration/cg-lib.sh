# Helpers of the cgroup integration tests (test-cgroup-*.sh), sourced after
# lib.sh. They read the real kernel's cgroups: v1/hybrid here, v2 in the VM.

# Skips unless this host gives jobq cgroups with cpu, memory and pids
# limits and a whole-tree kill (jobq doctor exits 1 otherwise).
need_cgroups() {
	"$JOBQ" doctor >"$JQ_TMP/doctor" 2>&1 ||
		skip "cgroups not usable here: $(grep -E 'fail' "$JQ_TMP/doctor" | head -3)"
}

# cg_dir <tenant> [job-id] <file>: the directory of our tenant's (or job's)
# cgroup in the hierarchy that has <file> (e.g. pids.current).
cg_dir() {
	local tenant=$1 sub=
	if [ $# = 3 ]; then sub="/job-$2"; fi
	local file=${!#}
	local f
	f=$(find /sys/fs/cgroup -maxdepth 10 -path "*/jq-test-$$/tenants/$tenant$sub/$file" \
		2>/dev/null | head -n 1)
	[ -n "$f" ] || return 1
	dirname "$f"
}

# Job cgroups of ours that still exist, one directory per line.
cg_job_dirs() {
	find /sys/fs/cgroup -maxdepth 10 -type d -path "*/jq-test-$$/tenants/*/job-*" 2>/dev/null
}

# acct <id> <key>: one accounting value of a finished job.
acct() {
	"$JOBQ" show "$1" --json | json_get accounting "$2"
}

# jstate <id>
jstate() {
	"$JOBQ" show "$1" --json | json_get state
}

# within <what> <got> <want> <percent>: |got - want| <= percent% of want.
within() {
	python3 -c '
import sys
what, got, want, pct = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
err = abs(got - want) / want * 100
print("%s: got %.0f, want %.0f (%.1f%% off, limit %g%%)" % (what, got, want, err, pct))
sys.exit(0 if err <= pct else 1)
' "$@" || fail "$1 off by more than $4%"
}
