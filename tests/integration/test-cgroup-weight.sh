#!/usr/bin/env bash
# Tenant weights share the CPU under contention: two tenants saturating a
# CPU with weights 100 and 300 split it 1:3 (within 15%), as the kernel
# counted it in each job's accounting. Each runs two busy jobs, for the
# same wall time, released at once, all pinned to one CPU: group weights
# are split per CPU by where a group's tasks happen to run, so on a busy
# host with several CPUs the split depends on the load balancer's luck;
# on one CPU it is the weights alone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg-lib.sh"
need_root
jq_setup
command -v taskset >/dev/null || skip "no taskset"
cpu=$(taskset -cp $$ | sed 's/.*: *//; s/[,-].*//')
jq_config <<EOF2
max_running = 4
[tenant.light]
users = root
weight = 100
max_running = 2
[tenant.heavy]
users = root
weight = 300
max_running = 2
EOF2
jq_start
need_cgroups
cd "$JQ_WORK"

# A shell loop: no interpreter start-up to blur the split under load.
busy='while :; do :; done'
# Interleaved, so that neither tenant starts first.
lights=() heavies=() all=()
for _ in 1 2; do
	l=$("$JOBQ" submit --tenant light --hold --timeout 5s -- taskset -c "$cpu" sh -c "$busy")
	h=$("$JOBQ" submit --tenant heavy --hold --timeout 5s -- taskset -c "$cpu" sh -c "$busy")
	lights+=("$l") heavies+=("$h") all+=("$l" "$h")
done
"$JOBQ" release "${all[@]}" >/dev/null
"$JOBQ" wait "${all[@]}" >/dev/null 2>&1 || true
for i in "${all[@]}"; do
	assert_eq "end of busy job $i" timeout "$(jstate "$i")"
done
light=0 heavy=0
for i in "${lights[@]}"; do
	light=$((light + $(acct "$i" cpu_user_usec) + $(acct "$i" cpu_system_usec)))
done
for i in "${heavies[@]}"; do
	heavy=$((heavy + $(acct "$i" cpu_user_usec) + $(acct "$i" cpu_system_usec)))
done
within "cpu of weight 300 over weight 100 (x1000)" $((heavy * 1000 / light)) 3000 15
pass "weights 100:300 split the CPU $light:$heavy usec"
