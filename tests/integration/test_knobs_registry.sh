#!/usr/bin/env bash
# test_knobs_registry.sh - every knob annex reads is in the one registry
# (src/knobs.c) and is read through it:
#  - docs/knobs.md is what the registry generates (make knobs-doc);
#  - src/ reads no knob another way: no getenv() (or *env*() helper) of a
#    knob, no getenv() of a variable the environment table does not list,
#    no direct config_get*()/config_is_configured()/config_source() outside
#    the registry and the config reader, every name given to a knob or
#    config getter is a registry knob, and every "ANNEX_..." literal names
#    one (wrappers such as cmd_launch.c's knob_or() pass them along);
#  - the scanner itself finds each kind of violation (a planted fixture);
#  - end to end: a formerly environment-only knob set in condor_config is
#    used (`annex off` runs ANNEX_CONDOR_OFF), `-config-val -describe`
#    documents knobs, and `-config-val NAME` is unchanged.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ANNEX=${ANNEX_BIN:-$ROOT/build/annex}
BUILD=${ANNEX_BUILD:-$ROOT/build}
DOC_TOOL=$BUILD/tools/knobs_doc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# Reads still outside the registry, FILE:NAME, while a piece of work that
# moves them is in flight. Each must still be there; when one goes, drop it
# from this list. None today.
PENDING=""

# Literals that look like knobs and are not: bootscript.c's @@NAME@@
# placeholders.
NOT_KNOBS="ANNEX_NAME ANNEX_ID ANNEX_CONFIG"

if [ ! -x "$DOC_TOOL" ]; then
	echo "FAIL setup: $DOC_TOOL not built (make build-tests)"
	echo "0 passed, 1 failed"
	exit 1
fi
"$DOC_TOOL" -names >"$tmp/knobs" || ko "knobs_doc -names" "exit $?"
"$DOC_TOOL" -env >"$tmp/env" || ko "knobs_doc -env" "exit $?"
# the environment table's patterns (AWS_ENDPOINT_URL_<SERVICE>) as regexps
sed -E 's/<[A-Z]+>/[A-Z0-9_]+/g; s/^/^/; s/$/$/' "$tmp/env" >"$tmp/env.re"

is_knob() { grep -qxF "$1" "$tmp/knobs"; }
is_env() { echo "$1" | grep -qEf "$tmp/env.re"; }
is_pending() { echo " $PENDING " | tr '\n' ' ' | grep -qF " $1:$2 "; }
not_knob() { echo " $NOT_KNOBS " | grep -qF " $1 "; }

# scan ROOT: prints one line per violation in ROOT/src (FILE:LINE: why);
# pending ones are printed as "pending FILE NAME".
scan() {
	local root=$1 f rel line name call
	( cd "$root" && find src -type f \( -name '*.c' -o -name '*.h' \) | sort ) >"$tmp/files"
	while read -r rel; do
		f=$root/$rel
		[ "$rel" = src/knobs.c ] && continue

		# getenv() and *env*() helpers called with a literal
		grep -onE '\b[A-Za-z_]*env[A-Za-z_]*\(\s*"[^"]*"' "$f" | grep -vE ':(set|unset|put)env\(' |
		while IFS= read -r hit; do
			line=${hit%%:*}
			call=${hit#*:}
			name=$(echo "$call" | sed -E 's/^[^"]*"([^"]*)".*/\1/')
			if is_knob "$name"; then
				if is_pending "$rel" "$name"; then echo "pending $rel $name"
				else echo "$rel:$line: reads knob $name from the environment (${call%%(*}), outside the registry"; fi
			elif ! is_env "$name"; then
				echo "$rel:$line: reads environment variable $name, which the environment table in src/knobs.c does not list"
			fi
		done

		# direct configuration reads, outside the registry and the reader
		case $rel in
		src/config*.c | src/config*.h | src/cmd_config_val.c) ;;
		*)
			grep -onE '\bconfig_(get|get_bool|get_int|get_double|is_configured|source)\(' "$f" |
			while IFS= read -r hit; do
				echo "$rel:${hit%%:*}: ${hit#*:} reads the configuration directly; read knobs through knobs.h / session_knob()"
			done
			;;
		esac

		# names given to a knob or config getter
		grep -onE '\b(session_knob|session_knob_or_null|knobs_get_str|knobs_get_long|knobs_get_bool|knobs_is_configured|knobs_source|knobs_require|config_get|config_get_bool|config_get_int|config_get_double|config_is_configured|config_source)\([^;"]*"[^"]*"' "$f" |
		while IFS= read -r hit; do
			line=${hit%%:*}
			name=$(echo "${hit#*:}" | sed -E 's/^[^"]*"([^"]*)".*/\1/')
			is_knob "$name" || echo "$rel:$line: $name is read as a knob but is not in the registry (src/knobs.c)"
		done

		# every "ANNEX_..." literal names a registry knob
		case $rel in
		src/config_tables.c) ;;   # HTCondor's parameter table: data, not reads
		*)
			grep -onE '"ANNEX_[A-Z0-9_]+"' "$f" |
			while IFS= read -r hit; do
				line=${hit%%:*}
				name=$(echo "${hit#*:}" | tr -d '"')
				is_knob "$name" || not_knob "$name" ||
					echo "$rel:$line: \"$name\" looks like a knob and is not in the registry (src/knobs.c)"
			done
			;;
		esac
	done <"$tmp/files"
}

