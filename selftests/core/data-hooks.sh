#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="filter hooks for data: bounce pages and process context for a filter that transforms data, and a filter's own I/O through the filters below it"
TIMEOUT=400
DEBUG_LANE=ci
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# The test filter's invert mode stands in for encryption: a write gets an
# inverted copy from the core's bounce pool (vaio_bounce_write()), a read is
# inverted in place at completion (vaio_transform_data()). With ctx=process
# both run in process context (VAIO_PROCESS, VAIO_END_PROCESS).
nullb_mem raw0 64
size=$(dev_sectors /dev/raw0)
modprobe dm-vaio-test
get() { vaio_filter_get hk "$1" "$2"; }
enc() { echo "0 $size vaio /dev/raw0 $((4 + $#)) filter test-encryption fail_closed $# $*"; }
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
# pattern_at MIB: /tmp/pat written at MiB MIB, read back through and raw.
pattern_at() {
	dd if=/tmp/pat of=/dev/mapper/hk bs=1M seek="$1" oflag=direct 2>/dev/null &&
		dd if=/dev/mapper/hk of=/tmp/via bs=1M skip="$1" count=1 iflag=direct 2>/dev/null &&
		dd if=/dev/raw0 of=/tmp/raw bs=1M skip="$1" count=1 iflag=direct 2>/dev/null
}

ktap_check "invert in the map path" dm_create hk "$(enc mode=invert)"
ktap_check "1 MiB written and read" pattern_at 4
ktap_check "reads back what was written" cmp /tmp/pat /tmp/via
ktap_fails "the disk holds other bytes" cmp -s /tmp/pat /tmp/raw
# Bios over the pool's 256 KiB would find no reserve: the core splits them.
ktap_check "fio verify, 1 MiB blocks (over the bounce pool's bio size)" \
	fio_verify /dev/mapper/hk --size=16m --bs=1m --rw=write
ktap_check "fio verify, 4k-64k random" fio_verify /dev/mapper/hk --size=16m --offset=16m
ktap_eq "no bio failed" "$(get test-encryption failed)" 0
ktap_eq "nothing ran in process context" "$(get test-encryption proc_maps)" 0

ktap_check "invert in process context (ctx=process)" \
	vaio_reload hk "$(enc mode=invert ctx=process)"
ktap_check "fio verify of what the map-path instance wrote" \
	fio_verify /dev/mapper/hk --size=16m --offset=16m --verify_only
ktap_check "fio verify, new data" fio_verify /dev/mapper/hk --size=16m --offset=32m
ktap_check "1 MiB written and read" pattern_at 5
ktap_check "reads back what was written" cmp /tmp/pat /tmp/via
ktap_fails "the disk holds other bytes" cmp -s /tmp/pat /tmp/raw
ktap_match "writes got their copy in ->map_process()" "$(get test-encryption proc_maps)" '^[1-9]'
ktap_match "reads were inverted in ->end_io_process()" "$(get test-encryption proc_ends)" '^[1-9]'
ktap_eq "all in process context" "$(get test-encryption bad_ctx)" 0

# Reloads while bios wait for process context: none lost, none twice.
fio_verify /dev/mapper/hk --size=16m --offset=48m --loops=2 >/tmp/fio.bg 2>&1 &
fp=$!
n=0
while kill -0 $fp 2>/dev/null && [ $n -lt 20 ]; do
	vaio_reload hk "$(enc mode=invert ctx=process)" || break
	n=$((n + 1))
	sleep 0.2
done
wait $fp && rc=0 || rc=$?
ktap_eq "fio verify across $n reloads in process context" "$rc" 0
ktap_match "reloads happened during the run ($n)" "$n" '^[1-9]'

# Two filters that each go to process context for the same bio.
ktap_check "two inverting filters in process context" vaio_reload hk \
	"0 $size vaio /dev/raw0 12 filter test-encryption fail_closed 2 mode=invert ctx=process filter test-cache fail_closed 2 mode=invert ctx=process"
ktap_check "1 MiB written and read" pattern_at 6
ktap_check "reads back what was written" cmp /tmp/pat /tmp/via
ktap_check "inverted twice: the disk holds the bytes written" cmp /tmp/pat /tmp/raw
ktap_match "the upper one's writes went to process context" "$(get test-encryption proc_maps)" '^[1-9]'
ktap_match "and the lower one's" "$(get test-cache proc_maps)" '^[1-9]'
ktap_eq "no I/O error" "$(vaio_stat hk errors)" 0
dm_remove hk

