#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cbt after a power cut while fio writes: every block whose content differs from the copy taken at the mark is listed since it"
TIMEOUT=150
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/cbt.sh"

# One RAM disk holds both the data (32 MiB) and the metadata, behind one
# dm-flakey: the power cut is that flakey drops every write from one
# instant on, the data's and the metadata's alike. The metadata's writes
# go through dm-delay (200 ms): a bit that were not on the device before
# its data write would be lost at a cut for a long window.
SEED=$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')
CUT_MS=$(awk -v s="$SEED" 'BEGIN { srand(s); print 2500 + int(rand() * 2000) }')
brd_setup 64
size=$(dev_sectors /dev/ram0)
DATA=65536
up="0 $size flakey /dev/ram0 0 3600 0"
cut="0 $size flakey /dev/ram0 0 0 3600 1 drop_writes"
# devs_up [MS]: the data and the metadata (its writes delayed MS ms).
devs_up() {
	dm_create dd "0 $DATA linear /dev/mapper/fl 0" &&
	dm_create mm "0 32 delay /dev/mapper/fl $DATA 0 /dev/mapper/fl $DATA ${1:-0}"
}

ktap_diag "seed $SEED, power cut after $CUT_MS ms"
ktap_check "flakey over the RAM disk, up" dm_create fl "$up"
ktap_check "data and metadata (writes delayed 200 ms) on it" devs_up 200
ktap_check "data zeroed before tracking" \
	dd if=/dev/zero of=/dev/mapper/dd bs=1M count=32 oflag=direct
ktap_check "disk with cbt, 4 KiB blocks" \
	dm_create d0 "$(cbt_table /dev/mapper/dd /dev/mapper/mm block_kib=4 format=1)"
id=$(vaioctl cbt mark d0)
ktap_match "marked: $id" "$id" '^[0-9a-f]{16}:1$'
ktap_check "the disk at the mark copied" dd if=/dev/mapper/d0 of=/tmp/pre bs=1M iflag=direct

fio --name=w --filename=/dev/mapper/d0 --rw=randwrite --bs=4k --iodepth=16 \
	--ioengine=libaio --direct=1 --time_based --runtime=$((CUT_MS / 1000 + 2)) \
	--rate_iops=400 --buffer_compress_percentage=99 \
	--buffer_compress_chunk=4096 --refill_buffers \
	--randseed="$SEED" --output=/tmp/fio.out >/dev/null 2>&1 &
fio=$!
# Marks while fio writes: the cut may fall into one, and with 3 slots the
# oldest epochs merge (the changeId from before them is then answered
# with more epochs: still every change).
end=$(($(ms_now) + CUT_MS))
marks=0
while [ "$(ms_now)" -lt "$end" ]; do
	vaioctl cbt mark d0 >/dev/null && marks=$((marks + 1))
	sleep 0.2
done
ktap_diag "$marks marks during the writes, epochs kept apart from $(vaioctl -j cbt status d0 | jq .first)"
ktap_match "writes waited for their bits ($(cbt_word d0 held))" "$(cbt_word d0 held)" '^[1-9]'
ktap_check "power cut: every write dropped from now on" vaio_reload fl "$cut"
wait "$fio"

# The host comes back: nothing written after the cut is there, the
# devices are made again over what the RAM disk holds.
ktap_check "the cut host's devices gone" dm_remove d0 dd mm
ktap_check "the disk comes back" vaio_reload fl "$up"
ktap_check "data and metadata again" devs_up
ktap_check "disk with cbt again (no format)" \
	dm_create d0 "$(cbt_table /dev/mapper/dd /dev/mapper/mm block_kib=4)"
cbt_changes d0 "$id" >/tmp/listed
ktap_eq "the changeId from before the cut is answered" "$?" 0
dd if=/dev/mapper/d0 of=/tmp/post bs=1M iflag=direct 2>/dev/null
# fio's blocks are zeroes but for 1 %: cmp lists ~40 bytes a block.
cmp -l /tmp/pre /tmp/post | awk '{ print int(($1 - 1) / 4096) }' | uniq >/tmp/changed
ktap_diag "blocks changed: $(wc -l </tmp/changed), extents listed: $(wc -l </tmp/listed)"
ktap_match "some blocks changed before the cut" "$(wc -l </tmp/changed)" '^ *[1-9]'
missing=$(awk 'NR == FNR {
		for (b = $1 / 4096; b < ($1 + $2) / 4096; b++) listed[b] = 1
		next
	}
	!($1 in listed) { n++; if (n <= 5) print "missing block " $1 }
	END { print n + 0 }' /tmp/listed /tmp/changed)
ktap_diag "$missing"
ktap_eq "every changed block is listed" "$(echo "$missing" | tail -n1)" 0
ktap_check "disks removed" dm_remove d0 dd mm fl
ktap_finish
