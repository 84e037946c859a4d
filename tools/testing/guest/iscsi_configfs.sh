#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the iscsi_target_mod configfs suite. Runs against whichever
# iscsi_target_mod `modprobe` finds (lio-rs or C LIO): the same writes, valid and
# invalid, on every kind of attribute; then targetcli/targetctl on an iSCSI target.
# Writes for the host to compare the two implementations:
#   $OUT/tree-$impl.txt    type, mode and path of every entry of a full iscsi/ tree
#   $OUT/values-$impl.txt  every readable attribute of that tree and its content
#   $OUT/saved-$impl.json  `targetctl save` of an iSCSI target made by targetcli
set -u
. "$(dirname "$0")/../lib.sh"
T=/sys/kernel/config/target
I=$T/iscsi
impl=${LIO_RS_IMPL:-?}
# Writes go through bash, whose echo reports the errno.
put() { bash -c 'echo "$1" > "$2"' put "$1" "$2"; }
putn() { bash -c 'printf %s "$1" > "$2"' put "$1" "$2"; }
logged() { dmesg | grep -qF -- "$1"; }

check "[$impl] modprobe target_core_mod" modprobe target_core_mod
check "[$impl] mkdir target/iscsi loads iscsi_target_mod" mkdir $I
check "[$impl] iscsi_target_mod is loaded" grep -q '^iscsi_target_mod ' /proc/modules
check_eq "[$impl] lio_version" "Datera Inc. iSCSI Target v4.1.0" "$(cat $I/lio_version)"
ncpu=$(nproc --all)
check_eq "[$impl] cpus_allowed_list: every CPU" "0-$((ncpu - 1))" "$(cat $I/cpus_allowed_list)"
check "[$impl] cpus_allowed_list takes 0" put 0 $I/cpus_allowed_list
check_eq "[$impl] cpus_allowed_list reads 0" 0 "$(cat $I/cpus_allowed_list)"
check_fails "[$impl] cpus_allowed_list refuses x" "Invalid argument" put x $I/cpus_allowed_list
check_fails "[$impl] cpus_allowed_list refuses a CPU past nr_cpu_ids" "Numerical result out of range" \
	put 4096 $I/cpus_allowed_list
check "[$impl] cpus_allowed_list takes all" put all $I/cpus_allowed_list
check_eq "[$impl] cpus_allowed_list after all" "0-$((ncpu - 1))" "$(cat $I/cpus_allowed_list)"

# discovery_auth.
D=$I/discovery_auth
check_eq "[$impl] discovery userid is empty" "" "$(cat $D/userid)"
check_eq "[$impl] discovery enforce_discovery_auth is 0" 0 "$(cat $D/enforce_discovery_auth)"
check_eq "[$impl] discovery authenticate_target is 0" 0 "$(cat $D/authenticate_target)"
check "[$impl] discovery userid_mutual" put mu $D/userid_mutual
check "[$impl] discovery password_mutual" put mp $D/password_mutual
check_eq "[$impl] discovery authenticate_target with mutual credentials" 1 "$(cat $D/authenticate_target)"
check_eq "[$impl] a credential keeps its newline" 2 "$(wc -l <$D/userid_mutual)"
check "[$impl] discovery password_mutual NULL" put NULL $D/password_mutual
check_eq "[$impl] discovery authenticate_target after NULL" 0 "$(cat $D/authenticate_target)"
check_fails "[$impl] discovery credentials below 256 bytes" "Invalid argument" \
	putn "$(printf 'a%.0s' $(seq 256))" $D/userid
check "[$impl] enforce_discovery_auth 1" put 1 $D/enforce_discovery_auth
check_eq "[$impl] enforce_discovery_auth reads 1" 1 "$(cat $D/enforce_discovery_auth)"
check_fails "[$impl] enforce_discovery_auth refuses 2" "Invalid argument" put 2 $D/enforce_discovery_auth
check "[$impl] enforce_discovery_auth refusal is logged" logged "Illegal value for enforce_discovery_auth: 2"
check "[$impl] enforce_discovery_auth 0" put 0 $D/enforce_discovery_auth
check_fails "[$impl] authenticate_target is read-only" "Permission denied" put 1 $D/authenticate_target
for f in userid password userid_mutual password_mutual; do put NULL $D/$f; done

