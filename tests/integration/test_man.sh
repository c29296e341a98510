#!/usr/bin/env bash
# test_man.sh - the man page (docs/annex.1) is complete, current and clean:
#  - it is what `make man` generates from docs/annex.1.in and the knob
#    registry (so its knob and environment sections are the registry's);
#  - every option of the option table in src/cli.c (read from the source,
#    so an option added later must be documented) and the bare words
#    status and off appear in it as options; every knob and environment
#    variable of the registry appears in it (docs/knobs.md holds them all:
#    test_knobs_registry.sh checks that file against the registry);
#  - the checker finds an undocumented option (a planted one);
#  - groff -man -ww -z and mandoc -Tlint (style warnings included) print
#    nothing; a missing groff or mandoc is a failure, not a skip
#    (scripts/deps.sh test installs them).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${ANNEX_BUILD:-$ROOT/build}
DOC_TOOL=$BUILD/tools/knobs_doc
MAN=$ROOT/docs/annex.1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

if [ ! -x "$DOC_TOOL" ]; then
	echo "FAIL setup: $DOC_TOOL not built (make build-tests)"
	echo "0 passed, 1 failed"
	exit 1
fi

# The option names of the table in a cli.c, one a line.
table_options() {
	sed -n '/^static const struct cli_option cli_options\[\] = {/,/^};/p' "$1" |
		sed -nE 's/^[[:space:]]*\{ "([a-zA-Z0-9-]+)",.*/\1/p'
}

# The page's words as typed: roff escapes for the minus sign and fonts
# undone, so "\fB\-aws\-region\fP" reads "-aws-region".
sed -E 's/\\-/-/g; s/\\f[BIRP]//g; s/\\&//g; s/\\c$//' "$MAN" >"$tmp/words"

# Options of table $1 missing from the page, one a line.
missing_options() {
	local name
	table_options "$1" | while IFS= read -r name; do
		grep -qE "(^|[^A-Za-z0-9-])-$name([^A-Za-z0-9-]|\$)" "$tmp/words" || echo "-$name"
	done
}

# 1. current
if (cd "$ROOT" && "$DOC_TOOL" -man docs/annex.1.in) >"$tmp/annex.1" 2>"$tmp/gen.err" && cmp -s "$tmp/annex.1" "$MAN"; then
	ok "docs/annex.1 is generated from docs/annex.1.in and the registry"
else
	ko "docs/annex.1 is current" "run 'make man' ($(cat "$tmp/gen.err"; diff "$tmp/annex.1" "$MAN" | head -n 5 | tr '\n' ' '))"
fi

# 2. every option, from the source
table_options "$ROOT/src/cli.c" >"$tmp/options"
n=$(wc -l <"$tmp/options")
if [ "$n" -lt 50 ]; then
	ko "the option table is read from src/cli.c" "only $n options found: has the table's layout changed?"
else
	ok "the option table is read from src/cli.c ($n options)"
fi
missing=$(missing_options "$ROOT/src/cli.c" | tr '\n' ' ')
if [ -z "$missing" ]; then ok "every option of the table is in the man page"
else ko "every option of the table is in the man page" "missing: $missing"; fi

# each as a tagged entry of its own (.B -name ... at the start of a line
# after .TP/.TQ), not only a mention
untagged=""
while IFS= read -r name; do
	grep -qE "^\.(B|BR) -$name( |\$)" "$tmp/words" || untagged="$untagged -$name"
done <"$tmp/options"
if [ -z "$untagged" ]; then ok "every option has an entry (.B -name) of its own"
else ko "every option has an entry of its own" "no entry for:$untagged"; fi

for word in status off; do
	if grep -q "strcmp(arg, \"$word\")" "$ROOT/src/cli.c" && grep -qE "^\.B $word( |\$)" "$tmp/words"; then
		ok "the bare word $word is documented"
	else ko "the bare word $word" "not parsed in src/cli.c or not documented"; fi
done

# 3. the checker finds a planted undocumented option
sed 's/{ "no-may-use-aws", 0,/{ "zz-undocumented-option", 0, ID_NO_MAY_USE_AWS, ARG_NONE },\n&/' "$ROOT/src/cli.c" >"$tmp/cli.c"
if [ "$(missing_options "$tmp/cli.c")" = "-zz-undocumented-option" ]; then
	ok "the check finds a planted undocumented option"
else ko "the check finds a planted undocumented option" "got: $(missing_options "$tmp/cli.c" | tr '\n' ' ')"; fi

# 4. every knob and environment variable of the registry
"$DOC_TOOL" -names >"$tmp/knobs"
# a pattern (AWS_ENDPOINT_URL_<SERVICE>) is ".BI AWS_ENDPOINT_URL_ SERVICE"
"$DOC_TOOL" -env | sed -E 's/^([^<]*)<([^>]*)>$/\1 \2/' >"$tmp/env"
missing=""
while IFS= read -r k; do grep -qE "^\.B $k\$" "$tmp/words" || missing="$missing $k"; done <"$tmp/knobs"
while IFS= read -r k; do grep -qxE "\.BI? $k" "$tmp/words" || missing="$missing $k"; done <"$tmp/env"
if [ -z "$missing" ] && [ -s "$tmp/knobs" ]; then ok "every knob and environment variable of the registry is in the man page"
else ko "every knob and environment variable is in the man page" "missing:$missing"; fi
missing=""
while IFS= read -r k; do grep -qF "\`$k\`" "$ROOT/docs/knobs.md" || missing="$missing $k"; done <"$tmp/knobs"
if [ -z "$missing" ]; then ok "every knob of the registry is in docs/knobs.md"
else ko "every knob is in docs/knobs.md" "missing:$missing"; fi

# 5. clean under groff and mandoc
if ! command -v groff >/dev/null; then
	ko "groff -man -ww -z" "groff is not installed (scripts/deps.sh test installs groff-base)"
elif groff -man -ww -z "$MAN" >"$tmp/groff" 2>&1 && [ ! -s "$tmp/groff" ]; then
	ok "groff -man -ww -z: no warning"
else ko "groff -man -ww -z" "$(head -n 5 "$tmp/groff" | tr '\n' ' ')"; fi
if ! command -v mandoc >/dev/null; then
	ko "mandoc -Tlint" "mandoc is not installed (scripts/deps.sh test installs it)"
elif mandoc -Tlint -W style "$MAN" >"$tmp/mandoc" 2>&1 && [ ! -s "$tmp/mandoc" ]; then
	ok "mandoc -Tlint -W style: no message"
else ko "mandoc -Tlint" "$(head -n 5 "$tmp/mandoc" | tr '\n' ' ')"; fi

# 6. it renders: NAME, the sections a man page needs, and no roff left over
if command -v groff >/dev/null && groff -man -Tascii -P-cbou "$MAN" 2>/dev/null >"$tmp/page"; then
	sections=""
	for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS CONFIGURATION ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx "$s" "$tmp/page" || sections="$sections [$s]"
	done
	if [ -z "$sections" ] && ! grep -qE '\\f|\\-|@[A-Z_]+@' "$tmp/page"; then ok "the page renders with every section"
	else ko "the page renders" "missing sections:$sections; leftovers: $(grep -E '\\f|\\-|@[A-Z_]+@' "$tmp/page" | head -n 3)"; fi
else
	ko "the page renders" "groff -Tascii failed"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
