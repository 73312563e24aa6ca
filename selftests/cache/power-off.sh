#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="cache filter in writeback: power cut mid-write; after reboot the pool finds its dirty blocks, every acknowledged write reads back, and after write-back the disk below alone has them all"
TOPOLOGY=2host
TIMEOUT=600
# On vaio-b, disks the host keeps across its power cut (new, zeroed, for
# each run): the disk below, the cache device, the writer's log.
VDISKS="64 16 8"
DATA=/dev/vdisk0
CACHE=/dev/vdisk1
LOG=/dev/vdisk2
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/repl.sh"

SEED=$(od -An -tu4 -N4 /dev/urandom | tr -d ' ')
CUT=$(awk -v s="$SEED" 'BEGIN { srand(s); print 4 + int(rand() * 5) }')
TABLE="0 $((64 * 2048)) vaio $DATA 10 disk_id d0 filter cache fail_closed 4 pool=fast mode=writeback dirty_high=60 dirty_low=50"

# b_up: the pool on the cache device (found again after a reboot) and d0.
b_up() {
	vaio_peer "modprobe dm-vaio-cache &&
		echo '0 8 vaio-cache-pool $CACHE format' | dmsetup create fast &&
		dmsetup mknodes fast &&
		echo '$TABLE' | dmsetup create d0 && dmsetup mknodes d0"
}
b_word() {
	vaio_peer "dmsetup status $1" | awk -v k="$2" '{ for (i = 4; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_diag "seed $SEED, power cut after $CUT s"
ktap_check "pool and disk in writeback mode" b_up
ktap_check "the writer writes (FUA), its log on a kept disk" vaio_peer \
	"setsid vaio-ackwriter write --dev /dev/mapper/d0 --log $LOG --seed $SEED \
	--threads 4 --seconds 300 --fua >/tmp/writer.out 2>&1 </dev/null &"
sleep "$CUT"
d=$(b_word d0 dirty)
ktap_match "blocks are dirty before the cut ($d)" "$d" '^[1-9]'
ktap_check "power cut of vaio-b mid-write" repl_reset_b

ktap_check "pool and disk again after the reboot" b_up
d=$(b_word fast dirty)
ktap_match "the pool found dirty blocks ($d)" "$d" '^[1-9]'
# The checks run on vaio-b, where the log and the disks are.
check() { vaio_peer "vaio-ackwriter check --log $LOG --dev $*"; }
ktap_diag "$(check /dev/mapper/d0 --complete --prefix 2>&1 | tail -n1)"
ktap_check "every acknowledged write reads back through the cache" \
	check /dev/mapper/d0 --complete --prefix
ktap_eq "the disk below alone lacks some (the check can fail)" \
	"$(check $DATA --complete >/dev/null 2>&1; echo $?)" 1
ktap_check "write back everything" vaio_peer "dmsetup message d0 0 cache writeback"
ktap_eq "nothing dirty" "$(b_word d0 dirty)" 0
ktap_check "the disk below alone has every acknowledged write" \
	check $DATA --complete --prefix
sum() { vaio_peer "dd if=$1 bs=1M iflag=direct 2>/dev/null | md5sum"; }
ktap_eq "and equals what the VM reads" "$(sum $DATA)" "$(sum /dev/mapper/d0)"
ktap_check "disk and pool removed" vaio_peer "dmsetup remove d0 && dmsetup remove fast"
ktap_finish
