#!/bin/bash
# Source rules (STYLE.md): no atoi/sprintf/strcpy/strcat/gets anywhere, no
# exit() in library code (only bin/ may exit).
. "$(dirname "$0")/lib.sh"
cd "$top_srcdir" || exit 1
files=$(find core bin tokenizer dedup extract filters pii mix shards model tests fuzz bench -name '*.[ch]' 2>/dev/null)
hits=$(grep -nE '\b(atoi|sprintf|strcpy|strcat|gets)[[:space:]]*\(' $files /dev/null | grep -v 'snprintf\|vsnprintf')
[ -z "$hits" ] && ok "no banned calls" || fail "no banned calls" "$hits"
lib=$(find core tokenizer dedup extract filters pii mix shards model -name '*.c' 2>/dev/null)
hits=$(grep -nE '(^|[^_a-z])exit[[:space:]]*\(' $lib /dev/null)
[ -z "$hits" ] && ok "no exit() in library code" || fail "no exit() in library code" "$hits"
finish
