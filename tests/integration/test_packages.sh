#!/usr/bin/env bash
# test_packages.sh - the Debian and RPM packages build from a copy of the
# tree and hold what they must:
#  - debian/changelog's and packaging/rpm/annex.spec's versions are VERSION;
#  - dpkg-buildpackage -us -uc -b builds the .deb; dpkg -c lists the binary,
#    the man page, both completions, the examples and the systemd units;
#    the package has no maintainer script that enables or starts a unit;
#    lintian reports no error and no warning (debian/annex.lintian-overrides
#    holds the one justified override); the packaged annex runs;
#  - rpmbuild -bb builds the EL9 RPM (on Debian with --nodeps, since its
#    BuildRequires are EL9 package names, and without a debuginfo package,
#    since Debian's rpm has no find-debuginfo); rpm -qlp lists the same
#    files in EL9's places; no scriptlet enables a unit; the packaged annex
#    runs.
# Both packages build as a packager's would, whatever make ran this test:
# the calling make's variables (make asan's CC=clang SAN=... BUILD= OPT=,
# passed down in MAKEFLAGS and the environment) are cleared first. Else the
# packages carried a clang ASan build, whose DWARF 5 dh_dwz cannot read.
# A missing tool is a failure, not a skip: scripts/deps.sh test installs
# dpkg-dev, debhelper, lintian and rpm. Takes about two minutes (two builds).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit; }
# packager CMD...: CMD without the calling make's variables (see above)
packager() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CC -u SAN -u OPT -u BUILD "$@"; }

missing=""
for tool in dpkg-buildpackage dh dpkg-deb lintian rpmbuild rpm rpm2archive tar; do
	command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	ko "packaging tools" "missing:$missing (scripts/deps.sh test installs dpkg-dev, debhelper, lintian, rpm)"
	finish
fi
ok "packaging tools are installed"

version=$(cat "$ROOT/VERSION")
deb_version=$(sed -nE '1s/^annex \(([^)]*)\).*/\1/p' "$ROOT/debian/changelog")
rpm_version=$(sed -nE 's/^Version:[[:space:]]+//p' "$ROOT/packaging/rpm/annex.spec")
if [ "$deb_version" = "$version" ] && [ "$rpm_version" = "$version" ]; then
	ok "debian/changelog and the spec carry VERSION ($version)"
else ko "versions" "VERSION $version, debian/changelog $deb_version, annex.spec $rpm_version"; fi

# A pristine copy of the tree: what git tracks (and new files not ignored),
# else everything but the build outputs.
src=$tmp/annex-$version
mkdir -p "$src"
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -co --exclude-standard -z |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -xf - -C "$src"
else
	(cd "$ROOT" && tar --exclude='./build*' --exclude=./annex -cf - .) | tar -xf - -C "$src"
fi
tar -C "$tmp" -czf "$tmp/annex-$version.tar.gz" "annex-$version"

# files both packages must hold, as path suffixes (the man page may be gzipped)
common=(
	/usr/bin/annex
	/usr/share/bash-completion/completions/annex
	/usr/share/doc/annex/examples/spot-fleet.json
	/usr/share/doc/annex/examples/annex-reap.cron
	/usr/share/doc/annex/examples/annex-reap@.service
	/usr/share/doc/annex/examples/annex-reap@.timer
	/usr/share/doc/annex/README.md
)
has_all() {   # has_all LISTFILE PATH...: prints the paths the list lacks
	local list=$1 p
	shift
	for p in "$@"; do grep -qE "^\.?${p//./\\.}(\.gz)?\$" "$list" || printf ' %s' "$p"; done
}