# 1. docs/knobs.md is the registry's
if "$DOC_TOOL" >"$tmp/knobs.md" && cmp -s "$tmp/knobs.md" "$ROOT/docs/knobs.md"; then
	ok "docs/knobs.md is generated from the registry"
else
	ko "docs/knobs.md is generated from the registry" \
		"it differs from $DOC_TOOL's output; run 'make knobs-doc' ($(diff "$tmp/knobs.md" "$ROOT/docs/knobs.md" | head -n 5 | tr '\n' ' '))"
fi

# 2. src/ reads no knob outside the registry
scan "$ROOT" >"$tmp/scan"
grep -v '^pending ' "$tmp/scan" >"$tmp/violations"
if [ ! -s "$tmp/violations" ]; then ok "src/ reads every knob through the registry"
else ko "src/ reads every knob through the registry" "$(tr '\n' ';' <"$tmp/violations")"; fi

stale=""
for p in $PENDING; do
	grep -qxF "pending ${p%%:*} ${p#*:}" "$tmp/scan" || stale="$stale $p"
done
if [ -z "$stale" ]; then ok "each pending outside read is still there (the list is current)"
else ko "pending list is current" "no longer read outside the registry:$stale; remove from PENDING"; fi

# 3. the scanner finds each kind of violation
fx=$tmp/fixture
mkdir -p "$fx/src"
cat >"$fx/src/knobs.c" <<'EOF'
static const char *ok_here(void) { return getenv("ANNEX_MAX_ATTEMPTS"); }
EOF
cat >"$fx/src/bad.c" <<'EOF'
static void bad(void)
{
	const char *a = getenv("ANNEX_REAP_LOCK_WAIT");
	long b = my_env_long("ANNEX_RETRY_CAP_MS", 1);
	const char *c = getenv("ANNEX_SECRET_SWITCH");
	int d = config_is_configured(cfg, "COLLECTOR_HOST");
	char *e = session_knob_or_null(s, "SOME_UNLISTED_KNOB");
	char *f = knob_or(l, NULL, "ANNEX_DEFAULT_UNLISTED");
	const char *g = getenv("HOME");
	char *h = session_knob_or_null(s, "ANNEX_DEFAULT_S3_BUCKET");
	const char *i = getenv("AWS_ENDPOINT_URL_EC2");
}
EOF
scan "$fx" >"$tmp/fscan"
want=(
	"src/bad.c:3: reads knob ANNEX_REAP_LOCK_WAIT from the environment (getenv)"
	"src/bad.c:4: reads knob ANNEX_RETRY_CAP_MS from the environment (my_env_long)"
	"src/bad.c:5: reads environment variable ANNEX_SECRET_SWITCH, which the environment table"
	"src/bad.c:6: config_is_configured( reads the configuration directly"
	"src/bad.c:7: SOME_UNLISTED_KNOB is read as a knob but is not in the registry"
	"src/bad.c:8: \"ANNEX_DEFAULT_UNLISTED\" looks like a knob and is not in the registry"
	"src/bad.c:5: \"ANNEX_SECRET_SWITCH\" looks like a knob"
)
missing=""
for w in "${want[@]}"; do grep -qF "$w" "$tmp/fscan" || missing="$missing [$w]"; done
if [ -z "$missing" ] && [ "$(wc -l <"$tmp/fscan")" -eq "${#want[@]}" ]; then
	ok "the scanner finds each planted violation and nothing else"
