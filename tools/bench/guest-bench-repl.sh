#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs in guest vaio-a of tools/bench/bench-repl (two guests): replication
# benchmarks, vaio against DRBD, written to /outbox/raw/. Environment
# (vaio-vm --env): VAIO_REPEAT, VAIO_RUNTIME (s), VAIO_FILTER (a regex
# over "disk delay config workload", "resync disk delay config" and
# "crash config"; empty: all), VAIO_RESYNC (1: the resync and crash rows
# too), VAIO_DISKS (default "ram,virtio").
#
#   <rep>_<disk>_<delay>_<config>_<workload>.json   fio's JSON
#   lag_<rep>_<disk>_<delay>_<config>_<workload>.txt
#           async: "MEDIAN MAX DRAIN": the lag sampled every 0.5 s (KiB),
#           and the ms from fio's end until it was 0
#   resync_<rep>_<disk>_<delay>_<config>.txt        seconds to resync 256 MiB
#   crash_<rep>_<config>.txt    "KIB SECONDS": out of sync after a power
#                               cut of the primary, and its resync time
#
# Disks: ram (brd, /dev/ram0; no volatile cache, so the block layer drops
# flushes and FUA) and virtio (/dev/vdisk0, a host file with QEMU's
# cache=writeback: a flush costs an fdatasync on the host). vaio's
# metadata is on /dev/ram1 or /dev/vdisk1, DRBD's internal.
# Configs: local (the bare disk), vaio-sync, drbd-C, vaio-async, drbd-A,
# vaio-sync-tls (vaiod --tls: the stream in kernel TLS); each run on a
# pair made afresh on zeroed disks. The delay is netem on
# vaio-a's way out (the data; the answers come back without it): the
# round trip grows by that much.
. /vaio/selftests/lib/ktap.sh
. /vaio/selftests/lib/vaio.sh
REPL_MIB=512
. /vaio/selftests/lib/repl.sh
# shellcheck source=lib.sh
. /vaio/tools/bench/lib.sh

REPEAT=${VAIO_REPEAT:-3}
RUNTIME=${VAIO_RUNTIME:-5}
# shellcheck disable=SC2034 # FILTER: read by lib.sh (wanted)
FILTER=${VAIO_FILTER:-}
DISKS=$(echo "${VAIO_DISKS:-ram,virtio}" | tr , ' ')
OUT=/outbox/raw
mkdir -p $OUT
CONFIGS="local vaio-sync drbd-C vaio-async drbd-A vaio-sync-tls"
DELAYS="0 1"
# Equal buffering in async mode: what vaio may copy and not have confirmed
# (max_lag_kib) = DRBD's socket send buffer (sndbuf-size).
BUF_KIB=4096
# Activity logs of 4 MiB extents, as many on both: 256 (vaio's default)
# cover the disk; the crash rows take DRBD's least, 67 (268 MiB), with
# writes all over the 512 MiB.
AL=256
CRASH_AL=67

# use_disk ram|virtio: the disks the pairs are made on.
use_disk() {
	# shellcheck disable=SC2034 # REPL_META: read by repl.sh
	case $1 in
	ram) REPL_DATA=/dev/ram0 REPL_META=/dev/ram1 ;;
	virtio) REPL_DATA=/dev/vdisk0 REPL_META=/dev/vdisk1 ;;
	esac
}

workload_args() {
	case $1 in
	4k-randwrite-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	4k-randwrite-qd16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
	1m-write-qd4) echo "--rw=write --bs=1M --iodepth=4" ;;
	esac
}
WORKLOADS="4k-randwrite-qd1 4k-randwrite-qd16 1m-write-qd4"

drbd_res() { # protocol al-extents
	cat <<EOT
resource r0 {
	protocol $1;
	device /dev/drbd0;
	disk $REPL_DATA;
	meta-disk internal;
	net { max-buffers 8000; max-epoch-size 8000; sndbuf-size ${BUF_KIB}k; }
	disk { c-plan-ahead 0; resync-rate 1000M; al-extents $2; }
	on vaio-a { address 192.0.2.1:7789; }
	on vaio-b { address 192.0.2.2:7789; }
}
EOT
}

