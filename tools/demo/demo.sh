#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo: runs in the test guest. A VM disk under vaio: created, written
# and verified, filters attached live (in the wrong order on purpose) while
# fio runs, a snapshot event, a filter failure that the disk rides out.
. /vaio/selftests/lib/vaio.sh
set -e

step() { printf '\n=== %s\n' "$*"; }
run() { printf '# %s\n' "$*"; "$@"; }

step "A 256 MiB RAM disk stands in for the VM's disk"
brd_setup 256
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
run dmsetup message vm1 0 reactivate replication
echo "  test-replication is now: $(vaio_filter_state vm1 test-replication)"

step "Status of the disk"
run dmsetup status vm1

step "Remove it"
run dmsetup remove vm1
echo "done."
