#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt filter across reloads: a running disk cannot drop crypt (a table, vaioctl policy edit) or take it on, nor change its key or layout; the same key under another description is taken; a bio not of whole cipher sectors (a filter's own I/O above crypt) fails; a missing key leaves no negative key"
TIMEOUT=120
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

vaioctl_setup
brd_setup 16 2
modprobe dm-vaio-crypt
crypt_key k 64
crypt_key other 64
# The same bytes as vaio:k under another description.
keyctl padd logon vaio:same @u </tmp/k.key >/dev/null
k=key=:64:logon:vaio:k
size=$(dev_sectors /dev/ram0)
differs="crypt: the new table's key or layout differs from the running disk's"
# t ARGS...: disk c over ram0, test-qos (whose copy message is I/O of a
# filter above crypt) and crypt with ARGS; qos: the table without crypt.
t() { echo "0 $size vaio /dev/ram0 $((10 + $#)) disk_id c filter test-qos fail_open 0 filter crypt fail_closed $# $*"; }
qos="0 $size vaio /dev/ram0 6 disk_id c filter test-qos fail_open 0"
yes 'VAIO-CRYPT-RELOAD-MARKER' | head -c 1048576 >/tmp/marker
dd if=/dev/urandom of=/tmp/a bs=1M count=1 2>/dev/null

ktap_check "disk c: test-qos over crypt, 4096-byte sectors" dm_create c "$(t $k sector_size=4096)"
dev_put /tmp/a /dev/mapper/c
sum=$(sha /tmp/a)

# refused DESC TABLE MESSAGE: a reload of c to TABLE fails, the kernel log
# says MESSAGE, c keeps its table, its data and its block size.
refused() {
	dmesg -c >/dev/null
	ktap_fails "$1" vaio_reload c "$2"
	dmsetup resume c 2>/dev/null
	ktap_match "... $3" "$(dmesg -c)" "$3"
	ktap_eq "... c still reads its data, 4096-byte blocks, table with crypt" \
		"$(dev_sha /dev/mapper/c 1) $(blockdev --getss /dev/mapper/c) $(vaio_filters c)" \
		"$sum 4096 test-qos crypt"
}
refused "reload without crypt refused" "$qos" \
	"crypt vetoed detach: a running disk cannot drop its encryption: remove the disk and create it again"
dd if=/tmp/marker of=/dev/mapper/c bs=1M seek=8 oflag=direct 2>/dev/null
ktap_eq "a marker written afterwards is not found below" \
	"$(dd if=/dev/ram0 bs=1M skip=8 count=1 iflag=direct 2>/dev/null | grep -ac MARKER)" 0
ktap_eq "... and reads back through c" \
	"$(dd if=/dev/mapper/c bs=1M skip=8 count=1 iflag=direct 2>/dev/null | sha -)" "$(sha /tmp/marker)"
refused "reload with another key refused" "$(t key=:64:logon:vaio:other sector_size=4096)" "$differs"
refused "reload with sector_size=512 refused" "$(t $k)" "$differs"
refused "reload with iv_offset=8 refused" "$(t $k sector_size=4096 iv_offset=8)" "$differs"
refused "reload with iv_large_sectors=1 refused" "$(t $k sector_size=4096 iv_large_sectors=1)" "$differs"
ktap_check "reload with the same key under another description accepted" \
	vaio_reload c "$(t key=:64:logon:vaio:same sector_size=4096)"
ktap_eq "... c reads its data" "$(dev_sha /dev/mapper/c 1)" "$sum"
ktap_check "reload with the same table accepted" vaio_reload c "$(t $k sector_size=4096)"
ktap_eq "... c reads its data" "$(dev_sha /dev/mapper/c 1)" "$sum"

# A filter's own I/O above crypt not of whole 4096-byte cipher sectors.
ktap_fails "copy from sector 1 fails" dmsetup message c 0 test-qos copy 1 1024 8
ktap_fails "copy to sector 1025 fails" dmsetup message c 0 test-qos copy 0 1025 8
ktap_fails "copy of 4 sectors fails" dmsetup message c 0 test-qos copy 0 1024 4
ktap_eq "... c's data unchanged" "$(dev_sha /dev/mapper/c 1)" "$sum"
ktap_check "an aligned copy (block 0 to 128) works" dmsetup message c 0 test-qos copy 0 1024 8
ktap_eq "... block 128 reads as block 0" "$(blk4k /dev/mapper/c 128)" "$(blk4k /dev/mapper/c 0)"
dm_remove c
ktap_check "removed, c comes back with another key" \
	dm_create c "$(t key=:64:logon:vaio:other)"
dm_remove c

# vaioctl: a policy edit that drops crypt from a running disk.
ktap_check "policy create enc" vaioctl policy create enc test-qos "crypt:$k,fail=closed"
ktap_check "disk create d0 with policy enc" vaioctl disk create d0 /dev/ram1 --policy enc
dmesg -c >/dev/null
vaioctl_bad "policy edit enc to test-qos alone refused" \
	"disk d0: A filter vetoed its detach: crypt: a running disk cannot drop its encryption" \
	vaioctl policy edit enc test-qos
ktap_match "... the kernel log says why" "$(dmesg -c)" "crypt vetoed detach: a running disk cannot drop its encryption"
ktap_eq "... d0 keeps crypt" "$(vaio_filters d0)" "test-qos crypt"
ktap_check "disk remove d0" vaioctl disk remove d0

# Crypt joining a running disk without it: it would decrypt plaintext.
ktap_check "plain disk p" dm_create p "0 $size vaio /dev/ram1 2 disk_id p"
dmesg -c >/dev/null
ktap_fails "reload of p with crypt refused" vaio_reload p "$(crypt_table p /dev/ram1 $k)"
dmsetup resume p 2>/dev/null
ktap_match "... the kernel log says why" "$(dmesg -c)" "crypt vetoed attach: "
ktap_eq "... p has no filter" "$(vaio_filters p)" ""
dm_remove p
ktap_check "a new disk over it with crypt" dm_create p "$(crypt_table p /dev/ram1 $k)"
dm_remove p

# A key missing at a load leaves no negative key behind (request_key()
# without callout information): added just after, the next load finds it.
table_refused "a key not yet in the keyring refused" \
	"$(crypt_table n /dev/ram1 key=:64:logon:vaio:late)" "crypt: no such logon key in the keyring"
keyctl padd logon vaio:late @u </tmp/k.key >/dev/null
ktap_check "added just after, the next load finds it" \
	dm_create n "$(crypt_table n /dev/ram1 key=:64:logon:vaio:late)"
dm_remove n
ktap_check "module unloads" rmmod dm-vaio-crypt
ktap_finish
