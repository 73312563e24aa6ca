#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers of the replication tests (selftests/repl/), sourced after
# ktap.sh and vaio.sh. TOPOLOGY=2host: vaio-a (192.0.2.1, runs the test)
# and vaio-b (192.0.2.2, reached with vaio_peer). On each guest:
#   /dev/ram0  the data disk (REPL_MIB, default 128 MiB): REPL_DATA
#   /dev/ram1  the replication metadata (4 MiB): REPL_META
# A test with VDISKS="MIB 8" sets REPL_DATA=/dev/vdisk0 REPL_META=/dev/vdisk1
# (disks that outlive repl_reset_b) before it sources this file.
#   d0         the vaio device, disk_id d0, /dev/mapper/d0
#   vaiod      logging to /tmp/vaiod.log
# vaio-a is the primary.

REPL_MIB=${REPL_MIB:-128}
REPL_DATA=${REPL_DATA:-/dev/ram0}
REPL_META=${REPL_META:-/dev/ram1}
REPL_SECRET=/etc/vaio/secrets/default
REPL_PEER_A=192.0.2.1
REPL_PEER_B=192.0.2.2
TC=/usr/sbin/tc	# iproute2 (busybox has a tc without filters)

# repl_on a|b CMD: runs a shell command on that guest.
repl_on() {
	local h="$1"
	shift
	if [ "$h" = a ]; then sh -c "$*"; else vaio_peer "$*"; fi
}

# repl_secret: the same 32-byte secret on both guests, mode 0600.
repl_secret() {
	local s
	s=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	for h in a b; do
		repl_on $h "mkdir -p /etc/vaio/secrets && umask 077 &&
			printf '%s' $s >$REPL_SECRET" || return 1
	done
}

# repl_vaiod_start: vaiod on both guests (again), in the background, with
# REPL_VAIOD_ARGS (e.g. --tls).
repl_vaiod_start() {
	for h in a b; do
		repl_on $h "pidof vaiod >/dev/null ||
			{ vaiod -v ${REPL_VAIOD_ARGS:-} >>/tmp/vaiod.log 2>&1 </dev/null & }" || return 1
	done
}

# repl_table HOST MODE MIB [key=value...]: the d0 table on HOST (a or b).
repl_table() {
	local h="$1" mode="$2" mib="$3" peer args n
	shift 3
	peer=$REPL_PEER_B
	[ "$h" = b ] && peer=$REPL_PEER_A
	args="mode=$mode peer=$peer:7790 meta=$REPL_META $*"
	n=$(echo "$args" | wc -w)
	echo "0 $((mib * 2048)) vaio $REPL_DATA $((n + 6)) disk_id d0 filter replication fail_open $n $args"
}

# repl_reload HOST TABLE: d0 on HOST gets TABLE, live.
repl_reload() {
	repl_on "$1" "echo '$2' | dmsetup load d0 && dmsetup suspend d0 && dmsetup resume d0"
}

# repl_disks MIB_A MIB_B: fresh RAM disks on both guests (data zeroed);
# with virtio disks, their first MIB and the metadata zeroed.
repl_disks() {
	if [ "$REPL_DATA" != /dev/ram0 ]; then
		for h in a b; do
			repl_on $h "modprobe dm-vaio-replication &&
				dd if=/dev/zero of=$REPL_DATA bs=1M count=$1 oflag=direct 2>/dev/null &&
				dd if=/dev/zero of=$REPL_META bs=1M count=4 oflag=direct 2>/dev/null" ||
				return 1
		done
		return 0
	fi
	repl_on a "rmmod brd 2>/dev/null; modprobe brd rd_nr=2 rd_size=$(($1 * 1024)) &&
		modprobe dm-vaio-replication" || return 1
	repl_on b "rmmod brd 2>/dev/null; modprobe brd rd_nr=2 rd_size=$(($2 * 1024)) &&
		modprobe dm-vaio-replication" || return 1
}

