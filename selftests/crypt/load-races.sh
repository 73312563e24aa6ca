#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="a table load that races another command of the device (dm orders neither): a crypt table loaded while a plain vaio or a dm-linear table is made live on a new device, or while a table it may not replace is made live, is refused at its resume, never attached over plaintext; after such a failed resume no table without crypt may follow, and re-creating the device brings the data back; a two-target table whose other target (a snapshot handover) refused the resume resumes once it lets it; after dm-linear took a crypt disk's place, no vaio table without crypt may follow either"
TIMEOUT=180
CHECK=full	# module and table load races, not a data path (66 s): make check-full; make check took 1948 s here on 2026-12-07
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

brd_setup 16 3
modprobe dm-vaio-crypt
modprobe dm-vaio-test
modprobe dm-snapshot
crypt_key k 64
k=key=:64:logon:vaio:k
size=$(dev_sectors /dev/ram0)
yes 'VAIO-LOAD-RACE-MARKER' | head -c 1048576 >/tmp/marker
msum=$(sha /tmp/marker)
plain="0 $size vaio /dev/ram0 2 disk_id r"
linear="0 $size linear /dev/ram0 0"
crypt="0 $size vaio /dev/ram0 7 disk_id r filter crypt fail_closed 1 $k"
# A crypt table whose load takes 6 s under the disk's lock: test-qos's
# attach check sleeps (check_sleep_ms).
slow="0 $size vaio /dev/ram0 12 disk_id r filter test-qos fail_open 1 check_sleep_ms=6000 filter crypt fail_closed 1 $k"
# A crypt table whose test-inspection refuses to be detached.
sticky="0 $size vaio /dev/ram0 12 disk_id r filter test-inspection fail_open 1 veto=detach filter crypt fail_closed 1 $k"

# race FIRST [ FLAG]: the table FIRST is loaded into r, then $slow is loaded
# in the background, and FIRST resumed while $slow's load sleeps (its
# attach check was asked with FLAG, " disk_new": as the device's first
# table); $slow is r's inactive table after it.
race() {
	load_r "$1" || return 1
	dmesg -c >/dev/null
	echo "$slow" | dmsetup load r &
	pid=$!
	if ! wait_until 100 sh -c "dmesg | grep -q 'r: test-qos: attach check$2 sleeps'" ||
	   ! dmsetup resume r; then
		wait $pid
		return 1
	fi
	wait $pid || return 1
	dmsetup mknodes r
	dmsetup info r | grep -q '^Tables present: *LIVE & INACTIVE'
}

# load_r LINE...: a table of these lines loaded into r's inactive slot.
load_r() { printf '%s\n' "$@" | dmsetup load r; }

# marker_on DEV: the marker reads back from the first MiB of DEV (a dm
# device not suspended: a read would wait for ever).
marker_on() {
	dmsetup info "$1" | grep -q '^State: *ACTIVE' &&
		[ "$(dev_sha "$1" 1)" = "$msum" ]
}
# plain_below: the marker is in plaintext in ram0's first MiB.
plain_below() { [ "$(dd if=/dev/ram0 bs=1M count=1 iflag=direct 2>/dev/null | grep -ac MARKER)" != 0 ]; }
no_plain_below() { ! plain_below; }

# 1. A new device: a plain vaio table made live while a crypt table's load
# still believed the device new.
ktap_check "new device r (no table)" dmsetup create r --notable
ktap_check "plain table made live while a crypt table loads" race "$plain" " disk_new"
dev_put /tmp/marker /dev/mapper/r
ktap_check "... the marker is in plaintext below" plain_below
dmesg -c >/dev/null
ktap_fails "the crypt table's resume is refused" dmsetup resume r
ktap_match "... the kernel log says why" "$(dmesg -c)" \
	"r: resume refused: the disk changed since this table was loaded: A filter vetoed its attach"
ktap_fails "... and again at the next resume" dmsetup resume r
ktap_check "a plain table loaded and resumed" vaio_reload r "$plain"
ktap_check "... the marker reads back" marker_on /dev/mapper/r
ktap_check "... still in plaintext below" plain_below
dm_remove r
dd if=/dev/zero of=/dev/ram0 bs=1M count=1 2>/dev/null

