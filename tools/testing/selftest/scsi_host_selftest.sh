#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the SCSI LLD selftest (scsi-host branch only): loads lio_scsi_selftest,
# checks the sysfs shape tcm_loop has, probes the disk with sg3_utils, writes and reads
# back 1 MiB with O_DIRECT, sends an unsupported opcode, and unloads the module.
# Run: scripts/vm run --out DIR -- tools/testing/selftest/scsi_host_selftest.sh
set -u
. "$(dirname "$0")/../lib.sh"
OUT=${OUT:-/tmp}

check "modprobe lio_scsi_selftest" modprobe lio_scsi_selftest

adapter=/sys/devices/tcm_loop_0/tcm_loop_adapter_0
hostdir=$(ls -d "$adapter"/host* 2>/dev/null | head -n 1)
if [ -z "$hostdir" ]; then
	not_ok "$adapter/hostN exists"
	exit 1
fi
ok "$hostdir exists"
host=${hostdir##*/}
echo "# proc_name: $(cat /sys/class/scsi_host/$host/proc_name)"
check_eq "proc_name is tcm_loopback" tcm_loopback "$(cat /sys/class/scsi_host/$host/proc_name)"
check_eq "can_queue is 1024" 1024 "$(cat /sys/class/scsi_host/$host/can_queue)"
check_eq "sg_tablesize is 256" 256 "$(cat /sys/class/scsi_host/$host/sg_tablesize)"
check "the module link of tcm_loop_0" test "$(readlink -f /sys/devices/tcm_loop_0/module)" = /sys/module/lio_scsi_selftest

sd=""
for i in $(seq 50); do
	sd=$(ls "$hostdir"/target*:0:0/*:0:0:0/block 2>/dev/null | head -n 1)
	[ -n "$sd" ] && [ -b "/dev/$sd" ] && break
	sleep 0.2
done
if [ -z "$sd" ] || [ ! -b "/dev/$sd" ]; then
	not_ok "LUN 0 appears as a disk"
	ls -R "$hostdir" | head -n 40
	exit 1
fi
ok "LUN 0 appears as /dev/$sd ($(ls -d "$hostdir"/target*:0:0/*:0:0:0 | sed 's|.*/||'))"

sg_inq "/dev/$sd" >"$OUT/sg_inq.txt" 2>&1
cat "$OUT/sg_inq.txt"
check "sg_inq: peripheral type disk" grep -q "Peripheral device type: disk" "$OUT/sg_inq.txt"
check "sg_inq: vendor LIO-RS" grep -q "Vendor identification: LIO-RS" "$OUT/sg_inq.txt"
check "sg_inq: product SCSI SELFTEST" grep -q "Product identification: SCSI SELFTEST" "$OUT/sg_inq.txt"

sg_readcap "/dev/$sd" >"$OUT/sg_readcap.txt" 2>&1
cat "$OUT/sg_readcap.txt"
check "sg_readcap: 2048 blocks" grep -q "Device size: 1048576 bytes" "$OUT/sg_readcap.txt"
check "sg_readcap: 512-byte blocks" grep -q "Logical block length=512 bytes" "$OUT/sg_readcap.txt"
check "sg_turs" sg_turs "/dev/$sd"

dd if=/dev/urandom of=/tmp/pattern bs=64k count=16 status=none
check "dd write 1 MiB (O_DIRECT)" dd if=/tmp/pattern of="/dev/$sd" bs=64k oflag=direct status=none
echo 3 >/proc/sys/vm/drop_caches
check "dd read 1 MiB (O_DIRECT)" dd if="/dev/$sd" of=/tmp/back bs=64k iflag=direct status=none
a=$(sha256sum </tmp/pattern | cut -d' ' -f1)
b=$(sha256sum </tmp/back | cut -d' ' -f1)
echo "# written $a"
echo "# read    $b"
check_eq "read back what was written" "$a" "$b"
check "dd through the page cache: 4 KiB at block 100, read back" \
	sh -c "dd if=/tmp/pattern of=/dev/$sd bs=512 seek=100 count=8 status=none conv=fsync &&
		echo 3 >/proc/sys/vm/drop_caches &&
		dd if=/dev/$sd of=/tmp/b100 bs=512 skip=100 count=8 status=none &&
		dd if=/tmp/pattern of=/tmp/p100 bs=512 count=8 status=none && cmp /tmp/b100 /tmp/p100"
out=$(sg_raw -v "/dev/$sd" c0 00 00 00 00 00 2>&1)
rc=$?
echo "$out" | tee "$OUT/sg_raw.txt"
check_eq "sg_raw c0: fails" 1 "$([ $rc -ne 0 ] && echo 1 || echo 0)"
check "sg_raw c0: CHECK CONDITION" grep -qi "Check Condition" "$OUT/sg_raw.txt"
check "sg_raw c0: Illegal Request, Invalid command operation code" \
	sh -c "grep -qi 'Illegal Request' '$OUT/sg_raw.txt' && grep -qi 'Invalid command operation code' '$OUT/sg_raw.txt'"
sg_raw -v -r 512 "/dev/$sd" 28 00 00 00 08 00 00 00 01 00 >"$OUT/sg_raw_oor.txt" 2>&1
cat "$OUT/sg_raw_oor.txt"
check "sg_raw READ(10) at LBA 2048: LBA out of range" \
	grep -qi "Logical block address out of range" "$OUT/sg_raw_oor.txt"

# A command the driver holds: the block layer times it out after 2 s, the error handler
# calls eh_abort_handler, whose SUCCESS ends it; the disk must keep working afterwards.
sg_raw -v -t 2 "/dev/$sd" c1 00 00 00 00 00 >"$OUT/sg_raw_abort.txt" 2>&1
rc=$?
cat "$OUT/sg_raw_abort.txt"
check_eq "sg_raw c1 (held): fails" 1 "$([ $rc -ne 0 ] && echo 1 || echo 0)"
check "abort handler completed the held command" \
	sh -c "dmesg | grep -q 'abort: 0:0:0 tag .*: completed the held command'"
check "sg_turs after the abort" sg_turs "/dev/$sd"
check "dd read after the abort" dd if="/dev/$sd" of=/dev/null bs=64k iflag=direct status=none

check "rmmod lio_scsi_selftest" rmmod lio_scsi_selftest
check "tcm_loop_0 is gone" test ! -e /sys/devices/tcm_loop_0
check "the host is gone" test ! -e "/sys/class/scsi_host/$host"
dmesg | grep -E "lio_scsi_selftest|$host|sd [0-9]+:0:0:0|$sd" | tee "$OUT/dmesg-selftest.txt"

echo "# $LIO_TESTS_FAILED failed"
[ "$LIO_TESTS_FAILED" -eq 0 ]
