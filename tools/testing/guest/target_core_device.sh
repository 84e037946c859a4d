#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the device suite: an rd_mcp device made by hand under core/, on
# whichever target_core_mod modprobe finds. What the device files say goes to
# $OUT/device-$LIO_RS_IMPL.txt, the tree to $OUT/tree-device-$LIO_RS_IMPL.txt, for the
# host to compare the implementations.
set -u
. "$(dirname "$0")/../lib.sh"
impl=${LIO_RS_IMPL:-?}
T=/sys/kernel/config/target
D=$T/core/rd_mcp_0/dev0
put() { bash -c 'echo "$1" > "$2"' put "$1" "$2"; }
rec() { # rec LABEL FILE: the file's content, labelled, into the comparison record
	{ echo "== $1"; cat "$2"; } >>"$OUT/device-$impl.txt" 2>&1
}
: >"$OUT/device-$impl.txt"

check "[$impl] modprobe target_core_mod" modprobe target_core_mod
check "[$impl] mkdir an rd_mcp HBA and a device" mkdir -p $D
rec "info of a new device" $D/info
check_eq "[$impl] a new device is not enabled" 0 "$(cat $D/enable)"
check_eq "[$impl] a new device has no alias" "" "$(cat $D/alias)"
check_eq "[$impl] a new device has no udev_path" "" "$(cat $D/udev_path)"
check_fails "[$impl] enable needs rd_pages" "Invalid argument" put 1 $D/enable
check_fails "[$impl] enable takes only 1" "Invalid argument" put 0 $D/enable
check_fails "[$impl] control is write-only" "Permission denied" cat $D/control
check_fails "[$impl] dbroot is frozen while a device exists" "Invalid argument" put /tmp $T/dbroot
check "[$impl] control rd_pages=16384 with junk tokens" put "bogus,rd_pages=16384,,x=1" $D/control
check "[$impl] enable" put 1 $D/enable
check_eq "[$impl] enabled" 1 "$(cat $D/enable)"
rec "info of an enabled 64 MiB device" $D/info
G=$T/core/alua/lu_gps/default_lu_gp
rec "alua_lu_gp of an enabled device" $D/alua_lu_gp
rec "default_lu_gp members with one device" $G/members
check_fails "[$impl] a second enable" "File exists" put 1 $D/enable
check "[$impl] alias" put "my disk" $D/alias
check_eq "[$impl] alias reads back" "my disk" "$(cat $D/alias)"
check "[$impl] udev_path" put /dev/fake $D/udev_path
check_eq "[$impl] udev_path reads back" /dev/fake "$(cat $D/udev_path)"
check_fails "[$impl] an alias of 512 bytes is refused" "Invalid argument" \
	put "$(printf 'a%.0s' $(seq 511))" $D/alias

# attrib/: every store below runs on both implementations; its outcome (errno text and
# the value read back) goes into the record the host compares.
try_store() { # try_store VALUE FILE
	{
		echo "== echo $1 > ${2#$D/}"
		bash -c 'echo "$1" > "$2"' _ "$1" "$2" 2>&1 | sed 's/^.*write error: //'
		cat "$2"
	} >>"$OUT/device-$impl.txt" 2>&1
}
A=$D/attrib
for f in $(ls $A); do rec "attrib/$f after enable" $A/$f; done
try_store 1 $A/emulate_model_alias
rec "product_id with emulate_model_alias" $D/wwn/product_id
try_store 0 $A/emulate_model_alias
rec "product_id without emulate_model_alias" $D/wwn/product_id
for args in "0 emulate_dpo" "0 emulate_fua_read" "1 emulate_write_cache" "off emulate_write_cache" \
	"2 emulate_ua_intlck_ctrl" "3 emulate_ua_intlck_ctrl" "x emulate_ua_intlck_ctrl" \
	"0 emulate_tas" "1 emulate_tpu" "1 emulate_tpws" "1 unmap_zeroes_data" \
	"1 max_unmap_block_desc_count" "1 emulate_tpu" "y emulate_tpws" "1 unmap_zeroes_data" \
	"8192 max_unmap_lba_count" "0x1000 max_write_same_len" "4294967296 unmap_granularity" \
	"0 pi_prot_type" "2 pi_prot_type" "5 pi_prot_type" "0 pi_prot_format" "1 pi_prot_format" \
	"1 pi_prot_verify" "1 emulate_rest_reord" "0 emulate_rest_reord" "4096 block_size" \
	"1000 block_size" "8 optimal_sectors" "4294967289 optimal_sectors" "0 queue_depth" \
	"200 queue_depth" "64 queue_depth" "3 submit_type" "2 submit_type" "0 alua_support" \
	"1 alua_support" "0 pgr_support" "0 enforce_pr_isids" "0 is_nonrot" "yes force_pr_aptpl" \
	"no emulate_caw" "0 emulate_3pc" "0 emulate_pr" "0 emulate_rsoc" "0 emulate_fua_write" \
	"1 hw_block_size"; do
	set -- $args
	try_store "$1" $A/$2