# repl_slowb WRITE_MS [create]: vaio-b's "slowb", a dm-delay over its data
# disk with writes delayed WRITE_MS, made or changed live.
repl_slowb() {
	local t="0 $((REPL_MIB * 2048)) delay $REPL_DATA 0 0 $REPL_DATA 0 $1"
	if [ "$2" = create ]; then
		vaio_peer "echo '$t' | dmsetup create slowb && dmsetup mknodes slowb"
	else
		vaio_peer "echo '$t' | dmsetup load slowb && dmsetup suspend slowb && dmsetup resume slowb"
	fi
}

# repl_table_slowb MODE [key=value...]: vaio-b's d0 table on slowb.
repl_table_slowb() {
	local mode="$1"
	shift
	repl_table b "$mode" "$REPL_MIB" "$@" | sed "s#vaio $REPL_DATA #vaio /dev/mapper/slowb #"
}

# repl_up HOST MODE MIB [key=value...]: creates d0 on HOST.
repl_up() {
	local h="$1" t
	t=$(repl_table "$@")
	repl_on "$h" "echo '$t' | dmsetup create d0 && dmsetup mknodes d0"
}

# repl_pair MODE [key=value...]: a new pair on zeroed disks, vaio-a
# primary (initial sync skipped: both disks are zeros), connected, in sync.
repl_pair() {
	local mode="$1"
	shift
	repl_disks "$REPL_MIB" "$REPL_MIB" || return 1
	repl_secret || return 1
	repl_up a "$mode" "$REPL_MIB" "$@" || return 1
	repl_up b "$mode" "$REPL_MIB" "$@" || return 1
	repl_vaiod_start || return 1
	vaio_peer 'vaioctl repl init d0 --secondary' || return 1
	vaioctl repl init d0 --primary --skip-initial-sync || return 1
	vaioctl repl wait d0 --synced --timeout 30
}

# repl_pair_small: as repl_pair sync, but b's disk half the size: the
# connection must be refused.
repl_pair_small() {
	repl_disks "$REPL_MIB" $((REPL_MIB / 2)) || return 1
	repl_secret || return 1
	repl_up a sync "$REPL_MIB" || return 1
	repl_up b sync $((REPL_MIB / 2)) || return 1
	repl_vaiod_start || return 1
	vaio_peer 'vaioctl repl init d0 --secondary' || return 1
	vaioctl repl init d0 --primary --skip-initial-sync || return 1
	sleep 3
}

# The data disk's checksum (its first REPL_MIB MiB), past the page cache.
REPL_SUM_CMD=$(dev_sum_cmd "$REPL_DATA" "$REPL_MIB")
repl_sum() { sh -c "$REPL_SUM_CMD"; }

# repl_checksum_both: once in sync, the data disks below vaio (whose
# metadata is elsewhere) are byte-identical. Prints both sums otherwise.
repl_checksum_both() {
	local a b
	vaioctl repl wait d0 --synced --timeout 60 >/dev/null || return 1
	a=$(repl_sum)
	b=$(vaio_peer "$REPL_SUM_CMD")
	[ -n "$a" ] && [ "$a" = "$b" ] && return 0
	echo "vaio-a: $a" >&2
	echo "vaio-b: $b" >&2
	return 1
}

# repl_cut / repl_uncut: on vaio-a, drop every packet to or from port 7790
# (the replication connection); other traffic (the peer agent) flows.
repl_cut() {
	$TC qdisc add dev eth0 root handle 1: prio >/dev/null 2>&1
	$TC qdisc add dev eth0 ingress >/dev/null 2>&1
	$TC filter add dev eth0 parent 1: protocol ip prio 1 u32 \
		match ip dport 7790 0xffff action drop &&
	$TC filter add dev eth0 parent 1: protocol ip prio 1 u32 \
		match ip sport 7790 0xffff action drop &&
	$TC filter add dev eth0 parent ffff: protocol ip prio 1 u32 \
		match ip sport 7790 0xffff action drop &&
	$TC filter add dev eth0 parent ffff: protocol ip prio 1 u32 \
		match ip dport 7790 0xffff action drop
}