# Target IQNs.
W=$I/iqn.2003-01.org.linux-iscsi.test:cfs
long=iqn.$(printf 'a%.0s' $(seq 219))
check_fails "[$impl] an IQN of 224 bytes is refused" "Invalid argument" mkdir $I/${long}x
check "[$impl] refused IQN is logged" logged "Target IQN exceeds 224 bytes"
check "[$impl] an IQN of 223 bytes" mkdir $I/$long
check "[$impl] rmdir it" rmdir $I/$long
check "[$impl] mkdir $W" mkdir $W
S=$W/fabric_statistics
check_eq "[$impl] iscsi_instance/inst is the first index" 0 "$(cat $S/iscsi_instance/inst)"
check_eq "[$impl] iscsi_instance/vendor" "Datera, Inc. iSCSI-Target" "$(cat $S/iscsi_instance/vendor)"
check_eq "[$impl] iscsi_tgt_attr/fail_intr_name" None "$(cat $S/iscsi_tgt_attr/fail_intr_name)"
check_eq "[$impl] iscsi_login_stats/accepts" 0 "$(cat $S/iscsi_login_stats/accepts)"
check "[$impl] mkdir a second IQN" mkdir $I/iqn.2003-01.org.linux-iscsi.test:second
check_eq "[$impl] the second IQN's index" 1 \
	"$(cat $I/iqn.2003-01.org.linux-iscsi.test:second/fabric_statistics/iscsi_instance/inst)"

# TPGs.
check_fails "[$impl] a TPG name needs tpgt_" "Invalid argument" mkdir $W/tpg_1
check "[$impl] missing tpgt_ is logged" logged 'Unable to locate "tpgt_#" directory group'
check_fails "[$impl] a TPG tag is a number" "Invalid argument" mkdir $W/tpgt_x
check_fails "[$impl] a TPG tag has 16 bits" "Invalid argument" mkdir $W/tpgt_65536
check "[$impl] tpgt_ may be anywhere in the name (strstr)" mkdir $W/x_tpgt_0x10
check "[$impl] rmdir x_tpgt_0x10" rmdir $W/x_tpgt_0x10
check "[$impl] mkdir tpgt_1" mkdir $W/tpgt_1
P=$W/tpgt_1
check_eq "[$impl] enable is 0" 0 "$(cat $P/enable)"
check_eq "[$impl] dynamic_sessions is empty" "" "$(cat $P/dynamic_sessions)"

