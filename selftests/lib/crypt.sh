# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Helpers for the crypt filter's tests (selftests/crypt/), sourced after
# ktap.sh and vaio.sh.

# crypt_key NAME BYTES: BYTES random bytes in /tmp/NAME.key, and a logon key
# "vaio:NAME" of them in the user keyring (keyctl padd: binary from stdin).
crypt_key() {
	head -c "$2" /dev/urandom >"/tmp/$1.key" &&
		keyctl padd logon "vaio:$1" @u <"/tmp/$1.key" >/dev/null
}

# crypt_hex NAME: the bytes of key NAME in lower-case hex, on one line.
crypt_hex() { od -An -v -tx1 "/tmp/$1.key" | tr -d ' \n'; }

# crypt_table NAME DEV ARGS...: the table line of a vaio disk NAME over DEV
# with the crypt filter given ARGS (key=... and the others).
crypt_table() {
	local name="$1" dev="$2"
	shift 2
	echo "0 $(dev_sectors "$dev") vaio $dev $((6 + $#)) disk_id $name filter crypt fail_closed $# $*"
}

# sha FILE: its sha256, the hex alone ("-": of stdin).
sha() { sha256sum "$@" | cut -d' ' -f1; }

# dev_sha DEV MIB: the sha256 of the first MIB MiB of DEV, read with O_DIRECT
# (no page cache of an earlier read).
dev_sha() { dd if="$1" bs=1M count="$2" iflag=direct 2>/dev/null | sha -; }

# dev_put FILE DEV: FILE written at the start of DEV with O_DIRECT.
dev_put() { dd if="$1" of="$2" bs=1M oflag=direct 2>/dev/null; }
