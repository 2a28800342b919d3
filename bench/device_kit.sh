#!/bin/bash
# bench/device_kit.sh: pack what bench/device.sh needs into bench/work/kit/
# so that it runs on a machine with nothing installed (the lent 16-core
# machine has no network and no Debian packages): the built curate and
# tok_bench, every shared library they load plus the loader itself (run
# through it, so the host's libc does not matter), zstd, GNU time and
# taskset, and bench/dedup.sh's input, compressed.
#   bench/device_kit.sh            (after make and bench/dedup.sh)
set -eu
cd "$(dirname "$0")/.."
B=$( [ -x build/curate ] && echo build || echo . )
K=bench/work/kit
rm -rf "$K" && mkdir -p "$K/root/lib" "$K/root/bin"
cp "$B/curate" "$B/bench/tok_bench" "$K/root/bin/"
cp /usr/bin/zstd /usr/bin/time /usr/bin/taskset "$K/root/bin/"
for f in "$B/curate" "$B/bench/tok_bench" /usr/bin/zstd /usr/bin/time /usr/bin/taskset; do
	ldd "$f" | awk '$3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do cp -L "$lib" "$K/root/lib/"; done
cp -L /lib64/ld-linux-x86-64.so.2 "$K/root/lib/"
tar -C "$K" -czf "$K/root.tar.gz" root
rm -rf "$K/root"
zstd -q -6 --long=30 -T0 bench/work/dedup-210.jsonl -o "$K/dedup-210.jsonl.zst"
du -sh "$K"
