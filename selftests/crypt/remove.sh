#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt filter removed with writes in flight (deferred removal, forced removal to the error target): every acknowledged write reads back through a new table with the key, no plaintext below"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

brd_setup 64
crypt_key k 64
key=key=:64:logon:vaio:k
# Writes below take 4 ms each (dm-delay): 512 writes of 64 KiB take over
# two seconds, so the removal comes while they go on.
ktap_check "slow disk below" dm_create slow \
	"0 $(dev_sectors /dev/ram0) delay /dev/ram0 0 0 /dev/ram0 0 4"
# 32 MiB of a known text: plaintext below would be found.
yes 'VAIO-CRYPT-PLAINTEXT-MARKER' | head -c 33554432 >/tmp/pat
below_plain() { dd if=/dev/mapper/slow bs=1M iflag=direct 2>/dev/null | grep -ac MARKER; }

# acked_check PAT N: the first N 64 KiB blocks of file PAT read back
# through a new crypt disk c2 over slow (the key opened again).
acked_check() {
	local len=$(($2 * 65536))
	dm_create c2 "$(crypt_table c2 /dev/mapper/slow $key)" || return 1
	[ "$(head -c "$len" "$1" | sha -)" = \
	  "$(dd if=/dev/mapper/c2 bs=64k count="$2" iflag=direct 2>/dev/null | sha -)" ]
	local rc=$?
	dm_remove c2
	return $rc
}

# records OUTPUT: dd's count of whole records written (acknowledged).
records() { echo "$1" | sed -n 's/^\([0-9]*\)+[0-9]* records out.*/\1/p'; }

# 1. Deferred removal while a writer has the disk open: the device goes
# when the writer closes it, after its last write.
ktap_check "crypt disk" dm_create c "$(crypt_table c /dev/mapper/slow $key)"
dd if=/tmp/pat of=/dev/mapper/c bs=64k oflag=direct >/tmp/dd.log 2>&1 &
pid=$!
sleep 1
ktap_check "deferred removal while it writes" dmsetup remove --deferred c
ktap_match "it waits for the writer" "$(dmsetup info c 2>&1)" 'DEFERRED REMOVE'
wait "$pid" && rc=0 || rc=$?
ktap_eq "the writer finished without error" "$rc" 0
n=$(records "$(cat /tmp/dd.log)")
ktap_eq "all 512 writes acknowledged" "$n" 512
ktap_check "the device is gone once closed" wait_until 50 sh -c '! dmsetup info c >/dev/null 2>&1'
ktap_check "every write reads back through a new table" acked_check /tmp/pat "$n"
ktap_eq "no plaintext below" "$(below_plain)" 0

# 2. Forced removal: dm puts the error target in (no vaio, no crypt), the
# writes in flight complete first, later ones fail; the device goes when
# the writer has closed it. Other text than the first writer's: a block
# this one did not write is told from one it did.
yes 'VAIO-CRYPT-PLAINTEXT-MARKER, second' | head -c 33554432 >/tmp/pat2
ktap_check "crypt disk again" dm_create c "$(crypt_table c /dev/mapper/slow $key)"
dd if=/tmp/pat2 of=/dev/mapper/c bs=64k oflag=direct >/tmp/dd.log 2>&1 &
pid=$!
sleep 1
dmsetup remove --force c >/tmp/rm.log 2>&1
ktap_match "the error target took the table" "$(dmsetup table c 2>&1)" ' error ?$|No such device'
wait "$pid" && rc=0 || rc=$?
n=$(records "$(cat /tmp/dd.log)")
ktap_diag "forced removal: writer exit $rc, $n of 512 writes acknowledged"
ktap_match "the writer was stopped partway" "$rc:$n" '^[1-9][0-9]*:[1-9][0-9]*$'
ktap_check "the device goes once closed" wait_until 50 sh -c \
	'dmsetup remove c >/dev/null 2>&1; ! dmsetup info c >/dev/null 2>&1'
ktap_check "every acknowledged write reads back" acked_check /tmp/pat2 "$n"
ktap_eq "no plaintext below" "$(below_plain)" 0
ktap_check "removed" dm_remove slow
ktap_check "module unloads" rmmod dm-vaio-crypt
ktap_finish
