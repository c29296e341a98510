#!/usr/bin/env bash
# test_make_order.sh - `make -j` on a fresh machine: the dependency step
# (scripts/deps.sh, through `deps`) must finish before anything is
# compiled, and pkg-config must run only after it (lazily, once per flag
# set), never while the Makefile is read.
#
# A copy of the tree is built with a stand-in deps script that takes a
# while and only then "installs" pkg-config, a pkg-config that fails until
# then, and a compiler that refuses to run before it and checks that the
# pkg-config flags reached it. Nothing real is installed or compiled.
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0
fail=0
# check NAME OK DETAIL: OK is 0 for a pass (a command's status)
check() {
	if [ "$2" -eq 0 ]; then pass=$((pass + 1)); echo "PASS $1"; else fail=$((fail + 1)); echo "FAIL $1${3:+: $3}"; fi
}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/tree" "$t/bin"
cp -r Makefile VERSION src include scripts policies tests bench "$t/tree/"

cat >"$t/deps.sh" <<EOS
#!/bin/sh
echo "\$1" >>"$t/deps.log"
sleep 1
touch "$t/installed"
EOS
cat >"$t/bin/pkg-config" <<EOS
#!/bin/sh
echo "\$*" >>"$t/pkg-config.log"
[ -e "$t/installed" ] || exit 1
case "\$1" in --cflags) echo "-DFAKE_PKG_CFLAGS" ;; --libs) echo "-lfakepkg" ;; esac
EOS
cat >"$t/bin/fakecc" <<EOS
#!/bin/sh
[ -e "$t/installed" ] || { echo "compiler ran before deps: \$*" >>"$t/errors"; exit 1; }
case " \$* " in
*" -c "*) case " \$* " in *" -DFAKE_PKG_CFLAGS "*) ;; *) echo "no pkg-config cflags: \$*" >>"$t/errors" ;; esac ;;
*) case " \$* " in *" -lfakepkg "*) ;; *) echo "no pkg-config libs: \$*" >>"$t/errors" ;; esac ;;
esac
out=
while [ \$# -gt 0 ]; do [ "\$1" = -o ] && out=\$2; shift; done
[ -n "\$out" ] && : >"\$out"
EOS
chmod +x "$t/deps.sh" "$t/bin/pkg-config" "$t/bin/fakecc"
run_make() {
	PATH="$t/bin:$PATH" make -C "$t/tree" -j8 DEPS_SH="$t/deps.sh" CC="$t/bin/fakecc" "$@" >"$t/make.log" 2>&1
}

run_make clean
[ ! -e "$t/pkg-config.log" ]
check "reading the Makefile (make clean) runs no pkg-config" $? "$(cat "$t/pkg-config.log" 2>/dev/null)"
run_make build-tests
check "make -j8 build-tests on a machine without the -dev packages succeeds" $? "$(tail -n 20 "$t/make.log")"
[ ! -e "$t/errors" ]
check "nothing was compiled before the deps step ended, every compile and link had pkg-config's flags" $? \
	"$(head -n 5 "$t/errors" 2>/dev/null)"
[ "$(sort -u "$t/pkg-config.log" | wc -l)" -eq 2 ] && [ "$(wc -l <"$t/pkg-config.log")" -eq 2 ]
check "pkg-config ran once per flag set" $? "$(cat "$t/pkg-config.log" 2>/dev/null)"
rm -f "$t/installed" "$t/pkg-config.log" "$t/deps.log"
run_make -B test-deps
[ "$(tr '\n' ' ' <"$t/deps.log")" = "build test " ]
check "test-deps runs the build deps first, then the test deps (never two apt-get at once)" $? \
	"$(cat "$t/deps.log" 2>/dev/null)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
