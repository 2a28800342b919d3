#!/bin/bash
# Long inputs: time and peak memory of tok-dump --stats (read the file, encode
# it as one document) on pathological documents, to show that encoding stays
# O(n log n) where tiktoken's merge loop is quadratic.
#   bench/tokenizer_long.sh [MB]   (default 100: the size of the no-whitespace
#                                   text and of the random-letter word)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${BUILD:-}
for d in "$top" "$top/build"; do
	[ -z "$build" ] && [ -x "$d/tok-dump" ] && build=$d
done
[ -n "$build" ] || { echo "build first (make), or set BUILD=the build folder" >&2; exit 2; }
mb=${1:-100}
work=$here/work
mkdir -p "$work"

# No whitespace at all: base64 of random bytes (letters, digits, + and /).
head -c $((mb * 750000)) /dev/urandom | base64 -w0 > "$work/long-nows.txt"
# One piece of random letters (\p{L}+ all through): merged between safe cuts.
LC_ALL=C tr -dc 'a-z' < /dev/urandom | head -c $((mb * 1000000)) > "$work/long-letters.txt"
head -c 10000000 /dev/zero | tr '\0' ' ' > "$work/long-spaces.txt"
head -c 1000000 /dev/zero | tr '\0' ' ' > "$work/long-spaces-1m.txt"
head -c 10000000 /dev/zero | tr '\0' 'a' > "$work/long-a.txt"
head -c 1000000 /dev/zero | tr '\0' 'a' > "$work/long-a-1m.txt"

echo "| input | bytes | tokens | seconds | peak RSS MB |"
echo "| --- | ---: | ---: | ---: | ---: |"
for f in long-nows long-letters long-spaces-1m long-spaces long-a-1m long-a; do
	/usr/bin/time -f "%e %M" -o "$work/time.txt" taskset -c 1 "$build/tok-dump" --stats \
		-f "$work/$f.txt" > "$work/stats.txt"
	read -r secs kb < "$work/time.txt"
	bytes=$(awk -F'\t' '$1 == "bytes" { print $2 }' "$work/stats.txt")
	tokens=$(awk -F'\t' '$1 == "tokens" { print $2 }' "$work/stats.txt")
	echo "| $f | $bytes | $tokens | $secs | $((kb / 1024)) |"
done
rm -f "$work"/long-*.txt