A=$P/attrib
check_eq "[$impl] default_cmdsn_depth" 64 "$(cat $A/default_cmdsn_depth)"
check_eq "[$impl] authentication" 1 "$(cat $A/authentication)"
check_fails "[$impl] login_timeout 31" "Invalid argument" put 31 $A/login_timeout
check "[$impl] login_timeout 31 is logged" logged "Requested Login Timeout 31 larger than maximum 30"
check_fails "[$impl] login_timeout 4" "Invalid argument" put 4 $A/login_timeout
check "[$impl] login_timeout 4 is logged" logged "Requested Logout Timeout 4 smaller than minimum 5"
check "[$impl] login_timeout 0x1e" put 0x1e $A/login_timeout
check_eq "[$impl] login_timeout reads 30" 30 "$(cat $A/login_timeout)"
check_fails "[$impl] default_cmdsn_depth 0" "Invalid argument" put 0 $A/default_cmdsn_depth
check_fails "[$impl] default_cmdsn_depth 513" "Invalid argument" put 513 $A/default_cmdsn_depth
check "[$impl] default_cmdsn_depth 128" put 128 $A/default_cmdsn_depth
check_fails "[$impl] default_erl 3" "Invalid argument" put 3 $A/default_erl
check "[$impl] default_erl 3 is logged" logged "Illegal value for default_erl: 3"
check "[$impl] default_erl 2" put 2 $A/default_erl
check_fails "[$impl] fabric_prot_type 2" "Invalid argument" put 2 $A/fabric_prot_type
check "[$impl] fabric_prot_type 3" put 3 $A/fabric_prot_type
check_fails "[$impl] t10_pi 2" "Invalid argument" put 2 $A/t10_pi
check "[$impl] a flag of -1 is logged as signed" sh -c "! echo 4294967295 > $A/t10_pi && dmesg | grep -q 'Illegal value -1'"
check_fails "[$impl] a flag is a number" "Invalid argument" put yes $A/demo_mode_write_protect
check_fails "[$impl] a flag is 32 bits" "Numerical result out of range" put 4294967296 $A/t10_pi
check "[$impl] generate_node_acls 1" put 1 $A/generate_node_acls
check_eq "[$impl] generate_node_acls sets cache_dynamic_acls" 1 "$(cat $A/cache_dynamic_acls)"
check "[$impl] cache_dynamic_acls 0 is ignored in demo mode" put 0 $A/cache_dynamic_acls
check_eq "[$impl] cache_dynamic_acls stays 1" 1 "$(cat $A/cache_dynamic_acls)"
check "[$impl] generate_node_acls 0" put 0 $A/generate_node_acls

R=$P/param
check_eq "[$impl] AuthMethod default" CHAP "$(cat $R/AuthMethod)"
check_eq "[$impl] HeaderDigest default" CRC32C,None "$(cat $R/HeaderDigest)"
check_eq "[$impl] TargetAlias default" "LIO Target" "$(cat $R/TargetAlias)"
check_eq "[$impl] MaxXmitDataSegmentLength default" 262144 "$(cat $R/MaxXmitDataSegmentLength)"
check_eq "[$impl] OFMarkInt default" Reject "$(cat $R/OFMarkInt)"
check "[$impl] authentication 0" put 0 $A/authentication
check_eq "[$impl] authentication 0 appends None to AuthMethod" CHAP,None "$(cat $R/AuthMethod)"
check "[$impl] authentication 1" put 1 $A/authentication
check_eq "[$impl] authentication 1 removes None" CHAP "$(cat $R/AuthMethod)"
check_fails "[$impl] authentication 2" "Invalid argument" put 2 $A/authentication
check "[$impl] authentication 2 is logged" logged "Illegal value for authentication parameter: 2, ignoring request."
check "[$impl] AuthMethod None,CHAP" put None,CHAP $R/AuthMethod
check_fails "[$impl] AuthMethod Kerberos" "Invalid argument" put Kerberos $R/AuthMethod
check "[$impl] AuthMethod refusal is logged" logged 'Illegal value for "AuthMethod", must be "KRB5", "SPKM1", "SPKM2", "SRP", "CHAP" or "None".'
check "[$impl] MaxConnections 0x10" put 0x10 $R/MaxConnections
check_eq "[$impl] MaxConnections keeps the spelling" 0x10 "$(cat $R/MaxConnections)"
check_fails "[$impl] MaxConnections 0" "Invalid argument" put 0 $R/MaxConnections
check "[$impl] MaxConnections 0 is logged" logged 'Illegal value for "MaxConnections", must be between 1 and 65535.'
check_fails "[$impl] MaxBurstLength 511" "Invalid argument" put 511 $R/MaxBurstLength
check "[$impl] MaxBurstLength 16777215" put 16777215 $R/MaxBurstLength
check_fails "[$impl] InitialR2T maybe" "Invalid argument" put maybe $R/InitialR2T
check "[$impl] InitialR2T No" put No $R/InitialR2T
check_fails "[$impl] a list for a number" "Invalid argument" put 1,2 $R/DefaultTime2Wait
check "[$impl] TargetAlias with spaces" put "my target alias" $R/TargetAlias
check_eq "[$impl] TargetAlias reads back" "my target alias" "$(cat $R/TargetAlias)"
check "[$impl] TargetAlias without newline" putn "x" $R/TargetAlias
check_eq "[$impl] TargetAlias x" x "$(cat $R/TargetAlias)"
check_fails "[$impl] HeaderDigest MD5" "Invalid argument" put MD5 $R/HeaderDigest
check "[$impl] HeaderDigest None" put None $R/HeaderDigest
check "[$impl] ErrorRecoveryLevel 2" put 2 $R/ErrorRecoveryLevel
check_fails "[$impl] ErrorRecoveryLevel 3" "Invalid argument" put 3 $R/ErrorRecoveryLevel
check "[$impl] IFMarkInt Reject" put Reject $R/IFMarkInt
check_fails "[$impl] MaxConnections Reject" "Invalid argument" put Reject $R/MaxConnections
check "[$impl] DataDigest Irrelevant is stored" put Irrelevant $R/DataDigest
check_eq "[$impl] DataDigest Irrelevant" Irrelevant "$(cat $R/DataDigest)"
check "[$impl] AuthMethod None" put None $R/AuthMethod

