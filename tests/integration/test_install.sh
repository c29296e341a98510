#!/usr/bin/env bash
# test_install.sh - make install puts down the binary, the man page, both
# completions, the docs and the examples under PREFIX (in a DESTDIR), and
# make uninstall removes every file it put down: afterwards the DESTDIR
# tree is empty. Also: the installed man page is the source's, the
# installed binary runs, and uninstall without DESTDIR never removes shared
# directories (checked on the Makefile's recipe, not on this machine).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${ANNEX_BUILD:-$ROOT/build}
BUILD=${BUILD_DIR#"$ROOT"/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

dest=$tmp/dest
mkdir -p "$dest"
if ! make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local install >"$tmp/install.log" 2>&1; then
	ko "make install" "$(tail -n 5 "$tmp/install.log")"
	echo "$pass passed, $fail failed"
	exit 1
fi
ok "make install DESTDIR=... PREFIX=/usr/local"

p=$dest/usr/local
want=(
	"bin/annex" "share/man/man1/annex.1" "share/bash-completion/completions/annex"
	"share/zsh/site-functions/_annex" "share/doc/annex/README.md" "share/doc/annex/knobs.md"
	"share/doc/annex/examples/annex-reap.cron" "share/doc/annex/examples/spot-fleet.json"
	"share/doc/annex/examples/annex-reap@.service" "share/doc/annex/examples/annex-reap@.timer"
)
missing=""
for f in "${want[@]}"; do [ -f "$p/$f" ] || missing="$missing $f"; done
if [ -z "$missing" ]; then ok "the binary, man page, completions, docs and examples are installed"
else ko "installed files" "missing:$missing; got: $(cd "$dest" && find . -type f | sort | tr '\n' ' ')"; fi
if [ -x "$p/bin/annex" ] && "$p/bin/annex" -version | grep -q '^annex '; then ok "the installed annex runs"
else ko "the installed annex runs" "$("$p/bin/annex" -version 2>&1)"; fi
if cmp -s "$p/share/man/man1/annex.1" "$ROOT/docs/annex.1"; then ok "the installed man page is docs/annex.1"
else ko "the installed man page" "differs from docs/annex.1"; fi
if [ "$(stat -c %a "$p/bin/annex")" = 755 ] && [ "$(stat -c %a "$p/share/man/man1/annex.1")" = 644 ]; then
	ok "modes: 0755 binary, 0644 data"
else ko "modes" "$(stat -c '%a %n' "$p/bin/annex" "$p/share/man/man1/annex.1")"; fi
n_installed=$(find "$dest" -type f | wc -l)

# a file of someone else's in a shared directory stays
touch "$p/bin/someone-elses"
if ! make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local uninstall >"$tmp/uninstall.log" 2>&1; then
	ko "make uninstall" "$(tail -n 5 "$tmp/uninstall.log")"
fi
left=$(cd "$dest" && find . -mindepth 1 | sort | tr '\n' ' ')
if [ "$left" = "./usr ./usr/local ./usr/local/bin ./usr/local/bin/someone-elses " ]; then
	ok "make uninstall removes all $n_installed files install put down, and nothing else"
else ko "make uninstall leaves only what is not annex's" "left: $left"; fi
rm -f "$p/bin/someone-elses"
make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local install >/dev/null 2>&1 &&
	make -s -C "$ROOT" BUILD="$BUILD" DESTDIR="$dest" PREFIX=/usr/local uninstall >/dev/null 2>&1
left=$(cd "$dest" && find . -mindepth 1 | sort | tr '\n' ' ')
if [ -z "$left" ]; then ok "install then uninstall: the DESTDIR tree is empty"
else ko "install then uninstall: the DESTDIR tree is empty" "left: $left"; fi

# without DESTDIR, uninstall removes no directory but annex's doc directory
make -s -n -C "$ROOT" BUILD="$BUILD" DESTDIR= PREFIX=/usr/local uninstall >"$tmp/dry" 2>&1
if grep -q 'rmdir.*share/doc/annex' "$tmp/dry" && ! grep -q 'rmdir -p' "$tmp/dry"; then
	ok "uninstall without DESTDIR removes no shared directory"
else ko "uninstall without DESTDIR" "$(grep rmdir "$tmp/dry")"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
