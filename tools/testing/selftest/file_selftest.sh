#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the file layer selftest (fileio branch only): prepares a directory on
# tmpfs, an ext4 file system on a loop device and an 8 MiB loop device, loads
# lio_file_selftest (which runs its checks of rust/lio/file.rs and fileio's FdMedium at
# load and logs "ok"/"not ok" lines), checks from user space what the module left in the
# files, unloads the module (which closes the file it kept open) and tears down.
# Run: scripts/vm run --out DIR -- tools/testing/selftest/file_selftest.sh
set -u
. "$(dirname "$0")/../lib.sh"
OUT=${OUT:-/tmp}
D=/tmp/lio_file_selftest
MIB=1048576

mkdir -p "$D/ext4"
check "modprobe loop" modprobe loop
truncate -s 64M "$D/ext4.img"
check "mkfs.ext4 on a 64 MiB image" mkfs.ext4 -q -F "$D/ext4.img"
ext4_loop=$(losetup -f --show "$D/ext4.img")
check "mount ext4 on $ext4_loop" mount "$ext4_loop" "$D/ext4"
truncate -s 8M "$D/bdev.img"
bdev_loop=$(losetup -f --show "$D/bdev.img")
ln -s "$bdev_loop" "$D/bdev"
echo "# ext4 on $ext4_loop, raw block device $bdev_loop"

check "modprobe lio_file_selftest" modprobe lio_file_selftest
dmesg | grep 'lio_file_selftest: ' | sed 's/^\[[^]]*\] //' >"$OUT/selftest.txt"
sed 's/^/# /' "$OUT/selftest.txt"
passed=$(grep -c 'lio_file_selftest: ok - ' "$OUT/selftest.txt")
failed=$(grep -c 'lio_file_selftest: not ok - ' "$OUT/selftest.txt")
summary=$(grep -o '[0-9]* passed, [0-9]* failed' "$OUT/selftest.txt" | tail -n 1)
check_eq "module checks: none failed" 0 "$failed"
check_eq "module summary agrees" "$((passed - $(grep -c '# SKIP' "$OUT/selftest.txt"))) passed, 0 failed" "$summary"

# What the module left, seen from user space.
img=$D/tmpfs.img
check_eq "tmpfs.img is 4 MiB" $((4 * MIB)) "$(stat -c %s "$img")"
check_eq "tmpfs.img has mode 0600" 600 "$(stat -c %a "$img")"
check "tmpfs.img: the punched hole reads as zeroes" \
	sh -c "dd if='$img' bs=64k skip=16 count=1 status=none | cmp -n 65536 - /dev/zero"
check "tmpfs.img: the pattern before the hole is there (not zeroes)" \
	sh -c "! dd if='$img' bs=64k skip=15 count=1 status=none | cmp -s -n 65536 - /dev/zero"
check "tmpfs.img: the hole is unallocated (du below 4 MiB)" \
	test "$(du -k "$img" | cut -f1)" -lt 4096
check_eq "ext4 medium.img: write_same extended it to LBA 4000" $((4000 * 512)) \
	"$(stat -c %s "$D/ext4/medium.img")"
check "ext4 medium.img: sparse (du below the size)" \
	test "$(du -k "$D/ext4/medium.img" | cut -f1)" -lt $((4000 * 512 / 1024))
check "nosize.img was created (LIO's filp_open creates it before failing)" test -f "$D/nosize.img"

check "rmmod lio_file_selftest" rmmod lio_file_selftest
check "exit: the kept file read back and was closed" \
	sh -c "dmesg | grep -q 'lio_file_selftest: exit: ok - the kept file still reads back' &&
		dmesg | grep -q 'lio_file_selftest: exit: closed the kept file'"
check "umount ext4" umount "$D/ext4"
check "losetup -d" losetup -d "$ext4_loop" "$bdev_loop"

echo "# $LIO_TESTS_FAILED failed"
[ "$LIO_TESTS_FAILED" -eq 0 ]
