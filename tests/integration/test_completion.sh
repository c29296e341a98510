#!/usr/bin/env bash
# test_completion.sh - the bash and zsh completions (completion/):
#  - each lists exactly the options of the option table in src/cli.c (read
#    from the source, so an option added later must be added there too);
#  - bash, with and without the bash-completion package's helpers: options
#    by prefix, the bare words, regions after -aws-region, files after a
#    file option, knob names after -config-val (from the built annex,
#    without any config file), annex names from the cache file only (no
#    cache: none, and annex is not run for them), and the opt-in refresh
#    from `annex -status -json` (a stub here, never AWS);
#  - zsh: the script parses (zsh -n) and, driven through zsh's own
#    completion system in a pseudo-terminal, completes an option and a
#    region. A missing zsh is a failure (scripts/deps.sh test installs it).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ANNEX=${ANNEX_BIN:-$ROOT/build/annex}
BASH_COMP=$ROOT/completion/annex.bash
ZSH_COMP=$ROOT/completion/_annex
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

sed -n '/^static const struct cli_option cli_options\[\] = {/,/^};/p' "$ROOT/src/cli.c" |
	sed -nE 's/^[[:space:]]*\{ "([a-zA-Z0-9-]+)",.*/-\1/p' | sort >"$tmp/table"
if [ "$(wc -l <"$tmp/table")" -lt 50 ]; then
	ko "the option table is read from src/cli.c" "only $(wc -l <"$tmp/table") options"
fi

# 1. the option lists
# shellcheck disable=SC1090,SC2154  # the script's own variable
(source "$BASH_COMP" && echo "$_annex_options" | tr ' ' '\n' | sed '/^$/d' | sort) >"$tmp/bash.opts"
if diff "$tmp/table" "$tmp/bash.opts" >"$tmp/diff"; then ok "bash: the options are the option table's"
else ko "bash: the options are the option table's" "$(tr '\n' ' ' <"$tmp/diff")"; fi
grep -oE "^[[:space:]]*'\\*?-[a-z0-9-]+\\[" "$ZSH_COMP" | sed -E "s/^[[:space:]]*'\\*?//; s/\\[\$//" | sort >"$tmp/zsh.opts"
if diff "$tmp/table" "$tmp/zsh.opts" >"$tmp/diff"; then ok "zsh: the options are the option table's"
else ko "zsh: the options are the option table's" "$(tr '\n' ' ' <"$tmp/diff")"; fi

# 2. bash, driven as readline would
mkdir -p "$tmp/bin" "$tmp/cache/annex" "$tmp/files"
ln -s "$ANNEX" "$tmp/bin/annex"
touch "$tmp/files/fleet.json" "$tmp/files/fleet2.json"
# complete WITH_HELPERS WORD... : the completions of the last word, one line
complete_bash() {
	local helpers=$1
	shift
	# shellcheck disable=SC2016  # the script runs in the inner bash
	env -i PATH="$tmp/bin:/usr/bin:/bin" HOME="$tmp" XDG_CACHE_HOME="$tmp/cache" \
		ANNEX_COMPLETION_REFRESH="${REFRESH:-}" bash --norc --noprofile -c '
		[ "$1" = yes ] && source /usr/share/bash-completion/bash_completion
		source "$2"
		shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_annex
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$helpers" "$BASH_COMP" "$@"
}
check() {   # check NAME WANT WORD...
	local name=$1 want=$2 got h
	shift 2
	for h in yes no; do
		got=$(cd "$tmp/files" && complete_bash "$h" "$@")
		if [ "$got" = "$want" ]; then ok "bash ($([ $h = yes ] && echo with || echo without) bash-completion): $name"
		else ko "bash: $name" "'$*' gave '$got', want '$want'"; fi
	done
}
[ -r /usr/share/bash-completion/bash_completion ] ||
	ko "bash-completion" "/usr/share/bash-completion/bash_completion missing (scripts/deps.sh test installs it)"
check "an option by a prefix" "-annex-name " annex -anne
check "options by a prefix" "-aws-spot-fleet -aws-spot-fleet-config-file -aws-spot-fleet-lease-function-arn -aws-spot-fleet-maintain " \
	annex -count 2 -aws-spot
check "the bare words first" "status " annex st
check "regions" "ap-northeast-1 ap-northeast-2 ap-northeast-3 " annex -aws-region ap-northeast
check "a region after -setup, -remove too" "-remove " annex -setup -re
check "files after a file option" "fleet.json fleet2.json " annex -slots 2 -aws-spot-fleet-config-file fle
check "nothing after a value option" "" annex -count ""
check "knob names after -config-val" "ANNEX_WAIT_POLL_INTERVAL ANNEX_WAIT_TIMEOUT " annex -config-val ANNEX_WAIT
check "all after -help" "all " annex -help a
check "-describe after -config-val" "-describe " annex -config-val -desc
check "no cache: no annex names" "" annex -off -annex-name ""

