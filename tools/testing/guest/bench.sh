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
# BENCH_TRANSPORTS ("tcm_loop iscsi"), BENCH_POINTS (a space-separated subset of the point
# names), BENCH_PROFILE (point names: `perf record -e cpu-clock -a -g` of each in the
# first repetition, reported to $OUT/perf-TRANSPORT-IMPL-POINT.txt).
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
: >"$OUT/bench-meta.tsv"

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
	# LUNs go before the nexus, as tcm_loop wants (and as rtslib does it).
	for d in $cfs/loopback/*/tpgt_*; do
		[ -d "$d" ] || continue
		rm -f "$d"/lun/lun_*/bench 2>/dev/null
		rmdir "$d"/lun/lun_* 2>/dev/null
		echo NULL >"$d/nexus" 2>/dev/null
		rmdir "$d" 2>/dev/null
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
	# The nexus before the LUN: linking a LUN scans it through the nexus.
	mkdir -p $tpg || return 1
	echo $loop_nexus >$tpg/nexus || return 1
	mkdir $tpg/lun/lun_0 || return 1
	ln -s $cfs/core/rd_mcp_0/bench $tpg/lun/lun_0/bench || return 1
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
	local prof=()
	# BENCH_PROFILE: a system-wide cpu-clock profile of these points (first repetition).
	if [[ " ${BENCH_PROFILE:-} " == *" $name "* ]] && [ "$rep" = 1 ]; then
		prof=(perf record -q -e cpu-clock -a -g -o "$OUT/perf-$tr-$impl-$name.data" --)
	fi
	"${prof[@]}" fio --name="$name" --filename="/dev/$disk" --ioengine=libaio --direct=1 \
		--rw="$rw" --bs="$bs" --iodepth="$qd" --numjobs="$jobs" --group_reporting --time_based \
		--runtime="$runtime" --ramp_time="$ramp" --norandommap --randrepeat=0 \
		--lat_percentiles=1 --output-format=json --output="$json" >/dev/null 2>&1
	local rc=$?
	if [ ${#prof[@]} -gt 0 ]; then
		perf report -q -i "$OUT/perf-$tr-$impl-$name.data" --stdio --no-children \
			--sort sym --percent-limit 0.5 -g none >"$OUT/perf-$tr-$impl-$name.txt" 2>&1
	fi
	c1=$(busy_jiffies)
	i1=$(ios_of "$disk")
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null
	if [ $rc -ne 0 ]; then
		note "fio $name on $tr ($impl) failed with $rc"
		printf '%s\t%s\t%s\t%s\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\n' "$rep" "$impl" "$tr" "$name" >>"$raw"
		return
	fi
	local peak
	peak=$(sort -n "$OUT/slab.txt" | tail -n 1)
	# Turned into figures by summarise, once, at the end (python starts slowly in TCG).
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$json" "$rep" "$impl" "$tr" "$name" \
		"$((c1 - c0))" "$((i1 - i0))" "$slab0" "${peak:-$slab0}" "$((qd * jobs))" >>"$OUT/bench-meta.tsv"
}

# summarise: one line of $raw per measured point, from fio's JSON and the counters.
summarise() {
	[ -s "$OUT/bench-meta.tsv" ] || return 0
	python3 - "$OUT/bench-meta.tsv" "$(getconf CLK_TCK)" >>"$raw" <<'PY'
import json, sys
hz = int(sys.argv[2])
for line in open(sys.argv[1]):
    (path, rep, impl, tr, name, jiffies, ios, slab0, peak, outstanding) = line.rstrip("\n").split("\t")
    j = json.load(open(path))["jobs"][0]
    side = j["read"] if j["read"]["total_ios"] > 0 else j["write"]
    lat = side["lat_ns"]
    p99 = float(lat.get("percentile", {}).get("99.000000", 0)) / 1000.0
    ios, jiffies = int(ios), int(jiffies)
    cpu_us = (jiffies * 1e6 / hz / ios) if ios > 0 else float("nan")
    slab_b = max(0, int(peak) - int(slab0)) * 1024.0 / int(outstanding)
    print("\t".join([rep, impl, tr, name, "%.0f" % side["iops"], "%.1f" % (side["bw_bytes"] / 1048576.0),
                     "%.1f" % (lat["mean"] / 1000.0), "%.1f" % p99, "%.1f" % cpu_us, "%.0f" % slab_b]))
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

if [ -n "${BENCH_POINTS:-}" ]; then
	kept=()
	for p in "${points[@]}"; do
		case " $BENCH_POINTS " in *" ${p%% *} "*) kept+=("$p") ;; esac
	done
	points=("${kept[@]}")
fi
[ -n "${BENCH_PROFILE:-}" ] && { sysctl -qw kernel.perf_event_paranoid=-1 kernel.kptr_restrict=0; }

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
summarise
exit 0
