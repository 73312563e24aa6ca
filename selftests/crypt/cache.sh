#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt with the cache filter (write-back, write-through) over brd: no plaintext on the cache device or below; fio verify through both; after write-back (message, detach) the disk below is what dm-crypt (cryptsetup open --type plain, same key) reads as the plaintext"
TIMEOUT=300
CHECK=full	# about 110 s on a loaded host: make check is at its 30 minutes
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The disk below: 16 MiB of brd (/dev/ram0); /dev/ram1 for copies of it.
# The cache device: a 16 MiB memory-backed null_blk (/dev/cdev), the pool
# "fast" on it (4 KiB blocks).
MIB=16
brd_setup $MIB 2
nullb_mem cdev 16
modprobe dm-vaio-cache
crypt_key k 64
key=key=:64:logon:vaio:k
size=$(dev_sectors /dev/ram0)
MARK=VAIO-CRYPT-PLAINTEXT-MARKER
yes "$MARK" | head -c 4194304 >/tmp/marker
lines=$(grep -cF "$MARK" /tmp/marker)

# count DEV: the marker's lines on all of DEV, read with O_DIRECT.
count() { dd if="$1" bs=1M iflag=direct 2>/dev/null | grep -acF "$MARK"; }
# table [MODE]: vm's table: crypt, then the cache in MODE (none: crypt
# alone), no sequential bypass (the test's reads are sequential).
table() {
	if [ -n "$1" ]; then
		echo "$(crypt_table vm /dev/ram0 "$key") filter cache fail_closed 3 pool=fast mode=$1 sequential_kib=0" |
			awk '{ $5 += 7; print }'
	else
		crypt_table vm /dev/ram0 "$key"
	fi
}
vm_sum() { dev_sha /dev/mapper/vm $MIB; }
# dmcrypt_sum [count]: the sha256 of what dm-crypt reads from a copy of
# the disk below as it is now (/dev/ram1; cryptsetup open --type plain,
# the key's bytes as its key file); the disk itself stays vm's.
dmcrypt_sum() {
	dd if=/dev/ram0 of=/dev/ram1 bs=1M iflag=direct oflag=direct 2>/dev/null &&
		cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 \
			--key-file /tmp/k.key /dev/ram1 pc || return 1
	dev_sha /dev/mapper/pc $MIB
	# The pattern's lines in its two places (0 and 12 MiB).
	[ "$1" = count ] && echo "$(dd if=/dev/mapper/pc bs=1M count=4 iflag=direct 2>/dev/null |
		grep -acF "$MARK") $(dd if=/dev/mapper/pc bs=1M skip=12 count=4 iflag=direct 2>/dev/null |
		grep -acF "$MARK")" >/tmp/pc.count
	cryptsetup close pc
}
# dmcrypt_same: dm-crypt reads from the disk below what vm reads.
dmcrypt_same() {
	local a b
	a=$(vm_sum)
	b=$(dmcrypt_sum "$@")
	[ "$a" = "$b" ] && return 0
	echo "vm: $a, dm-crypt below: $b" >&2
	return 1
}

# The search can fail: the pattern written directly is found.
dev_put /tmp/marker /dev/ram0
ktap_eq "the pattern written directly below is found ($lines lines)" "$(count /dev/ram0)" "$lines"
dd if=/dev/zero of=/dev/ram0 bs=1M oflag=direct 2>/dev/null

ktap_check "pool on the cache device" dm_create fast "0 8 vaio-cache-pool /dev/cdev format"

# 1. Write-back: the cache device holds the writes, encrypted.
ktap_check "vm: crypt + cache, write-back" dm_create vm "$(table writeback)"
ktap_eq "the filters, in class order" "$(vaio_filters vm)" "crypt cache"
# In 4 KiB writes: one of more than 32 blocks is not cached.
ktap_check "4 MiB of the pattern written through vm, 4 KiB a write" \
	dd if=/tmp/marker of=/dev/mapper/vm bs=4k oflag=direct
