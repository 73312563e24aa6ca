#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a vaio table swapped for dm-linear and back: detach and attach tell the truth, no cache serves old data"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"	# get KEY: vm's cache status word

# Issue 17, defect 1. Replacing a vaio table by another target's is not
# the device's removal, and a vaio table loaded after it joins a disk that
# ran without its filters. Told wrong, a cache kept what it had read
# before, the disk below changed under dm-linear, and the cache served the
# old data once it was back.

cleanup() {
	dmsetup remove vm 2>/dev/null
	dmsetup remove fast 2>/dev/null
	dmsetup remove sw 2>/dev/null
	rm -f /tmp/pat.*
}
trap cleanup EXIT

brd_setup 64 2
size=$(dev_sectors /dev/ram0)
linear="0 $size linear /dev/ram0 0"
modprobe dm-vaio-test
modprobe dm-vaio-cache

# The test filter logs attach, detach and quiesce with their flags.
ev_log() { dmesg | grep "vaio-test: sw: test-qos: $1" | tail -n 1 | sed 's/.*test-qos: //'; }
for p in A B C D E; do
	head -c 4096 /dev/urandom >/tmp/pat.$p
done
sum() { md5sum </tmp/pat."$1"; }

# 1. The events, from the test filter.
dmesg -c >/dev/null
ktap_check "created with test-qos" dm_create sw "0 $size vaio /dev/ram0 4 filter test-qos fail_open 0"
ktap_eq "the first table's attach: disk_new" "$(ev_log attach)" "attach disk_new"
ktap_check "suspend" dmsetup suspend sw
ktap_eq "quiesce after suspend: flush" "$(ev_log quiesce)" "quiesce flush"
ktap_check "resume" dmsetup resume sw
ktap_check "suspend --noflush, no table loaded" dmsetup suspend --noflush sw
ktap_eq "quiesce: flush all the same (the next table may be another target's)" \
	"$(ev_log quiesce)" "quiesce flush"
ktap_check "resume" dmsetup resume sw
ktap_check "a vaio table of the disk loaded" \
	sh -c "echo '0 $size vaio /dev/ram0 4 filter test-qos fail_open 0' | dmsetup load sw"
ktap_check "suspend --noflush" dmsetup suspend --noflush sw
ktap_eq "quiesce of a noflush suspend before a vaio table: no flush" \
	"$(ev_log quiesce)" "quiesce"
ktap_check "the loaded table cleared" dmsetup clear sw
ktap_eq "then the flush comes (the next table may be another target's)" \
	"$(ev_log quiesce)" "quiesce flush"
ktap_check "resume" dmsetup resume sw
ktap_check "a vaio table of the disk loaded" \
	sh -c "echo '0 $size vaio /dev/ram0 4 filter test-qos fail_open 0' | dmsetup load sw"
ktap_check "suspend --noflush" dmsetup suspend --noflush sw
ktap_check "resume" dmsetup resume sw
ktap_check "swapped for dm-linear" vaio_reload sw "$linear"
ktap_eq "detach: not disk_gone (the device goes on)" "$(ev_log detach)" "detach"
ktap_match "the core says so" "$(dmesg | tail -n 20)" 'live table replaced, the device stays'
ktap_check "vaio again" vaio_reload sw "0 $size vaio /dev/ram0 4 filter test-qos fail_open 0"
ktap_eq "attach after dm-linear: not disk_new" "$(ev_log attach)" "attach"
ktap_check "removed" dm_remove sw
ktap_eq "removal's detach: disk_gone" "$(ev_log detach)" "detach disk_gone"