# 1. Debian
start=$SECONDS
if (cd "$src" && DEB_BUILD_OPTIONS=parallel=2 packager dpkg-buildpackage -us -uc -b) >"$tmp/deb.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($((SECONDS - start)) s)"
	deb=$tmp/annex_${version}_$(dpkg --print-architecture).deb
	dpkg -c "$deb" | awk '{ print $6 }' | sed 's|/$||' >"$tmp/deb.files"
	lacks=$(has_all "$tmp/deb.files" "${common[@]}" /usr/share/man/man1/annex.1 \
		/usr/share/zsh/vendor-completions/_annex /lib/systemd/system/annex-reap@.service \
		/lib/systemd/system/annex-reap@.timer /usr/share/doc/annex/copyright)
	if [ -z "$lacks" ]; then ok "dpkg -c: binary, man page, completions, examples, systemd units"
	else ko "dpkg -c" "lacks:$lacks; has: $(tr '\n' ' ' <"$tmp/deb.files")"; fi

	mkdir -p "$tmp/deb.ctl" "$tmp/deb.root"
	dpkg-deb -e "$deb" "$tmp/deb.ctl"
	if ! cat "$tmp/deb.ctl"/{preinst,postinst,prerm,postrm} 2>/dev/null | grep -qE 'enable|start'; then
		ok "no maintainer script enables or starts a unit (the timer ships disabled)"
	else ko "the timer ships disabled" "$(grep -lE 'enable|start' "$tmp/deb.ctl"/* | tr '\n' ' ')"; fi

	dpkg-deb -x "$deb" "$tmp/deb.root"
	if [ "$("$tmp/deb.root/usr/bin/annex" -version 2>&1)" = "annex $version" ]; then ok "the .deb's annex runs"
	else ko "the .deb's annex runs" "$("$tmp/deb.root/usr/bin/annex" -version 2>&1 | head -n 2)"; fi

	start=$SECONDS
	lintian --fail-on error,warning "$tmp"/annex_"${version}"_*.changes >"$tmp/lintian.out" 2>"$tmp/lintian.err"
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -qE '^[EW]: ' "$tmp/lintian.out"; then ok "lintian: no error, no warning ($((SECONDS - start)) s)"
	else ko "lintian" "rc=$rc: $(head -n 10 "$tmp/lintian.out" "$tmp/lintian.err" | tr '\n' ' ')"; fi
else
	ko "dpkg-buildpackage -us -uc -b" "$(tail -n 15 "$tmp/deb.log" | tr '\n' ' ')"
fi

# 2. RPM (EL9)
top=$tmp/rpm
mkdir -p "$top/SOURCES"
cp "$tmp/annex-$version.tar.gz" "$top/SOURCES/"
start=$SECONDS
if packager rpmbuild -bb --nodeps --define "_topdir $top" --define 'dist .el9' --define 'debug_package %{nil}' \
	"$src/packaging/rpm/annex.spec" >"$tmp/rpm.log" 2>&1; then
	rpmfile=$(find "$top/RPMS" -name "annex-$version-1.el9.*.rpm" | head -n 1)
	if [ -n "$rpmfile" ]; then ok "rpmbuild -bb (EL9) ($((SECONDS - start)) s)"
	else ko "rpmbuild -bb" "no annex-$version-1.el9.*.rpm in $(find "$top/RPMS" -type f | tr '\n' ' ')"; fi
else
	ko "rpmbuild -bb" "$(tail -n 15 "$tmp/rpm.log" | tr '\n' ' ')"
	rpmfile=
fi
if [ -n "$rpmfile" ]; then
	rpm -qlp "$rpmfile" >"$tmp/rpm.files" 2>/dev/null
	lacks=$(has_all "$tmp/rpm.files" "${common[@]}" /usr/share/man/man1/annex.1 \
		/usr/share/zsh/site-functions/_annex /usr/lib/systemd/system/annex-reap@.service \
		/usr/lib/systemd/system/annex-reap@.timer)
	if [ -z "$lacks" ]; then ok "rpm -qlp: binary, man page, completions, examples, systemd units"
	else ko "rpm -qlp" "lacks:$lacks; has: $(tr '\n' ' ' <"$tmp/rpm.files")"; fi
	if ! rpm -qp --scripts "$rpmfile" 2>/dev/null | grep -qE 'systemctl (--[a-z-]+ )*(enable|start)'; then
		ok "no scriptlet enables or starts a unit"
	else ko "the RPM's timer ships disabled" "$(rpm -qp --scripts "$rpmfile")"; fi
	mkdir -p "$tmp/rpm.root"
	if rpm2archive -n <"$rpmfile" | tar -xf - -C "$tmp/rpm.root" 2>"$tmp/rpm2archive.err" &&
		[ "$("$tmp/rpm.root/usr/bin/annex" -version 2>&1)" = "annex $version" ]; then ok "the RPM's annex runs"
	else ko "the RPM's annex runs" "$(cat "$tmp/rpm2archive.err"; "$tmp/rpm.root/usr/bin/annex" -version 2>&1 | head -n 2)"; fi
fi

finish
