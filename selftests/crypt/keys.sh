#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt filter keys and parameters: bad ones refused with a clear error (table and vaioctl policy create), fail_open refused, the key's bytes never in dmsetup table/status, vaioctl -j disk show or the kernel log; a wrong key reads garbage without error, a revoked key keeps the running table but refuses a new one"
TIMEOUT=300
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

vaioctl_setup
brd_setup 16 2
modprobe dm-vaio-crypt
crypt_key k 64
crypt_key other 64
crypt_key short 32
size=$(dev_sectors /dev/ram0)
t() { echo "0 $size vaio /dev/ram0 $((6 + $#)) disk_id bad filter crypt fail_closed $# $*"; }
k=key=:64:logon:vaio:k

# Refused at table load, each with its own line.
table_refused "fail_open refused" \
	"0 $size vaio /dev/ram0 7 disk_id bad filter crypt fail_open 1 $k" \
	"filter type does not allow fail_open"
table_refused "no key refused" "$(t sector_size=512)" "crypt: needs key=:<bytes>:logon:<description>"
table_refused "unknown cipher refused" "$(t $k cipher=aes-cbc-essiv:sha256)" \
	"parameter value is not one of the choices"
table_refused "a key of 48 bytes refused" "$(t key=:48:logon:vaio:k)" \
	"crypt: aes-xts-plain64 takes a key of 32 or 64 bytes"
table_refused "a keyring key of another size than the table's refused" "$(t key=:64:logon:vaio:short)" \
	"crypt: the keyring's key is not of the size the table says"
table_refused "a key missing from the keyring refused" "$(t key=:64:logon:vaio:missing)" \
	"crypt: no such logon key in the keyring"
table_refused "a user key refused" "$(t key=:64:user:vaio:k)" \
	"crypt: key must be :<bytes>:logon:<description>"
table_refused "a key in hex in the table refused" "$(t "key=$(crypt_hex k)")" \
	"crypt: key must be :<bytes>:logon:<description>"
# ... and the kernel log does not keep it (table_refused cleared it).
dmesg -c >/dev/null
t "key=$(crypt_hex k)" | dmsetup create bad 2>/dev/null
ktap_eq "a key in hex in the table: not in the kernel log" "$(dmesg | grep -c "$(crypt_hex k)")" 0
ktap_match "... which says why" "$(dmesg -c)" "crypt: key must be :<bytes>:logon:<description>"
# Mistyped: as a bare word (a dm-crypt table's habit), under a misspelt
# key, and in key= with a character not allowed: refused, never logged.
for word in "$(crypt_hex k)" "kye=$(crypt_hex k)" "key=$(crypt_hex k),"; do
	t "$word" | dmsetup create bad 2>/dev/null
done
ktap_eq "a key mistyped three ways: not in the kernel log" "$(dmesg | grep -c "$(crypt_hex k)")" 0
ktap_match "... the log says which word, by its key" "$(dmesg -c)" "filter crypt: 'kye=\.\.\.': unknown filter parameter"
# After a valid clause, the hex as one word more (a dm-crypt table's
# habit): the target takes it for a feature argument; and a key in base64
# (ending in '=') as a word of its own.
b64=$(head -c 32 /dev/urandom | base64 | tr -d '\n')
echo "0 $size vaio /dev/ram0 8 disk_id bad filter crypt fail_closed 1 key=:64:logon:vaio:k $(crypt_hex k)" |
	dmsetup create bad 2>/dev/null
t "$b64" | dmsetup create bad 2>/dev/null
ktap_eq "a key as a feature argument, and in base64: not in the kernel log" \
	"$(dmesg | grep -c -e "$(crypt_hex k)" -e "${b64%%=*}")" 0
ktap_match "... the log says what was refused" "$(dmesg -c)" "unrecognised feature argument \(not shown\)"
table_refused "sector_size=8192 refused" "$(t $k sector_size=8192)" "parameter value is out of range"
table_refused "sector_size=1000 refused" "$(t $k sector_size=1000)" \
	"crypt: sector_size must be 512, 1024, 2048 or 4096"
