#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Unit test of vaio-ackwriter's checks, on this host with files as disks
# (make -C userspace test). Every check is also shown to fail.
set -u
AW=$(dirname "$0")/vaio-ackwriter
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 pass=0 fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
expect() { # DESC RC CMD...
	local desc=$1 want=$2 rc
	shift 2
	"$@" >"$T/out" 2>&1
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$desc"; else nok "$desc (exit $rc, want $want)"; sed 's/^/# /' "$T/out"; fi
}
disk() { rm -f "$1"; truncate -s 16M "$1"; }

disk "$T/full"
expect "3000 writes, 4 threads" 0 "$AW" write --dev "$T/full" --log "$T/log" --seed 5 --threads 4 --count 3000
expect "the disk holds all of them, as a prefix" 0 "$AW" check --log "$T/log" --dev "$T/full" --complete --prefix
"$AW" scan --dev "$T/full" >"$T/scan"
expect "the same from a scan" 0 "$AW" check --log "$T/log" --scan "$T/scan" --complete --prefix

# The first 1200 writes of the same history (one thread: in order).
disk "$T/pre"
"$AW" write --dev "$T/pre" --log "$T/log.pre" --seed 5 --count 1200 >/dev/null
expect "1200 of them: a prefix" 0 "$AW" check --log "$T/log" --dev "$T/pre" --prefix
expect "1200 of them: not complete" 1 "$AW" check --log "$T/log" --dev "$T/pre" --complete

# The same plus write 2500 alone: writes acknowledged before it are missing.
cp "$T/pre" "$T/hole"
"$AW" write --dev "$T/hole" --log "$T/log.hole" --seed 5 --start-seq 2500 --count 1 >/dev/null
expect "1200 writes and write 2500: no prefix" 1 "$AW" check --log "$T/log" --dev "$T/hole" --prefix

# A damaged block, a disk of another seed, a zero disk.
cp "$T/full" "$T/bad"
b=$(head -n1 "$T/scan" | cut -d' ' -f1)
printf 'X' | dd of="$T/bad" bs=1 seek=$((b * 4096 + 100)) conv=notrunc 2>/dev/null
expect "a damaged block is found" 1 "$AW" check --log "$T/log" --dev "$T/bad" --prefix
disk "$T/other"
"$AW" write --dev "$T/other" --log "$T/log.other" --seed 6 --count 100 >/dev/null
expect "another writer's blocks are found" 1 "$AW" check --log "$T/log" --dev "$T/other" --prefix
disk "$T/zero"
expect "a zero disk is a prefix (the empty one)" 0 "$AW" check --log "$T/log" --dev "$T/zero" --prefix
expect "a zero disk is not complete" 1 "$AW" check --log "$T/log" --dev "$T/zero" --complete
expect "bad usage: exit 2" 2 "$AW" check --log "$T/log"
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
