#!/usr/bin/env bash
# I/O caps on the real kernel: a tenant's io_write_bps lands, read back, in
# its cgroup for every disk of the host (v1 blkio.throttle.write_bps_device,
# v2 io.max), the daemon logs it, and a job writing 40 MiB with O_DIRECT
# under io_write_bps = 10M takes >= 3 s by its own accounting when its
# working directory is on one of those disks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cg-lib.sh"
need_root
jq_setup
jq_config <<EOF2
[tenant.ioy]
users = root
io_write_bps = 10M
EOF2
jq_start
need_cgroups
grep -q "^io limits .*ok" "$JQ_TMP/doctor" ||
	skip "I/O caps not enforceable here: $(grep '^io limits' "$JQ_TMP/doctor")"
cd "$JQ_WORK"

# The disks jobqd caps: /sys/block entries with a device link.
devs=()
for b in /sys/block/*; do
	[ -e "$b/device" ] && devs+=("$(cat "$b/dev")")
done
[ "${#devs[@]}" -gt 0 ] || fail "doctor says io limits ok, but no disk in /sys/block"

grep -q "tenant 'ioy': .*, io_read_bps none, io_write_bps 10" "$JQ_TMP/jobqd.log" ||
	fail "no io caps in the tenant's log line: $(grep "tenant 'ioy'" "$JQ_TMP/jobqd.log")"
if d=$(cg_dir ioy blkio.throttle.write_bps_device); then
	for dev in "${devs[@]}"; do
		grep -qx "$dev 10485760" "$d/blkio.throttle.write_bps_device" ||
			fail "blkio.throttle.write_bps_device of tenant ioy lacks '$dev 10485760':" \
				"$(cat "$d/blkio.throttle.write_bps_device")"
	done
	[ ! -s "$d/blkio.throttle.read_bps_device" ] ||
		fail "read cap without io_read_bps: $(cat "$d/blkio.throttle.read_bps_device")"
	what=blkio.throttle.write_bps_device
else
	d=$(cg_dir ioy io.max) || fail "tenant ioy has neither blkio.throttle nor io.max"
	for dev in "${devs[@]}"; do
		grep -q "^$dev rbps=max wbps=10485760 " "$d/io.max" ||
			fail "io.max of tenant ioy lacks '$dev ... wbps=10485760': $(cat "$d/io.max")"
	done
	what=io.max
fi
pass "io_write_bps = 10M is in the tenant's $what for ${devs[*]}"

# The job's own accounting of 40 MiB written with O_DIRECT (no page cache
# to hide behind), only if its cwd is on a capped disk.
src=$(findmnt -n -o SOURCE -T "$JQ_WORK" | head -n 1)
fstype=$(findmnt -n -o FSTYPE -T "$JQ_WORK" | head -n 1)
cwd_dev=
if [ -b "$src" ]; then
	# The whole disk of a partition: /sys/class/block/<part>/.. is the disk.
	part=$(basename "$(readlink -f "$src")")
	if [ -e "/sys/class/block/$part/partition" ]; then
		cwd_dev=$(cat "/sys/class/block/$part/../dev")
	else
		cwd_dev=$(cat "/sys/class/block/$part/dev")
	fi
fi
if [ -z "$cwd_dev" ] || [[ " ${devs[*]} " != *" $cwd_dev "* ]]; then
	echo "SKIP (part): the job's cwd is on '$src' ($fstype), not on a capped disk (${devs[*]}):" \
		"no throughput check"
	exit 0
fi
j=$("$JOBQ" submit --tenant ioy -- dd if=/dev/zero of=ddfile bs=1M count=40 oflag=direct)
assert_exit 0 "$JOBQ" wait "$j"
wall=$(acct "$j" wall_usec)
rm -f "$JQ_WORK/ddfile"
echo "40 MiB with O_DIRECT under io_write_bps 10M: wall $((wall / 1000)) ms"
[ "$wall" -ge 3000000 ] || fail "40 MiB written in $wall usec under a 10M/s cap"
pass "io_write_bps holds an O_DIRECT writer to the cap (${wall} usec for 40 MiB)"