repl_uncut() {
	$TC qdisc del dev eth0 root 2>/dev/null
	$TC qdisc del dev eth0 ingress 2>/dev/null
	return 0
}

# repl_teardown: vaiod stopped, d0 removed on both guests.
repl_teardown() {
	repl_uncut
	for h in a b; do
		repl_on $h "killall vaiod 2>/dev/null; sleep 0.5; dmsetup remove d0" >/dev/null 2>&1
	done
	return 0
}

# repl_reset_b: a power cut of vaio-b (needs VDISKS: the host keeps its
# disks and the guest boots again); waits until its agent answers from the
# new boot. Its tables, vaiod and secret are gone with it.
repl_reset_b() {
	local before after deadline wait=90
	before=$(VAIO_PEER_TIMEOUT=30 vaio_peer 'cat /proc/sys/kernel/random/boot_id') || {
		echo "vaio-b does not answer before its reset" >&2
		return 1
	}
	# The answer races the reset 0.3 s later, and on a loaded host it
	# loses: the request was acknowledged, the answer dies with vaio-b.
	# Given up after 10 s: the loop below tells whether the reset came.
	VAIO_PEER_TIMEOUT=10 vaio_peer '(sleep 0.3; echo b >/proc/sysrq-trigger) >/dev/null 2>&1 </dev/null &' >/dev/null
	sleep 2
	# Its boot takes seconds; 90 s is a guest that does not come back (the
	# debug kernel's boot under TCG, with vaio-a's running: 300 s).
	[ "${VAIO_DEBUG:-0}" = 1 ] && wait=300
	deadline=$(($(date +%s) + wait))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		# A call that vaio-b's reset cuts would wait for ever.
		after=$(VAIO_PEER_TIMEOUT=5 vaio_peer 'cat /proc/sys/kernel/random/boot_id' 2>/dev/null) &&
			[ -n "$after" ] && [ "$after" != "$before" ] && return 0
		sleep 0.5
	done
	echo "vaio-b did not come back within $wait s of its reset" >&2
	return 1
}

# repl_pair_on PRIMARY MODE [key=value...]: as repl_pair, with PRIMARY (a
# or b) the primary.
repl_pair_on() {
	local p="$1" s=b mode="$2"
	shift 2
	[ "$p" = b ] && s=a
	repl_disks "$REPL_MIB" "$REPL_MIB" || return 1
	repl_secret || return 1
	repl_up a "$mode" "$REPL_MIB" "$@" || return 1
	repl_up b "$mode" "$REPL_MIB" "$@" || return 1
	repl_vaiod_start || return 1
	repl_on $s 'vaioctl repl init d0 --secondary' || return 1
	repl_on "$p" 'vaioctl repl init d0 --primary --skip-initial-sync' || return 1
	repl_on "$p" 'vaioctl repl wait d0 --synced --timeout 30'
}

# repl_json HOST FILTER: a field of HOST's "vaioctl -j repl status d0".
repl_json() {
	repl_on "$1" "vaioctl -j repl status d0" | jq -r ".[0].$2"
}

# repl_wait_consistent HOST [SECONDS]: until the resync to HOST's d0 is
# done: the other host (its primary) connected with no block out of sync,
# and HOST connected and consistent, its disk a prefix again. The
# primary's word comes first: between connect and the first resync data
# the secondary still says consistent (issue 18, item 1).
repl_wait_consistent() {
	local st other=a
	[ "$1" = a ] && other=b
	for _ in $(seq 1 $((${2:-60} * 2))); do
		st=$(repl_on $other "vaioctl -j repl status d0" |
			jq -r '.[0] | "\(.conn) \(.oos_bytes)"')
		if [ "$st" = "connected 0" ]; then
			st=$(repl_on "$1" "vaioctl -j repl status d0" |
				jq -r '.[0] | "\(.conn) \(.consistent)"')
			[ "$st" = "connected true" ] && return 0
			st="vaio-$1: $st"
		else
			st="its primary vaio-$other: $st"
		fi
		sleep 0.5
	done
	echo "d0 on $st" >&2
	return 1
}
