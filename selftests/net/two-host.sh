#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
DESCRIPTION="two guests boot on a socket network, reach each other, and carry data"
TOPOLOGY=2host
CHECK=full                 # the harness and its anchors, not dm-vaio: make check-full
TIMEOUT=120
# The debug lane boots two guests in repl/sync-fio.sh already: this one
# would add two minutes for nothing the debug kernel checks.
DEBUG_LANE=no
. "$(dirname "$0")/../lib/ktap.sh"
. "$(dirname "$0")/../lib/vaio.sh"

ktap_check "peer agent on vaio-b answers" vaio_wait_peer
ktap_eq "commands run on the peer" "$(vaio_peer hostname)" "vaio-b"
ktap_eq "peer exit status comes back" "$(vaio_peer 'exit 3'; echo $?)" 3
ktap_check "ping vaio-b" ping -c 3 -W 2 vaio-b
ktap_check "peer pings vaio-a" vaio_peer ping -c 3 -W 2 vaio-a
# 32 MiB each way over TCP (busybox httpd + wget); checksums must agree.
mkdir -p /tmp/www
dd if=/dev/urandom of=/tmp/www/blob bs=1M count=32 2>/dev/null
sum=$(sha256sum </tmp/www/blob | cut -d' ' -f1)
httpd -p 8080 -h /tmp/www
ktap_eq "32 MiB a -> b intact" \
	"$(vaio_peer 'wget -q -O - http://vaio-a:8080/blob | sha256sum' | cut -d' ' -f1)" "$sum"
psum=$(vaio_peer 'mkdir -p /tmp/www; dd if=/dev/urandom of=/tmp/www/blob bs=1M count=32 2>/dev/null;
	httpd -p 8080 -h /tmp/www; sha256sum </tmp/www/blob' | cut -d' ' -f1)
ktap_eq "32 MiB b -> a intact" "$(wget -q -O - http://vaio-b:8080/blob | sha256sum | cut -d' ' -f1)" "$psum"
ktap_eq "long peer output arrives whole" "$(vaio_peer 'seq 1 100000' | wc -l)" 100000
# Each guest has its own disks.
brd_setup 8
vaio_peer 'modprobe brd rd_nr=1 rd_size=4096' >/dev/null
ktap_eq "own RAM disk on a" "$(dev_sectors /dev/ram0)" 16384
ktap_eq "own RAM disk on b" "$(vaio_peer blockdev --getsz /dev/ram0)" 8192
ktap_finish
