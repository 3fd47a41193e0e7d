#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmark, not a test: fio 4k random read IOPS on uvdev-blk without and
# with vtop attached, alternating A B A B in one VM. Prints one "bench:"
# line per run, the with/without ratio, and vtop's own BPF cost per event
# (guest instructions per event under --deterministic, where one guest
# nanosecond is one instruction; vtop measures its first interval, then
# one in ten).
# timeout: 900
. "$UVDEV_ROOT/tests/vm/lib.sh"

runtime=${BENCH_RUNTIME:-10}
rounds=${BENCH_ROUNDS:-2}

load_module
modprobe virtio_blk
truncate -s 256M /tmp/bench.img
dd if=/dev/urandom of=/tmp/bench.img bs=1M count=256 conv=notrunc status=none
uvdev-blk blk0 /tmp/bench.img 2>blk.err &
backend=$!
dev=$(wait_block blk0)

fio_iops() {
	fio --name=bench --filename="$dev" --direct=1 --ioengine=libaio \
		--rw=randread --bs=4k --iodepth=32 --time_based --runtime="$runtime" \
		--ramp_time=1 --output-format=terse --terse-version=3 | awk -F';' '{ print $8 }'
}

without=0
with=0
for round in $(seq 1 "$rounds"); do
	a=$(fio_iops)
	echo "bench: round=$round vtop=off iops=$a"
	start_vtop vtop.json -o json 1
	b=$(fio_iops)
	stop_vtop
	echo "bench: round=$round vtop=on iops=$b"
	without=$((without + a))
	with=$((with + b))
	line=$(grep '"ns_per_event":[0-9]' vtop.json | tail -n 1)
	echo "bench: round=$round bpf_ns_per_event=$(json_field "$line" ns_per_event)"
done
awk -v a="$without" -v b="$with" \
	'BEGIN { printf "bench: with/without=%.4f loss=%.2f%%\n", b / a, (1 - b / a) * 100 }'
stop_backend "$backend"
unload_module