done
rec "info with queue_depth 64" $D/info
for f in $(ls $A); do rec "attrib/$f after stores" $A/$f; done
check "[$impl] attrib stores recorded" test -s "$OUT/device-$impl.txt"

# wwn/
W=$D/wwn
for f in vendor_id product_id revision company_id vpd_unit_serial vpd_protocol_identifier \
	vpd_assoc_logical_unit vpd_assoc_target_port vpd_assoc_scsi_target_device; do
	rec "wwn/$f default" $W/$f
done
check "[$impl] vendor_id with spaces around" put "  ACME  " $W/vendor_id
check_eq "[$impl] vendor_id is stripped" ACME "$(cat $W/vendor_id)"
check "[$impl] vendor_id of 8 characters" put ABCDEFGH $W/vendor_id
check_fails "[$impl] vendor_id of 9 characters" "Value too large" put ABCDEFGHI $W/vendor_id
check_fails "[$impl] vendor_id with a control character" "Invalid argument" \
	bash -c "printf 'AB\tC' > $W/vendor_id"
check "[$impl] product_id of 16 characters" put 0123456789abcdef $W/product_id
check_fails "[$impl] product_id of 17 characters" "Value too large" put 0123456789abcdefg $W/product_id
check "[$impl] revision" put 9.9 $W/revision
check_fails "[$impl] revision of 5 characters" "Value too large" put 12345 $W/revision
check "[$impl] company_id in hex" put 0xabcdef $W/company_id
check_fails "[$impl] company_id over 24 bits" "Value too large" put 0x1000000 $W/company_id
check_fails "[$impl] company_id not a number" "Invalid argument" put xyz $W/company_id
check "[$impl] vpd_unit_serial" put " 3d0a8e1c-1234 " $W/vpd_unit_serial
check_fails "[$impl] vpd_unit_serial of 254 characters" "Value too large" \
	put "$(printf 's%.0s' $(seq 254))" $W/vpd_unit_serial
for f in vendor_id product_id revision company_id vpd_unit_serial; do
	rec "wwn/$f after stores" $W/$f
done

N=$T/core/rd_mcp_0/null1
check "[$impl] mkdir a nullio device" mkdir $N
for f in $(ls $N/attrib); do rec "attrib/$f of a new device" $N/attrib/$f; done
check "[$impl] control rd_pages=0x100 rd_nullio=1" put "rd_pages=0x100
rd_nullio=1" $N/control
check "[$impl] enable the nullio device" put 1 $N/enable
rec "info of an enabled nullio device (second rd_dev_id)" $N/info
rec "default_lu_gp members with two devices" $G/members
try_store NULL $D/alua_lu_gp
rec "members after the first device left" $G/members
try_store nosuchgroup $D/alua_lu_gp
try_store "  default_lu_gp  " $D/alua_lu_gp
rec "members after it rejoined" $G/members
Z=$T/core/rd_mcp_0/zero
check "[$impl] mkdir a device" mkdir $Z
rec "alua_lu_gp of a device never enabled" $Z/alua_lu_gp
try_store NULL $Z/alua_lu_gp
check "[$impl] control rd_pages=0" put rd_pages=0 $Z/control
check_fails "[$impl] zero pages are refused" "Invalid argument" put 1 $Z/enable
# rd_pages=-1 is 2^32 - 1 pages. The C LIO refuses it too, but its kcalloc() of the
# table array trips a WARNING in the page allocator first (a C defect), so only
# lio-rs is held to refusing it quietly here.
if [ "$impl" = rust ]; then
	check_fails "[$impl] a negative page count is refused quietly" "Cannot allocate memory" \
		sh -c "bash -c 'echo rd_pages=-1 > $Z/control' && bash -c 'echo 1 > $Z/enable'"
fi
check "[$impl] the refusal of 0 pages is logged" sh -c "dmesg | grep -q 'Illegal page count: 0 for Ramdisk device'"

(cd $T && find . -mindepth 1 -printf '%y %m %P\n' | sort) >"$OUT/tree-device-$impl.txt"
check_fails "[$impl] rmdir of an HBA with devices" "Directory not empty" rmdir $T/core/rd_mcp_0
check "[$impl] rmdir the devices" rmdir $D $N $Z
rec "members after rmdir" $G/members
check "[$impl] dbroot can change once no device exists" put /etc/target $T/dbroot
check "[$impl] rmdir the HBA" rmdir $T/core/rd_mcp_0
for m in $(ls /sys/module/target_core_mod/holders 2>/dev/null); do rmmod "$m"; done
check "[$impl] rmmod target_core_mod" rmmod target_core_mod
exit $((LIO_TESTS_FAILED > 0))
