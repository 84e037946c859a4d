#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the side-by-side benchmark (tools/testing/bench, `make bench`): for each
# repetition, the C LIO and lio-rs in turn (the order alternates between repetitions),
# each transport: a 128 MiB rd_mcp LUN made through configfs (the same writes for both
# implementations), fio with libaio and direct I/O on the disk it gives, then everything
# unloaded. Runs under `scripts/vm run --impl both`.
#
# Environment: BENCH_RUNTIME (s per point, 3), BENCH_RAMP (s, 1), BENCH_REPS (3),
# BENCH_TRANSPORTS ("tcm_loop iscsi").
# Writes $OUT/bench-raw.tsv: one line per point and run, with
#   rep impl transport point iops mib_s lat_mean_us lat_p99_us cpu_us_per_io slab_b_per_cmd
# or "n/a" figures (and a reason in $OUT/bench-notes.txt) where an implementation cannot
# run a transport.
set -u
top=$(cd "$(dirname "$0")/../../.." && pwd)
runtime=${BENCH_RUNTIME:-3}
ramp=${BENCH_RAMP:-1}
reps=${BENCH_REPS:-3}
transports=${BENCH_TRANSPORTS:-tcm_loop iscsi}
cfs=/sys/kernel/config/target
raw=$OUT/bench-raw.tsv
notes=$OUT/bench-notes.txt
loop_wwn=naa.5001405bec000001
loop_nexus=naa.5001405bec000002
iqn=iqn.2003-01.org.linux-iscsi.lio-rs:bench
init_iqn=iqn.1993-08.org.debian:01:lio-rs-bench
: >"$raw"
: >"$notes"

# The points: name rw bs iodepth jobs.
points=(
	"4k-randread-qd1-j1 randread 4k 1 1"
	"4k-randread-qd32-j1 randread 4k 32 1"
	"4k-randwrite-qd1-j1 randwrite 4k 1 1"
	"4k-randwrite-qd32-j1 randwrite 4k 32 1"
	"4k-randread-qd1-j2 randread 4k 1 2"
	"4k-randread-qd32-j2 randread 4k 32 2"
	"4k-randwrite-qd1-j2 randwrite 4k 1 2"
	"4k-randwrite-qd32-j2 randwrite 4k 32 2"
	"1m-read-qd8-j1 read 1m 8 1"
	"1m-write-qd8-j1 write 1m 8 1"
)

note() { echo "$*" | tee -a "$notes" >&2; }

# The backstore every configuration uses: a 128 MiB rd_mcp device.
make_ramdisk() {
	modprobe target_core_mod || return 1
	mkdir -p $cfs/core/rd_mcp_0/bench || return 1
	echo rd_pages=32768 >$cfs/core/rd_mcp_0/bench/control || return 1
	echo 1 >$cfs/core/rd_mcp_0/bench/enable
}

# Everything configfs holds, then every module of the target stack.
teardown() {
	local d
	for d in $cfs/loopback/*/tpgt_*; do
		[ -d "$d" ] || continue
		echo NULL >"$d/nexus" 2>/dev/null
		rm -f "$d"/lun/lun_*/bench 2>/dev/null
		rmdir "$d"/lun/lun_* "$d" 2>/dev/null
	done
	rmdir $cfs/loopback/naa.* $cfs/loopback 2>/dev/null
	for d in $cfs/iscsi/iqn.*/tpgt_*; do
		[ -d "$d" ] || continue
		echo 0 >"$d/enable" 2>/dev/null
		rmdir "$d"/np/* 2>/dev/null
		rm -f "$d"/lun/lun_*/bench 2>/dev/null
		rmdir "$d"/lun/lun_* "$d" 2>/dev/null
	done
	rmdir $cfs/iscsi/iqn.* 2>/dev/null
	rmdir $cfs/iscsi/discovery_auth $cfs/iscsi 2>/dev/null
	rmdir $cfs/core/rd_mcp_0/bench $cfs/core/rd_mcp_0 2>/dev/null
	for m in tcm_loop iscsi_target_mod target_core_user target_core_pscsi target_core_file \
		target_core_iblock target_core_mod; do
		grep -q "^$m " /proc/modules && { rmmod "$m" || note "rmmod $m failed"; }
	done
	return 0
}

