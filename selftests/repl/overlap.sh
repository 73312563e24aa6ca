#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="overlapping writes in flight: a later write over an earlier one waits until the earlier one is on both disks, a write elsewhere does not; many overlapping writes in both modes leave both disks equal; a held write fails once the disk is demoted"
TOPOLOGY=2host
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

# Issue 18, defect 5. Two writes to the same block in flight at once may
# reach the two disks in different orders (the VM's threads submit them
# locally in one order and queue them for the peer in another; the peer
# applies a sync stream's writes in parallel): the disks then differ with
# nothing out of sync. A primary now holds a write that overlaps one
# still in flight until that one has ended on both disks (DRBD's
# complete_conflicting_writes). vaio-b's d0 is on "slowb", a dm-delay over
# its disk: the peer's answers come late, and the order shows in time.

setup() {
	repl_disks "$REPL_MIB" "$REPL_MIB" && repl_secret || return 1
	repl_up a sync "$REPL_MIB" || return 1
	repl_slowb 0 create || return 1
	vaio_peer "echo '$(repl_table_slowb sync)' | dmsetup create d0 && dmsetup mknodes d0" &&
		repl_vaiod_start || return 1
	vaio_peer 'vaioctl repl init d0 --secondary' &&
		vaioctl repl init d0 --primary --skip-initial-sync &&
		vaioctl repl wait d0 --synced --timeout 30
}
overlaps() { dmsetup status d0 | sed -n 's/.* overlaps \([0-9]*\) .*/\1/p'; }
now() { cut -d' ' -f1 /proc/uptime; }
# put BLOCK CHAR TAG: 4 KiB of CHAR at BLOCK through d0, direct; the time
# it ended in /tmp/TAG.end.
put() {
	head -c 4096 /dev/zero | tr '\0' "$2" |
		dd of=/dev/mapper/d0 bs=4k seek="$1" count=1 oflag=direct 2>/dev/null
	echo $? >"/tmp/$3.rc"
	now >"/tmp/$3.end"
}
# secs FROM TO: TO minus FROM, in hundredths of a second.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d", (b - a) * 100 }'; }

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_check "sync pair set up, b's disk behind a dm-delay" setup

# 1. The peer's writes take 1.5 s. A at block 0; 0.3 s later B over A and
# C elsewhere. C ends about 1.5 s after it started; B waits for A's
# answer, then takes its own 1.5 s. Before, B ended with C.
ktap_check "b's writes delayed 1.5 s" repl_slowb 1500
o=$(overlaps)
t0=$(now)
put 0 A a &
sleep 0.3
put 0 B b &
put 100 C c &
wait
a=$(secs "$t0" "$(cat /tmp/a.end)")
b=$(secs "$t0" "$(cat /tmp/b.end)")
c=$(secs "$t0" "$(cat /tmp/c.end)")
ktap_diag "ended after (1/100 s): A $a, B $b (over A), C $c (elsewhere)"
ktap_check "A ended after b's delay" test "$a" -ge 140
ktap_check "B, over A, ended a delay after A (B waited for A)" \
	test "$b" -ge $((a + 130))
ktap_check "C, elsewhere, did not wait for A" test "$c" -lt $((a + 100))
ktap_eq "one write waited for an overlapping one" "$(($(overlaps) - o))" 1
ktap_check "b's writes at full speed again" repl_slowb 0
ktap_check "both disks equal, block 0 is B's" repl_checksum_both
ktap_eq "... on a" "$(dd if="$REPL_DATA" bs=4k count=1 iflag=direct 2>/dev/null | tr -d B | wc -c)" 0

# 2. Many writes over the same 256 KiB at once, from 4 jobs, each 4 KiB
# to 64 KiB of random data, in each mode: both disks equal at the end.
storm() {
	fio --name=storm --filename=/dev/mapper/d0 --ioengine=libaio --direct=1 \
		--rw=randwrite --bsrange=4k-64k --iodepth=16 --numjobs=4 \
		--size=256k --time_based --runtime=8 --randrepeat=0 \
		--output-format=json 2>/tmp/fio.err | fio_json_ok
}
to_mode() {
	repl_reload a "$(repl_table a "$1" "$REPL_MIB")" &&
		repl_reload b "$(repl_table_slowb "$1")" &&
		vaioctl repl wait d0 --synced --timeout 30
}
for mode in sync async; do
	[ $mode = async ] && ktap_check "async: both sides reloaded" to_mode async
	o=$(overlaps)
	ktap_check "$mode: 8 s of overlapping writes from 4 jobs" storm
	ktap_diag "$mode: $(($(overlaps) - o)) writes waited for an overlapping one"
	ktap_match "$mode: writes waited" "$(($(overlaps) - o))" '^[1-9]'
	ktap_check "$mode: both disks equal" repl_checksum_both
done
# 3. demote --force while a write waits behind an overlapping one. D is
# in flight (the peer slow), E over it held: the forced demote completes D
# (written here, tracked) and fails E, which the disk, a secondary now
# whose data were discarded, must not write. Before, E went on as if the
# disk were still primary: written, and a new generation made on the
# discarded disk (split brain at the next connection instead of the full
# resync that --force promises).
ktap_check "sync again" to_mode sync
ktap_check "b's writes delayed 1.5 s again" repl_slowb 1500
put 0 D d &
sleep 0.3
put 0 E e &
sleep 0.3
ktap_check "demote --force while E waits behind D" vaioctl repl demote d0 --force
wait
ktap_eq "D was acknowledged" "$(cat /tmp/d.rc)" 0
ktap_check "E failed" test "$(cat /tmp/e.rc)" != 0
ktap_eq "a's block 0 holds D" "$(dd if="$REPL_DATA" bs=4k count=1 iflag=direct 2>/dev/null | tr -d D | wc -c)" 0
ktap_eq "the discarded disk has no generation" \
	"$(vaioctl -j repl status d0 | jq -r '.[0].gen')" 0000000000000000
repl_slowb 0 >/dev/null
ktap_check "d0 goes on both" repl_teardown
ktap_finish