# 2. The same with dm-linear: no vaio table was live, the device's writes
# tell that it is no longer new.
ktap_check "new device r (no table)" dmsetup create r --notable
ktap_check "dm-linear made live while a crypt table loads" race "$linear" " disk_new"
dev_put /tmp/marker /dev/mapper/r
dmesg -c >/dev/null
ktap_fails "the crypt table's resume is refused" dmsetup resume r
ktap_match "... the kernel log says why" "$(dmesg -c)" "crypt vetoed attach"
ktap_fails "... and again at the next resume" dmsetup resume r
ktap_check "a plain table loaded and resumed" vaio_reload r "$plain"
ktap_check "... the marker reads back" marker_on /dev/mapper/r
dm_remove r

# 3. An encrypted disk: a table with a filter that refuses to be detached
# made live while another crypt table loads. That one's resume is refused
# after the swap: no vaio table is live, and the data below is ciphertext.
ktap_check "disk r with crypt" dm_create r "$crypt"
dev_put /tmp/marker /dev/mapper/r
ktap_check "... the marker is not in plaintext below" no_plain_below
ktap_check "table with crypt and a sticky filter made live while a crypt table loads" race "$sticky"
dmesg -c >/dev/null
ktap_fails "the crypt table's resume is refused" dmsetup resume r
ktap_match "... the kernel log says why" "$(dmesg -c)" \
	"r: resume refused: the disk changed since this table was loaded: A filter vetoed its detach"
dmesg -c >/dev/null
ktap_fails "a table without crypt cannot follow" load_r "$plain"
ktap_match "... the kernel log says why" "$(dmesg -c)" \
	"r: the data below is in crypt's form, no table without it may follow"
ktap_fails "nor one with crypt (a running disk cannot take it on)" load_r "$crypt"
ktap_fails "nor the crypt table loaded before" dmsetup resume r
ktap_check "... nothing in plaintext below" no_plain_below
ktap_check "r removed" dm_remove r
ktap_check "r created again with crypt" dm_create r "$crypt"
ktap_check "... the marker reads back" marker_on /dev/mapper/r
dm_remove r

# 4. A two-target table whose other target refuses its resume after the
# swap (a snapshot handover from a source that is not suspended): its
# vaio target was checked against the table that went, and nothing ran
# since, so it resumes once the other target lets it.
osz=$(dev_sectors /dev/ram1)
snap="$size $osz snapshot /dev/ram1 /dev/ram2 N 8"
part4() {
	ktap_check "disk r with crypt, and dm-linear after it" \
		dm_create r "$(printf '%s\n%s' "$crypt" "$size $osz linear /dev/ram1 0")"
	dev_put /tmp/marker /dev/mapper/r
	ktap_check "snapshot s1 of ram1 on ram2" dm_create s1 "0 $osz snapshot /dev/ram1 /dev/ram2 N 8"
	ktap_check "r's table with a snapshot on ram2 (a handover) loaded" \
		load_r "$crypt" "$snap"
	dmesg -c >/dev/null
	ktap_fails "r's resume fails: s1 is not suspended" dmsetup resume r
	ktap_match "... the snapshot refused it" "$(dmesg -c)" "handover until source is suspended"
	ktap_check "s1 suspended" dmsetup suspend s1
	ktap_check "r resumes with the same table" dmsetup resume r
	ktap_check "... the marker reads back" marker_on /dev/mapper/r
	ktap_eq "... r's table has crypt and the snapshot" \
		"$(dmsetup table r | awk '{ print $3 }' | tr '\n' ' ')" "vaio snapshot "
	dm_remove r
	dm_remove s1
}
if dmsetup targets | grep -q '^snapshot '; then
	part4
else
	ktap_skip "a two-target table with a snapshot handover" "no dm-snapshot in this kernel"
fi

# 5. A table of another target (dm-linear) in place of a crypt disk's:
# the device stays, no vaio table of it is left, and still no vaio table
# without crypt may follow.
ktap_check "disk r with crypt" dm_create r "$crypt"
dev_put /tmp/marker /dev/mapper/r
ktap_check "dm-linear in its place" vaio_reload r "$linear"
dmesg -c >/dev/null
ktap_fails "a plain vaio table cannot follow" load_r "$plain"
ktap_match "... the kernel log says why" "$(dmesg -c)" \
	"r: the data below is in crypt's form, no table without it may follow"
ktap_fails "nor a crypt one (a running disk cannot take it on)" load_r "$crypt"
ktap_check "... nothing in plaintext below" no_plain_below
ktap_check "r removed" dm_remove r
ktap_check "r created again with a plain table (a new device)" dm_create r "$plain"
dm_remove r
ktap_finish