drbd_conf() { # host protocol al-extents: DRBD's configuration there
	repl_on "$1" "modprobe drbd && mkdir -p /var/lock /etc/drbd.d &&
		printf 'global { usage-count no; }\ncommon { }\ninclude \"/etc/drbd.d/*.res\";\n' >/etc/drbd.conf &&
		cat >/etc/drbd.d/r0.res <<'EOT'
$(drbd_res "$2" "$3")
EOT"
}

fresh_disks() {
	drbdadm down r0 >/dev/null 2>&1
	vaio_peer 'drbdadm down r0' >/dev/null 2>&1
	repl_disks "$REPL_MIB" "$REPL_MIB"
}

# drbd_up PROTOCOL [PRIMARY [AL]]: a new pair on zeroed disks, PRIMARY
# (a or b, default a) the primary, in sync.
drbd_up() {
	local cmd h p="${2:-a}"
	fresh_disks || return 1
	for h in a b; do
		drbd_conf $h "$1" "${3:-$AL}" || return 1
	done
	for cmd in "drbdadm create-md --force r0" "drbdadm up r0"; do
		for h in a b; do
			repl_on $h "$cmd" >/tmp/drbd.log 2>&1 || { cat /tmp/drbd.log; return 1; }
		done
	done
	for _ in $(seq 1 100); do
		drbdadm cstate r0 | grep -q Connected && break
		sleep 0.1
	done
	repl_on "$p" 'drbdadm new-current-uuid --clear-bitmap r0' >/dev/null 2>&1
	repl_on "$p" 'drbdadm primary --force r0' || return 1
	drbd_wait_synced
}

drbd_wait_synced() {
	for _ in $(seq 1 6000); do
		drbdadm dstate r0 | grep -q "UpToDate/UpToDate" && return 0
		sleep 0.1
	done
	return 1
}

drbd_down() {
	drbdadm down r0
	vaio_peer 'drbdadm down r0' >/dev/null
}

# setup CONFIG: prints the device to write to.
setup() {
	case $1 in
	local) fresh_disks >/dev/null && echo "$REPL_DATA" ;;
	vaio-sync) repl_pair sync resync_kibps=0 al_extents=$AL >/dev/null &&
		echo /dev/mapper/d0 ;;
	vaio-async) repl_pair async resync_kibps=0 al_extents=$AL \
		max_lag_kib=$BUF_KIB >/dev/null && echo /dev/mapper/d0 ;;
	drbd-C) drbd_up C >/dev/null && echo /dev/drbd0 ;;
	drbd-A) drbd_up A >/dev/null && echo /dev/drbd0 ;;
	vaio-sync-tls)
		# shellcheck disable=SC2034 # read by repl.sh
		REPL_VAIOD_ARGS=--tls
		repl_pair sync resync_kibps=0 al_extents=$AL >/dev/null &&
			echo /dev/mapper/d0
		# shellcheck disable=SC2034 # read by repl.sh
		REPL_VAIOD_ARGS=
		;;
	esac
}

teardown() {
	case $1 in
	vaio-*) repl_teardown ;;
	drbd-*) drbd_down ;;
	esac
}

netem() { # delay_ms
	$TC qdisc del dev eth0 root 2>/dev/null
	[ "$1" = 0 ] || $TC qdisc add dev eth0 root netem delay "${1}ms"
}

# lag_kib CONFIG: what the peer does not have yet, KiB. vaio: its copies
# the peer has not confirmed written (dmsetup status); DRBD A: the bytes
# in its sockets' send queues (port 7789 in /proc/net/tcp), what the peer
# has not received (DRBD A keeps no count of what it has not written).
lag_kib() {
	local q s=0
	case $1 in
	vaio-*) dmsetup status d0 | sed -n 's/.* lag_kib \([0-9]*\).*/\1/p' ;;
	drbd-*)
		# shellcheck disable=SC2013 # one hex number a line
		for q in $(awk 'NR > 1 && ($2 ~ /:1E6D$/ || $3 ~ /:1E6D$/) {
				split($5, q, ":"); print q[1] }' /proc/net/tcp); do
			s=$((s + 0x$q))
		done
		echo $((s / 1024))
		;;
	esac
}

