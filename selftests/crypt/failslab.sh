#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="crypt filter's write path under failed allocations (failslab, fail_page_alloc): of the writer and of the filter's workers, with a suspend: every acknowledged write reads back, the filter fails no bio, no oops"
TIMEOUT=300
BATCH=no             # fault injection's knobs outlive the test
KCONFIG="CONFIG_FAILSLAB CONFIG_FAIL_PAGE_ALLOC CONFIG_FAULT_INJECTION_DEBUG_FS"
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"
. "$(dirname "$0")/../lib/crypt.sh"

F=/sys/kernel/debug/failslab
P=/sys/kernel/debug/fail_page_alloc
if [ ! -d $F ] || [ ! -d $P ]; then
	ktap_skip "failslab" "this kernel has no fault injection; make check-debug-full runs this"
	ktap_finish
fi
brd_setup 16
crypt_key k 64
ktap_check "crypt disk" dm_create c "$(crypt_table c /dev/ram0 key=:64:logon:vaio:k)"

# Only tasks that ask (make-it-fail) fail, allocations that may sleep
# too, quietly; page allocations of order 0 too.
for d in $F $P; do
	echo Y >"$d"/task-filter
	echo N >"$d"/ignore-gfp-wait
	echo 0 >"$d"/verbose
	echo 0 >"$d"/space
	echo 0 >"$d"/times
done
echo N >$F/cache-filter
echo N >$P/ignore-gfp-highmem
echo 0 >$P/min-order

failing() { sh -c 'echo 1 >/proc/self/make-it-fail; exec "$@"' sh "$@"; }

# acked_write N [failing]: 4 MiB of new random data (/tmp/pat) written
# at the start of c in 64 KiB O_DIRECT writes (each acknowledged before
# the next is issued); then every acknowledged one ("records out") must
# read back. Counts a failed run in $wfail, data lost in $lost.
acked_write() {
	local out n len
	dd if=/dev/urandom of=/tmp/pat bs=64k count=64 2>/dev/null
	out=$($2 dd if=/tmp/pat of=/dev/mapper/c bs=64k count=64 oflag=direct 2>&1) ||
		wfail=$((wfail + 1))
	n=$(echo "$out" | sed -n 's/^\([0-9]*\)+[0-9]* records out.*/\1/p')
	len=$((${n:-0} * 65536))
	acked=$((acked + ${n:-0}))
	[ "$len" -gt 0 ] || return 0
	if [ "$(head -c "$len" /tmp/pat | sha -)" != \
	     "$(dd if=/dev/mapper/c bs=64k count="$n" iflag=direct 2>/dev/null | sha -)" ]; then
		lost=$((lost + 1))
		ktap_diag "round $1: $n acknowledged writes of 64 KiB do not read back"
	fi
}

# 1. The writer's own allocations fail (every one past a budget): the
# bio's, the core's in its context (as fault/failslab, here through crypt).
wfail=0 lost=0 acked=0
echo 100 >$F/probability
echo 100 >$P/probability
for space in 16384 65536 131072 262144 524288 1048576; do
	echo "$space" >$F/space
	echo -1 >$F/times
	acked_write "writer, budget $space" failing
done
echo 0 >$F/times
ktap_diag "writer's allocations failing: $wfail of 6 runs failed, $acked writes acknowledged"
ktap_eq "every acknowledged write reads back" "$lost" 0

# 2. The filter's workers' allocations fail: every unbound kworker (the
# crypt workqueue's workers) and its rescuer get make-it-fail, and a fifth
# of their slab and page allocations fail, while a writer that is not
# failed writes; a suspend and resume in the middle.
dev_put /tmp/pat /dev/mapper/c	# the workers exist
workers=0
for p in /proc/[0-9]*; do
	case $(cat "$p/comm" 2>/dev/null) in
	kworker/u* | kvaiocrypt*)
		echo 1 >"$p/make-it-fail" 2>/dev/null && workers=$((workers + 1)) ;;
	esac
done
ktap_match "the filter's workers fail their allocations ($workers threads)" "$workers" '^[1-9]'
wfail=0 lost=0 acked=0
echo 0 >$F/space
for d in $F $P; do
	echo 20 >"$d"/probability
	echo -1 >"$d"/times
done
for r in 1 2 3 4 5 6; do
	if [ $r = 3 ]; then
		(sleep 1; dmsetup suspend c; dmsetup resume c) &
		acked_write "workers, $r, suspended meanwhile"
		wait $!
	else
		acked_write "workers, $r"
	fi
done
for d in $F $P; do echo 0 >"$d"/times; done
ktap_diag "workers' allocations failing: $wfail of 6 runs failed, $acked writes acknowledged"
ktap_eq "every acknowledged write reads back" "$lost" 0
ktap_eq "the filter failed no bio (errors)" "$(vaio_filter_get c crypt errors)" 0
for p in /proc/[0-9]*; do echo 0 >"$p/make-it-fail" 2>/dev/null; done

ktap_check "fio verify once allocations succeed" fio_verify /dev/mapper/c --size=8m
ktap_check "removed" dm_remove c
ktap_check "module unloads" rmmod dm-vaio-crypt
ktap_finish
