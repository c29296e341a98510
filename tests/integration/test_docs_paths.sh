#!/usr/bin/env bash
# test_docs_paths.sh - every repository file README.md and docs/*.md name
# exists. A path is a word starting with src/, include/, tests/, docs/,
# bench/, examples/, scripts/ or policies/ that does not continue another
# path (so /var/lib/cloud/instance/scripts/part-* is not one); trailing
# punctuation is dropped, and a pattern with * must match at least one file.
# One check per document: its missing paths are listed.
set -u
cd "$(dirname "$0")/../.." || exit 1
pass=0
fail=0
shopt -s nullglob
for doc in README.md docs/*.md; do
	missing=()
	while IFS= read -r p; do
		p=${p:1}                          # the boundary character matched before it
		while [[ $p =~ [.,:\;\)]$ ]]; do p=${p%?}; done
		if [[ $p == *'*'* ]]; then
			# shellcheck disable=SC2206  # the glob is meant to expand
			matches=($p)
			[ ${#matches[@]} -gt 0 ] || missing+=("$p")
		elif [ ! -e "$p" ]; then
			missing+=("$p")
		fi
	done < <(grep -oE '(^|[^A-Za-z0-9_./~-])(src|include|tests|docs|bench|examples|scripts|policies)/[A-Za-z0-9_./*-]*' "$doc" |
		sed -E 's/^(src|include|tests|docs|bench|examples|scripts|policies)\//^&/' | sort -u)
	if [ ${#missing[@]} -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $doc: every file it names exists"
	else
		fail=$((fail + 1))
		echo "FAIL $doc names files that do not exist: ${missing[*]}"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
