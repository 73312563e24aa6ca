#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a cache pool of 344 GiB (90 million blocks: an index whose slots take more than 2 GiB, which kvmalloc refused with a warning) is made, says its size, and goes, without a warning"
TIMEOUT=600
MEM=6144
DEBUG_LANE=no	# 4 GiB of index zeroed and checksummed under KASAN in a 6 GiB guest: not tried
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cache.sh"

# The cache device: dm-zero of 344 GiB (its writes go nowhere: only the
# pool's making and its status are checked, no data). 344 GiB of 4 KiB
# blocks less the entries: about 89.8 million slots of 24 bytes, 2.0 GiB
# in one array, over kvmalloc's INT_MAX; about 4 GiB of index in all.
GIB=344
ktap_check "a $GIB GiB device (dm-zero)" dm_create big "0 $((GIB << 21)) zero"
modprobe dm-vaio-cache
dmesg -c >/dev/null
ktap_check "a pool on it" dm_create fast "0 8 vaio-cache-pool /dev/mapper/big format"
blocks=$(pool_word blocks)
ktap_diag "blocks: $blocks"
ktap_check "with more than INT_MAX / 24 blocks ($blocks)" test "${blocks:-0}" -gt 89478485
ktap_eq "none used" "$(pool_word used)" 0
ktap_check "the pool goes" dm_remove fast
ktap_eq "no warning in the kernel log" "$(dmesg | grep -c 'WARNING\|BUG')" 0
dm_remove big
ktap_finish
