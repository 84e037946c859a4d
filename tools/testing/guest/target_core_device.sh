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
# pr/, alua/, statistics/ and lba_map of a device never enabled (creation_time is 0
# jiffies then, so even it is the same on both).
for f in $(cd $D && find pr alua statistics lba_map -type f | sort); do
	rec "$f of a new device" $D/$f
done
check_eq "[$impl] a new device is not enabled" 0 "$(cat $D/enable)"
check_eq "[$impl] a new device has no alias" "" "$(cat $D/alias)"
check_eq "[$impl] a new device has no udev_path" "" "$(cat $D/udev_path)"
check_fails "[$impl] enable needs rd_pages" "Invalid argument" put 1 $D/enable
rec "statistics/scsi_dev/indx after a failed enable" $D/statistics/scsi_dev/indx
check_fails "[$impl] alua_access_state needs an enabled device" "No such device" \
	put 1 $D/alua/default_tg_pt_gp/alua_access_state
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
# try_store1 VALUE FILE: as try_store, but VALUE (and a newline) in one write(), which
# multi-line values need (bash's echo writes line by line).
try_store1() {
	{
		echo "== write $1 > ${2#$D/}"
		/usr/bin/printf '%s\n' "$1" 2>&1 >"$2" | sed 's/^.*write error: //'
		cat "$2"
	} >>"$OUT/device-$impl.txt" 2>&1
}
for f in $(cd $D && find statistics -type f ! -name creation_time | sort); do
	rec "$f after enable" $D/$f
done
check "[$impl] creation_time is set at enable" test "$(cat $D/statistics/scsi_lu/creation_time)" -gt 0
check_fails "[$impl] mkdir in statistics/" "Function not implemented" mkdir $D/statistics/x
check_fails "[$impl] rmdir of default_tg_pt_gp" "Operation not permitted" \
	rmdir $D/alua/default_tg_pt_gp

# pr/: APTPL metadata parsing and validation (no registration is visible until the
# PR engine applies it).
P=$D/pr/res_aptpl_metadata
for md in "initiator_node=iqn.1994-05.com.redhat:x,sa_res_key=0x1234,target_node=iqn.2003-01.org.t:1,tpgt=1,mapped_lun=0,target_lun=0" \
	"initiator_node=i,target_node=t" "initiator_node=i,sa_res_key=0,target_node=t" \
	"initiator_node=i,sa_res_key=abc,target_node=t" "initiator_node=i,sa_res_key=99999999999999999999,target_node=t" \
	"initiator_node=i,sa_res_key=1,target_node=t,res_holder=1" \
	"initiator_node=i,sa_res_key=1,target_node=t,res_holder=1,res_type=5,res_scope=0,res_all_tg_pt=1" \
	"initiator_node=i,sa_res_key=1,target_node=t,res_holder=99999999999" \
	"initiator_node=i,sa_res_key=1,target_node=t,res_holder=abc,tpgt=-,port_rtpi=0x10" \
	"initiator_node=i,sa_res_key=1,target_node=t,mapped_lun=-1,target_lun=0x" \
	"initiator_node=i,sa_res_key=1,target_node=t,mapped_lun=99999999999999999999" \
	"initiator_node=i,sa_res_key=1,target_node=t,initiator_sid=0123456789abcdef0" \
	"initiator_node=$(printf 'n%.0s' $(seq 300)),sa_res_key=1,target_node=t" \
	"initiator_node=,sa_res_key=1,target_node=t" "bogus" "
initiator_node=i
sa_res_key=2
target_node=t
"; do
	try_store1 "$md" $P
done
for f in $(ls $D/pr); do rec "pr/$f after APTPL metadata" $D/pr/$f; done

# alua/: target port groups.
TG=$D/alua/default_tg_pt_gp
for args in "4 alua_access_type" "x alua_access_type" "1 alua_access_type" "3 alua_access_type" \
	"10001 nonop_delay_msecs" "10000 nonop_delay_msecs" "30001 trans_delay_msecs" \
	"0 trans_delay_msecs" "256 implicit_trans_secs" "255 implicit_trans_secs" \
	"2 preferred" "1 preferred" "2 alua_write_metadata" "-1 alua_write_metadata" \
	"0 alua_write_metadata" "2 alua_support_offline" "x alua_support_offline" \
	"0 alua_support_offline" "1 alua_support_offline" "1 alua_support_lba_dependent" \
	"3 alua_access_status" "4294967298 alua_access_status" "0 alua_access_status" \
	"5 tg_pt_gp_id" "1 alua_access_state" "4 alua_access_state" "7 alua_access_state" \
	"x alua_access_state" "15 alua_access_state" "14 alua_access_state" \
	"0 alua_support_active_nonoptimized" "1 alua_access_state" \
	"1 alua_support_active_nonoptimized" "2 alua_access_type" "0 alua_access_state" \
	"1 alua_access_type" "4 alua_access_state" "3 alua_access_type" "0 alua_access_state" \
	"0 alua_support_lba_dependent"; do
	set -- $args
	try_store "$1" $TG/$2
