#!/bin/sh
# Harness self-test (batch): passes, leaving a dm device the kernel holds
# open (swap on it): no reset removes it, the batch must end here.
modprobe brd rd_nr=1 rd_size=8192 || exit 1
dmsetup create batch-held --table "0 16384 linear /dev/ram0 0" && dmsetup mknodes batch-held || exit 1
mkswap /dev/mapper/batch-held >/dev/null && swapon /dev/mapper/batch-held || exit 1
echo "holding it"
exit 0