# A filter's own I/O (vaio_submit_below()): test-inspection copies with
# its own bios; below it test-cache inverts writes only, so a copy that
# went through it leaves the original bytes on the disk below, and one
# that bypassed it the inverted ones. test-qos above sees none of it.
below="0 $size vaio /dev/raw0 14 filter test-qos fail_open 0 filter test-inspection fail_open 0 filter test-cache fail_open 2 mode=invert ops=writes"
ktap_check "a chain with a filter below the copier" dm_create hk "$below"
dd if=/tmp/pat of=/dev/mapper/hk bs=64k count=1 seek=16 oflag=direct 2>/dev/null
head -c 65536 /tmp/pat >/tmp/pat64
dd if=/dev/raw0 of=/tmp/raw bs=64k count=1 skip=16 iflag=direct 2>/dev/null
ktap_fails "the write reached the disk inverted" cmp -s /tmp/pat64 /tmp/raw
q0=$(get test-qos maps) i0=$(get test-inspection maps) c0=$(get test-cache maps)
ktap_check "copy 64 KiB from sector 2048 to 8192" dmsetup message hk 0 test-inspection copy 2048 8192 128
dd if=/dev/raw0 of=/tmp/raw bs=64k count=1 skip=64 iflag=direct 2>/dev/null
ktap_check "the copy went through the filter below: the original bytes on disk" cmp /tmp/pat64 /tmp/raw
ktap_eq "the filter below mapped the copy's read and write" "$(get test-cache maps)" $((c0 + 2))
ktap_eq "the filter above saw none of it" "$(get test-qos maps)" "$q0"
ktap_eq "the copier did not see its own bios" "$(get test-inspection maps)" "$i0"
last=$((size / 128 - 1))
dd if=/dev/raw0 of=/tmp/before bs=64k count=1 skip=$last iflag=direct 2>/dev/null
ktap_fails "a copy past the end of the disk is refused" \
	dmsetup message hk 0 test-inspection copy 0 $((size - 8)) 128
dd if=/dev/raw0 of=/tmp/after bs=64k count=1 skip=$last iflag=direct 2>/dev/null
ktap_check "and wrote nothing" cmp /tmp/before /tmp/after
c1=$(get test-cache maps)
ktap_fails "a copy to a sector that wraps past 2^64 is refused" \
	dmsetup message hk 0 test-inspection copy 2048 18446744073709551608 128
ktap_eq "and reached no filter below" "$(get test-cache maps)" $((c1 + 1))
dmsetup message hk 0 test-cache fail writes
ktap_fails "a copy whose write fails below reports it" \
	dmsetup message hk 0 test-inspection copy 2048 8192 8
dmsetup message hk 0 test-cache delay 300
ktap_check "a copy through a filter that defers" dmsetup message hk 0 test-inspection copy 2048 16384 128
dmsetup message hk 0 test-cache pass
# (delay replaced invert: the copy moved the bytes as they are)
dd if=/dev/mapper/hk of=/tmp/via bs=64k count=1 skip=128 iflag=direct 2>/dev/null
dd if=/dev/mapper/hk of=/tmp/src bs=64k count=1 skip=16 iflag=direct 2>/dev/null
ktap_check "the deferred copy's data is the source's" cmp /tmp/via /tmp/src
# Nothing of a filter's own goes below while the disk is suspended: a
# write-back cache below has written back at the suspend, and the next
# table may be another target's.
dmsetup suspend hk
ktap_fails "no copy while the disk is suspended" \
	dmsetup message hk 0 test-inspection copy 2048 16384 8
dmsetup resume hk
ktap_check "a copy once resumed" dmsetup message hk 0 test-inspection copy 2048 16384 8
ktap_eq "the bounce filter offers no discard (it would read back inverted)" \
	"$(dm_queue hk discard_max_bytes)" 0
# A removal while a copy waits below (the filter below holds it 2 s).
dmsetup message hk 0 test-cache delay 2000
dmsetup message hk 0 test-inspection copy 2048 16384 8 &
mp=$!
sleep 0.5
ktap_check "the device goes while a copy waits below" dmsetup remove hk
wait $mp && rc=0 || rc=$?
# It ends either way: done before the suspend, or its write refused after
# it began (slow kernels finish it first). It must not hang.
ktap_match "the copy returned ($rc: 0 done, 1 refused as the disk went)" "$rc" '^[01]$'
ktap_check "core module unloads: nothing left in flight" sh -c 'rmmod dm-vaio-test && rmmod dm-vaio'
ktap_finish
