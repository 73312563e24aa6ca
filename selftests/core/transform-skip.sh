#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="no bio skips a filter that transforms data: not one that was in a filter's ->map() above it when it failed closed, nor one remapped (VAIO_REMAP) above it; no plaintext below"
TIMEOUT=120
SMP=2
DEBUG_LANE=ci	# the core bio paths where a filter fails under a bio (58 s there)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# test-encryption (fail_closed) with mode=invert stands in for the crypt
# filter: it stores writes inverted. test-qos above it can be slow in its
# ->map() (spin) or remap bios past the filters below (remap).
brd_setup 16 1
size=$(dev_sectors /dev/ram0)
modprobe dm-vaio-test
yes 'VAIO-PLAINTEXT-MARKER' | head -c 4096 >/tmp/m4k
plain_below() { dd if=/dev/ram0 bs=4k count=1 iflag=direct 2>/dev/null | grep -ac MARKER; }
table="0 $size vaio /dev/ram0 11 disk_id t filter test-qos fail_open 0 filter test-encryption fail_closed 1 mode=invert"

ktap_check "test-qos over test-encryption (invert)" dm_create t "$table"
ktap_check "a write through both" dd if=/tmp/m4k of=/dev/mapper/t bs=4k count=1 oflag=direct
ktap_eq "it is not plaintext below" "$(plain_below)" 0

# 1. The encryption filter fails closed while a write is in test-qos's
# ->map(), past the core's first check of the disk's state.
dd if=/dev/zero of=/dev/ram0 bs=4k count=1 oflag=direct 2>/dev/null
ends=$(vaio_filter_get t test-qos end_ios)
maps=$(vaio_filter_get t test-qos maps)
# (The guest's clock for mdelay() runs fast under TCG: the spin is shorter
# than it says, so the failure follows the map count, not a sleep.)
ktap_check "test-qos: spin 5000 ms in ->map() for writes" dmsetup message t 0 test-qos spin 5000 writes
dd if=/tmp/m4k of=/dev/mapper/t bs=4k count=1 oflag=direct 2>/tmp/dd.err &
pid=$!
in_map() { [ "$(vaio_filter_get t test-qos maps)" -gt "$maps" ]; }
ktap_check "the write is in test-qos's ->map()" wait_until 50 in_map
ktap_check "fail test-encryption during the spin" dmsetup message t 0 fail test-encryption
wait $pid && rc=0 || rc=$?
ktap_check "the write fails (dd exit $rc)" test "$rc" != 0
ktap_eq "no plaintext below" "$(plain_below)" 0
ktap_eq "nothing written below" "$(dd if=/dev/ram0 bs=4k count=1 iflag=direct 2>/dev/null | tr -d '\0' | wc -c)" 0
ktap_eq "test-qos, which saw the write, saw its completion" \
	"$(vaio_filter_get t test-qos end_ios)" "$((ends + 1))"
ktap_check "test-qos: pass" dmsetup message t 0 test-qos pass
dm_remove t

# 2. A filter above remaps a write (VAIO_REMAP): it would go below as the
# VM wrote it. The core fails it and the remapping filter.
dd if=/dev/zero of=/dev/ram0 bs=4k count=1 oflag=direct 2>/dev/null
ktap_check "again, test-qos remaps writes" dm_create t "$table"
ktap_check "test-qos: remap writes" dmsetup message t 0 test-qos remap writes
ktap_fails "the remapped write fails" dd if=/tmp/m4k of=/dev/mapper/t bs=4k count=1 oflag=direct
ktap_eq "no plaintext below" "$(plain_below)" 0
ktap_eq "test-qos is out of service (fail_open: bypassed)" "$(vaio_filter_state t test-qos)" bypassed
ktap_match "... for its remap" "$(dmesg | tail -n 5)" 'VAIO_REMAP above a filter that transforms data'
ktap_check "the next write goes through test-encryption" \
	dd if=/tmp/m4k of=/dev/mapper/t bs=4k count=1 oflag=direct
ktap_eq "no plaintext below" "$(plain_below)" 0
ktap_eq "and reads back" "$(dd if=/dev/mapper/t bs=4k count=1 iflag=direct 2>/dev/null | grep -ac MARKER)" \
	"$(grep -ac MARKER /tmp/m4k)"
dm_remove t

# 3. A filter that transforms data, fail_open, fails: bypassed, it would
# write plaintext; it fails the disk's I/O instead.
dd if=/dev/zero of=/dev/ram0 bs=4k count=1 oflag=direct 2>/dev/null
ktap_check "test-qos fail_open, inverting (bounce pages)" dm_create t \
	"0 $size vaio /dev/ram0 7 disk_id t filter test-qos fail_open 1 mode=invert"
ktap_check "fail test-qos" dmsetup message t 0 fail test-qos
ktap_eq "it is failed, not bypassed" "$(vaio_filter_state t test-qos)" failed
ktap_fails "a write fails" dd if=/tmp/m4k of=/dev/mapper/t bs=4k count=1 oflag=direct
ktap_eq "no plaintext below" "$(plain_below)" 0
ktap_match "the log says why" "$(dmesg | tail -n 3)" "failing the disk's I/O \(it transforms data\)"
dm_remove t
ktap_finish