printf 'render\nrender-gpu\nburst\n' >"$tmp/cache/annex/names"
check "annex names from the cache" "render render-gpu " annex -off -annex-name re
check "annex names after -annex" "burst " annex -status -annex b

# the opt-in refresh: a stub annex answers -status -json and logs its calls
rm -f "$tmp/bin/annex"
cat >"$tmp/bin/annex" <<'STUB'
#!/bin/sh
echo "$*" >>"$HOME/calls"
echo '{"Annexes":[{"AnnexName":"fresh","TotalInstances":1},{"AnnexName": "fresh2"}]}'
STUB
chmod +x "$tmp/bin/annex"
check "without ANNEX_COMPLETION_REFRESH the cache is used as is" "render render-gpu " annex -off -annex-name re
if [ ! -e "$tmp/calls" ]; then ok "without ANNEX_COMPLETION_REFRESH annex is not run for names"
else ko "annex is not run for names" "it ran: $(cat "$tmp/calls")"; fi
touch -d '10 minutes ago' "$tmp/cache/annex/names"
got=$(REFRESH=1 complete_bash no annex -off -annex-name f)
if [ "$got" = "fresh fresh2 " ] && grep -qx -- '-status -json' "$tmp/calls"; then
	ok "ANNEX_COMPLETION_REFRESH=1 rewrites a stale cache from annex -status -json"
else ko "the opt-in refresh" "got '$got', calls: $(cat "$tmp/calls" 2>/dev/null)"; fi
: >"$tmp/calls"
got=$(REFRESH=1 complete_bash no annex -off -annex-name f)
if [ "$got" = "fresh fresh2 " ] && [ ! -s "$tmp/calls" ]; then ok "a fresh cache is not refreshed"
else ko "a fresh cache is not refreshed" "got '$got', calls: $(cat "$tmp/calls")"; fi

# 3. zsh
if ! command -v zsh >/dev/null; then
	ko "zsh" "zsh is not installed (scripts/deps.sh test installs it)"
elif ! zsh -n "$ZSH_COMP" 2>"$tmp/zerr"; then
	ko "zsh -n completion/_annex" "$(cat "$tmp/zerr")"
else
	ok "zsh -n completion/_annex"
	rm -f "$tmp/bin/annex"
	ln -s "$ANNEX" "$tmp/bin/annex"
	mkdir -p "$tmp/zfunc"
	cp "$ZSH_COMP" "$tmp/zfunc/_annex"
	# zsh's completion runs only inside the line editor: drive an
	# interactive zsh in a pseudo-terminal (zsh/zpty): wait for its prompt,
	# type the line and a Tab, and read what the line became.
	cat >"$tmp/drive.zsh" <<'ZSH'
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="READY> "; fpath=($ZFUNC $fpath); autoload -Uz compinit; compinit -u -D'
zpty -r z out '*READY> *'
zpty -w -n z "$1"$'\t'
sleep 2
out=
while zpty -r -t z line; do out+=$line; done
print -r -- "${out//$'\r'/}"
zpty -d z
ZSH
	zcheck() {   # zcheck NAME LINE WANT: after LINE and Tab the line holds WANT
		local out
		out=$(timeout 30 env -i PATH="$tmp/bin:/usr/bin:/bin" HOME="$tmp" XDG_CACHE_HOME="$tmp/cache" TERM=dumb ZFUNC="$tmp/zfunc" \
			zsh -f "$tmp/drive.zsh" "$2" 2>&1 | tail -n 1)
		if [[ $out == *"READY> "*"$3"* ]]; then ok "zsh: $1"
		else ko "zsh: $1" "'$2' + Tab: $(echo "$out" | cat -v | tail -c 120)"; fi
	}
	zcheck "an option by a prefix" "annex -anne" "annex -annex-name "
	zcheck "an option after others" "annex -count 2 -aws-spot-fleet-m" "annex -count 2 -aws-spot-fleet-maintain "
	zcheck "a region" "annex -aws-region eu-nor" "annex -aws-region eu-north-1 "
	zcheck "a knob name after -config-val" "annex -config-val ANNEX_WAIT_T" "annex -config-val ANNEX_WAIT_TIMEOUT "
	printf 'render-gpu\n' >"$tmp/cache/annex/names"
	zcheck "an annex name from the cache" "annex -off -annex-name rend" "annex -off -annex-name render-gpu "
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