else
	ko "the scanner finds each planted violation" "missing:$missing; got: $(tr '\n' ';' <"$tmp/fscan")"
fi

# 4. end to end
mkdir -p "$tmp/bin" "$tmp/home"
cat >"$tmp/bin/my_condor_off" <<EOF
#!/bin/sh
echo "my_condor_off \$*"
EOF
chmod +x "$tmp/bin/my_condor_off"
printf 'ANNEX_CONDOR_OFF = %s/bin/my_condor_off\n' "$tmp" >"$tmp/condor_config"
run() { env -i PATH=/usr/bin:/bin HOME="$tmp/home" CONDOR_CONFIG="$tmp/condor_config" AWS_EC2_METADATA_DISABLED=true \
	"$@" >"$tmp/out" 2>"$tmp/err"; }

run "$ANNEX" off -annex-name knobs; rc=$?
if [ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "my_condor_off -annex knobs" ]; then
	ok "ANNEX_CONDOR_OFF set in condor_config is used (it was read from the environment only)"
else ko "ANNEX_CONDOR_OFF from condor_config" "rc=$rc out=$(cat "$tmp/out") err=$(cat "$tmp/err")"; fi

run env _CONDOR_ANNEX_CONDOR_OFF=/nonexistent/condor_off "$ANNEX" off -annex-name knobs; rc=$?
if [ "$rc" -eq 1 ] && grep -q '/nonexistent/condor_off is not on PATH' "$tmp/err"; then
	ok "_CONDOR_ANNEX_CONDOR_OFF wins over condor_config"
else ko "_CONDOR_ANNEX_CONDOR_OFF" "rc=$rc err=$(cat "$tmp/err")"; fi

run env ANNEX_CONDOR_OFF="$tmp/bin/my_condor_off" _CONDOR_ANNEX_CONDOR_OFF=/nonexistent/condor_off \
	"$ANNEX" off -annex-name knobs; rc=$?
if [ "$rc" -eq 0 ] && grep -q '^my_condor_off -annex knobs$' "$tmp/out"; then
	ok "the bare ANNEX_CONDOR_OFF variable still wins, as before"
else ko "bare ANNEX_CONDOR_OFF" "rc=$rc out=$(cat "$tmp/out") err=$(cat "$tmp/err")"; fi

printf 'ANNEX_MAX_ATTEMPTS = 0\n' >>"$tmp/condor_config"
run "$ANNEX" -config-val -describe ANNEX_MAX_ATTEMPTS ANNEX_CONDOR_OFF NOT_A_KNOB; rc=$?
if [ "$rc" -eq 1 ] && grep -qx 'ANNEX_MAX_ATTEMPTS = 0' "$tmp/out" &&
	grep -qF "# ERROR: ANNEX_MAX_ATTEMPTS = '0' (from $tmp/condor_config:2): want a whole number from 1 to 100" "$tmp/out" &&
	grep -qF '# How many times one AWS request is sent' "$tmp/out" &&
	grep -qF "# at: $tmp/condor_config:1" "$tmp/out" &&
	grep -qx 'Not a knob annex reads: NOT_A_KNOB (annex -config-val -describe lists them)' "$tmp/err"; then
	ok "-config-val -describe: value, where, range error, doc; unknown names refused"
else ko "-config-val -describe" "rc=$rc out=$(cat "$tmp/out") err=$(cat "$tmp/err")"; fi

run "$ANNEX" -config-val -describe; rc=$?
n=$(grep -cE '^[A-Z0-9_]+ (=|is not set)' "$tmp/out")
if [ "$n" -eq "$(wc -l <"$tmp/knobs")" ]; then ok "-config-val -describe alone describes every knob"
else ko "-config-val -describe alone" "$n entries for $(wc -l <"$tmp/knobs") knobs"; fi

run "$ANNEX" -config-val ANNEX_MAX_ATTEMPTS ANNEX_DEFAULT_S3_BUCKET; rc=$?
if [ "$rc" -eq 1 ] && [ "$(cat "$tmp/out")" = 0 ] && grep -qx 'Not defined: ANNEX_DEFAULT_S3_BUCKET' "$tmp/err"; then
	ok "-config-val NAME prints the configuration's value as before (no registry default, no check)"
else ko "-config-val NAME unchanged" "rc=$rc out=$(cat "$tmp/out") err=$(cat "$tmp/err")"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
