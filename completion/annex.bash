# bash completion for annex (installed as share/bash-completion/completions/annex).
#
# Completes annex's options (the option table of src/cli.c: one dash, every
# name; tests/integration/test_completion.sh checks the list), AWS region
# names after -aws-region and -setup, files after the file options, knob
# names after -config-val (from `CONDOR_CONFIG=ONLY_ENV annex -config-val
# -describe`: no file read, no network), and annex names after -annex-name.
#
# Annex names come from a cache file, never from AWS by default: listing
# them needs `annex -status`, a DescribeInstances call that takes seconds
# and credentials, too slow and too surprising for a Tab key. The cache is
#   ${XDG_CACHE_HOME:-~/.cache}/annex/names   (one name a line)
# which you may write yourself; with ANNEX_COMPLETION_REFRESH=1 in the
# environment, the completion rewrites it from `annex -status -json` (at
# most every five minutes, ten seconds at most) when it is older than that.
# No cache and no opt-in: no names are offered. See docs/packaging.md.

_annex_options="-aws-region -aws-ec2-url -aws-events-url -aws-lambda-url -aws-s3-url
-aws-user-data-file -aws-user-data -aws-default-user-data-file -aws-default-user-data
-annex-name -config-dir -owner -no-owner -aws-spot-fleet-config-file
-aws-public-key-file -aws-access-key-file -aws-secret-key-file -aws-private-key-file
-aws-spot-fleet-lease-function-arn -aws-on-demand-lease-function-arn
-aws-on-demand-instance-type -aws-on-demand-key-name -aws-on-demand-security-group-ids
-aws-on-demand-ami-id -aws-on-demand-instance-profile-arn -aws-s3-config-path -tag
-duration -idle -slots -count -aws-spot-fleet -aws-on-demand -help -check-setup -setup
-status -classads -yes -instance-type -aws-iam-url -aws-sts-url -debug -dry-run -wait
-json -off -reap -config-val -version -min-count -ssh-cidr -remove -force
-aws-spot-fleet-maintain -no-may-use-aws -no-connectivity-check -max-cost -vcpus
-memory-gib -gpus -auto -max-instances -instance-types -spot -spot-fallback"

# AWS's commercial regions (2026); annex accepts any name.
_annex_regions="us-east-1 us-east-2 us-west-1 us-west-2 af-south-1 ap-east-1
ap-east-2 ap-south-1 ap-south-2 ap-northeast-1 ap-northeast-2 ap-northeast-3
ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5
ap-southeast-7 ca-central-1 ca-west-1 eu-central-1 eu-central-2 eu-west-1
eu-west-2 eu-west-3 eu-north-1 eu-south-1 eu-south-2 il-central-1 me-central-1
me-south-1 mx-central-1 sa-east-1"

_annex_names()
{
	local cache=${XDG_CACHE_HOME:-$HOME/.cache}/annex/names
	if [ "${ANNEX_COMPLETION_REFRESH:-}" = 1 ] &&
		{ [ ! -f "$cache" ] || [ -n "$(find "$cache" -mmin +5 2>/dev/null)" ]; }; then
		mkdir -p "${cache%/*}" &&
			timeout 10 "${1:-annex}" -status -json </dev/null 2>/dev/null |
			grep -o '"AnnexName": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u >"$cache.$$" &&
			mv -f "$cache.$$" "$cache"
		rm -f "$cache.$$"
	fi
	[ -r "$cache" ] && cat "$cache"
}

_annex()
{
	local cur prev words cword i
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	# after -config-val every word is a knob name
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-config-val | -config-va | -config-v)
			local IFS=$'\n'
			if [ "$i" -eq $((cword - 1)) ] && [[ $cur == -* ]]; then
				mapfile -t COMPREPLY < <(compgen -W "-describe" -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -W "$(CONDOR_CONFIG=ONLY_ENV "${words[0]}" -config-val -describe 2>/dev/null |
					sed -nE 's/^([A-Z0-9_]+) (=|is not set).*/\1/p')" -- "$cur")
			fi
			return
			;;
		esac
	done

	case $prev in
	-aws-region | -setup)
		mapfile -t COMPREPLY < <(compgen -W "$_annex_regions" -- "$cur")
		[ "$prev" = -setup ] && [[ $cur == -* ]] && mapfile -t COMPREPLY < <(compgen -W "-remove" -- "$cur")
		return
		;;
	-annex-name | -annex | -anne | -ann)
		local IFS=$'\n'
		mapfile -t COMPREPLY < <(compgen -W "$(_annex_names "${words[0]}")" -- "$cur")
		return
		;;
	-aws-user-data-file | -aws-default-user-data-file | -aws-spot-fleet-config-file | \
		-aws-access-key-file | -aws-public-key-file | -aws-secret-key-file | -aws-private-key-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
		return
		;;
	-help | -h)
		mapfile -t COMPREPLY < <(compgen -W "all" -- "$cur")
		return
		;;
	-config-dir)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		compopt -o filenames 2>/dev/null
		return
		;;
	-spot-fallback)
		mapfile -t COMPREPLY < <(compgen -W "on-demand" -- "$cur")
		return
		;;
	-aws-* | -owner | -tag | -duration | -idle | -slots | -count | -instance-type | -instance-types | -min-count | -max-cost | -vcpus | -memory-gib | -gpus | -ssh-cidr | -max-instances)
		# a value annex cannot guess (a number, an id, a URL): offer nothing,
		# except after the flags among these names
		case $prev in
		-aws-spot-fleet | -aws-on-demand | -aws-spot-fleet-maintain) ;;
		*) COMPREPLY=(); return ;;
		esac
		;;
	esac

	if [[ $cur == -* ]] || [ "$cword" -gt 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W "$_annex_options" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -W "$_annex_options status off" -- "$cur")
	fi
}
complete -F _annex annex
