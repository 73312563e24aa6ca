#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="every map and end_io verdict of a filter, driven through the test filter, with data checked"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# A blk-mq device (null_blk, memory-backed): its completions use up the
# bio's iterator, which a filter touching read data must not rely on.
nullb_mem raw0 64
size=$(dev_sectors /dev/raw0)
dm_create vt "0 $size vaio /dev/raw0 5 filter test-encryption fail_closed 1 bounce=1"
f=test-encryption
msg() { dmsetup message vt 0 "$f" "$@"; }
get() { vaio_filter_get vt "$f" "$1"; }
region() { # MiB offset: write 8 MiB (seeded) and verify
	fio_verify /dev/mapper/vt --offset="$1"m --size=8m --randseed="$1"
}
region_check() { fio_verify /dev/mapper/vt --offset="$1"m --size=8m --randseed="$1" --verify_only; }

ktap_check "delay 5 ms: message accepted" msg delay 5
ktap_check "delay: data intact" region 0
ktap_match "delay: bios were deferred" "$(get deferred)" '^[1-9]'

msg reset
ktap_check "defer: message accepted" msg defer
ktap_check "defer: data intact" region 8
ktap_match "defer: bios went through the core's worker" "$(get deferred)" '^[1-9]'

msg reset
msg hold_end 3
ktap_check "hold_end: completions held, data intact" region 16
ktap_match "hold_end: completions were deferred" "$(get deferred)" '^[1-9]'
ktap_eq "hold_end: every bio completed" "$(get end_ios)" "$(get maps)"

# invert stands in for encryption: the disk holds a transformed copy.
msg invert
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
dd if=/tmp/pat of=/dev/mapper/vt bs=1M seek=24 oflag=direct 2>/dev/null
dd if=/dev/mapper/vt of=/tmp/via bs=1M skip=24 count=1 iflag=direct 2>/dev/null
dd if=/dev/raw0 of=/tmp/raw bs=1M skip=24 count=1 iflag=direct 2>/dev/null
ktap_check "invert: reads back what was written" cmp /tmp/pat /tmp/via
ktap_fails "invert: the disk holds other bytes" cmp -s /tmp/pat /tmp/raw
ktap_check "invert: fio verify through the transform" region 32
msg pass
dd if=/dev/mapper/vt of=/tmp/via bs=1M skip=24 count=1 iflag=direct 2>/dev/null
ktap_check "invert: without the filter's transform, the raw bytes" cmp /tmp/raw /tmp/via

msg reset
msg complete writes
dd if=/dev/zero of=/dev/mapper/vt bs=1M seek=24 count=1 oflag=direct 2>/dev/null
dd if=/dev/raw0 of=/tmp/raw2 bs=1M skip=24 count=1 iflag=direct 2>/dev/null
ktap_check "complete: the write was acknowledged but never reached the disk" cmp /tmp/raw /tmp/raw2
ktap_match "complete: counted" "$(get completed)" '^[1-9]'

msg fail writes
errs=$(vaio_stat vt errors)
ktap_fails "fail: the write gets an I/O error" \
	dd if=/dev/zero of=/dev/mapper/vt bs=4k count=1 oflag=direct
ktap_match "fail: counted" "$(get failed)" '^[1-9]'
ktap_check "fail: the disk counts the error too" test "$(vaio_stat vt errors)" -gt "$errs"
ktap_check "fail writes: reads still work" region_check 0

# The oracle can fail: corrupted reads are caught by fio's verify.
msg corrupt reads
ktap_fails "corrupt: fio verify catches corrupted reads" region_check 0
ktap_match "corrupt: counted" "$(get corrupted)" '^[1-9]'
msg pass
ktap_check "pass: the data on disk was never harmed" region_check 0
# (32M was written inverted: without the transform it reads transformed.)
for r in 8 16; do
	ktap_check "region ${r}M intact" region_check "$r"
done

ktap_fails "unknown test command refused" msg frobnicate
ktap_fails "delay without a number refused" msg delay soon
ktap_fails "message to a filter the disk does not have" dmsetup message vt 0 test-cache pass
ktap_fails "empty event refused" dmsetup message vt 0 event
ktap_check "by class name too" dmsetup message vt 0 encryption pass
ktap_eq "filter still active" "$(vaio_filter_state vt $f)" active
dm_remove vt
ktap_finish
