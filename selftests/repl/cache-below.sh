#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a cache below replication: the primary's resync reads through a write-back cache (its dirty blocks reach the replica); a secondary may have no filter below replication (demote, table load refused); the failover and failback with the cache taken off first read the new data"
TOPOLOGY=2host
TIMEOUT=600
CHECK=full                 # make check's 30 minutes (testing.rst, CI and its budget)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Replication does its own I/O to the disk below the vaio target. The
# primary's resync read it there, under a write-back cache whose dirty
# blocks (written while the link was cut) it did not see: it sent the
# replica old data and cleared the bits, the replica said in sync. It
# reads through the filters below now. A secondary's receiver still
# writes the disk below directly, past a cache that would serve stale data
# after a failback: such a secondary is refused; the cache comes off
# before a demote.
#
# vaio-a: /dev/ram0 data, /dev/ram1 metadata, /dev/ram2 the cache pool.

# a_disks: vaio-a's RAM disks again, three of them (the pool on ram2).
a_disks() {
	rmmod brd 2>/dev/null
	modprobe brd rd_nr=3 rd_size=$((REPL_MIB * 1024)) &&
		modprobe dm-vaio-replication && modprobe dm-vaio-cache
}
# a_table MODE [KEY=VALUE]: a's d0 table, replication (with one more
# argument) over a cache in MODE (none: no cache). Write-back is
# fail_closed (bypassed, it would serve stale data).
a_table() {
	local args="mode=sync peer=$REPL_PEER_B:7790 meta=$REPL_META $2" fm=fail_open
	local n repl
	n=$(echo "$args" | wc -w)
	repl="filter replication fail_open $n $args"
	if [ "$1" = none ]; then
		echo "0 $((REPL_MIB * 2048)) vaio $REPL_DATA $((n + 6)) disk_id d0 $repl"
		return
	fi
	[ "$1" = writeback ] && fm=fail_closed
	echo "0 $((REPL_MIB * 2048)) vaio $REPL_DATA $((n + 12)) disk_id d0 $repl filter cache $fm 2 pool=fast mode=$1"
}
setup() {
	repl_disks "$REPL_MIB" "$REPL_MIB" && a_disks && repl_secret || return 1
	dm_create fast "0 8 vaio-cache-pool /dev/ram2 format" || return 1
	dm_create d0 "$(a_table writeback)" || return 1
	repl_up b sync "$REPL_MIB" && repl_vaiod_start || return 1
	vaio_peer 'vaioctl repl init d0 --secondary' &&
		vaioctl repl init d0 --primary --skip-initial-sync &&
		vaioctl repl wait d0 --synced --timeout 30
}
# What the VM reads on vaio-a, and what vaio-b's disk below holds.
D0_SUM=$(dev_sum_cmd /dev/mapper/d0 "$REPL_MIB")
a_view_is_b() {
	local a b
	vaioctl repl wait d0 --synced --timeout 60 >/dev/null || return 1
	a=$(sh -c "$D0_SUM")
	b=$(vaio_peer "$REPL_SUM_CMD")
	[ "$a" = "$b" ] && return 0
	echo "vaio-a's d0: $a vaio-b's disk: $b" >&2
	return 1
}
a_view_is_below() { [ "$(sh -c "$D0_SUM")" = "$(repl_sum)" ]; }
# fio_set N SEED [verify]: 8 MiB at N * 8 MiB written (or checked) on a.
fio_set() {
	fio --name=s"$1" --filename=/dev/mapper/d0 --ioengine=libaio --direct=1 \
		--rw=randwrite --bs=4k --iodepth=8 --offset=$(($1 * 8))m --size=8m \
		--verify=crc32c --verify_fatal=1 --randseed="$2" ${3:+--verify_only} >/dev/null
}
dirty() { vaio_filter_get d0 cache dirty; }
# fill BYTE FILE: 4 KiB of BYTE (octal).
fill() { head -c 4096 /dev/zero | tr '\0' "\\$1" >"$2"; }
refused_msg="a secondary cannot have filters below replication"

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "pair set up: a primary with a write-back cache below replication" setup
ktap_eq "a's chain" "$(vaio_filters d0)" "replication cache"
ktap_check "set 1 written while connected" fio_set 1 201

# 1. Written while the link is cut: dirty in a's cache, not on its disk
# below. The resync must send what the VM reads, not the disk below.
ktap_check "replication port cut" repl_cut
ktap_check "a notices" vaioctl repl wait d0 --conn waiting --timeout 30
ktap_check "set 2 written while disconnected" fio_set 2 202
ktap_check "set 3 written while disconnected" fio_set 3 203
d=$(dirty)
ktap_match "the cache holds them dirty ($d blocks)" "$d" '^[1-9]'
ktap_fails "a's disk below lacks them (the check can fail)" a_view_is_below
ktap_check "port open again" repl_uncut
ktap_check "resynced" vaioctl repl wait d0 --synced --timeout 120
ktap_fails "no local read error logged" sh -c 'dmesg | grep "cannot read sector"'
ktap_check "b's disk holds what a's VM reads" a_view_is_b
d=$(dirty)
ktap_match "the cache still holds dirty blocks ($d)" "$d" '^[1-9]'
ktap_check "online verify (reads through the cache) finds no difference" \
	vaioctl repl verify d0 --timeout 120
ktap_check "set 2 reads back on a" fio_set 2 202 verify

