#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the iblock I/O suite: targetcli makes an iblock backstore on a loop
# device (a file in /tmp, tmpfs: it discards by punching holes) and maps it on a
# loopback target; the LUN must survive fio randrw with crc32c verification at QD 16,
# SYNCHRONIZE CACHE, UNMAP (reading zeroes back), WRITE SAME (zero-out and repeated
# blocks) and an ext4 round trip; a readonly=1 backstore is write protected (MODE SENSE
# WP); everything is deleted object by object and unloads. Runs against whichever
# modules `modprobe` finds (lio-rs with --impl rust, the C LIO with --impl c).
# $OUT/facts.txt records what the device reports and $OUT/probes-iblock its sg3_utils
# answers, for the suite to compare between the two.
set -u
. "$(dirname "$0")/../lib.sh"
impl=${LIO_RS_IMPL:-?}
cfs=/sys/kernel/config/target
wwn=naa.50014050aabbcc02

modprobe loop 2>/dev/null
truncate -s 64M /tmp/blk0.img
truncate -s 16M /tmp/blk1.img
if ! loop0=$(losetup -f --show /tmp/blk0.img) || ! loop1=$(losetup -f --show /tmp/blk1.img); then
	not_ok "[$impl] losetup makes two loop devices"
	exit 1
fi
ok "[$impl] losetup makes two loop devices ($loop0, $loop1)"

check "[$impl] targetcli creates an iblock backstore on $loop0" \
	targetcli /backstores/block create name=blk0 dev="$loop0"
check "[$impl] targetcli enables UNMAP on it" \
	targetcli /backstores/block/blk0 set attribute emulate_tpu=1
check "[$impl] targetcli creates a read-only iblock backstore on $loop1" \
	targetcli /backstores/block create name=blk1 dev="$loop1" readonly=true
check "[$impl] targetcli creates a loopback target" targetcli /loopback create $wwn
check "[$impl] targetcli maps blk0 as LUN 0" targetcli /loopback/$wwn/luns create /backstores/block/blk0
check "[$impl] targetcli maps blk1 as LUN 1" \
	targetcli /loopback/$wwn/luns create /backstores/block/blk1 lun=1

blk0_dir=$(ls -d $cfs/core/iblock_*/blk0)
n0=${loop0#/dev/loop}
check_eq "[$impl] info of blk0" \
	"$(printf '        iBlock device: loop%s  UDEV PATH: %s  readonly: 0\n        Major: 7 Minor: %s  CLAIMED: IBLOCK' "$n0" "$loop0" "$n0")" \
	"$(cat "$blk0_dir/info" | grep -v '^Status:')"
check_fails "[$impl] udev_path of a claimed device cannot change" "File exists" \
	bash -c "echo udev_path=/dev/null > $blk0_dir/control"
check_fails "[$impl] emulate_write_cache=1 is refused" "Invalid argument" \
	bash -c "echo 1 > $blk0_dir/attrib/emulate_write_cache"
check_eq "[$impl] hw_block_size" 512 "$(cat "$blk0_dir/attrib/hw_block_size")"

# The block device of LUN N of our target (H:0:1:N below a tcm_loop adapter).
disk_of_lun() {
	local lun=$1 i d
	for i in $(seq 100); do
		for d in /sys/devices/tcm_loop_0/tcm_loop_adapter_*/host*/target*/*:"$lun"/block/*; do
			if [ -e "$d" ]; then
				echo "/dev/${d##*/}"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

if ! dev=$(disk_of_lun 0); then
	not_ok "[$impl] LUN 0 appears as a SCSI disk"
	exit 1
fi
ok "[$impl] LUN 0 appears as a SCSI disk ($dev)"
check_eq "[$impl] the disk has 64 MiB" 67108864 "$(blockdev --getsize64 "$dev")"

# What the device reports, for the suite to compare across implementations.
{
	echo "== info"
	grep -v '^Status:' "$blk0_dir/info"
	echo "== attrib"
	for a in "$blk0_dir"/attrib/*; do
		echo "${a##*/}=$(cat "$a" 2>&1)"
	done
	sg_turs "$dev" >/dev/null 2>&1 # the unit attention of the new LUN
	echo "== READ CAPACITY (16)"
	sg_readcap -l "$dev"
	echo "== Block limits VPD"
	sg_vpd -p bl "$dev"
	echo "== Logical block provisioning VPD"
	sg_vpd -p lbpv "$dev"
	echo "== Caching mode page"
	sg_modes --page=8 "$dev" 2>&1 | tail -n +2
} >"$OUT/facts.txt" 2>&1

record_probes iblock "$dev"

# ext4 round trip with checksums, across a remount.
ext4_round_trip "$dev" /tmp/mnt-blk0

check "[$impl] fio randrw verify=crc32c iodepth=16 passes" \
	fio --name=verify --filename="$dev" --ioengine=libaio --direct=1 --rw=randrw \
	--bs=4k --iodepth=16 --size=32M --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--output="$OUT/fio-verify.txt"
