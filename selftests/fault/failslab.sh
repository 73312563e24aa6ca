#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="failed allocations during table load, filter attach and I/O: clean errors, nothing left behind"
TIMEOUT=300
BATCH=no             # fault injection's knobs outlive the test
DEBUG_LANE=ci
KCONFIG="CONFIG_FAILSLAB CONFIG_FAULT_INJECTION_DEBUG_FS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

F=/sys/kernel/debug/failslab
if [ ! -d $F ]; then
	ktap_skip "failslab" "this kernel has no fault injection; make check-debug runs this"
	ktap_finish
fi
brd_setup 32
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio
modprobe dm-vaio-test
table="0 $size vaio /dev/ram0 10 disk_id fs filter test-qos fail_open 0 filter test-cache fail_closed 0"

# Fail only tasks that ask (make-it-fail), allocations that may sleep too,
# quietly (a stack per failure would read as a kernel problem).
echo Y >$F/task-filter
echo N >$F/ignore-gfp-wait
echo N >$F/cache-filter
echo 0 >$F/verbose
echo 100 >$F/probability

# failing CMD...: runs CMD as a task whose slab allocations fail as set up
# in $F (space, times, probability).
failing() {
	sh -c 'echo 1 >/proc/self/make-it-fail; exec "$@"' sh "$@"
}

created=0 refused=0 left=0 bad=0
for space in 0 16 64 128 256 384 512 768 1024 1536 2048 4096 8192 16384 65536; do
	echo "$space" >$F/space
	echo 1 >$F/times
	if echo "$table" | failing dmsetup create fs >/dev/null 2>&1; then
		created=$((created + 1))
		dmsetup mknodes fs
		fio_verify /dev/mapper/fs --size=4m --randseed="$space" || bad=$((bad + 1))
		dmsetup remove fs || bad=$((bad + 1))
	else
		refused=$((refused + 1))
		dmsetup info fs >/dev/null 2>&1 && { left=$((left + 1)); dmsetup remove fs; }
	fi
done
echo 0 >$F/times
ktap_match "some table loads failed under injection ($refused)" "$refused" '^[1-9]'
ktap_match "some table loads got through ($created)" "$created" '^[1-9]'
ktap_eq "no failed load left a device behind" "$left" 0
ktap_eq "every device that was made passed fio verify and went away" "$bad" 0

# The map path: the test filter's invert mode takes its write copies from
# the core's bounce pool (a reserve, then process context): allocations
# that fail must not fail a write.
dm_create fs "0 $size vaio /dev/ram0 5 filter test-encryption fail_closed 1 mode=invert"
dd if=/dev/urandom of=/tmp/pat bs=64k count=256 2>/dev/null
# The writer's own start (exec) allocates too: let it have a budget, then
# fail everything, at budgets that end at different points of its writes.
echo 100 >$F/probability
wfail=0
for space in 16384 32768 65536 98304 131072 196608 262144 393216 524288 786432 1048576; do
	echo "$space" >$F/space
	echo -1 >$F/times
	failing dd if=/tmp/pat of=/dev/mapper/fs bs=64k count=256 oflag=direct 2>/dev/null ||
		wfail=$((wfail + 1))
done
echo 0 >$F/times
# dd itself and dm's own allocations may fail under injection (not ours).
ktap_diag "writes that failed under injection: $wfail of 11"
ktap_eq "the filter failed no bio for want of memory" "$(vaio_filter_get fs test-encryption failed)" 0
dd if=/tmp/pat of=/dev/mapper/fs bs=64k count=256 oflag=direct 2>/dev/null
dd if=/dev/mapper/fs of=/tmp/via bs=64k count=256 iflag=direct 2>/dev/null
ktap_check "written once injection stopped, it reads back" cmp /tmp/pat /tmp/via
ktap_eq "the filter is still active" "$(vaio_filter_state fs test-encryption)" active
ktap_check "I/O works again once allocations succeed" fio_verify /dev/mapper/fs --size=8m
dm_remove fs
ktap_check "a normal table loads" dm_create ok "$table"
dm_remove ok
ktap_check "filter module unloads: no reference leaked" rmmod dm-vaio-test
ktap_check "core module unloads" rmmod dm-vaio
ktap_finish
