#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt filter: fio verify (crc32c) through it with 512 and 4096-byte sectors, across suspends and a reload; no plaintext below it; its block size, discards (allow_discards); its counters"
TIMEOUT=600
SMP=2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

nullb_mem nb 64 discard=1
crypt_key k 64
key=key=:64:logon:vaio:k

# A known pattern, 4 MiB of lines; found on the disk below when written
# there directly (the search can fail), not when written through the filter.
yes 'VAIO-CRYPT-PLAINTEXT-MARKER' | head -c 4194304 >/tmp/marker
lines=$(grep -c MARKER /tmp/marker)
dev_put /tmp/marker /dev/nb
ktap_eq "the pattern written directly is found below ($lines lines)" \
	"$(dd if=/dev/nb bs=1M iflag=direct 2>/dev/null | grep -ac MARKER)" "$lines"

ktap_check "crypt disk, 512-byte sectors" dm_create c "$(crypt_table c /dev/nb $key)"
ktap_eq "logical block size 512" "$(blockdev --getss /dev/mapper/c)" 512
dev_put /tmp/marker /dev/mapper/c
ktap_eq "the pattern reads back through the filter" \
	"$(dd if=/dev/mapper/c bs=1M count=4 iflag=direct 2>/dev/null | grep -ac MARKER)" "$lines"
ktap_eq "none of it below" "$(dd if=/dev/nb bs=1M iflag=direct 2>/dev/null | grep -ac MARKER)" 0

ktap_check "fio verify, 32 MiB, 4k-64k random writes" fio_verify /dev/mapper/c --size=32m
ktap_check "fio verify, 1 MiB sequential writes" fio_verify /dev/mapper/c --size=32m \
	--rw=write --bsrange=1m-1m --iodepth=4
ktap_match "status: reads and writes counted, no error" \
	"$(vaio_filter_get c crypt writes) $(vaio_filter_get c crypt reads) $(vaio_filter_get c crypt errors)" \
	'^[1-9][0-9]* [1-9][0-9]* 0$'
# Suspends and a reload while fio writes and verifies: the filter's
# workers hold no bio for long, the suspend waits for them.
fio_verify /dev/mapper/c --size=32m --loops=3 >/tmp/fio-bg.log 2>&1 &
pid=$!
ok=1
for _ in 1 2 3; do
	sleep 1
	dmsetup suspend c && dmsetup resume c || ok=0
done
vaio_reload c "$(crypt_table c /dev/nb $key)" || ok=0
ktap_eq "three suspends and a reload under fio" "$ok" 1
wait "$pid" && rc=0 || rc=$?
[ "$rc" = 0 ] || ktap_diag "$(cat /tmp/fio-bg.log)"
ktap_eq "fio verify across them" "$rc" 0
ktap_eq "status: the cipher, its sector size, the key's description" \
	"$(vaio_filter_get c crypt cipher) $(vaio_filter_get c crypt sector_size) $(vaio_filter_get c crypt key_desc)" \
	"aes-xts-plain64 512 logon:vaio:k"
ktap_eq "no discard without allow_discards" "$(dm_queue c discard_max_bytes)" 0
ktap_fails "blkdiscard refused" blkdiscard /dev/mapper/c
dm_remove c

ktap_check "crypt disk, 4096-byte sectors, allow_discards" \
	dm_create c "$(crypt_table c /dev/nb $key sector_size=4096 allow_discards=1)"
ktap_eq "logical block size 4096" "$(blockdev --getss /dev/mapper/c)" 4096
ktap_check "fio verify, 4k-64k random writes" fio_verify /dev/mapper/c --size=32m
dev_put /tmp/marker /dev/mapper/c
ktap_eq "the pattern reads back" \
	"$(dd if=/dev/mapper/c bs=1M count=4 iflag=direct 2>/dev/null | grep -ac MARKER)" "$lines"
ktap_eq "none of it below" "$(dd if=/dev/nb bs=1M iflag=direct 2>/dev/null | grep -ac MARKER)" 0
ktap_match "discards offered with allow_discards" "$(dm_queue c discard_max_bytes)" '^[1-9]'
ktap_check "blkdiscard passes" blkdiscard /dev/mapper/c
ktap_eq "status: sector_size, allow_discards" \
	"$(vaio_filter_get c crypt sector_size) $(vaio_filter_get c crypt allow_discards)" "4096 1"
dm_remove c
ktap_check "module unloads" rmmod dm-vaio-crypt
ktap_finish