check "[$impl] fio large sequential writes verify (1 MiB, QD 4)" \
	fio --name=seqverify --filename="$dev" --ioengine=libaio --direct=1 --rw=write \
	--bs=1M --iodepth=4 --size=32M --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--output="$OUT/fio-seq.txt"
check "[$impl] SYNCHRONIZE CACHE" sg_sync "$dev"
check "[$impl] SYNCHRONIZE CACHE with IMMED" sg_sync --immed "$dev"
check "[$impl] a FUA write" sg_dd if=/dev/urandom of="$dev" bs=512 count=8 seek=100 fua=1

zero64k=$(head -c 65536 /dev/zero | sha256sum)
# UNMAP of the first 4 MiB: the loop device discards (punches holes in the file).
if [ "$(cat /sys/block/${loop0#/dev/}/queue/discard_max_bytes)" != 0 ]; then
	check_eq "[$impl] the LUN's first 64 KiB are not zeroes before UNMAP" no \
		"$([ "$(dd if="$dev" bs=64k count=1 iflag=direct 2>/dev/null | sha256sum)" = "$zero64k" ] && echo yes || echo no)"
	check "[$impl] UNMAP of the first 4 MiB" sg_unmap --lba=0 --num=8192 "$dev"
	check_eq "[$impl] unmapped blocks read back as zeroes" "$zero64k" \
		"$(dd if="$dev" bs=64k count=1 iflag=direct 2>/dev/null | sha256sum)"
	check_eq "[$impl] and are zeroes in the backing file" "$zero64k" \
		"$(dd if=/tmp/blk0.img bs=64k count=1 2>/dev/null | sha256sum)"
else
	ok "[$impl] # SKIP $loop0 does not discard"
fi

# WRITE SAME (16) of a non-zero block: repeated writes.
head -c 512 /dev/urandom >/tmp/block
cp /tmp/block /tmp/blocks
for i in $(seq 12); do cat /tmp/blocks /tmp/blocks >/tmp/blocks2 && mv /tmp/blocks2 /tmp/blocks; done
want=$(head -c $((3000 * 512)) /tmp/blocks | sha256sum)
check "[$impl] WRITE SAME (16) of a pattern block over 3000 blocks" \
	sg_write_same --16 --lba=20000 --num=3000 --in=/tmp/block "$dev"
check_eq "[$impl] the 3000 blocks read back as the pattern" "$want" \
	"$(dd if="$dev" bs=512 skip=20000 count=3000 iflag=direct 2>/dev/null | sha256sum)"
# WRITE SAME (10) of zeroes: zero-out where the device has WRITE ZEROES.
check "[$impl] WRITE SAME (10) of a zero block over 128 blocks" \
	sg_write_same --10 --lba=20000 --num=128 "$dev"
check_eq "[$impl] the 128 blocks read back as zeroes" "$zero64k" \
	"$(dd if="$dev" bs=512 skip=20000 count=128 iflag=direct 2>/dev/null | sha256sum)"
check_eq "[$impl] the blocks after them keep the pattern" "$(cat /tmp/block | sha256sum)" \
	"$(dd if="$dev" bs=512 skip=20128 count=1 iflag=direct 2>/dev/null | sha256sum)"

# readonly=1: every write is DATA PROTECT.
if dev1=$(disk_of_lun 1); then
	ok "[$impl] LUN 1 appears as a SCSI disk ($dev1)"
	check "[$impl] the read-only LUN reads" dd if="$dev1" of=/dev/null bs=64k count=4 iflag=direct
	# The LUN is write protected: MODE SENSE's WP bit, so Linux makes the disk read-only.
	check "[$impl] MODE SENSE of the read-only LUN reports WP" \
		bash -c "sg_modes $dev1 | grep -q 'WP=1'"
	check_eq "[$impl] Linux sees the read-only LUN as read-only" 1 "$(blockdev --getro "$dev1")"
	check_fails "[$impl] WRITE SAME on the read-only LUN is refused" "Read-only" \
		sg_write_same --10 --lba=0 --num=1 "$dev1"
else
	not_ok "[$impl] LUN 1 appears as a SCSI disk"
fi

# Teardown, object by object.
check "[$impl] targetcli deletes LUN 1" targetcli /loopback/$wwn/luns delete lun1
check "[$impl] targetcli deletes LUN 0" targetcli /loopback/$wwn/luns delete lun0
check "[$impl] targetcli deletes the loopback target" targetcli /loopback delete $wwn
check "[$impl] targetcli deletes blk1" targetcli /backstores/block delete blk1
check "[$impl] targetcli deletes blk0" targetcli /backstores/block delete blk0
check "[$impl] the loop devices are released" losetup -d "$loop0" "$loop1"
check_eq "[$impl] no iblock HBA is left" "" "$(ls -d $cfs/core/iblock_* 2>/dev/null)"
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
