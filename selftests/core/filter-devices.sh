#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a filter's own devices show in dmsetup deps and the sysfs holders lsblk reads; no device serves two vaio disks or two purposes; a filter's need for stable pages reaches the disk"
TIMEOUT=120
DEBUG_LANE=full          # make check-debug-full only (CI's debug budget, testing.rst)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

# Issue 17, defect 7 (the rest). Replication opened its metadata device
# with an exclusive open of its own: dmsetup deps and lsblk never showed
# it. It opens it through dm now, whose claim is one for all of dm; the
# core's own list of claims keeps one device from serving two vaio disks
# or two purposes (a disk below and another disk's metadata).

brd_setup 16 5	# ram0, ram2: disks below; ram1, ram4: metadata; ram3: cache
modprobe dm-vaio-replication || exit 1
modprobe dm-vaio-cache
modprobe dm-vaio-test
size=$(dev_sectors /dev/ram0)
peer=127.0.0.1:7790
cleanup() { for d in a b c fast lin; do dmsetup remove $d 2>/dev/null; done; }
trap cleanup EXIT

# deps NAME: the devices dmsetup deps lists, as major:minor
deps() { dmsetup deps "$1" | sed 's/.*://; s/[(]\([0-9]*\), \([0-9]*\)[)]/\1:\2/g; s/^ *//'; }
num() { cat "/sys/block/$1/dev"; }
minor() { dmsetup info -c --noheadings -o minor "$1"; }
repl() { # DATA META [DISK_ID]
	echo "0 $size vaio $1 9 disk_id ${3:-a} filter replication fail_open 3 mode=sync peer=$peer meta=$2"
}

ktap_check "disk a: replication with meta=/dev/ram1" dm_create a "$(repl /dev/ram0 /dev/ram1)"
ktap_match "dmsetup deps lists the metadata device" " $(deps a) " " $(num ram1) "
ktap_match "and the disk below" " $(deps a) " " $(num ram0) "
ktap_check "ram1's holders name the disk (lsblk reads them)" test -e "/sys/block/ram1/holders/dm-$(minor a)"
ktap_check "a reload of the same table" vaio_reload a "$(repl /dev/ram0 /dev/ram1)"
ktap_match "still listed" " $(deps a) " " $(num ram1) "
ktap_check "the metadata named by major:minor: the same device" vaio_reload a "$(repl /dev/ram0 "$(num ram1)")"
ktap_eq "replication still active" "$(vaio_filter_state a replication)" active

# No device for two disks, nor for two purposes of one.
table_refused "another disk's metadata as metadata" "$(repl /dev/ram2 /dev/ram1 b)" \
	"in use by another vaio disk or filter"
table_refused "another disk's metadata as a disk below" \
	"0 $size vaio /dev/ram1 2 disk_id b" "in use by another vaio disk or filter"
table_refused "another disk's disk below as metadata" "$(repl /dev/ram2 /dev/ram0 b)" \
	"in use by another vaio disk or filter"
table_refused "another disk's disk below as a disk below" \
	"0 $size vaio /dev/ram0 2 disk_id b" "in use by another vaio disk or filter"
sum2=$(md5sum </dev/ram2)
table_refused "a disk's own disk below as its metadata" "$(repl /dev/ram2 /dev/ram2 b)" \
	"in use by another vaio disk or filter"
table_refused "the same, named by major:minor" "$(repl /dev/ram2 "$(num ram2)" b)" \
	"in use by another vaio disk or filter"
ktap_eq "nothing written to it (a zeroed device would be formatted)" "$(md5sum </dev/ram2)" "$sum2"
ktap_check "a dm-linear over ram4" dm_create lin "0 $size linear /dev/ram4 0"
table_refused "a device another dm device holds as metadata" "$(repl /dev/ram2 /dev/ram4 b)" \
	"the device is in use"
ktap_eq "nothing written to it" "$(md5sum </dev/ram4)" "$(md5sum </dev/ram3)"
dm_remove lin
ktap_check "cache pool on ram3" dm_create fast "0 8 vaio-cache-pool /dev/ram3 format"
ktap_check "disk c: a cache in the pool" dm_create c \
	"0 $size vaio /dev/ram2 8 disk_id c filter cache fail_open 2 pool=fast mode=writethrough"
ktap_match "dmsetup deps lists the pool" " $(deps c) " " $(num "dm-$(minor fast)") "
table_refused "a cache pool as metadata" "$(repl /dev/ram4 /dev/mapper/fast b)" \
	"in use by another vaio disk or filter"
ktap_check "a disk b of its own: ram4 below, no filter" dm_create b "0 $size vaio /dev/ram4 2 disk_id b"
ktap_check "b may share the pool (its purpose is shared)" vaio_reload b \
	"0 $size vaio /dev/ram4 8 disk_id b filter cache fail_open 2 pool=fast mode=writethrough"
ktap_eq "a's replication still active" "$(vaio_filter_state a replication)" active
dm_remove b c fast

# The claim ends with the disk's last table: a table of another target.
ktap_check "a becomes dm-linear" vaio_reload a "0 $size linear /dev/ram0 0"
ktap_eq "ram1 has no holder" "$(find /sys/block/ram1/holders -mindepth 1 | wc -l)" 0
ktap_eq "dmsetup deps: ram0 alone" "$(deps a)" "$(num ram0)"
# It holds a's metadata, which names a: no other disk takes it for its own.
table_refused "b refuses a's metadata on ram1" "$(repl /dev/ram2 /dev/ram1 b)" \
	"metadata device holds another disk's metadata"
ktap_check "a again takes it" vaio_reload a "$(repl /dev/ram0 /dev/ram1)"
ktap_check "a becomes dm-linear again" vaio_reload a "0 $size linear /dev/ram0 0"
dd if=/dev/zero of=/dev/ram1 bs=4k count=1 oflag=direct 2>/dev/null
ktap_check "zeroed, b may make it its own" dm_create b "$(repl /dev/ram2 /dev/ram1 b)"
dm_remove a b

# A filter that needs stable pages (it checksums or sends the VM's pages).
ktap_check "a test filter" dm_create a "0 $size vaio /dev/ram0 4 filter test-qos fail_open 0"
ktap_eq "no stable writes (brd needs none)" "$(dm_queue a stable_writes)" 0
ktap_check "stable_pages=1" vaio_reload a "0 $size vaio /dev/ram0 5 filter test-qos fail_open 1 stable_pages=1"
ktap_eq "the disk asks for stable writes" "$(dm_queue a stable_writes)" 1
ktap_check "without it again" vaio_reload a "0 $size vaio /dev/ram0 4 filter test-qos fail_open 0"
ktap_eq "no stable writes again" "$(dm_queue a stable_writes)" 0
dm_remove a
ktap_finish