check "[$impl] enable 1" put 1 $P/enable
check_eq "[$impl] enable with authentication: AuthMethod None becomes CHAP" CHAP "$(cat $R/AuthMethod)"
check "[$impl] enable 1 again (no change)" put 1 $P/enable
check "[$impl] enable 0" put 0 $P/enable

U=$P/auth
check "[$impl] TPG auth userid" put tu $U/userid
check_eq "[$impl] TPG auth userid reads back" tu "$(cat $U/userid)"
check "[$impl] TPG credentials of 300 bytes are cut, not refused" \
	putn "$(printf 'b%.0s' $(seq 300))" $U/password
check_eq "[$impl] TPG credential cut at 255" 255 "$(tr -d '\n' <$U/password | wc -c)"
check "[$impl] TPG userid_mutual" put m $U/userid_mutual
check "[$impl] TPG password_mutual" put p $U/password_mutual
check_eq "[$impl] TPG authenticate_target" 1 "$(cat $U/authenticate_target)"

# Network portals: names are parsed as LIO parses them.
N=$P/np
check_fails "[$impl] portal without port" "Invalid argument" mkdir $N/192.168.0.1
check "[$impl] portal without port is logged" logged 'Unable to locate ":port" in IPv4 iSCSI network portal address'
check_fails "[$impl] portal with a bad address" "Invalid argument" mkdir $N/192.168.0.300:3260
check "[$impl] bad address is logged" logged "malformed ip/port passed: 192.168.0.300:3260"
check_fails "[$impl] portal with a bad port" "Invalid argument" mkdir $N/192.168.0.1:65536
check_fails "[$impl] IPv6 portal without ]" "Invalid argument" mkdir "$N/[::1:3260"
check "[$impl] missing ] is logged" logged 'Unable to locate trailing "]" in IPv6 iSCSI network portal address'
check_fails "[$impl] IPv6 portal without port" "Invalid argument" mkdir "$N/[::1]"
check_fails "[$impl] IPv6 portal with a bad address" "Invalid argument" mkdir "$N/[1::2::3]:3260"
check "[$impl] portal 127.0.0.1:3261" mkdir $N/127.0.0.1:3261
check "[$impl] rmdir the portal" rmdir $N/127.0.0.1:3261
check "[$impl] portal [::1]:3261" mkdir "$N/[::1]:3261"
check "[$impl] rmdir the IPv6 portal" rmdir "$N/[::1]:3261"

# Node ACLs.
C=$P/acls/iqn.1994-05.com.redhat:client
check "[$impl] mkdir an ACL" mkdir $C
check_fails "[$impl] mkdir the same ACL" "File exists" mkdir $C
check_eq "[$impl] ACL cmdsn_depth is the TPG's default_cmdsn_depth" 128 "$(cat $C/cmdsn_depth)"
check_eq "[$impl] ACL info without a session" \
	"No active iSCSI Session for Initiator Endpoint: iqn.1994-05.com.redhat:client" "$(cat $C/info)"