ktap_check "all in the cache, dirty ($(get dirty) blocks)" test "$(get dirty)" -ge 1024
ktap_eq "the pattern reads back through vm" "$(dd if=/dev/mapper/vm bs=1M count=4 iflag=direct 2>/dev/null | grep -acF "$MARK")" "$lines"
ktap_eq "none of it on the cache device" "$(count /dev/cdev)" 0
ktap_eq "none of it below" "$(count /dev/ram0)" 0
ktap_check "fio verify (crc32c), 4 MiB from 4 MiB" fio_verify /dev/mapper/vm --offset=4m --size=4m
ktap_match "dirty blocks after it ($(get dirty))" "$(get dirty)" '^[1-9]'
ktap_fails "dm-crypt does not read vm's data below yet (the check can fail)" dmcrypt_same
ktap_check "writeback message" dmsetup message vm 0 cache writeback
ktap_eq "nothing dirty" "$(get dirty)" 0
ktap_check "dm-crypt reads below what vm reads (sha256 of 16 MiB)" dmcrypt_same count
ktap_eq "... the pattern among it" "$(cat /tmp/pc.count)" "$lines 0"
ktap_eq "none of it below, still" "$(count /dev/ram0)" 0
ktap_eq "none on the cache device" "$(count /dev/cdev)" 0
# Dirty again, then the cache detached (a reload with crypt alone), which
# writes the dirty blocks back.
ktap_check "fio verify, 4 MiB from 8 MiB" fio_verify /dev/mapper/vm --offset=8m --size=4m
ktap_match "dirty blocks ($(get dirty))" "$(get dirty)" '^[1-9]'
ktap_check "the cache detached: crypt alone" vaio_reload vm "$(table)"
ktap_eq "crypt alone" "$(vaio_filters vm)" crypt
ktap_check "dm-crypt reads below what vm reads after the detach" dmcrypt_same
ktap_check "fio's blocks verify without the cache" \
	fio_verify /dev/mapper/vm --offset=8m --size=4m --verify_only

# 2. Write-through: the cache device holds clean copies, encrypted.
ktap_check "the cache attached again, write-through" vaio_reload vm "$(table writethrough)"
ktap_check "the pattern written at 12 MiB, 4 KiB a write" \
	dd if=/tmp/marker of=/dev/mapper/vm bs=4k seek=3072 oflag=direct
# Read twice in 4 KiB reads: admitted, then cached (write-through caches
# a write only of a block it holds or admitted).
dd if=/dev/mapper/vm of=/dev/null bs=4k skip=3072 count=1024 iflag=direct 2>/dev/null
ktap_eq "it reads back through vm" \
	"$(dd if=/dev/mapper/vm bs=4k skip=3072 count=1024 iflag=direct 2>/dev/null | grep -acF "$MARK")" "$lines"
wh=$(get write_hits)
ktap_check "written again, 4 KiB a write" \
	dd if=/tmp/marker of=/dev/mapper/vm bs=4k seek=3072 oflag=direct
wh=$(($(get write_hits) - wh))
ktap_check "... into the cache too ($wh write hits)" test "$wh" -ge 512
ktap_check "fio verify, 4 MiB from 4 MiB again" fio_verify /dev/mapper/vm --offset=4m --size=4m --randseed=2
ktap_eq "nothing dirty" "$(get dirty)" 0
ktap_eq "none of the pattern on the cache device" "$(count /dev/cdev)" 0
ktap_eq "none below" "$(count /dev/ram0)" 0
ktap_check "dm-crypt reads below what vm reads, at once" dmcrypt_same count
ktap_eq "... both patterns among it" "$(cat /tmp/pc.count)" "$lines $lines"
ktap_eq "no crypt error" "$(vaio_filter_get vm crypt errors)" 0
ktap_check "vm removed" dm_remove vm
ktap_check "pool removed" dm_remove fast
ktap_finish
