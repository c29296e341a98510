#!/usr/bin/env bash
# aws-cli-setup.sh LEASE_ZIP - what `annex -setup` does, as a user would
# script it with the AWS CLI: the same calls in the same order, each looking
# before it creates, one `aws` process per call. Used by bench/setup.py as
# the baseline; the credentials, region and endpoint come from the
# environment. Policies are annex's own files (policies/*.json).
set -euo pipefail
cd "$(dirname "$0")/.."
zip=${1:?usage: bench/aws-cli-setup.sh LEASE_ZIP}
q() { aws "$@" >/dev/null 2>&1; }      # a look-up: its failure means "absent"

account=$(aws sts get-caller-identity --query Account --output text)
region=${AWS_DEFAULT_REGION:-us-east-1}
doc() { sed -e "s/\${Partition}/aws/g" -e "s/\${Region}/$region/g" -e "s/\${AccountId}/$account/g" "policies/$1"; }

bucket=htcondor-annex-$account-$region
q s3api head-bucket --bucket "$bucket" || aws s3api create-bucket --bucket "$bucket" >/dev/null

# role NAME TRUST [POLICY_NAME POLICY_FILE]
# (a role just created has no policy yet: put it without looking, as annex does)
role() {
	local new=0
	q iam get-role --role-name "$1" || {
		aws iam create-role --role-name "$1" --assume-role-policy-document "$(doc "$2")" \
			--description "annex: $1" >/dev/null
		new=1
	}
	if [ $# -gt 2 ]; then
		[ "$new" = 0 ] && q iam get-role-policy --role-name "$1" --policy-name "$3" ||
			aws iam put-role-policy --role-name "$1" --policy-name "$3" --policy-document "$(doc "$4")"
	fi
}

role HTCondorAnnex-LeaseFunctionRole lease-function-trust.json HTCondorAnnex-LeaseFunctionPolicy lease-function-policy.json
fn=HTCondorAnnex-LeaseFunction
q lambda get-function --function-name "$fn" ||
	aws lambda create-function --function-name "$fn" --runtime python3.12 --handler lease.handler \
		--role "arn:aws:iam::$account:role/HTCondorAnnex-LeaseFunctionRole" --timeout 60 \
		--description "annex: terminates annexes whose lease has expired" --zip-file "fileb://$zip" >/dev/null
q lambda get-policy --function-name "$fn" ||
	aws lambda add-permission --function-name "$fn" --statement-id HTCondorAnnex-EventsInvoke \
		--action lambda:InvokeFunction --principal events.amazonaws.com \
		--source-arn "arn:aws:events:$region:$account:rule/*" >/dev/null

# the connectivity function (issue 19): its role (its own logs only), the same zip
role HTCondorAnnex-ConnectivityFunctionRole connectivity-function-trust.json \
	HTCondorAnnex-ConnectivityFunctionPolicy connectivity-function-policy.json
q lambda get-function --function-name HTCondorAnnex-ConnectivityFunction ||
	aws lambda create-function --function-name HTCondorAnnex-ConnectivityFunction --runtime python3.12 \
		--handler connectivity.handler --timeout 75 \
		--role "arn:aws:iam::$account:role/HTCondorAnnex-ConnectivityFunctionRole" \
		--description "annex: can AWS reach the pool's collector? (DC_QUERY_INSTANCE)" --zip-file "fileb://$zip" >/dev/null

role HTCondorAnnex-NodeRole node-trust.json
q iam get-instance-profile --instance-profile-name HTCondorAnnex-InstanceProfile || {
	aws iam create-instance-profile --instance-profile-name HTCondorAnnex-InstanceProfile >/dev/null
	aws iam add-role-to-instance-profile --instance-profile-name HTCondorAnnex-InstanceProfile \
		--role-name HTCondorAnnex-NodeRole
}

role HTCondorAnnex-SpotFleetRole spot-fleet-trust.json HTCondorAnnex-SpotFleetPolicy spot-fleet-policy.json
[ -n "$(aws iam list-roles --path-prefix /aws-service-role/spot.amazonaws.com/ --query 'Roles[0].RoleName' \
	--output text | grep -v None)" ] ||
	aws iam create-service-linked-role --aws-service-name spot.amazonaws.com >/dev/null

vpc=$(aws ec2 describe-vpcs --filters Name=is-default,Values=true --query 'Vpcs[0].VpcId' --output text)
sg=$(aws ec2 describe-security-groups --filters Name=group-name,Values=HTCondorAnnex-SecurityGroup \
	Name=vpc-id,Values="$vpc" --query 'SecurityGroups[0].GroupId' --output text)
if [ "$sg" = None ] || [ -z "$sg" ]; then
	aws ec2 create-security-group --group-name HTCondorAnnex-SecurityGroup --vpc-id "$vpc" \
		--description "annex: HTCondor annex nodes (no inbound rule)" >/dev/null
fi

# annex also reads the lease rules of existing annexes (drift: docs/drift.md)
q events list-rules
