#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="vaioctl crypt and LUKS2: a cryptsetup luksFormat disk read through vaioctl crypt open and a vaio disk, and a vaioctl crypt format disk read through cryptsetup open, with 512 and 4096-byte sectors; wrong passphrases, used devices, signatures, other ciphers refused; close refused under a disk, then removes key and device; add-key and remove-key; a luks2-keyring token opens; the volume key never printed"
TIMEOUT=300
CHECK=full                 # make check's 30 minutes (testing.rst, CI and its budget)
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

vaioctl_setup
brd_setup 64 2
modprobe dm-crypt
modprobe dm-vaio-crypt
printf 'first pass' >/tmp/p1
printf 'second pass' >/tmp/p2
printf 'wrong pass' >/tmp/wrong
# cryptsetup's and vaioctl's cheap pbkdf, for TCG.
FAST="--pbkdf pbkdf2 --pbkdf-force-iterations 1000"
log=/tmp/luks-vaioctl.log
: >"$log"
hexes=

# cs_open DEV NAME: cryptsetup open with passphrase p1 and the key in the
# table (not the keyring: dmsetup table --showkeys shows it), whose hex
# is kept for the grep at the end.
cs_open() {
	cryptsetup open --disable-keyring --key-file /tmp/p1 "$1" "$2" || return 1
	hexes="$hexes $(dmsetup table --showkeys "$2" | cut -d' ' -f5)"
}

