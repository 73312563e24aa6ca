#!/bin/sh
# Harness self-test (batch): passes, leaving what a reset must undo: a dm
# device on a ram disk, a module with a parameter, a null_blk device made
# through configfs, a process, a mount, files in /tmp, /etc and the
# working directory (/vaio: fio's verify state), a message
# in the kernel log.
modprobe brd rd_nr=1 rd_size=8192 || exit 1
dmsetup create batch-left --table "0 16384 linear /dev/ram0 0" && dmsetup mknodes batch-left || exit 1
mkdir -p /mnt/batch && mount -t tmpfs tmpfs /mnt/batch || exit 1
echo left >/tmp/batch-left
echo left >/vaio/batch-left.state
mkdir -p /etc/vaio && echo left >/etc/vaio/batch-left || exit 1
modprobe null_blk nr_devices=0 && mkdir /sys/kernel/config/nullb/batch &&
	echo 1 >/sys/kernel/config/nullb/batch/power || exit 1
echo "batch_planted_message" >/dev/kmsg
setsid sleep 1000 </dev/null >/dev/null 2>&1 &
echo "left it all"
exit 0