check_eq "[$impl] ACL param without a session" "No Active iSCSI Session" "$(cat $C/param/MaxBurstLength)"
check_fails "[$impl] ACL param is read-only" "Permission denied" put 1 $C/param/MaxConnections
check_fails "[$impl] cmdsn_depth 513" "Invalid argument" put 513 $C/cmdsn_depth
check "[$impl] cmdsn_depth 513 is logged" logged "Passed cmdsn_depth: 513 exceeds TA_DEFAULT_CMDSN_DEPTH_MAX: 512"
check "[$impl] cmdsn_depth 0" put 0 $C/cmdsn_depth
check_eq "[$impl] cmdsn_depth 0 becomes 1" 1 "$(cat $C/cmdsn_depth)"
check "[$impl] cmdsn_depth 32" put 32 $C/cmdsn_depth
check_eq "[$impl] cmdsn_depth 32" 32 "$(cat $C/cmdsn_depth)"
check_eq "[$impl] tag is empty" "" "$(cat $C/tag)"
check "[$impl] tag" put mytag $C/tag
check_eq "[$impl] tag keeps its newline" "$(printf 'mytag\nX')" "$(cat $C/tag; echo X)"
check_fails "[$impl] tag of 64 bytes" "Invalid argument" putn "$(printf 't%.0s' $(seq 64))" $C/tag
check "[$impl] tag NULL clears" put NULL $C/tag
check_eq "[$impl] tag is empty again" "" "$(cat $C/tag)"
CA=$C/attrib
check_eq "[$impl] ACL default_erl is the TPG's" 2 "$(cat $CA/default_erl)"
check_eq "[$impl] ACL authentication inherits" -1 "$(cat $CA/authentication)"
check "[$impl] ACL authentication 0" put 0 $CA/authentication
check_fails "[$impl] ACL authentication 2" "Invalid argument" put 2 $CA/authentication
check "[$impl] ACL authentication -1" put -1 $CA/authentication
check_fails "[$impl] dataout_timeout 1" "Invalid argument" put 1 $CA/dataout_timeout
check "[$impl] dataout_timeout 1 is logged" logged "Requested DataOut Timeout 1 smaller than minimum 2"
check "[$impl] dataout_timeout 60" put 60 $CA/dataout_timeout
check_fails "[$impl] dataout_timeout_retries 16" "Invalid argument" put 16 $CA/dataout_timeout_retries
check "[$impl] nopin_timeout 0" put 0 $CA/nopin_timeout
check_fails "[$impl] nopin_timeout 2" "Invalid argument" put 2 $CA/nopin_timeout
check "[$impl] nopin_timeout 2 is logged" logged "Requested NopIn Timeout 2 smaller than minimum 3 and not 0"
check_fails "[$impl] nopin_response_timeout 61" "Invalid argument" put 61 $CA/nopin_response_timeout
check_fails "[$impl] random_r2t_offsets 2" "Invalid argument" put 2 $CA/random_r2t_offsets
check "[$impl] random_r2t_offsets 1" put 1 $CA/random_r2t_offsets
check_fails "[$impl] ACL default_erl 3" "Invalid argument" put 3 $CA/default_erl
check "[$impl] ACL default_erl 3 is logged" logged "Requested default ERL: 3 not 0, 1, or 2"
CU=$C/auth
check "[$impl] ACL userid" put u1 $CU/userid
check_fails "[$impl] ACL credentials below 256 bytes" "Invalid argument" \
	putn "$(printf 'a%.0s' $(seq 256))" $CU/password
check "[$impl] ACL password of 255 bytes" putn "$(printf 'a%.0s' $(seq 255))" $CU/password
check_eq "[$impl] ACL authenticate_target" 0 "$(cat $CU/authenticate_target)"
CS=$C/fabric_statistics/iscsi_sess_stats
check_eq "[$impl] iscsi_sess_stats/inst" 0 "$(cat $CS/inst)"
check_eq "[$impl] iscsi_sess_stats/cmd_pdus is empty without a session" "" "$(cat $CS/cmd_pdus)"