# round SS WAY [ONCE]: 2 MiB through dm-crypt then vaio (WAY cs: a header of
# cryptsetup luksFormat), or vaio then dm-crypt (WAY vaio: of vaioctl
# crypt format), with SS-byte sectors. ONCE: the checks that do not
# depend on SS or WAY too (close and format refused under the disk).
round() {
	local ss="$1" way="$2" once="${3:-}" n="l$1$2" out comp dev t
	local d="$1 $2"
	dd if=/dev/urandom of=/tmp/a bs=1M count=2 2>/dev/null
	dd if=/dev/urandom of=/tmp/b bs=1M count=2 2>/dev/null
	if [ "$way" = cs ]; then
		# shellcheck disable=SC2086 # options
		cryptsetup luksFormat -q --type luks2 $FAST --sector-size "$ss" \
			--key-file /tmp/p1 /dev/ram0
	else
		vaioctl crypt format /dev/ram0 --force --key-file /tmp/p1 \
			--pbkdf-iterations 1000 --sector-size "$ss" >>"$log" 2>&1
	fi || { ktap_fail "$d: format"; return; }
	if [ "$way" = cs ]; then
		cs_open /dev/ram0 lk || { ktap_fail "$d: cryptsetup open"; return; }
		t=$(dmsetup table --showkeys lk)
		# dm-crypt's own table for LUKS2: IVs of 512-byte sectors from
		# the data offset (iv_offset 0), no iv_large_sectors.
		ktap_eq "$d: dm-crypt's LUKS2 table: iv_offset 0, offset 32768" \
			"$(echo "$t" | cut -d' ' -f6,8)" "0 32768"
		ktap_eq "$d: ... no iv_large_sectors" "$(echo "$t" | grep -c iv_large_sectors)" 0
		[ "$ss" = 512 ] || ktap_match "$d: ... sector_size:4096" "$t" " sector_size:4096( |\$)"
		dev_put /tmp/a /dev/mapper/lk
		cryptsetup close lk
	fi
	if [ -n "$once" ]; then
		# The LUKS device itself, not its data area (nothing holds it
		# before crypt open): the filter would write over the header.
		head -c 64 /dev/urandom | keyctl padd logon "vaio:over" @u >/dev/null
		vaioctl policy create pover crypt:key=:64:logon:vaio:over
		vaioctl_bad "a crypt disk over the LUKS header itself refused" \
			"device /dev/ram0 holds a LUKS header, which policy pover's crypt filter would write over" \
			vaioctl disk create over /dev/ram0 --policy pover
		# A key of a vaio: name put there by hand: not close's.
		vaioctl_bad "close of a key put by hand refused" \
			"over is not open \(no vaio-over-data\): key vaio:over is not crypt open's" \
			vaioctl crypt close over
		ktap_check "... the key stays" keyctl search @u logon vaio:over
	fi
	# The passphrase on standard input, as a line.
	out=$(printf 'first pass\n' | vaioctl -j crypt open /dev/ram0 "$n" 2>&1)
	echo "$out" >>"$log"
	comp=$(echo "$out" | jq -r .component 2>/dev/null)
	dev=$(echo "$out" | jq -r .device 2>/dev/null)
	ktap_eq "$d: crypt open: the component" "$comp" \
		"crypt:key=:64:logon:vaio:$n,sector_size=$ss,fail=closed"
	ktap_eq "$d: crypt open: the device" "$dev" "/dev/mapper/vaio-$n-data"
	ktap_eq "$d: the device is the data area" "$(dmsetup table "vaio-$n-data" | cut -d' ' -f2,5)" \
		"$(($(dev_sectors /dev/ram0) - 32768)) 32768"
	ktap_check "$d: the key is in the user keyring" keyctl search @u logon "vaio:$n"
	if ! vaioctl policy create "p$n" "$comp"; then
		ktap_fail "$d: policy created"
		return
	fi
	if [ -n "$once" ]; then
		# Now that vaio-$n-data holds it (an O_EXCL probe sees nothing).
		vaioctl_bad "... and while the header is open" \
			"device /dev/ram0 holds a LUKS header" \
			vaioctl disk create over /dev/ram0 --policy pover
		vaioctl policy delete pover
		# The data area takes the header's crypt component only.
		vaioctl policy create plain test-qos
		vaioctl_bad "the data area without crypt refused" \
			"device $dev is a LUKS2 data area: without the crypt filter \(policy plain\)" \
			vaioctl disk create "d$n" "$dev" --policy plain
		vaioctl_bad "the data area with no policy refused" \
			"without the crypt filter \(policy none\)" \
			vaioctl disk create "d$n" "$dev"
		vaioctl policy create p4k "crypt:key=:64:logon:vaio:$n,sector_size=4096"
		vaioctl_bad "the data area with another sector size refused" \
			"device $dev is the data area of /dev/ram0's LUKS2 header: policy p4k's crypt component must say key=:64:logon:vaio:$n,sector_size=$ss" \
			vaioctl disk create "d$n" "$dev" --policy p4k
		vaioctl policy create pother "crypt:key=:64:logon:vaio:over,sector_size=$ss"
		vaioctl_bad "the data area with another disk's key refused" \
			"policy pother's crypt component must say key=:64:logon:vaio:$n" \
			vaioctl disk create "d$n" "$dev" --policy pother
		vaioctl policy delete plain
		vaioctl policy delete p4k
		vaioctl policy delete pother
		vaioctl_bad "crypt format of the data area refused" \
			"$dev is a device vaio made \(dm uuid VAIO-LUKS-" \
			vaioctl crypt format "$dev" --force --key-file /tmp/p1 \
			--pbkdf-iterations 1000
	fi
	if ! vaioctl disk create "d$n" "$dev" --policy "p$n"; then
		ktap_fail "$d: vaio disk created"
		return
	fi
	if [ "$way" = cs ]; then
		ktap_eq "$d: vaio reads what dm-crypt wrote" "$(dev_sha "/dev/mapper/d$n" 2)" "$(sha /tmp/a)"
	fi
	dev_put /tmp/b "/dev/mapper/d$n"
	if [ -n "$once" ]; then
		vaioctl_bad "close refused while the vaio disk is on it" \
			"vaio-$n-data is in use: remove the vaio disk on it first" \
			vaioctl crypt close "$n"
		ktap_check "... the key stays" keyctl search @u logon "vaio:$n"
		ktap_fails "crypt format refused while the device is open" \
			vaioctl crypt format /dev/ram0 --force --key-file /tmp/p1 \
			--pbkdf-iterations 1000
	fi
	vaioctl disk remove "d$n"
	vaioctl policy delete "p$n"
	ktap_check "$d: close" vaioctl crypt close "$n"
	ktap_fails "$d: ... removed the key" keyctl search @u logon "vaio:$n"
	ktap_fails "$d: ... and the device" dmsetup info "vaio-$n-data"
	cs_open /dev/ram0 lk || { ktap_fail "$d: cryptsetup open"; return; }
	ktap_eq "$d: dm-crypt reads what vaio wrote" "$(dev_sha /dev/mapper/lk 2)" "$(sha /tmp/b)"
	cryptsetup close lk
}

dmesg -c >/dev/null
round 512 cs once
round 4096 cs
round 512 vaio
round 4096 vaio

# /dev/ram0: vaioctl's header of 4096-byte sectors, passphrase p1.
s=$(vaioctl -j crypt status /dev/ram0)
echo "$s" >>"$log"
ktap_eq "status: cipher, key size, sector size, data offset, keyslots, tokens" \
	"$(echo "$s" | jq -c '[.cipher, .key_size, .sector_size, .data_offset, [.keyslots[].keyslot], .tokens]')" \
	'["aes-xts-plain64",512,4096,32768,[0],[]]'
ktap_eq "status: the uuid is blkid's" "$(echo "$s" | jq -r .uuid)" \
	"$(cryptsetup luksUUID /dev/ram0)"

# Refused, with nothing left behind.
vaioctl_bad "a wrong passphrase refused" "/dev/ram0: wrong passphrase" \
	vaioctl crypt open /dev/ram0 w --key-file /tmp/wrong
