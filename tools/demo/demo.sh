#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: runs in guest vaio-a, with a second guest vaio-b (vaio-vm
# --hosts 2), as an administrator would, through vaioctl:
#   1. replication: a policy on each host, the disk d0 replicated
#      synchronously while a VM-like writer runs, then switched to async
#      live; the link cut under the writer (tracked, resynced, its
#      progress shown); a planned failover to vaio-b and the failback.
#   2. the cache: a pool shared by d0 and a second disk, hit ratios,
#      stats --top; policies changed live under both disks' I/O.
#   3. the test filters: live attach, a snapshot event, a failure ridden
#      out.
# Every step prints the command it runs and its output. The data is
# verified at each stage (fio crc32c verify; the replicas' checksums), and
# any failure ends the demo with a non-zero status.
. /vaio/selftests/lib/vaio.sh
. /vaio/selftests/lib/repl.sh
set -e

step() { printf '\n=== %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
run() { printf 'vaio-a# %s\n' "$*"; "$@"; }
# on_b CMD...: CMD on vaio-b (through the test harness's peer agent).
on_b() {
	local rc
	printf 'vaio-b# %s\n' "$*"
	vaio_peer "$*" && return 0 || rc=$?
	printf '(vaio-b: exit status %s)\n' "$rc"
	return "$rc"
}
fail() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }

# The VM: fio writing 4 KiB to 256 KiB at random with an fsync every 32
# writes, then reading every block back (crc32c). vm_io [FIO ARGS...]
vm_io() {
	fio_verify /dev/mapper/d0 --bsrange=4k-256k --fsync=32 "$@"
}
# vm_io_b [FIO ARGS...]: the same on vaio-b.
vm_io_b() {
	vaio_peer ". selftests/lib/vaio.sh && fio_verify /dev/mapper/d0 --bsrange=4k-256k --fsync=32 $*"
}

# repl_line HOST [JSON]: one line of HOST's "vaioctl -j repl status d0"
# (or of JSON, its output).
repl_line() {
	{ if [ -n "$2" ]; then printf '%s\n' "$2"; else repl_on "$1" "vaioctl -j repl status d0"; fi; } |
		jq -r --arg h "vaio-$1" '.[0] |
		"  \($h): \(.role) \(.conn) \(.mode)  lag \(.lag_bytes / 1024 | floor) KiB" +
		"  out of sync \(.oos_bytes / 1024 | floor) KiB" +
		(if .conn == "sync-source" or .conn == "sync-target" then
			"  resync \(.sync_pct)%" + (if .sync_bps > 0 then
				" at \(.sync_bps / 1048576 * 10 | floor / 10) MiB/s, \(.sync_eta_s) s to go" else "" end)
		 else "" end)'
}

# replicas_equal: once in sync, the two data disks below vaio are the
# same, byte for byte: their checksums, read with O_DIRECT.
replicas_equal() {
	local a b p=a
	[ "$(vaioctl -j repl status d0 | jq -r '.[0].role')" = primary ] || p=b
	repl_on $p 'vaioctl repl wait d0 --synced --timeout 120' >/dev/null ||
		fail "d0 does not get in sync"
	a=$(repl_sum)
	b=$(vaio_peer "$REPL_SUM_CMD")
	note "sha256 of /dev/ram0 on vaio-a: $a"
	note "sha256 of /dev/ram0 on vaio-b: $b"
	[ "$a" != "$EMPTY_SUM" ] || fail "vaio-a's /dev/ram0 reads as nothing"
	[ "$a" = "$b" ] || fail "the replicas differ"
	note "the replicas are identical"
}

# An unreadable disk reads as nothing: the checksum of nothing is no proof.
EMPTY_SUM=$(printf '' | sha256sum | cut -d' ' -f1)

t_start=$(date +%s)

###########################################################################
step "Two hosts: vaio-a (192.0.2.1, this guest) and vaio-b (192.0.2.2)"
vaio_wait_peer || fail "vaio-b does not answer"
REPL_MIB=64
repl_disks $REPL_MIB $REPL_MIB || fail "RAM disks"
repl_secret || fail "secret"
repl_vaiod_start || fail "vaiod"
note "on each: /dev/ram0 (64 MiB) is the VM's disk, /dev/ram1 the replication"
note "metadata; /etc/vaio/secrets/default holds the same 32 random bytes on"
note "both (0600), and vaiod runs, listening on port 7790"

step "A replication policy on each host, naming the other as its peer; the disk d0 under it"
opts=meta=/dev/ram1,timeout_ms=2000,resync_kibps=4096
run vaioctl policy create repl "replication:mode=sync,peer=$REPL_PEER_B:7790,$opts"
run vaioctl disk create d0 /dev/ram0 --policy repl
on_b vaioctl policy create repl "replication:mode=sync,peer=$REPL_PEER_A:7790,$opts"
on_b vaioctl disk create d0 /dev/ram0 --policy repl
note "both disks are zeroes: the pair needs no initial copy"
on_b vaioctl repl init d0 --secondary
run vaioctl repl init d0 --primary --skip-initial-sync
run vaioctl repl wait d0 --synced --timeout 30
run vaioctl repl status d0

