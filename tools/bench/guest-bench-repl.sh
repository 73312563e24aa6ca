#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs in guest vaio-a of tools/bench/bench-repl (two guests): replication
# benchmarks, vaio against DRBD, written to /outbox/raw/. Environment
# (vaio-vm --env): VAIO_REPEAT, VAIO_RUNTIME (s), VAIO_FILTER (a regex
# over "delay config workload"; empty: all), VAIO_RESYNC (1: the resync
# rows too).
#
#   <rep>_<delay>_<config>_<workload>.json   fio's JSON
#   resync_<rep>_<config>.txt                seconds to resync 256 MiB
#
# Configs: local (the bare RAM disk, /dev/ram0), vaio-sync, drbd-C,
# vaio-async, drbd-A; each run on a pair made afresh on zeroed disks. The
# delay is netem on vaio-a's way out (the data; the answers come back
# without it): the round trip grows by that much.
. /vaio/selftests/lib/ktap.sh
. /vaio/selftests/lib/vaio.sh
REPL_MIB=512
. /vaio/selftests/lib/repl.sh
# shellcheck source=lib.sh
. /vaio/tools/bench/lib.sh

REPEAT=${VAIO_REPEAT:-3}
RUNTIME=${VAIO_RUNTIME:-5}
FILTER=${VAIO_FILTER:-}
OUT=/outbox/raw
mkdir -p $OUT
CONFIGS="local vaio-sync drbd-C vaio-async drbd-A"
DELAYS="0 1"

log() { echo "# $(cut -d' ' -f1 /proc/uptime)s: $*"; }

workload_args() {
	case $1 in
	4k-randwrite-qd1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
	4k-randwrite-qd16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
	1m-write-qd4) echo "--rw=write --bs=1M --iodepth=4" ;;
	esac
}
WORKLOADS="4k-randwrite-qd1 4k-randwrite-qd16 1m-write-qd4"

drbd_res() { # protocol
	cat <<EOT
resource r0 {
	protocol $1;
	device /dev/drbd0;
	disk /dev/ram0;
	meta-disk internal;
	net { max-buffers 8000; max-epoch-size 8000; sndbuf-size 0; }
	disk { c-plan-ahead 0; resync-rate 1000M; al-extents 3389; }
	on vaio-a { address 192.0.2.1:7789; }
	on vaio-b { address 192.0.2.2:7789; }
}
EOT
}

drbd_init() {
	modprobe drbd || return 1
	vaio_peer 'modprobe drbd' >/dev/null || return 1
	for h in a b; do
		repl_on $h "mkdir -p /var/lock /etc/drbd.d &&
			printf 'global { usage-count no; }\ncommon { }\ninclude \"/etc/drbd.d/*.res\";\n' >/etc/drbd.conf" ||
			return 1
	done
}

fresh_disks() {
	drbdadm down r0 >/dev/null 2>&1
	vaio_peer 'drbdadm down r0' >/dev/null 2>&1
	repl_disks "$REPL_MIB" "$REPL_MIB"
}

drbd_up() { # protocol: a new pair on zeroed disks, a primary, in sync
	local cmd
	fresh_disks || return 1
	drbd_res "$1" >/etc/drbd.d/r0.res
	vaio_peer "cat >/etc/drbd.d/r0.res <<'EOT'
$(drbd_res "$1")
EOT"
	for cmd in "drbdadm create-md --force r0" "drbdadm up r0"; do
		$cmd >/tmp/drbd.log 2>&1 || { cat /tmp/drbd.log; return 1; }
		vaio_peer "$cmd" >/tmp/drbd.log 2>&1 || { cat /tmp/drbd.log; return 1; }
	done
	for i in $(seq 1 100); do
		drbdadm cstate r0 | grep -q Connected && break
		sleep 0.1
	done
	drbdadm new-current-uuid --clear-bitmap r0 >/dev/null 2>&1
	drbdadm primary --force r0 || return 1
	drbd_wait_synced
}

drbd_wait_synced() {
	for i in $(seq 1 3000); do
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
	local) fresh_disks >/dev/null && echo /dev/ram0 ;;
	vaio-sync) repl_pair sync resync_kibps=0 >/dev/null && echo /dev/mapper/d0 ;;
	vaio-async) repl_pair async resync_kibps=0 >/dev/null && echo /dev/mapper/d0 ;;
	drbd-C) drbd_up C >/dev/null && echo /dev/drbd0 ;;
	drbd-A) drbd_up A >/dev/null && echo /dev/drbd0 ;;
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

wanted() { [ -z "$FILTER" ] || echo "$*" | grep -Eq -- "$FILTER"; }


modprobe sch_netem
drbd_init || log "no DRBD: its rows are n/a"
for rep in $(seq 1 "$REPEAT"); do
	for delay in $DELAYS; do
		netem "$delay"
		for cfg in $(rotate "$rep" $CONFIGS); do
			ran=0
			for wl in $WORKLOADS; do
				wanted "$delay $cfg $wl" && ran=1
			done
			[ $ran = 1 ] || continue
			log "repeat $rep delay ${delay}ms $cfg: setting up"
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
				wanted "$delay $cfg $wl" || continue
				# shellcheck disable=SC2046 # fio's arguments
				fio --name=bench --filename="$dev" --ioengine=libaio \
					--direct=1 --numjobs=1 --size=256m --time_based \
					--runtime="$RUNTIME" --ramp_time=1 \
					$(workload_args "$wl") --output-format=json \
					>"$OUT/${rep}_${delay}_${cfg}_${wl}.json" 2>/dev/null ||
					log "$cfg $wl: fio failed"
			done
			netem 0
			teardown "$cfg" >/dev/null 2>&1
		done
	done
	netem 0
	[ "${VAIO_RESYNC:-1}" = 1 ] || continue
	# Resync of 256 MiB written while disconnected, rate unlimited.
	for cfg in $(rotate "$rep" vaio-sync drbd-C); do
		wanted "resync $cfg" || continue
		log "repeat $rep resync $cfg"
		dev=$(setup "$cfg") || continue
		[ -n "$dev" ] || continue
		case $cfg in
		vaio-*) killall vaiod; sleep 0.3; vaioctl repl disconnect d0 ;;
		drbd-*) drbdadm disconnect r0 ;;
		esac
		fio --name=changes --filename="$dev" --ioengine=libaio --direct=1 \
			--rw=write --bs=1M --iodepth=4 --size=256m \
			--output=/dev/null
		t0=$(cut -d' ' -f1 /proc/uptime)
		ok=1
		case $cfg in
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
		[ $ok = 1 ] && awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' \
			>"$OUT/resync_${rep}_${cfg}.txt"
		teardown "$cfg" >/dev/null 2>&1
	done
done
log "done"
