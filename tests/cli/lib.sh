# Shared by the CLI tests: a work dir, the binary, and small assertions.
# Each test prints "ok - NAME" or "not ok - NAME" and the script exits 1 if
# anything failed.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CURATE="$top_builddir/curate"
DATA="$top_srcdir/tests/data"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/curate-cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0
passes=0

ok() { passes=$((passes + 1)); echo "ok - $1"; }
fail() { failures=$((failures + 1)); echo "not ok - $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/#   /'; }

# expect_status NAME STATUS CMD...: run CMD, stdout to $WORK/out, stderr to $WORK/err.
expect_status() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	got=$?
	if [ "$got" = "$want" ]; then ok "$name"; else fail "$name" "exit $got, wanted $want: $(head -c 600 "$WORK/err")"; fi
}

# same NAME FILE1 FILE2: byte-identical files.
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else fail "$1" "$(diff "$2" "$3" | head -20)"; fi
}

# contains NAME FILE TEXT: FILE has the fixed string TEXT.
contains() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else fail "$1" "'$3' not in $(head -c 400 "$2")"; fi
}

# setup_dir NAME: $WORK/NAME, a directory for one run that looks the same to
# the pipeline as every other run's (data/ is the source tree's), so that
# the paths the manifest and the report record are the same; its
# pipeline.yaml is data/pipeline.yaml edited by the sed script
# $PIPELINE_EDIT, which the test sets.
setup_dir() {
	mkdir -p "$WORK/$1"
	ln -s "$top_srcdir/data" "$WORK/$1/data"
	sed "$PIPELINE_EDIT" "$top_srcdir/data/pipeline.yaml" >"$WORK/$1/pipeline.yaml"
}

# totals REPORT: the report's figures, without what differs between runs.
totals() {
	/usr/bin/python3 "$top_srcdir/tests/cli/report_totals.py" "$1"
}

finish() {
	echo "$passes passed, $failures failed"
	[ "$failures" = 0 ]
}