# Again, the resync slowed to 2 MiB/s and the table reloaded under it
# (suspended with --noflush: a flushing suspend writes the cache back).
# While the disk is suspended its reads through the cache are refused
# (OFFLINE), which is no read error: the chunk is read again after the
# resume, its bits kept meanwhile.
slow=resync_kibps=2048
reload_noflush() {
	a_table writeback $slow | dmsetup load d0 &&
		dmsetup suspend --noflush d0 && dmsetup resume d0
}
reloads() {
	for _ in 1 2 3; do
		sleep 1
		reload_noflush || return 1
	done
}
ktap_check "resync slowed" reload_noflush
ktap_check "replication port cut" repl_cut
ktap_check "a notices" vaioctl repl wait d0 --conn waiting --timeout 30
ktap_check "set 4 written while disconnected" fio_set 4 204
ktap_check "set 5 written while disconnected" fio_set 5 205
dmesg -c >/dev/null
ktap_check "port open again" repl_uncut
ktap_check "the resync runs" vaioctl repl wait d0 --conn sync-source --timeout 30
ktap_check "the table reloaded 3 times during the resync" reloads
d=$(dirty)
ktap_match "the cache still holds dirty blocks ($d)" "$d" '^[1-9]'
ktap_check "resynced" vaioctl repl wait d0 --synced --timeout 120
ktap_fails "no local read error logged" sh -c 'dmesg | grep "cannot read sector"'
ktap_check "b's disk holds what a's VM reads" a_view_is_b

# 2. Failover with a cache below: refused until the cache is off.
fill 252 /tmp/aa
fill 273 /tmp/bb
ktap_check "block 100 written 0xaa on a" put4k /tmp/aa /dev/mapper/d0 100
for _ in 1 2 3 4; do blk4k /dev/mapper/d0 100 >/dev/null; done
ktap_eq "and read back" "$(blk4k /dev/mapper/d0 100)" "$(md5sum </tmp/aa)"
ktap_check "in sync" vaioctl repl wait d0 --synced --timeout 60
out=$(vaioctl repl demote d0 2>&1) && rc=0 || rc=$?
ktap_check "demote with a cache below refused (exit $rc)" test "$rc" != 0
ktap_match "vaioctl says why" "$out" "$refused_msg.*policy without filters below"
ktap_eq "a is still primary" "$(repl_json a role)" primary
ktap_check "the cache taken off (its dirty blocks written back)" \
	vaio_reload d0 "$(a_table none)"
ktap_eq "a's chain" "$(vaio_filters d0)" "replication"
ktap_check "still in sync" vaioctl repl wait d0 --synced --timeout 60
ktap_check "a's disk below holds what b's does" repl_checksum_both
ktap_check "demote a" vaioctl repl demote d0
ktap_check "promote b" vaio_peer 'vaioctl repl promote d0'
ktap_check "a reconnects as b's secondary" \
	vaio_peer 'vaioctl repl wait d0 --synced --timeout 60'
dmesg -c >/dev/null
out=$( (a_table writethrough | dmsetup load d0) 2>&1) && rc=0 || rc=$?
ktap_check "a cache below a secondary: the table is refused (exit $rc)" test "$rc" != 0
ktap_match "the kernel says why" "$out $(dmesg -c)" "$refused_msg"
dmsetup clear d0 2>/dev/null
ktap_eq "a's chain unchanged" "$(vaio_filters d0)" "replication"
put_b() {
	vaio_peer "head -c 4096 /dev/zero | tr '\\0' '\\273' >/tmp/bb &&
		dd if=/tmp/bb of=/dev/mapper/d0 bs=4k seek=100 count=1 oflag=direct conv=notrunc 2>/dev/null"
}
ktap_check "block 100 written 0xbb on b" put_b
ktap_check "b in sync" vaio_peer 'vaioctl repl wait d0 --synced --timeout 60'
ktap_check "demote b" vaio_peer 'vaioctl repl demote d0'
ktap_check "promote a" vaioctl repl promote d0
ktap_check "a primary again: the cache goes back below replication" \
	vaio_reload d0 "$(a_table writethrough)"
ktap_eq "a's chain" "$(vaio_filters d0)" "replication cache"
ktap_eq "a reads b's 0xbb from block 100" "$(blk4k /dev/mapper/d0 100)" "$(md5sum </tmp/bb)"
ktap_check "b reconnects as a's secondary, in sync" repl_wait_consistent b 60
for n in 1 2 3 4 5; do
	ktap_check "set $n reads back on a" fio_set $n $((200 + n)) verify
done
ktap_check "b's disk holds what a's VM reads after failback" a_view_is_b

# The activity log's flush, before an extent leaves it, goes through the
# write-back cache too (a flush of the disk below alone would leave the
# cache's answered writes volatile). A log of 8 extents of 4 MiB and
# writes all over 64 MiB: extents leave it, and the log stays on.
al() { vaio_filter_get d0 replication "$1"; }
dmesg -c >/dev/null
ktap_check "a: write-back cache below, activity log of 8 extents" \
	vaio_reload d0 "$(a_table writeback al_extents=8)"
w0=$(al al_writes)
# (fio itself: fio_verify's sizes shrink under the debug kernel.)
ktap_check "64 MiB written all over, fio verify" \
	fio --name=al --filename=/dev/mapper/d0 --ioengine=libaio --direct=1 \
		--rw=randwrite --bs=64k --iodepth=8 --size=64m --randseed=77 \
		--verify=crc32c --verify_fatal=1 --output=/dev/null
ktap_check "extents left the log: it was written $(($(al al_writes) - w0)) times" \
	test "$(($(al al_writes) - w0))" -gt 8
# (A lower al_extents at a reload does not shrink the list at once.)
ktap_check "the log is still on ($(al al_extents) extents listed)" \
	test "$(al al_extents)" -gt 0
ktap_eq "no log write failed" "$(dmesg | grep -c 'cannot write the activity log')" 0
ktap_check "b's disk holds what a's VM reads" a_view_is_b
repl_teardown
dmsetup remove fast 2>/dev/null
ktap_finish