step "sync: the VM writes on vaio-a; a write completes once both disks have it"
vm_io --size=32m --randseed=1 >/tmp/fio.log 2>&1 &
pid=$!
sleep 3
run vaioctl stats d0
wait $pid || fail "fio verify on d0 (sync)"
note "fio: 32 MiB written and read back, every block verified"
run vaioctl repl status d0
replicas_equal

step "Switch d0 to async replication, live, while the VM writes"
vm_io --size=32m --offset=32m --randseed=2 >/tmp/fio.log 2>&1 &
pid=$!
sleep 2
run vaioctl policy edit repl "replication:mode=async,peer=$REPL_PEER_B:7790,$opts"
on_b vaioctl policy edit repl "replication:mode=async,peer=$REPL_PEER_A:7790,$opts"
note "writes now complete on vaio-a's disk; vaio-b gets them in order, a little later"
sleep 2
run vaioctl repl status d0
wait $pid || fail "fio verify on d0 (async)"
note "fio: 32 MiB written and verified"
run vaioctl repl wait d0 --synced --timeout 60
replicas_equal

step "The link to vaio-b is cut while the VM writes (4 MiB/s): d0 runs on and tracks what vaio-b lacks"
vm_io --size=64m --randseed=3 --rate=4m --runtime=15 --time_based >/tmp/fio.log 2>&1 &
pid=$!
sleep 3
note "(vaio-a drops every packet to or from port 7790: tc, u32 filters)"
repl_cut || fail "cutting the link"
run vaioctl repl wait d0 --conn waiting --timeout 20
sleep 3
run vaioctl repl status d0
note "the link is back: vaiod reconnects, the tracked blocks are resynced (resync_kibps=4096)"
repl_uncut
deadline=$(($(date +%s) + 120))
while :; do
	sleep 1
	st=$(vaioctl -j repl status d0)
	repl_line a "$st"
	[ "$(printf '%s' "$st" | jq -r '.[0] | "\(.conn) \(.oos_bytes)"')" = "connected 0" ] && break
	[ "$(date +%s)" -lt $deadline ] || fail "no resync within 120 s"
done
wait $pid || fail "fio verify on d0 across the cut"
note "fio: written and verified across the cut"
run vaioctl repl status d0
replicas_equal

step "Planned failover: the VM moves to vaio-b"
note "(the VM is stopped: nothing holds d0 open on vaio-a)"
run vaioctl repl demote d0
on_b vaioctl repl promote d0
note "the VM runs on vaio-b now: 16 MiB written there (fio, verified)"
vm_io_b --size=16m --offset=16m --randseed=4 || fail "fio verify on vaio-b"
on_b vaioctl repl wait d0 --synced --timeout 60
on_b vaioctl repl status d0
repl_line a
replicas_equal

step "Failback: the VM comes home to vaio-a"
on_b vaioctl repl demote d0
run vaioctl repl promote d0
note "what the VM wrote on vaio-b reads back on vaio-a:"
vm_io --size=16m --offset=16m --randseed=4 --verify_only || fail "vaio-b's writes on vaio-a"
note "fio: 16 MiB verified"
vm_io --size=16m --randseed=5 || fail "fio verify on d0 after failback"
run vaioctl repl wait d0 --synced --timeout 60
run vaioctl repl status d0
replicas_equal

t_repl=$(date +%s)

###########################################################################
# hit_ratios: each cached disk's read hit ratio, from vaioctl -j stats.
hit_ratios() {
	vaioctl -j stats | jq -r '.[] | .disk as $d | .filters[] |
		select(.type == "cache") | .status |
		((.read_hits + .read_misses) as $r |
		"  \($d): \(.mode), reads \($r), hits \(.read_hits)" +
		" (\(if $r > 0 then (.read_hits * 100 / $r | floor) else 0 end)%)," +
		" \(.blocks) blocks cached, \(.dirty) dirty")'
}
# zipf_read DEV SEED: a VM's reads, 4 KiB, zipf(1.2) over 64 MiB: a hot
# set the cache can hold, read often; 12 s.
zipf_read() {
	fio --name=zipf --filename="$1" --ioengine=libaio --direct=1 --rw=randread \
		--bs=4k --iodepth=8 --size=64m --random_distribution=zipf:1.2 \
		--randseed="$2" --runtime=12 --time_based --output-format=json 2>/tmp/fio.err |
		fio_json_ok
}

step "A cache pool on vaio-a: a fast device claimed once for the host's disks"
nullb_mem fastdev 32 || fail "null_blk"
nullb_mem vm2disk 64 || fail "null_blk"
note "/dev/fastdev (32 MiB, memory-backed null_blk) stands in for an NVMe"
note "drive; /dev/vm2disk (64 MiB) is a second VM's disk"
run vaioctl cache pool create fast /dev/fastdev
run vaioctl cache pool list