table_refused "iv_offset not of whole 4096-byte sectors refused" "$(t $k sector_size=4096 iv_offset=4)" \
	"crypt: iv_offset must be a multiple of sector_size"
table_refused "a disk length not of whole 4096-byte sectors refused" \
	"0 $((size - 1)) vaio /dev/ram0 8 disk_id bad filter crypt fail_closed 2 $k sector_size=4096" \
	"crypt: the disk's length is not a multiple of sector_size"

# The control plane: the declared parameters, and the same refusals.
ktap_eq "vaioctl filter list: crypt and its keys" \
	"$(vaioctl -j filter list | jq -r '.[] | select(.type == "crypt") | [.params[].name] | join(" ")')" \
	"key cipher sector_size iv_offset iv_large_sectors allow_discards"
ktap_eq "vaioctl filter list: crypt allows fail closed only" \
	"$(vaioctl -j filter list | jq -c '.[] | select(.type == "crypt") | .fail_modes')" '["closed"]'
vaioctl_bad "policy create: fail=open" "filter type does not allow fail_open" \
	vaioctl policy create p1 "crypt:$k,fail=open"
# Without fail=, the component takes the only mode its type allows.
ktap_check "policy create: crypt without fail= taken" vaioctl policy create p0 "crypt:$k"
ktap_eq "policy p0 stores crypt as fail=closed" \
	"$(vaioctl -j policy show p0 | jq -r '.components[0]')" "crypt:$k,fail=closed"
ktap_check "policy p0 deleted" vaioctl policy delete p0
vaioctl_bad "policy create: no key" "component 'crypt:[^']*': crypt: needs key=" \
	vaioctl policy create p1 crypt:sector_size=4096,fail=closed
vaioctl_bad "policy create: a key of 48 bytes" \
	"component 'crypt:[^']*': crypt: aes-xts-plain64 takes a key of 32 or 64 bytes" \
	vaioctl policy create p1 crypt:key=:48:logon:vaio:k,fail=closed
vaioctl_bad "policy create: unknown cipher" "parameter value is not one of the choices" \
	vaioctl policy create p1 "crypt:$k,cipher=aes-cbc-plain,fail=closed"
# A key typed into the component: refused, and vaioctl's message hides it.
vaioctl_bad "policy create: a key in hex refused, its value hidden" \
	"component 'crypt:key=<hidden>,fail=closed': crypt: key must be :<bytes>:logon:<description>" \
	vaioctl policy create p1 "crypt:key=$(crypt_hex k)"
ktap_eq "policy create: the key's hex not in vaioctl's message" \
	"$(vaioctl policy create p1 "crypt:key=$(crypt_hex k)" 2>&1 | grep -c "$(crypt_hex k)")" 0
# Under a misspelt name too: an undeclared name of a type with a secret.
vaioctl_bad "policy create: a key under a misspelt name, its value hidden" \
	"component 'crypt:key=<hidden>,kye=<hidden>,fail=closed': argument 'kye=<hidden>'" \
	vaioctl policy create p1 "crypt:$k,kye=$(crypt_hex k),fail=closed"
ktap_eq "... the key's hex not in vaioctl's message" \
	"$(vaioctl policy create p1 "crypt:$k,kye=$(crypt_hex k),fail=closed" 2>&1 | grep -c "$(crypt_hex k)")" 0
# And under a misspelt type: a type the kernel does not know hides all.
vaioctl_bad "policy create: a key in a misspelt type, its value hidden" \
	"component 'crpyt:key=<hidden>': unknown filter type" \
	vaioctl policy create p1 "crpyt:key=$(crypt_hex k)"