# The disk behind the SCSI devices below $1 (a sysfs glob), waiting for it.
disk_below() {
	local i d
	for i in $(seq 200); do
		for d in $1; do
			if [ -e "$d" ]; then
				echo "${d##*/}"
				return 0
			fi
		done
		sleep 0.1
	done
	return 1
}

# setup_tcm_loop QUEUES: a loopback target with the ramdisk as LUN 0, on a SCSI host of
# QUEUES hardware queues; prints the disk.
setup_tcm_loop() {
	local q=$1 tpg=$cfs/loopback/$loop_wwn/tpgt_1
	make_ramdisk || return 1
	modprobe tcm_loop || return 1
	echo "$q" >/sys/module/tcm_loop/parameters/nr_hw_queues || return 1
	mkdir -p $tpg/lun/lun_0 || return 1
	ln -s $cfs/core/rd_mcp_0/bench $tpg/lun/lun_0/bench || return 1
	echo $loop_nexus >$tpg/nexus || return 1
	disk_below "/sys/devices/tcm_loop_0/tcm_loop_adapter_*/host*/target*/*:0/block/*"
}

# setup_iscsi: an iSCSI target on 127.0.0.1:3260 in demo mode with the ramdisk as LUN 0,
# and open-iscsi logged in to it; prints the disk.
setup_iscsi() {
	local tpg=$cfs/iscsi/$iqn/tpgt_1 a
	make_ramdisk || return 1
	modprobe iscsi_target_mod || return 1
	mkdir -p $tpg/lun/lun_0 || return 1
	ln -s $cfs/core/rd_mcp_0/bench $tpg/lun/lun_0/bench || return 1
	if ! mkdir $tpg/np/127.0.0.1:3260 2>"$OUT/np-error.txt"; then
		note "iscsi: the $impl target cannot listen on 127.0.0.1:3260: $(cat "$OUT/np-error.txt")"
		return 1
	fi
	for a in authentication=0 generate_node_acls=1 cache_dynamic_acls=1 demo_mode_write_protect=0; do
		echo "${a#*=}" >"$tpg/attrib/${a%%=*}" || return 1
	done
	echo 1 >$tpg/enable || return 1
	iscsiadm -m discovery -t sendtargets -p 127.0.0.1:3260 >/dev/null || return 1
	iscsiadm -m node -T $iqn -p 127.0.0.1:3260 --login >/dev/null || return 1
	disk_below "/sys/class/iscsi_session/session*/device/target*/*:0/block/*"
}

teardown_iscsi_initiator() {
	iscsiadm -m node -T $iqn -p 127.0.0.1:3260 --logout >/dev/null 2>&1
	iscsiadm -m node -o delete >/dev/null 2>&1
}

busy_jiffies() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
ios_of() { awk -v d="$1" '$3 == d {print $4+$8}' /proc/diskstats; }
slab_kib() { awk '/^Slab:/{print $2}' /proc/meminfo; }

