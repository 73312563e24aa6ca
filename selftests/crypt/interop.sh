#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt filter and dm-crypt: what vaio writes, cryptsetup open --type plain reads, and the other way, with 512 and 4096-byte sectors, iv_large_sectors, iv_offset, 256 and 512-bit keys"
TIMEOUT=600
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

brd_setup 16
modprobe dm-crypt
crypt_key k512 64
crypt_key k256 32

# interop DESC "VAIO ARGS" CRYPTSETUP OPTIONS...: 8 MiB of random data
# written through a vaio disk with the crypt filter must read back through
# cryptsetup's plain dm-crypt device over the same disk, and the other way.
interop() {
	local desc="$1" args="$2"
	shift 2
	dd if=/dev/urandom of=/tmp/a bs=1M count=8 2>/dev/null
	dd if=/dev/urandom of=/tmp/b bs=1M count=8 2>/dev/null
	# shellcheck disable=SC2086 # the arguments have no spaces
	if ! dm_create v "$(crypt_table v /dev/ram0 $args)"; then
		ktap_fail "$desc: vaio disk created"
		return
	fi
	dev_put /tmp/a /dev/mapper/v
	dm_remove v
	ktap_eq "$desc: the disk below holds no plaintext" \
		"$(dev_sha /dev/ram0 8 | grep -cx "$(sha /tmp/a)")" 0
	if ! cryptsetup open --type plain --cipher aes-xts-plain64 "$@" /dev/ram0 pl; then
		ktap_fail "$desc: cryptsetup open"
		return
	fi
	ktap_eq "$desc: dm-crypt reads what vaio wrote" "$(dev_sha /dev/mapper/pl 8)" "$(sha /tmp/a)"
	dev_put /tmp/b /dev/mapper/pl
	cryptsetup close pl
	# shellcheck disable=SC2086
	dm_create v "$(crypt_table v /dev/ram0 $args)"
	ktap_eq "$desc: vaio reads what dm-crypt wrote" "$(dev_sha /dev/mapper/v 8)" "$(sha /tmp/b)"
	dm_remove v
}

interop "512-byte sectors, 512-bit key" "key=:64:logon:vaio:k512" \
	--key-size 512 --key-file /tmp/k512.key
interop "512-byte sectors, 256-bit key" "key=:32:logon:vaio:k256" \
	--key-size 256 --key-file /tmp/k256.key
interop "4096-byte sectors" "key=:64:logon:vaio:k512 sector_size=4096" \
	--key-size 512 --key-file /tmp/k512.key --sector-size 4096
interop "4096-byte sectors, iv_large_sectors" \
	"key=:64:logon:vaio:k512 sector_size=4096 iv_large_sectors=1" \
	--key-size 512 --key-file /tmp/k512.key --sector-size 4096 --iv-large-sectors
interop "iv_offset=2048 (cryptsetup --skip)" "key=:64:logon:vaio:k512 iv_offset=2048" \
	--key-size 512 --key-file /tmp/k512.key --skip 2048
interop "4096-byte sectors, iv_offset=4096" \
	"key=:64:logon:vaio:k512 sector_size=4096 iv_offset=4096" \
	--key-size 512 --key-file /tmp/k512.key --sector-size 4096 --skip 4096

# The checks can fail: another IV offset or IV unit is another ciphertext.
dm_create v "$(crypt_table v /dev/ram0 key=:64:logon:vaio:k512)"
dev_put /tmp/a /dev/mapper/v
dm_remove v
cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 \
	--key-file /tmp/k512.key --skip 8 /dev/ram0 pl
ktap_check "another IV offset reads other data" \
	test "$(dev_sha /dev/mapper/pl 8)" != "$(sha /tmp/a)"
cryptsetup close pl
dm_create v "$(crypt_table v /dev/ram0 key=:64:logon:vaio:k512 sector_size=4096 iv_large_sectors=1)"
dev_put /tmp/a /dev/mapper/v
dm_remove v
cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 \
	--key-file /tmp/k512.key --sector-size 4096 /dev/ram0 pl
ktap_check "iv_large_sectors=1 is not what dm-crypt reads without it" \
	test "$(dev_sha /dev/mapper/pl 8)" != "$(sha /tmp/a)"
cryptsetup close pl
ktap_check "module unloads" rmmod dm-vaio-crypt
ktap_finish