ktap_fails "... no key in the keyring" keyctl search @u logon vaio:w
ktap_fails "... no linear device" dmsetup info vaio-w-data
vaioctl_bad "a device without LUKS2 refused" "/dev/ram1 is not a LUKS2 device" \
	vaioctl crypt open /dev/ram1 w --key-file /tmp/p1
vaioctl_bad "close of a name not open refused" "w is not open" vaioctl crypt close w
vaioctl_bad "an invalid name refused" "name '../x' is invalid" \
	vaioctl crypt open /dev/ram0 ../x --key-file /tmp/p1
vaioctl_bad "without CAP_SYS_ADMIN refused" "needs CAP_SYS_ADMIN" \
	/usr/bin/setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin vaioctl crypt status /dev/ram0
mke2fs /dev/ram1 >/dev/null 2>&1
vaioctl_bad "a device with a file system refused by format" \
	"/dev/ram1 holds ext2 \(filesystem\): give --force" \
	vaioctl crypt format /dev/ram1 --key-file /tmp/p1 --pbkdf-iterations 1000
# The ext2 magic, 0xef53 at byte 1080.
ktap_eq "... and left as it was" "$(dd if=/dev/ram1 bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1 | tr -d ' ')" 53ef
ktap_check "... formatted with --force" vaioctl crypt format /dev/ram1 --force \
	--key-file /tmp/p1 --pbkdf-iterations 1000
ktap_check "... LUKS2 then" cryptsetup isLuks --type luks2 /dev/ram1
# shellcheck disable=SC2086
cryptsetup luksFormat -q --type luks2 $FAST --cipher aes-cbc-essiv:sha256 \
	--key-size 256 --key-file /tmp/p1 /dev/ram1
vaioctl_bad "another cipher refused" "cipher aes-cbc-essiv:sha256: the crypt filter takes aes-xts-plain64 only" \
	vaioctl crypt open /dev/ram1 w --key-file /tmp/p1
ktap_fails "... no key in the keyring" keyctl search @u logon vaio:w

# Keyslots: p2 added opens, p1 removed does not.
ktap_check "add-key" vaioctl crypt add-key /dev/ram0 --key-file /tmp/p1 \
	--new-key-file /tmp/p2 --pbkdf-iterations 1000
vaioctl_bad "add-key with a wrong passphrase refused" "/dev/ram0: wrong passphrase" \
	vaioctl crypt add-key /dev/ram0 --key-file /tmp/wrong --new-key-file /tmp/p2 \
	--pbkdf-iterations 1000
ktap_check "remove-key of the first passphrase" vaioctl crypt remove-key /dev/ram0 --key-file /tmp/p1
ktap_eq "... one keyslot left" "$(vaioctl -j crypt status /dev/ram0 | jq -c '[.keyslots[].keyslot]')" '[1]'
vaioctl_bad "the removed passphrase opens nothing" "wrong passphrase" \
	vaioctl crypt open /dev/ram0 k --key-file /tmp/p1
ktap_fails "... for cryptsetup either" cryptsetup open --test-passphrase --key-file /tmp/p1 /dev/ram0
ktap_check "the added one opens" vaioctl crypt open /dev/ram0 k --key-file /tmp/p2
vaioctl crypt close k
vaioctl_bad "the last keyslot is not removed" "keyslot 1 is the last one" \
	vaioctl crypt remove-key /dev/ram0 --key-file /tmp/p2

# A token (luks2-keyring: the passphrase from a user key) opens without one.
keyctl add user luks-test-pass 'second pass' @u >/dev/null
if cryptsetup token add --key-description luks-test-pass --key-slot 1 /dev/ram0; then
	out=$(vaioctl -j crypt open /dev/ram0 tk </dev/null 2>&1)
	echo "$out" >>"$log"
	ktap_eq "a token opens the header" "$(echo "$out" | jq -c '[.token, .keyslot]' 2>&1)" '[true,1]'
	vaioctl crypt close tk
	ktap_eq "status shows it" "$(vaioctl -j crypt status /dev/ram0 | jq -c '.tokens')" \
		'[{"token":0,"type":"luks2-keyring","keyslots":[1]}]'
else
	ktap_fail "cryptsetup token add"
fi

hexes=$(echo "$hexes" | tr ' ' '\n' | grep -E '^[0-9a-f]{64,}$' | sort -u)
ktap_eq "the volume keys' hex: 4 of them" "$(echo "$hexes" | wc -l)" 4
found=0
for h in $hexes; do
	grep -qi "$h" "$log" && found=$((found + 1))
	dmesg | grep -qi "$h" && found=$((found + 1))
done
ktap_eq "no volume key in vaioctl's output or the kernel log" "$found" 0
ktap_finish