# The full tree, and every readable value (reading also must not fail).
(cd $I && find . -mindepth 1 -printf '%y %m %P\n' | sort) >"$OUT/tree-$impl.txt"
: >"$OUT/values-$impl.txt"
(cd $I && find . -type f -perm -0444 | sort) | while read -r f; do
	if v=$(cat "$I/$f" 2>&1 | tr '\0' '@'); then
		printf '%s: %s\n' "$f" "$v" >>"$OUT/values-$impl.txt"
	else
		not_ok "[$impl] read $f"
	fi
done
ok "[$impl] every readable attribute reads"

check "[$impl] rmmod iscsi_target_mod is refused while iscsi/ exists" sh -c "! rmmod iscsi_target_mod 2>/dev/null"
check "[$impl] rmdir the tree" sh -c "rmdir $C $P $W $I/iqn.2003-01.org.linux-iscsi.test:second"
check "[$impl] rmdir iscsi" rmdir $I
check "[$impl] rmmod iscsi_target_mod" rmmod iscsi_target_mod
check "[$impl] mkdir iscsi again" mkdir $I
check_eq "[$impl] indexes start again at 0" 0 \
	"$(mkdir $W && cat $W/fabric_statistics/iscsi_instance/inst; rmdir $W)"
rmdir $I

# targetcli and targetctl on an iSCSI target.
IQN=iqn.2003-01.org.linux-iscsi.test:t1
targetcli /iscsi create $IQN >"$OUT/targetcli-create-$impl.txt" 2>&1
check "[$impl] targetcli /iscsi create" test $? = 0
check "[$impl] targetcli made the default portal" test -d $I/$IQN/tpgt_1/np/0.0.0.0:3260
check "[$impl] targetcli /iscsi/$IQN/tpg1/acls create" \
	targetcli /iscsi/$IQN/tpg1/acls create iqn.1994-05.com.redhat:client
check "[$impl] targetcli set attribute" \
	targetcli /iscsi/$IQN/tpg1 set attribute authentication=0 generate_node_acls=1
check "[$impl] targetcli ls" sh -c "targetcli ls >$OUT/targetcli-ls-$impl.txt 2>&1"
check "[$impl] targetcli ls shows the target" grep -q "$IQN" "$OUT/targetcli-ls-$impl.txt"
check "[$impl] targetctl save" targetctl save "$OUT/saved-$impl.json"
check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
check_eq "[$impl] no iSCSI target is left" "" "$(ls -d $I/iqn.* 2>/dev/null)"
# restore of a configuration with a portal (added if the saved one has none).
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
for t in c.get("targets", []):
    for tpg in t.get("tpgs", []):
        if not tpg.get("portals"):
            tpg["portals"] = [{"ip_address": "0.0.0.0", "port": 3260, "iser": False, "offload": False}]
json.dump(c, open(sys.argv[2], "w"), indent=2, sort_keys=True)' "$OUT/saved-$impl.json" /tmp/with-portal.json
if targetctl restore /tmp/with-portal.json >"$OUT/restore-$impl.txt" 2>&1; then rc=0; else rc=1; fi
check_eq "[$impl] targetctl restore with a portal" 0 "$rc"
check "[$impl] the restored portal exists" test -d $I/$IQN/tpgt_1/np/0.0.0.0:3260
check_eq "[$impl] the restored target exists" "$IQN" "$(basename "$(ls -d $I/iqn.* 2>/dev/null)")"
check "[$impl] targetcli clearconfig after restore" targetcli clearconfig confirm=True
# A loopback-only configuration: clearconfig goes through iscsi/discovery_auth.
check "[$impl] targetcli /loopback create" targetcli /loopback create
check "[$impl] targetcli clearconfig (loopback only)" targetcli clearconfig confirm=True
check_eq "[$impl] no loopback target is left" "" "$(ls -d $T/loopback/naa.* 2>/dev/null)"
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
