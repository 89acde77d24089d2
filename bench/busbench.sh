#!/bin/bash
# bench/busbench.sh [EXITS] [ROUNDS]: the launcher's per-exit cost with 1
# to 64 vCPU threads and no guest (bench/busbench.c; `make bench-bus`).
# EXITS (default 4000000) is shared out between the threads; each case
# runs ROUNDS times (default 5) and the median line by exits/s is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-4000000}
rounds=${2:-5}
for w in own mixed uart; do
	for t in 1 2 8 64; do
		for ((i = 0; i < rounds; i++)); do
			bench/busbench -w "$w" -t "$t" -n $((total / t))
		done | sort -n -k6 | sed -n "$(((rounds + 1) / 2))p"
	done
done