step "Policies with a cache component: vm2 cached; d0 cached and still replicated"
run vaioctl policy create cached cache:pool=fast,mode=writethrough
run vaioctl disk create vm2 /dev/vm2disk --policy cached
run vaioctl policy create gold "replication:mode=async,peer=$REPL_PEER_B:7790,$opts" \
	cache:pool=fast,mode=writethrough,reserve=30
run vaioctl policy assign gold d0
note "(vaio-b's d0 gets no cache: a secondary writes its disk below the filters,"
note "so a cache there would go stale; Documentation/replication.rst, Not done yet)"
run vaioctl disk list

step "Both VMs write, then read their hot blocks (fio, zipf 1.2)"
fio_verify /dev/mapper/d0 --size=32m --bsrange=4k-16k --random_distribution=zipf:1.2 \
	--randseed=6 >/tmp/fio.log 2>&1 &
pid=$!
fio_verify /dev/mapper/vm2 --size=32m --bsrange=4k-16k --random_distribution=zipf:1.2 \
	--randseed=7 || fail "fio verify on vm2"
wait $pid || fail "fio verify on d0 (cached)"
note "fio: 32 MiB written and verified on each"
zipf_read /dev/mapper/d0 8 &
pid=$!
zipf_read /dev/mapper/vm2 9 || fail "reads on vm2"
wait $pid || fail "reads on d0"
note "read hit ratios, from vaioctl -j stats:"
hit_ratios
run vaioctl stats --top 2 --sort cache_hits
run vaioctl cache pool show fast

step "Policies changed live while both VMs write (fio verify on each)"
fio_verify /dev/mapper/d0 --size=32m --bsrange=4k-64k --randseed=10 >/tmp/fio.log 2>&1 &
pid=$!
fio_verify /dev/mapper/vm2 --size=32m --bsrange=4k-64k --randseed=11 >/tmp/fio2.log 2>&1 &
pid2=$!
sleep 2
note "vm2: writes complete in the cache (write-back)"
run vaioctl policy edit cached cache:pool=fast,mode=writeback,fail=closed
note "d0: replication back to sync, its share of the pool up to 50%"
run vaioctl policy edit gold "replication:mode=sync,peer=$REPL_PEER_B:7790,$opts" \
	cache:pool=fast,mode=writethrough,reserve=50
on_b vaioctl policy edit repl "replication:mode=sync,peer=$REPL_PEER_A:7790,$opts"
sleep 2
hit_ratios
wait $pid || fail "fio verify on d0 across the policy changes"
wait $pid2 || fail "fio verify on vm2 across the policy changes"
note "fio on d0 and vm2: written and verified across the changes"
hit_ratios
note "vm2 back to write-through: vaioctl writes the dirty blocks back first"
run vaioctl policy edit cached cache:pool=fast,mode=writethrough
hit_ratios
run vaioctl repl status d0
run vaioctl stats --top 2 --sort writes

step "The data: below the caches, on both replicas"
note "vm2's disk below its cache holds what the VM reads:"
a=$(dd if=/dev/mapper/vm2 bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
b=$(dd if=/dev/vm2disk bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
note "sha256 of /dev/mapper/vm2: $a"
note "sha256 of /dev/vm2disk:     $b"
[ "$a" != "$EMPTY_SUM" ] || fail "vm2 reads as nothing"
[ "$a" = "$b" ] || fail "vm2's disk below differs from what vm2 reads"
note "d0, on both hosts:"
replicas_equal
t_cache=$(date +%s)

###########################################################################
step "The test filters (dm-vaio-test): one per class, attached live in the wrong order"
nullb_mem vm3disk 64 || fail "null_blk"
vaioctl monitor >/tmp/monitor.log 2>&1 &
mon=$!
run vaioctl disk create vm3 /dev/vm3disk
fio_verify /dev/mapper/vm3 --size=32m --loops=2 >/tmp/fio.log 2>&1 &
pid=$!
sleep 1
run vaioctl policy create test test-cache test-replication test-qos:mode=delay,ms=1
run vaioctl policy assign test vm3
wait $pid || fail "fio verify on vm3 across the attach"
note "fio under the live attach: written and verified"
run vaioctl disk show vm3

step "A snapshot event reaches every filter, in class order"
run vaioctl event snapshot vm3 nightly-1

step "A filter fails (fail_open): the disk rides it out"
run dmsetup message vm3 0 test-replication error
fio_verify /dev/mapper/vm3 --size=16m --randseed=12 || fail "fio verify with a failed filter"
note "fio: still written and verified"
run vaioctl disk list
run vaioctl filter reactivate vm3 test-replication
if run vaioctl policy create bad test-cache:mode=warp; then
	fail "a policy with a bad mode was accepted"
fi
note "(refused, as it should be)"
sleep 0.5
kill $mon
note "what vaioctl monitor saw:"
sed 's/^/    /' /tmp/monitor.log
run vaioctl disk remove vm3

t_end=$(date +%s)
step "Done: every fio run verified, the replicas identical at every stage"
note "replication $((t_repl - t_start)) s, cache $((t_cache - t_repl)) s, test filters $((t_end - t_cache)) s"
