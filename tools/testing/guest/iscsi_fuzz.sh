#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the iSCSI robustness suite: one target on 127.0.0.1:3260 and [::1]:3260
# with two ramdisk LUNs; open-iscsi's ACL maps the first, the fuzzer's initiator name the
# second (so random PDUs cannot touch fio's data). While open-iscsi runs fio with crc32c
# verification in a loop, tools/testing/iscsi-fuzz sends malformed, truncated,
# oversized, out-of-order and half-sent PDUs in login and full feature phase, and floods
# of connections, over IPv4 and IPv6. Then: every fio pass verified, the target serves
# a new fuzzer login (READ(10) with GOOD status) and open-iscsi logs out and in again.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/lib.sh"
impl=${LIO_RS_IMPL:-?}
seconds=${1:-120}
IQN=iqn.2003-01.org.linux-iscsi.lio-rs:fuzz
FUZZ_INI=iqn.2003-01.org.linux-iscsi.lio-rs:fuzzer
P=/iscsi/$IQN/tpg1
INAME=$(sed -n 's/^InitiatorName=//p' /etc/iscsi/initiatorname.iscsi)
OUT=${OUT:-/tmp}

tcli() { targetcli "$@" >>"$OUT/targetcli.log" 2>&1; }
check "[$impl] ramdisks" sh -c "targetcli /backstores/ramdisk create name=rd0 size=64M >/dev/null &&
	targetcli /backstores/ramdisk create name=rd1 size=16M >/dev/null"
check "[$impl] the iSCSI target" tcli /iscsi create $IQN
check "[$impl] LUNs 0 and 1" sh -c "targetcli $P/luns create /backstores/ramdisk/rd0 >/dev/null &&
	targetcli $P/luns create /backstores/ramdisk/rd1 >/dev/null"
tcli $P/portals delete 0.0.0.0 3260
check "[$impl] portals 127.0.0.1:3260 and [::1]:3260" sh -c \
	"targetcli $P/portals create 127.0.0.1 3260 >/dev/null && targetcli $P/portals create ::1 3260 >/dev/null"
check "[$impl] open-iscsi's ACL maps LUN 0" sh -c \
	"targetcli $P/acls create $INAME add_mapped_luns=false >/dev/null &&
	 targetcli $P/acls/$INAME create mapped_lun=0 tpg_lun_or_backstore=0 >/dev/null"
check "[$impl] the fuzzer's ACL maps LUN 1 as its LUN 0" sh -c \
	"targetcli $P/acls create $FUZZ_INI add_mapped_luns=false >/dev/null &&
	 targetcli $P/acls/$FUZZ_INI create mapped_lun=0 tpg_lun_or_backstore=1 >/dev/null"
check "[$impl] no authentication" tcli $P set attribute authentication=0
targetcli ls >>"$OUT/targetcli.log" 2>&1

mkdir -p /etc/iscsi /var/lib/iscsi /run/lock/iscsi
modprobe iscsi_tcp
check "[$impl] iscsid starts" iscsid
sleep 1
iscsiadm -m discovery -t st -p 127.0.0.1 >/dev/null 2>&1
iscsiadm -m node -p "[::1]:3260" -o delete >/dev/null 2>&1
check "[$impl] open-iscsi logs in" iscsiadm -m node -T $IQN -p 127.0.0.1 --login
dev=""
for i in $(seq 100); do
	for d in /sys/class/iscsi_session/session*/device/target*/*:0:0:0/block/*; do
		[ -e "$d" ] && dev=/dev/${d##*/}
	done
	[ -n "$dev" ] && break
	sleep 0.1
done
if [ -z "$dev" ]; then
	not_ok "[$impl] the open-iscsi disk appears"
	exit 1
fi
ok "[$impl] the open-iscsi disk appears ($dev)"

# fio with verification in a loop for as long as the fuzzer runs.
touch "$OUT/fuzz-running"
(
	n=0 bad=0
	while [ -e "$OUT/fuzz-running" ] || [ $n = 0 ]; do
		n=$((n + 1))
		if ! fio --name=v$n --filename="$dev" --ioengine=libaio --direct=1 --rw=randrw \
			--bs=4k --iodepth=8 --size=8M --offset=$(((n % 4) * 8))M --verify=crc32c \
			--do_verify=1 --verify_fatal=1 --verify_state_save=0 --randseed=$n \
			--output="$OUT/fio-$n.txt"; then
			bad=$((bad + 1))
		fi
	done
	echo "$n $bad" >"$OUT/fio-summary"
) &
fio_loop=$!

start=$(date +%s)
timeout $((seconds + 120)) python3 "$here/iscsi-fuzz" --target $IQN --initiator $FUZZ_INI \
	--host 127.0.0.1 --seconds $((seconds * 2 / 3)) --rounds 1000 --seed "${LIO_FUZZ_SEED:-1}" \
	>"$OUT/fuzz-v4.log" 2>&1
rc4=$?
timeout $((seconds + 120)) python3 "$here/iscsi-fuzz" --target $IQN --initiator $FUZZ_INI \
	--host ::1 --seconds $((seconds / 3)) --rounds 1000 --seed "${LIO_FUZZ_SEED:-2}" --flood 16 \
	>"$OUT/fuzz-v6.log" 2>&1
rc6=$?
rm -f "$OUT/fuzz-running"
wait $fio_loop
grep '^#\|^not ok' "$OUT/fuzz-v4.log" "$OUT/fuzz-v6.log" | sed 's/^[^:]*://'
echo "# fuzzing took $(($(date +%s) - start)) s"
check_eq "[$impl] the IPv4 fuzzer's liveness checks all pass" 0 "$rc4"
check_eq "[$impl] the IPv6 fuzzer's liveness checks all pass" 0 "$rc6"
read -r runs bad <"$OUT/fio-summary"
echo "# fio verify passes during the fuzzing: $runs ($bad failed)"
check_eq "[$impl] every fio verify pass during the fuzzing succeeded" "0" "$bad"
check "[$impl] open-iscsi's session is still up" iscsiadm -m session
check "[$impl] open-iscsi logs out" iscsiadm -m node -T $IQN -p 127.0.0.1 --logout
check "[$impl] open-iscsi logs in again" iscsiadm -m node -T $IQN -p 127.0.0.1 --login
check "[$impl] open-iscsi logs out again" iscsiadm -m node -T $IQN -p 127.0.0.1 --logout
iscsiadm -m node -o delete >/dev/null 2>&1
iscsiadm -k 0 >/dev/null 2>&1
check "[$impl] targetcli clearconfig" targetcli clearconfig confirm=True
unload_target_stack "$impl"
exit $((LIO_TESTS_FAILED > 0))