# run_fio DEV WORKLOAD FILE [CONFIG]: one fio run; with CONFIG (async),
# its lag sampled meanwhile and the time it takes to drain, to lag_*.txt.
run_fio() {
	local sampler t0 t1 lag
	rm -f /tmp/lag.samples
	if [ -n "$4" ]; then
		(while :; do lag_kib "$4" >>/tmp/lag.samples; sleep 0.5; done) &
		sampler=$!
	fi
	# shellcheck disable=SC2046 # fio's arguments
	fio --name=bench --filename="$1" --ioengine=libaio \
		--direct=1 --numjobs=1 --size=256m --time_based \
		--runtime="$RUNTIME" --ramp_time=1 \
		$(workload_args "$2") --output-format=json \
		>"$OUT/$3.json" 2>/dev/null || log "$3: fio failed"
	[ -n "$4" ] || return 0
	t0=$(cut -d' ' -f1 /proc/uptime)
	kill "$sampler"
	wait "$sampler" 2>/dev/null
	for _ in $(seq 1 3000); do
		lag=$(lag_kib "$4")
		[ "${lag:-1}" = 0 ] && break
		sleep 0.01
	done
	t1=$(cut -d' ' -f1 /proc/uptime)
	[ "$lag" = 0 ] || { log "$3: the lag did not drain"; return 0; }
	sort -n /tmp/lag.samples | awk -v a="$t0" -v b="$t1" '{ v[NR] = $1 }
		END { if (NR) printf "%d %d %d\n", v[int((NR + 1) / 2)], v[NR], (b - a) * 1000 }' \
		>"$OUT/lag_$3.txt"
}

# resync REP DISK DELAY CONFIG: on a pair in sync, the connection dropped,
# 256 MiB written, connected again: seconds until in sync again.
resync() {
	local dev t0 t1 ok=1
	dev=$(setup "$4")
	[ -n "$dev" ] || { log "resync $4: set-up failed"; return 0; }
	case $4 in
	vaio-*) killall vaiod; sleep 0.3; vaioctl repl disconnect d0 ;;
	drbd-*) drbdadm disconnect r0 ;;
	esac
	fio --name=changes --filename="$dev" --ioengine=libaio --direct=1 \
		--rw=write --bs=1M --iodepth=4 --size=256m --output=/dev/null
	netem "$3"
	t0=$(cut -d' ' -f1 /proc/uptime)
	case $4 in
	vaio-*)
		repl_vaiod_start
		vaioctl repl wait d0 --synced --timeout 600 >/dev/null || ok=0
		;;
	drbd-*)
		drbdadm connect r0
		drbd_wait_synced || ok=0
		;;
	esac
	t1=$(cut -d' ' -f1 /proc/uptime)
	netem 0
	[ $ok = 1 ] && awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' \
		>"$OUT/resync_${1}_${2}_${3}_${4}.txt"
	teardown "$4" >/dev/null 2>&1
}

# crash REP CONFIG (virtio disks): vaio-b the primary, random 4 KiB writes
# all over its disk for 8 s, its power cut; back, how much is out of sync
# (what its activity log listed) and the time to resync it.
crash() {
	local oos t0 t1 ok=1
	case $2 in
	vaio-sync) repl_pair_on b sync resync_kibps=0 al_extents=$CRASH_AL >/dev/null ;;
	drbd-C) drbd_up C b $CRASH_AL >/dev/null ;;
	esac || { log "crash $2: set-up failed"; teardown "$2" >/dev/null 2>&1; return 0; }
	vaio_peer "setsid fio --name=crash --filename=$([ "$2" = drbd-C ] && echo /dev/drbd0 || echo /dev/mapper/d0) \
		--ioengine=libaio --direct=1 --rw=randwrite --bs=4k --iodepth=16 \
		--time_based --runtime=600 >/dev/null 2>&1 </dev/null &" >/dev/null
	sleep 8
	repl_reset_b || { log "crash $2: vaio-b did not come back"; return 0; }
	# vaio-a must have seen its peer go (else DRBD's "UpToDate/UpToDate"
	# of the old connection ends the wait below at once).
	for _ in $(seq 1 300); do
		case $2 in
		vaio-*) [ "$(repl_json a conn)" != connected ] && break ;;
		drbd-*) drbdadm cstate r0 | grep -q '^Connected' || break ;;
		esac
		sleep 0.1
	done
	case $2 in
	vaio-sync)
		vaio_peer 'modprobe dm-vaio-replication' &&
			repl_up b sync "$REPL_MIB" resync_kibps=0 al_extents=$CRASH_AL &&
			repl_secret || ok=0
		oos=$(($(repl_json b oos_bytes) / 1024))
		t0=$(cut -d' ' -f1 /proc/uptime)
		repl_vaiod_start
		repl_wait_consistent a 600 >/dev/null || ok=0
		;;
	drbd-C)
		dmesg -c >/dev/null
		drbd_conf b C $CRASH_AL || ok=0
		t0=$(cut -d' ' -f1 /proc/uptime)
		vaio_peer 'drbdadm up r0' >/dev/null || ok=0
		drbd_wait_synced || ok=0
		# The sync source says how much: "Began resync as SyncSource
		# (will sync N KB [...])", b after its reboot or a.
		oos=$( (vaio_peer dmesg; dmesg) |
			sed -n 's/.*Began resync as SyncSource (will sync \([0-9]*\) KB.*/\1/p' | head -n1)
		[ -n "$oos" ] || oos=0
		;;
	esac
	t1=$(cut -d' ' -f1 /proc/uptime)
	[ $ok = 1 ] && awk -v o="$oos" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d %.2f\n", o, b - a }' \
		>"$OUT/crash_${1}_${2}.txt"
	teardown "$2" >/dev/null 2>&1
}