done
check "[$impl] mkdir alua/foo alua/bar alua/baz" mkdir $D/alua/foo $D/alua/bar $D/alua/baz
for f in $(ls $D/alua/foo); do rec "alua/foo/$f of a new group" $D/alua/foo/$f; done
for args in "1 foo/alua_access_state" "1 foo/alua_access_status" "0 foo/alua_support_standby" \
	"1 foo/alua_access_type" "3 foo/alua_access_type" "0 foo/tg_pt_gp_id" "7 foo/tg_pt_gp_id" \
	"1 bar/tg_pt_gp_id" "0x10000 bar/tg_pt_gp_id" "x bar/tg_pt_gp_id" "7 bar/tg_pt_gp_id" \
	"0 baz/tg_pt_gp_id" "1 foo/alua_access_state" "2 foo/alua_access_status" \
	"0 foo/alua_support_standby"; do
	set -- $args
	try_store "$1" $D/alua/$2
done
for f in $(ls $D/alua/foo); do rec "alua/foo/$f after stores" $D/alua/foo/$f; done

# lba_map: the referrals map; writing one makes every group with an ID support LBA
# dependent.
for m in "x" "512 8
0 1023" "512 8
0 1023 0:X" "512 8
0 1023 0:O 1:A
1024 2047 0:S" "512 8
0 1023 0:O 0:A" "512 8
0 1023 0:O 1:A
1024 2047 7:S 1:U" "512 8
0 1023 0:O 0:A
1024 2047 1:S" "512 8" "" "4294967297 8
99999999999999999999 1 -1:O 2147483648:U" "1,2
3 4 5:O"; do
	try_store1 "$m" $D/lba_map
	for g in default_tg_pt_gp foo bar; do
		rec "alua/$g/alua_support_lba_dependent" $D/alua/$g/alua_support_lba_dependent
	done
done
check "[$impl] lba_map with two port groups" sh -c "/usr/bin/printf '512 8\n0 1023 0:O 1:A\n1024 2047 0:S 1:U\n' >$D/lba_map"
rec "lba_map" $D/lba_map

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
for f in $(ls $D/pr); do rec "pr/$f without PR emulation" $D/pr/$f; done
try_store "garbage" $D/pr/res_aptpl_metadata
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
rec "statistics/scsi_lu/lu_name with a unit serial" $D/statistics/scsi_lu/lu_name
for f in vend prod rev; do rec "statistics/scsi_lu/$f after stores" $D/statistics/scsi_lu/$f; done

# alua_write_metadata: a transition writes <dbroot>/alua/tpgs_<unit serial>/<group>.
db=$(cat $T/dbroot)
try_store 1 $D/alua/foo/alua_write_metadata
try_store 0 $D/alua/foo/alua_access_state
check "[$impl] a metadata directory" mkdir -p "$db/alua/tpgs_3d0a8e1c-1234"
try_store 1 $D/alua/foo/alua_access_state
rec "ALUA metadata of foo" "$db/alua/tpgs_3d0a8e1c-1234/foo"
rm -rf "$db/alua"
check "[$impl] rmdir the target port groups" rmdir $D/alua/foo $D/alua/bar $D/alua/baz

N=$T/core/rd_mcp_0/null1
check "[$impl] mkdir a nullio device" mkdir $N
for f in $(ls $N/attrib); do rec "attrib/$f of a new device" $N/attrib/$f; done
check "[$impl] control rd_pages=0x100 rd_nullio=1" put "rd_pages=0x100
rd_nullio=1" $N/control
check "[$impl] enable the nullio device" put 1 $N/enable
rec "info of an enabled nullio device (second rd_dev_id)" $N/info
for f in inst indx; do rec "statistics/scsi_dev/$f of the second device" $N/statistics/scsi_dev/$f; done
rec "default_lu_gp members with two devices" $G/members
try_store NULL $D/alua_lu_gp
rec "members after the first device left" $G/members
try_store nosuchgroup $D/alua_lu_gp
try_store "  default_lu_gp  " $D/alua_lu_gp
rec "members after it rejoined" $G/members
Z=$T/core/rd_mcp_0/zero
check "[$impl] mkdir a device" mkdir $Z
rec "alua_lu_gp of a device never enabled" $Z/alua_lu_gp
rec "statistics/scsi_dev/indx of a device never enabled" $Z/statistics/scsi_dev/indx
try_store NULL $Z/alua_lu_gp
check "[$impl] control rd_pages=0" put rd_pages=0 $Z/control
check_fails "[$impl] zero pages are refused" "Invalid argument" put 1 $Z/enable
rec "statistics/scsi_dev/indx after a failed enable" $Z/statistics/scsi_dev/indx
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
