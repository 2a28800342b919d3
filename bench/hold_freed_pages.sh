#!/bin/bash
# bench/hold_freed_pages.sh: run a benchmark while this VM's guest kernel
# keeps freed memory for a minute before handing it back to the host.
#
# Why: this project's VMs report free pages to the host at once
# (/sys/module/page_reporting/parameters/min_free_ms is 0). A page the host
# has taken back costs a host fault the next time the guest touches it, so
# writing 200 MB into new page-cache pages took 0.45-0.55 s instead of
# 0.045 s when the kernel happened to hand out such pages. That made
# `curate shard`'s pass 2 (which writes the shards) take 0.2 s in one run and
# 0.5-0.65 s in the next, on the same input and binary. With min_free_ms at
# 60000 the same runs all took 0.20-0.22 s (BENCHMARKS.md, shards section).
# The code under test is unchanged; only the machine's noise is.
#
# Needs root; restores the old value on exit. Where the knob does not exist
# (bare metal, other VMs), it just runs the command.
#
# usage: bench/hold_freed_pages.sh COMMAND [ARG...]
#        e.g. bench/hold_freed_pages.sh bench/shards.sh ../shared/corpus 50 200
set -eu
[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
knob=/sys/module/page_reporting/parameters/min_free_ms
if [ ! -w "$knob" ]; then
	echo "# $knob not writable here: running without holding freed pages" >&2
	exec "$@"
fi
old=$(cat "$knob")
trap 'echo "$old" > "$knob"' EXIT
echo 60000 > "$knob"
echo "# holding freed pages 60 s ($knob was $old, restored on exit)" >&2
"$@"