# run_point REP IMPL TRANSPORT DISK NAME RW BS QD JOBS
run_point() {
	local rep=$1 impl=$2 tr=$3 disk=$4 name=$5 rw=$6 bs=$7 qd=$8 jobs=$9
	local json=$OUT/fio-$tr-$impl-$name-$rep.json slab0 c0 c1 i0 i1 sampler
	sync
	slab0=$(slab_kib)
	(while :; do slab_kib; sleep 0.5; done) >"$OUT/slab.txt" &
	sampler=$!
	c0=$(busy_jiffies)
	i0=$(ios_of "$disk")
	fio --name="$name" --filename="/dev/$disk" --ioengine=libaio --direct=1 --rw="$rw" \
		--bs="$bs" --iodepth="$qd" --numjobs="$jobs" --group_reporting --time_based \
		--runtime="$runtime" --ramp_time="$ramp" --norandommap --randrepeat=0 \
		--lat_percentiles=1 --output-format=json --output="$json" >/dev/null 2>&1
	local rc=$?
	c1=$(busy_jiffies)
	i1=$(ios_of "$disk")
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	if [ $rc -ne 0 ]; then
		note "fio $name on $tr ($impl) failed with $rc"
		printf '%s\t%s\t%s\t%s\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\n' "$rep" "$impl" "$tr" "$name" >>"$raw"
		return
	fi
	python3 - "$json" "$rep" "$impl" "$tr" "$name" "$((c1 - c0))" "$((i1 - i0))" "$slab0" \
		"$OUT/slab.txt" "$((qd * jobs))" "$(getconf CLK_TCK)" >>"$raw" <<'PY'
import json, sys
(path, rep, impl, tr, name, jiffies, ios, slab0, slabf, outstanding, hz) = sys.argv[1:]
j = json.load(open(path))["jobs"][0]
side = j["read"] if j["read"]["total_ios"] > 0 else j["write"]
iops = side["iops"]
mib = side["bw_bytes"] / 1048576.0
lat = side["lat_ns"]
mean_us = lat["mean"] / 1000.0
p99_us = float(lat.get("percentile", {}).get("99.000000", 0)) / 1000.0
ios, jiffies, hz = int(ios), int(jiffies), int(hz)
cpu_us = (jiffies * 1e6 / hz / ios) if ios > 0 else float("nan")
samples = [int(x) for x in open(slabf).read().split() if x.isdigit()]
peak = max(samples) if samples else int(slab0)
slab_b = max(0, peak - int(slab0)) * 1024.0 / int(outstanding)
print("\t".join([rep, impl, tr, name, "%.0f" % iops, "%.1f" % mib, "%.1f" % mean_us,
                 "%.1f" % p99_us, "%.1f" % cpu_us, "%.0f" % slab_b]))
PY
}

# run_transport REP IMPL TRANSPORT: every point on one transport.
run_transport() {
	local rep=$1 impl=$2 tr=$3 p name rw bs qd jobs disk q cur_q=""
	for p in "${points[@]}"; do
		set -- $p
		name=$1 rw=$2 bs=$3 qd=$4 jobs=$5
		# tcm_loop gets as many hardware queues as fio has jobs.
		q=1
		[ "$tr" = tcm_loop ] && q=$jobs
		if [ "$q" != "$cur_q" ]; then
			if [ -n "$cur_q" ]; then
				[ "$tr" = iscsi ] && teardown_iscsi_initiator
				teardown
			fi
			if ! disk=$(setup_"$tr" "$q"); then
				note "$tr: setup failed on $impl; its points are n/a"
				[ "$tr" = iscsi ] && teardown_iscsi_initiator
				teardown
				for p in "${points[@]}"; do
					printf '%s\t%s\t%s\t%s\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\n' "$rep" "$impl" "$tr" \
						"${p%% *}" >>"$raw"
				done
				return
			fi
			cur_q=$q
		fi
		run_point "$rep" "$impl" "$tr" "$disk" "$name" "$rw" "$bs" "$qd" "$jobs"
	done
	[ "$tr" = iscsi ] && teardown_iscsi_initiator
	teardown
}

# open-iscsi's daemon, with an initiator name of its own.
echo "InitiatorName=$init_iqn" >/etc/iscsi/initiatorname.iscsi
iscsid || note "iscsid did not start"

echo "bench: runtime ${runtime}s + ramp ${ramp}s per point, $reps repetitions, transports: $transports" >&2
for rep in $(seq "$reps"); do
	if [ $((rep % 2)) = 1 ]; then order="c rust"; else order="rust c"; fi
	for impl in $order; do
		"$top/scripts/guest/use-impl" "$impl" || { note "use-impl $impl failed"; exit 1; }
		for tr in $transports; do
			echo "bench: repetition $rep, $impl, $tr" >&2
			run_transport "$rep" "$impl" "$tr"
		done
	done
done
iscsiadm -k 0 >/dev/null 2>&1
exit 0
