#!/bin/bash
# bench/hold_freed_pages.sh: run a benchmark while this VM's guest kernel
# keeps freed memory for a minute before handing it back to the host.
#
# Why: this project's VMs report free pages to the host at once
# (/sys/module/page_reporting/parameters/min_free_ms is 0). A page the host
# has taken back costs a host fault the next time the guest touches it, so
# writing into new page-cache pages is many times slower when the kernel
# happens to hand out such pages, and `curate shard`'s pass 2 (which writes
# the shards) varies from run to run on the same input and binary. With
# min_free_ms at 60000 the runs agree (the figures are in BENCHMARKS.md,
# shards section). The code under test is unchanged; only the machine's
# noise is.
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
