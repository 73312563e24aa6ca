#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt filter over a disk with write-zeroes and discards (scsi_debug): the filter withdraws both, and a zero-out becomes encrypted zero writes that read back as zeroes"
DEBUG_LANE=no	# scsi_debug, which the debug kernel leaves out (trim.config: SCSI)
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

modprobe sd_mod && modprobe scsi_debug dev_size_mb=16 lbpws=1
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 0.3; done
crypt_key k 64
size=$(dev_sectors /dev/sda)

ktap_check "plain vaio disk" dm_create p "0 $size vaio /dev/sda 2 disk_id p"
ktap_match "without the filter, write-zeroes offered" "$(dm_queue p write_zeroes_max_bytes)" '^[1-9]'
ktap_match "and discards" "$(dm_queue p discard_max_bytes)" '^[1-9]'
dm_remove p

ktap_check "crypt disk" dm_create c "$(crypt_table c /dev/sda key=:64:logon:vaio:k)"
ktap_eq "with it, no write-zeroes" "$(dm_queue c write_zeroes_max_bytes)" 0
ktap_eq "and no discard" "$(dm_queue c discard_max_bytes)" 0
dd if=/dev/urandom of=/tmp/r bs=1M count=2 2>/dev/null
dev_put /tmp/r /dev/mapper/c
dd if=/dev/zero of=/tmp/z bs=1M count=1 2>/dev/null
ktap_check "a zero-out of 1 MiB (blkdiscard -z)" /usr/sbin/blkdiscard -z -o 0 -l 1048576 /dev/mapper/c
ktap_eq "reads back as zeroes through the filter" "$(dev_sha /dev/mapper/c 1)" "$(sha /tmp/z)"
ktap_check "the next MiB untouched" test "$(dd if=/dev/mapper/c bs=1M skip=1 count=1 iflag=direct 2>/dev/null | sha -)" = \
	"$(dd if=/tmp/r bs=1M skip=1 count=1 2>/dev/null | sha -)"
ktap_check "below: encrypted zeroes, not zeroes" test "$(dev_sha /dev/sda 1)" != "$(sha /tmp/z)"
ktap_eq "status: no error" "$(vaio_filter_get c crypt errors)" 0
dm_remove c
ktap_check "module unloads" rmmod dm-vaio-crypt
ktap_finish