# Refused before the kernel sees it: a bare word, a bad fail mode, a space.
for comp in "crypt:$(crypt_hex k)" "crypt:key=$(crypt_hex k),fail=maybe" \
	"crypt:key=$(crypt_hex k) x" "crypt:key=$(crypt_hex k)$(crypt_hex k)$(crypt_hex k)"; do
	vaioctl_bad "policy create: ${comp%%:*}:<${#comp} characters> refused" "component 'crypt'" \
		vaioctl policy create p1 "$comp"
	ktap_eq "... without the key's hex in the message" \
		"$(vaioctl policy create p1 "$comp" 2>&1 | grep -c "$(crypt_hex k)")" 0
done

# A disk made by vaioctl; the key's bytes are nowhere to be read.
dmesg -c >/dev/null
ktap_check "policy create enc crypt:$k,fail=closed" vaioctl policy create enc "crypt:$k,fail=closed"
ktap_check "disk create d0 with policy enc" vaioctl disk create d0 /dev/ram0 --policy enc
dd if=/dev/urandom of=/tmp/a bs=1M count=4 2>/dev/null
dev_put /tmp/a /dev/mapper/d0
ktap_eq "d0 reads back what it wrote" "$(dev_sha /dev/mapper/d0 4)" "$(sha /tmp/a)"
hex=$(crypt_hex k)
ktap_eq "the key's hex has 128 digits" "${#hex}" 128
for what in "dmsetup table" "dmsetup table --showkeys" "dmsetup status" \
	"vaioctl -j disk show d0" "vaioctl -j stats" "dmesg"; do
	# shellcheck disable=SC2086 # the command's words
	out=$($what 2>&1)
	ktap_eq "$what: not the key" "$(printf '%s\n' "$out" | tr 'A-F' 'a-f' | grep -c "$hex")" 0
done
ktap_match "dmsetup status: the key's description" "$(dmsetup status d0)" 'key_desc logon:vaio:k '
# The search above can fail: the hex of the key is found where it is.
ktap_eq "the search finds the key's hex where it is" \
	"$(printf 'x%sx\n' "$hex" | grep -c "$hex")" 1

# A wrong key (another of the same size): reads return other bytes, no
# error, and nothing is written below.
# d0's ciphertext, copied to ram1 (ram0 is d0's).
dd if=/dev/ram0 of=/dev/ram1 bs=1M count=4 iflag=direct oflag=direct 2>/dev/null
before=$(dev_sha /dev/ram1 4)
ktap_check "a disk over a copy, with the wrong key" \
	dm_create w "$(crypt_table w /dev/ram1 key=:64:logon:vaio:other)"
rm -f /tmp/w
ktap_check "the wrong key reads without error" dd if=/dev/mapper/w of=/tmp/w bs=1M count=4 iflag=direct
ktap_check "what it reads is 4 MiB, not the data" \
	test "$(wc -c </tmp/w)" = 4194304 -a "$(sha /tmp/w)" != "$(sha /tmp/a)"
ktap_eq "status: no error" "$(vaio_filter_get w crypt errors)" 0
dm_remove w
ktap_eq "nothing written below" "$(dev_sha /dev/ram1 4)" "$before"
ktap_check "with the right key, the copy reads the data" \
	dm_create r "$(crypt_table r /dev/ram1 key=:64:logon:vaio:k)"
ktap_eq "the data" "$(dev_sha /dev/mapper/r 4)" "$(sha /tmp/a)"
dm_remove r

# The key is in the cipher: revoking it leaves the running table as it is,
# and refuses a new one.
keyctl revoke "$(keyctl search @u logon vaio:k)"
ktap_eq "after revoke: d0 still reads its data" "$(dev_sha /dev/mapper/d0 4)" "$(sha /tmp/a)"
dmesg -c >/dev/null
ktap_fails "after revoke: a reload refused" vaio_reload d0 "$(dmsetup table d0)"
ktap_match "with a clear error" "$(dmesg -c)" "crypt: (the keyring's key was revoked|no such logon key)"
ktap_eq "d0 still on its old table" "$(dev_sha /dev/mapper/d0 4)" "$(sha /tmp/a)"
dmsetup resume d0 2>/dev/null
ktap_check "disk remove d0" vaioctl disk remove d0
ktap_check "module unloads" rmmod dm-vaio-crypt
ktap_finish
