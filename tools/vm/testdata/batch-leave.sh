#!/bin/sh
# Harness self-test (batch): passes, leaving what a reset must undo: a dm
# device on a ram disk, a module with a parameter, a process, a mount, a
# file in /tmp, a message in the kernel log.
modprobe brd rd_nr=1 rd_size=8192 || exit 1
dmsetup create batch-left --table "0 16384 linear /dev/ram0 0" && dmsetup mknodes batch-left || exit 1
mkdir -p /mnt/batch && mount -t tmpfs tmpfs /mnt/batch || exit 1
echo left >/tmp/batch-left
echo "batch_planted_message" >/dev/kmsg
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
echo "left it all"
exit 0
