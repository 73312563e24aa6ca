#!/bin/sh
# Harness self-test (batch): fails unless the guest is as boot left it.
bad=
dmsetup ls | grep -qv '^No devices found' && bad="$bad dm-device"
grep -q '^brd ' /proc/modules && bad="$bad brd-loaded"
grep -q ' /mnt/batch ' /proc/mounts && bad="$bad mount"
[ -e /tmp/batch-left ] && bad="$bad tmp-file"
[ -e /etc/vaio/batch-left ] && bad="$bad etc-file"
[ -e /vaio/batch-left.state ] && bad="$bad workdir-file"
grep -q '^null_blk ' /proc/modules && bad="$bad null_blk-loaded"
dmesg | grep -q batch_planted_message && bad="$bad kernel-log"
# shellcheck disable=SC2009 # the guest's busybox has no pgrep
ps | grep -q '[s]leep 1000' && bad="$bad process"
# The parameter of a module loaded again is the new one.
modprobe brd rd_nr=1 rd_size=4096 || bad="$bad modprobe"
[ "$(cat /sys/block/ram0/size 2>/dev/null)" = 8192 ] || bad="$bad rd_size"
rmmod brd
if [ -n "$bad" ]; then
	echo "not fresh:$bad"
	exit 1
fi
echo "fresh"
exit 0
