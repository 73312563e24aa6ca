#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaio over vaio: each table has its own workqueue (kvaiod/<major:minor>), fio verify through both with deferring filters"
TIMEOUT=400
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# The rescuer threads of vaio workqueues (a WQ_MEM_RECLAIM workqueue has
# one, named after it), one name a line, sorted.
rescuers() { cat /proc/[0-9]*/comm 2>/dev/null | grep '^kvaiod' | sort; }
devno() { dmsetup info -c --noheadings -o major,minor --separator : "$1"; }

brd_setup 128
size=$(dev_sectors /dev/ram0)
ktap_check "dm-vaio loads" modprobe dm-vaio
ktap_eq "no vaio workqueue before a device" "$(rescuers)" ""

# test-qos in defer mode continues every bio from the core's worker;
# test-cache is there to fail, which queues the core's event work.
CHAIN="9 filter test-qos fail_open 1 mode=defer filter test-cache fail_open 0"
dm_create lower "0 $size vaio /dev/ram0 $CHAIN"
dm_create upper "0 $size vaio /dev/mapper/lower $CHAIN"
L=$(devno lower)
U=$(devno upper)
ktap_eq "one workqueue per device, named after it" "$(rescuers)" \
	"$(printf 'kvaiod/%s\n' "$L" "$U" | sort)"

# Both devices' workers carry the data; meanwhile each test-cache fails
# (fail_open: bypassed), which runs each device's event work.
fio_verify /dev/mapper/upper --size=96m --loops=2 --randseed=7 >/tmp/fio.log 2>&1 &
fpid=$!
sleep 2
evl=$(dmsetup info -c --noheadings -o events lower)
evu=$(dmsetup info -c --noheadings -o events upper)
ktap_check "lower's test-cache fails during I/O" dmsetup message lower 0 test-cache error
ktap_check "upper's test-cache fails during I/O" dmsetup message upper 0 test-cache error
ktap_check "lower's event work raised a dm event" timeout 10 dmsetup wait lower "$evl"
ktap_check "upper's event work raised a dm event" timeout 10 dmsetup wait upper "$evu"
wait $fpid && rc=0 || rc=$?
[ "$rc" = 0 ] || ktap_diag "$(cat /tmp/fio.log)"
ktap_eq "fio verify through vaio over vaio" "$rc" 0
ktap_match "lower's test-qos deferred bios" "$(vaio_filter_get lower test-qos deferred)" '^[1-9]'
ktap_match "upper's test-qos deferred bios" "$(vaio_filter_get upper test-qos deferred)" '^[1-9]'
ktap_eq "lower's test-cache bypassed" "$(vaio_filter_state lower test-cache)" bypassed
ktap_eq "upper's test-cache bypassed" "$(vaio_filter_state upper test-cache)" bypassed
ktap_check "the data reads back through both" fio_verify /dev/mapper/upper \
	--size=96m --randseed=7 --rw=read --verify_only

# A reload makes the new table's workqueue; the old one goes with its table.
ktap_check "reload upper" vaio_reload upper "0 $size vaio /dev/mapper/lower $CHAIN"
ktap_eq "still one workqueue per device" "$(rescuers)" \
	"$(printf 'kvaiod/%s\n' "$L" "$U" | sort)"
ktap_check "fio verify through the new upper table" fio_verify /dev/mapper/upper \
	--size=32m --randseed=8

ktap_check "remove upper" dm_remove upper
ktap_eq "upper's workqueue is gone, lower's stays" "$(rescuers)" "kvaiod/$L"
ktap_check "remove lower" dm_remove lower
ktap_eq "no vaio workqueue left" "$(rescuers)" ""
ktap_check "dm-vaio-test unloads" rmmod dm-vaio-test
ktap_check "dm-vaio unloads" rmmod dm-vaio
ktap_finish
