#!/bin/sh
# Harness self-test: the test blocks in the kernel where no signal reaches
# it (I/O to a suspended device-mapper device sleeps uninterruptibly).
modprobe brd rd_nr=1 rd_size=1024
echo "0 2048 linear /dev/ram0 0" | dmsetup create stuck && dmsetup mknodes stuck
dmsetup suspend stuck
echo "reading a suspended device"
dd if=/dev/mapper/stuck of=/dev/null bs=4k count=1 iflag=direct