# 2. A write-through cache: what it read before the swap is not served
# after it.
ktap_check "cache pool" dm_create fast "0 8 vaio-cache-pool /dev/ram1 format"
wt="0 $size vaio /dev/ram0 8 disk_id d0 filter cache fail_open 2 pool=fast mode=writethrough"
wb="0 $size vaio /dev/ram0 8 disk_id d0 filter cache fail_closed 2 pool=fast mode=writeback"
ktap_check "vm: write-through cache" dm_create vm "$wt"
put4k /tmp/pat.A /dev/mapper/vm 0
blk4k /dev/mapper/vm 0 >/dev/null
ktap_eq "write-through: block 0 reads back" "$(blk4k /dev/mapper/vm 0)" "$(sum A)"
ktap_match "... from the cache ($(get read_hits) hits)" "$(get read_hits)" '^[1-9]'
ktap_check "vm swapped for dm-linear" vaio_reload vm "$linear"
put4k /tmp/pat.B /dev/mapper/vm 0
ktap_eq "dm-linear wrote block 0" "$(blk4k /dev/ram0 0)" "$(sum B)"
ktap_check "vm: the same cache again" vaio_reload vm "$wt"
ktap_eq "write-through: block 0 is what dm-linear wrote" "$(blk4k /dev/mapper/vm 0)" "$(sum B)"

# 3. A write-back cache: a flushing suspend writes back, so dm-linear
# finds the disk whole; what it writes then is not overwritten or hidden.
ktap_check "vm: write-back cache" vaio_reload vm "$wb"
put4k /tmp/pat.C /dev/mapper/vm 0
put4k /tmp/pat.C /dev/mapper/vm 1
ktap_match "write-back: blocks dirty ($(get dirty))" "$(get dirty)" '^[1-9]'
ktap_check "suspend" dmsetup suspend vm
ktap_eq "a flushing suspend wrote back every dirty block" "$(get dirty)" 0
ktap_check "resume" dmsetup resume vm
put4k /tmp/pat.C /dev/mapper/vm 0
put4k /tmp/pat.C /dev/mapper/vm 1
ktap_match "write-back: dirty again ($(get dirty))" "$(get dirty)" '^[1-9]'
dmesg -c >/dev/null
ktap_check "vm swapped for dm-linear" vaio_reload vm "$linear"
ktap_eq "dm-linear reads what the cache held dirty" "$(blk4k /dev/mapper/vm 0)" "$(sum C)"
ktap_eq "nothing was written back late" \
	"$(dmesg | grep -c 'written back late')" 0
put4k /tmp/pat.D /dev/mapper/vm 0
ktap_check "vm: write-back cache again" vaio_reload vm "$wb"
ktap_eq "write-back: block 0 is what dm-linear wrote" "$(blk4k /dev/mapper/vm 0)" "$(sum D)"
ktap_eq "write-back: block 1 is what the cache wrote back" "$(blk4k /dev/mapper/vm 1)" "$(sum C)"

# 4. A noflush suspend, then dm-linear: no other vaio table of the disk is
# loaded, so the suspend writes back all the same; nothing is left for the
# detach, after dm-linear started.
put4k /tmp/pat.E /dev/mapper/vm 2
ktap_match "write-back: block 2 dirty ($(get dirty))" "$(get dirty)" '^[1-9]'
ktap_check "suspend --noflush, no other table loaded" dmsetup suspend --noflush vm
ktap_eq "... wrote back all the same" "$(get dirty)" 0
ktap_check "resume" dmsetup resume vm
put4k /tmp/pat.E /dev/mapper/vm 2
ktap_match "write-back: block 2 dirty again ($(get dirty))" "$(get dirty)" '^[1-9]'
dmesg -c >/dev/null
ktap_check "load dm-linear" sh -c "echo '$linear' | dmsetup load vm"
ktap_check "suspend --noflush" dmsetup suspend --noflush vm
ktap_check "resume dm-linear" dmsetup resume vm
ktap_eq "nothing was left for the detach" \
	"$(dmesg | grep -c 'written back at the detach')" 0
ktap_eq "block 2 reached the disk below" "$(blk4k /dev/ram0 2)" "$(sum E)"
ktap_check "removed" dm_remove vm
ktap_check "pool removed" dm_remove fast
ktap_finish
