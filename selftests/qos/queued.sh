#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="qos filter with bios queued: suspends (flush and noflush) and a swap to a plain table release them at once, a forced removal loses no acknowledged write, nothing hangs"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

brd_setup 16 1
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio-qos
qos="0 $size vaio /dev/ram0 8 disk_id q filter qos fail_open 2 iops=5 burst_ms=0"
plain="0 $size vaio /dev/ram0 2 disk_id q"
queued() { vaio_filter_get q qos queued; }
many_queued() { [ "$(queued)" -ge 16 ]; }
# timed DESC SECS CMD...: a KTAP result: CMD succeeds within SECS (it is
# killed after 30), its time in the description.
timed() {
	local desc="$1" s="$2" t0 rc took
	shift 2
	t0=$(ms_now)
	timeout 30 "$@" && rc=0 || rc=$?
	took=$(($(ms_now) - t0))
	if [ "$rc" = 0 ] && [ "$took" -le $((s * 1000)) ]; then
		ktap_ok "$desc: done in $took ms"
	else
		ktap_diag "$*: exit $rc after $took ms"
		ktap_fail "$desc: done within $s s"
	fi
}

ktap_check "qos disk, iops=5" dm_create q "$qos"
# 32 writers at 5 IOPS: most of them queued in the filter at any time, and
# a queue the timer alone would take over 3 s to release.
vaio-ackwriter write --dev /dev/mapper/q --log /tmp/ack.log --seed 5 \
	--threads 32 --blocks 1024 --seconds 600 --keep-going \
	>/tmp/writer.out 2>&1 &
wp=$!
ktap_check "bios queue up" wait_until 100 many_queued
timed "suspend with $(queued) queued" 3 dmsetup suspend q
ktap_eq "nothing queued while suspended" "$(queued)" 0
ktap_check "resume" dmsetup resume q
ktap_check "bios queue up again after the resume" wait_until 100 many_queued
timed "noflush suspend with $(queued) queued" 3 dmsetup suspend --noflush q
ktap_check "resume" dmsetup resume q
ktap_check "queued again" wait_until 100 many_queued
timed "swap to a table without the filter, $(queued) queued" 3 \
	sh -c "echo '$plain' | dmsetup load q && dmsetup suspend q && dmsetup resume q"
ktap_check "and back to the qos table" vaio_reload q "$qos"
ktap_check "queued again" wait_until 100 many_queued
# Forced removal: the table is swapped for one that fails all I/O (the
# writer counts its failed writes and goes on), then removed once closed.
n=$(queued)
t0=$(ms_now)
timeout 30 dmsetup remove --force q
rc=$?
took=$(($(ms_now) - t0))
ktap_check "forced removal with $n queued: back in $took ms (exit $rc)" \
	test "$rc" != 124 -a "$took" -le 5000
kill -TERM $wp
wait $wp && rc=0 || rc=$?
ktap_eq "the writer stops" "$rc" 0
ktap_diag "$(tail -n 3 /tmp/writer.out)"
dmsetup remove q 2>/dev/null
ktap_fails "the device is gone" dmsetup info q
ktap_check "every acknowledged write is on the disk below" \
	vaio-ackwriter check --log /tmp/ack.log --dev /dev/ram0 --complete
ktap_finish
