#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: runs in the test guest. A VM disk under vaio: created, written
# and verified, filters attached live (in the wrong order on purpose) while
# fio runs, a snapshot event, a filter failure that the disk rides out.
# Then the same through vaioctl: storage policies assigned and edited under
# running VMs' I/O, statistics, events followed by vaioctl monitor, a
# refused bad input, and the disks brought back by vaioctl apply.
. /vaio/selftests/lib/vaio.sh
set -e

step() { printf '\n=== %s\n' "$*"; }
run() { printf '# %s\n' "$*"; "$@"; }

step "A 256 MiB RAM disk stands in for the VM's disk"
brd_setup 256 2
size=$(dev_sectors /dev/ram0)
echo "/dev/ram0: $size sectors"

step "Create the vaio disk vm1 over it (no filters: a passthrough)"
run dm_create vm1 "0 $size vaio /dev/ram0 2 disk_id vm1"
run dmsetup table vm1

step "Write 64 MiB through it and verify every block (fio, crc32c)"
fio_verify /dev/mapper/vm1 --size=64m && echo "fio: written and verified, no errors"
run dmsetup status vm1

step "Attach filters live, listed cache-first; they run in class order"
fio_verify /dev/mapper/vm1 --offset=64m --size=128m --loops=2 >/tmp/fio.log 2>&1 &
pid=$!
t="0 $size vaio /dev/ram0 16 disk_id vm1 filter test-cache fail_open 0 filter test-replication fail_open 0 filter test-qos fail_open 2 mode=delay ms=1"
printf '# dmsetup load vm1 <<< "%s"\n' "$t"
echo "$t" | dmsetup load vm1
run dmsetup suspend vm1
run dmsetup resume vm1
run dmsetup table vm1
wait $pid && echo "fio under live reconfiguration: written and verified, no errors"
echo "Filters, in the order each bio met them (type class state ...):"
for f in $(vaio_filters vm1); do
	printf '  %-17s %s\n' "$f" "$(vaio_filter_words vm1 "$f" | cut -d' ' -f1-2) map_pos $(vaio_filter_get vm1 "$f" map_pos)"
done

step "A snapshot event reaches every filter in class order"
run dmsetup message vm1 0 event snapshot nightly-1
for f in $(vaio_filters vm1); do
	printf '  %-17s snapshot count:position %s\n' "$f" "$(vaio_filter_get vm1 "$f" ev_snapshot)"
done

step "The replication filter fails (fail_open): the disk carries on without it"
run dmsetup message vm1 0 replication error
echo "  test-replication is now: $(vaio_filter_state vm1 test-replication)"
fio_verify /dev/mapper/vm1 --size=32m --randseed=9 && echo "fio: still written and verified"
# A bypassed filter comes back with the device suspended: no bio that
# skipped it may still be in flight (vaioctl filter reactivate does this).
run dmsetup suspend vm1
run dmsetup message vm1 0 reactivate replication
run dmsetup resume vm1
echo "  test-replication is now: $(vaio_filter_state vm1 test-replication)"

step "Status of the disk"
run dmsetup status vm1

step "Remove it"
run dmsetup remove vm1

step "The control plane: vaioctl, storage policies, the vaio netlink family"
export VAIO_CONFDIR=/tmp/vaio-demo
vaioctl monitor >/tmp/monitor.log 2>&1 &
mon=$!
run vaioctl filter list | sed -n '1,4p'
echo "  ..."
run vaioctl policy create gold test-replication:mode=pass test-cache:mode=hold_end,ms=1,ops=writes
run vaioctl policy create silver test-qos:mode=delay,ms=1
run vaioctl disk create vm1 /dev/ram0 --policy gold
run vaioctl disk create vm2 /dev/ram1
run vaioctl disk list

step "Change policies while both VMs write (fio verify on each)"
fio_verify /dev/mapper/vm1 --size=96m --loops=2 --randseed=1 >/tmp/fio1.log 2>&1 &
p1=$!
fio_verify /dev/mapper/vm2 --size=48m --loops=2 --randseed=2 >/tmp/fio2.log 2>&1 &
p2=$!
sleep 1
run vaioctl policy assign silver vm2
run vaioctl policy edit gold test-qos:mode=delay,ms=1 test-replication test-cache
run vaioctl policy unassign vm2
wait $p1 && wait $p2 && echo "fio on vm1 and vm2: written and verified, no errors"
run vaioctl policy show gold
run vaioctl stats --top 10 --sort writes
run vaioctl event snapshot vm1 nightly-2

step "Bad input is refused with one line, and nothing changes"
run vaioctl policy create bad test-cache:mode=warp || echo "(exit status $?)"
run vaioctl policy assign nosuch vm1 || echo "(exit status $?)"

step "What vaioctl monitor saw"
sleep 0.5
kill $mon
cat /tmp/monitor.log

step "A reboot: the devices and modules go, /etc/vaio stays; vaioctl apply"
run dmsetup remove vm1
run dmsetup remove vm2
run modprobe -r dm-vaio-test dm-vaio
run modprobe dm-vaio
run vaioctl apply
run vaioctl disk list
fio_verify /dev/mapper/vm1 --size=32m --randseed=3 && echo "fio: vm1 written and verified after apply"
run vaioctl disk remove vm1
run vaioctl disk remove vm2
echo "done."
