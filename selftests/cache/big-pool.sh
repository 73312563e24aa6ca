#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a cache pool of 420 GiB (110 million blocks: an index whose slots take more than 2 GiB, which kvmalloc refused with a warning) is made, says its size and the RAM of its index (20 to 25 bytes a block), and goes, without a warning"
TIMEOUT=600
MEM=6144
CHECK=full	# 32 s and a 6 GiB guest: make check is at its 30 minutes (cache/huge makes a pool of 4 TiB there)
DEBUG_LANE=no	# 4 GiB of index zeroed and checksummed under KASAN in a 6 GiB guest: not tried
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The cache device: dm-zero of 344 GiB (its writes go nowhere: only the
# pool's making and its status are checked, no data). 420 GiB of 4 KiB
# blocks less the entries: about 109.7 million slots of 20 bytes, 2.2 GiB
# in one array, over kvmalloc's INT_MAX; about 2.5 GiB of index in all.
GIB=420
ktap_check "a $GIB GiB device (dm-zero)" dm_create big "0 $((GIB << 21)) zero"
modprobe dm-vaio-cache
dmesg -c >/dev/null
ktap_check "a pool on it" dm_create fast "0 8 vaio-cache-pool /dev/mapper/big format"
blocks=$(pool_word blocks)
ktap_diag "blocks: $blocks"
ktap_check "with more than INT_MAX / 20 blocks ($blocks)" test "${blocks:-0}" -gt 107374182
# Slots of 20 bytes, a hash bucket of 4 for one or two of them, the ghost
# filter's 4 to 8 bits: 22.5 to 25 bytes a block.
kib=$(pool_word index_kib)
ktap_diag "index: ${kib:-?} KiB, $(( ${kib:-0} * 1024 / ${blocks:-1} )) bytes a block"
ktap_check "its index takes 20 to 25 bytes a block" \
	test "${kib:-0}" -ge $((blocks * 20 / 1024)) -a "${kib:-0}" -le $((blocks * 25 / 1024 + 1))
ktap_eq "none used" "$(pool_word used)" 0
ktap_check "the pool goes" dm_remove fast
ktap_eq "no warning in the kernel log" "$(dmesg | grep -c 'WARNING\|BUG')" 0
dm_remove big
ktap_finish