modprobe sch_netem
for h in a b; do
	repl_on $h 'modprobe drbd' >/dev/null || log "no DRBD on vaio-$h: its rows are n/a"
	repl_on $h 'modprobe tls' >/dev/null || log "no kernel TLS on vaio-$h: vaio-sync-tls is n/a"
done
for rep in $(seq 1 "$REPEAT"); do
	# shellcheck disable=SC2086 # lists of words
	for disk in $(rotate "$rep" $DISKS); do
		use_disk "$disk"
		for delay in $DELAYS; do
			# shellcheck disable=SC2086 # a list of words
			for cfg in $(rotate "$rep" $CONFIGS); do
				ran=0
				for wl in $WORKLOADS; do
					wanted "$disk $delay $cfg $wl" && ran=1
				done
				[ $ran = 1 ] || continue
				log "repeat $rep $disk delay ${delay}ms $cfg: setting up"
				# Set up without the delay (a faster start), run with it.
				netem 0
				dev=$(setup "$cfg")
				netem "$delay"
				if [ -z "$dev" ]; then
					log "$cfg: set-up failed"
					teardown "$cfg" >/dev/null 2>&1
					continue
				fi
				for wl in $WORKLOADS; do
					wanted "$disk $delay $cfg $wl" || continue
					case $cfg in
					*-async|*-A) run_fio "$dev" "$wl" "${rep}_${disk}_${delay}_${cfg}_${wl}" "$cfg" ;;
					*) run_fio "$dev" "$wl" "${rep}_${disk}_${delay}_${cfg}_${wl}" ;;
					esac
				done
				netem 0
				teardown "$cfg" >/dev/null 2>&1
			done
		done
		[ "${VAIO_RESYNC:-1}" = 1 ] || continue
		# Resync of 256 MiB written while disconnected, rate unlimited.
		for delay in $DELAYS; do
			for cfg in $(rotate "$rep" vaio-sync drbd-C); do
				wanted "resync $disk $delay $cfg" || continue
				log "repeat $rep resync $disk delay ${delay}ms $cfg"
				resync "$rep" "$disk" "$delay" "$cfg"
			done
		done
	done
done
# The power cuts last: after a reset, vaio-b's virtio-net has been seen to
# stop sending for good minutes later (QEMU's UDP socket network, "NETDEV
# WATCHDOG: transmit queue 0 timed out"), which would cost the other rows.
if [ "${VAIO_RESYNC:-1}" = 1 ] && echo "$DISKS" | grep -qw virtio; then
	use_disk virtio
	for rep in $(seq 1 "$REPEAT"); do
		for cfg in $(rotate "$rep" vaio-sync drbd-C); do
			wanted "crash $cfg" || continue
			log "repeat $rep crash $cfg"
			crash "$rep" "$cfg"
		done
	done
fi
log "done"
