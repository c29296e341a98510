"""test_lease.py - the lease function (src/functions/lease.py) as Python code,
with boto3 against moto_server (signature checking on).

Each test that touches AWS works in a region of its own (moto keeps EC2 and
EventBridge state per region), creates its annexes the way annex launches
them (instances and a Spot Fleet request tagged htcondor:AnnexName /
AnnexId / LeaseExpiration, a rule and target named by the annex id), runs
the function, and asserts what moto then holds and which calls the function
made (clients wrapped by `Recorder`, which can also inject a ClientError).

moto 5.2.1 keeps a Spot Fleet request's own tags (TagSpecifications of
resource type spot-fleet-request) and returns them from
DescribeSpotFleetRequests, so the fleet side is tested in full; it needs
AllocationStrategy in the request (a 500 without it, unlike AWS), and it
drops a cancelled request from DescribeSpotFleetRequests instead of showing
it as cancelled_terminating, so `fleet_active` accepts both.
"""
import datetime
import json
import uuid

import pytest
from botocore.exceptions import ClientError

import lease

UTC = datetime.timezone.utc
MUTATING = {"terminate_instances", "cancel_spot_fleet_requests", "remove_targets", "delete_rule",
            "delete_launch_template", "delete_fleets"}
FUNCTION_ARN = "arn:aws:lambda:%s:123456789012:function:HTCondorAnnex-LeaseFunction"
NODE_PROFILE = "arn:aws:iam::123456789012:instance-profile/HTCondorAnnex-InstanceProfile"
OTHER_PROFILE = "arn:aws:iam::123456789012:instance-profile/DatabaseServers"
FLEET_ROLE = "arn:aws:iam::123456789012:role/HTCondorAnnex-SpotFleetRole"


def now():
    return datetime.datetime.now(UTC)


def iso(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


PAST = iso(now() - datetime.timedelta(hours=1))
FUTURE = iso(now() + datetime.timedelta(hours=5))


class Recorder:
    """Wraps a boto3 client: records every call as (name, kwargs) in
    `calls`; raises an injected ClientError for a call when `fail(name,
    kwargs)` says so."""

    def __init__(self, client, calls, fail=None):
        self._client, self._calls, self._fail = client, calls, fail

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(**kwargs):
            self._calls.append((name, kwargs))
            if self._fail and self._fail(name, kwargs):
                raise ClientError({"Error": {"Code": "InjectedFault", "Message": "injected by the test"}}, name)
            reply = attr(**kwargs)
            if name == "describe_fleets" and not kwargs.get("FleetIds"):
                # as AWS answers (moto lists them anyway): an instant fleet
                # shows only when asked for by id
                reply = dict(reply, Fleets=[f for f in reply.get("Fleets", []) if f.get("Type") != "instant"])
            return reply
        return call


class World:
    """One region of the emulator, with helpers to launch annexes there and
    to look at what is left."""

    def __init__(self, moto, region):
        self.moto, self.region = moto, region
        self.ec2 = moto.client("ec2", region)
        self.events = moto.client("events", region)
        self.ami = self.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.subnet = self.ec2.describe_subnets()["Subnets"][0]["SubnetId"]
        self.calls = []
        iam = moto.client("iam", region)
        for arn in (NODE_PROFILE, OTHER_PROFILE):  # moto's RunInstances wants the profile to exist
            try:
                iam.create_instance_profile(InstanceProfileName=arn.rsplit("/", 1)[1])
            except ClientError as e:
                assert e.response["Error"]["Code"] == "EntityAlreadyExists"

    def run_instances(self, annex_id, tags, count=1, profile=NODE_PROFILE, token=None):
        """RunInstances as annex sends it: annex's node profile and the annex
        id as ClientToken (`token` "" sends none, None the annex id). One
        call per instance: moto 5.2.1 gives the profile to the first
        instance of a call only (AWS gives it to every one)."""
        return [i for _ in range(count) for i in self.run_one(annex_id, tags, profile, token)]

    def run_one(self, annex_id, tags, profile, token):
        args = {"ImageId": self.ami, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
                "TagSpecifications": [{"ResourceType": "instance", "Tags": tags},
                                      {"ResourceType": "volume", "Tags": tags}]}
        if profile:
            args["IamInstanceProfile"] = {"Arn": profile}
        if token != "":
            args["ClientToken"] = annex_id if token is None else token
        return [i["InstanceId"] for i in self.ec2.run_instances(**args)["Instances"]]

    def launch(self, name, lease_tag, count=2, fleet=1, rule_lease=None, rule=True, id_only=False, template=False,
               fleet_role=FLEET_ROLE, template_name=None, extra_tags=()):
        """An annex like annex launches it: `count` on-demand instances, a
        Spot Fleet of `fleet` instances (0: none), the lease rule with one
        target. `lease_tag` None leaves out the LeaseExpiration tag;
        `id_only` tags htcondor:AnnexId alone. Returns a dict of ids."""
        annex_id = "%s_%s" % (name, uuid.uuid4())
        tags = [{"Key": "htcondor:AnnexId", "Value": annex_id}]
        if not id_only:
            tags.append({"Key": "htcondor:AnnexName", "Value": name})
        if lease_tag is not None:
            tags.append({"Key": "htcondor:LeaseExpiration", "Value": lease_tag})
        tags.extend({"Key": k, "Value": v} for k, v in extra_tags)
        out = {"id": annex_id, "name": name, "instances": [], "fleet": None, "fleet_instances": [], "template": None}
        if template:
            out["template"] = self.ec2.create_launch_template(
                LaunchTemplateName=template_name or "htcondor-annex-" + annex_id,
                LaunchTemplateData={"ImageId": self.ami, "MetadataOptions": {"HttpTokens": "required"}},
                TagSpecifications=[{"ResourceType": "launch-template", "Tags": tags}],
            )["LaunchTemplate"]["LaunchTemplateId"]
        if count:
            out["instances"] = self.run_instances(annex_id, tags, count)
        if fleet:
            fid = self.ec2.request_spot_fleet(SpotFleetRequestConfig={
                "IamFleetRole": fleet_role, "ClientToken": annex_id,
                "TargetCapacity": fleet, "AllocationStrategy": "lowestPrice",
                "TerminateInstancesWithExpiration": True,
                "LaunchSpecifications": [{"ImageId": self.ami, "InstanceType": "t3.micro", "SubnetId": self.subnet,
                                          "TagSpecifications": [{"ResourceType": "instance", "Tags": tags}]}],
                "TagSpecifications": [{"ResourceType": "spot-fleet-request", "Tags": tags}],
            })["SpotFleetRequestId"]
            out["fleet"] = fid
            out["fleet_instances"] = [i["InstanceId"] for i in
                                      self.ec2.describe_spot_fleet_instances(SpotFleetRequestId=fid)["ActiveInstances"]]
            assert len(out["fleet_instances"]) == fleet
        if rule:
            self.events.put_rule(Name=annex_id, ScheduleExpression="rate(5 minutes)", State="ENABLED",
                                 Tags=[{"Key": "htcondor:AnnexName", "Value": name},
                                       {"Key": "htcondor:AnnexId", "Value": annex_id}])
            self.events.put_targets(Rule=annex_id, Targets=[{
                "Id": annex_id, "Arn": FUNCTION_ARN % self.region,
                "Input": json.dumps(self.event(out, rule_lease or lease_tag or PAST))}])
        return out

    @staticmethod
    def event(annex, lease_value):
        return {"AnnexName": annex["name"], "AnnexId": annex["id"], "LeaseExpiration": lease_value}

    def states(self, ids):
        found = {}
        for r in self.ec2.describe_instances(InstanceIds=ids)["Reservations"]:
            for i in r["Instances"]:
                found[i["InstanceId"]] = i["State"]["Name"]
        return [found[i] for i in ids]

    def ended(self, ids):
        return all(s in ("shutting-down", "terminated") for s in self.states(ids))

    def running(self, ids):
        return all(s in ("pending", "running") for s in self.states(ids))

    def fleet_active(self, fid):
        for f in self.ec2.describe_spot_fleet_requests()["SpotFleetRequestConfigs"]:
            if f["SpotFleetRequestId"] == fid:
                return f["SpotFleetRequestState"] in ("submitted", "active", "modifying")
        return False

    def template_exists(self, tid):
        return any(t["LaunchTemplateId"] == tid for t in self.ec2.describe_launch_templates()["LaunchTemplates"])

    def rule_exists(self, name):
        try:
            self.events.describe_rule(Name=name)
            return True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFoundException"
            return False

    def targets(self, name):
        return [t["Id"] for t in self.events.list_targets_by_rule(Rule=name)["Targets"]]

    def run(self, event, fail=None, at=None, owner=None):
        """Run the function with recording clients; returns the report."""
        return lease.run(event, ec2=Recorder(self.ec2, self.calls, fail),
                         events=Recorder(self.events, self.calls, fail), now=at, owner=owner)

    def mutating_calls(self):
        return [c for c in self.calls if c[0] in MUTATING]

    def assert_untouched(self, a):
        assert self.running(a["instances"] + a["fleet_instances"])
        if a["fleet"]:
            assert self.fleet_active(a["fleet"])
        assert self.rule_exists(a["id"])
        assert self.targets(a["id"]) == [a["id"]]

    def assert_ended(self, a, rule_gone=True):
        assert self.ended(a["instances"] + a["fleet_instances"])
        if a["fleet"]:
            assert not self.fleet_active(a["fleet"])
        assert self.rule_exists(a["id"]) is not rule_gone


@pytest.fixture
def world(moto, fresh_region):
    return World(moto, fresh_region)


def fail_on(operation, match=None):
    """A `fail` predicate: the boto3 method `operation`, optionally only when
    `match(kwargs)` is true."""
    return lambda name, kwargs: name == operation and (match is None or match(kwargs))


def test_expired_annex_ended_through_handler_and_env_endpoint(moto, world, monkeypatch):
    a = world.launch("render", PAST, count=2, fleet=2)
    for k, v in moto.env().items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("AWS_REGION", world.region)
    for var in ("AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_ENDPOINT_URL_CLOUDWATCH_EVENTS"):
        monkeypatch.delenv(var, raising=False)
    report = lease.handler(world.event(a, PAST), None)
    world.assert_ended(a)
    assert report["Errors"] == []
    assert report["EndedAnnexes"] == [a["id"]]
    assert sorted(report["TerminatedInstances"]) == sorted(a["instances"])
    assert report["CancelledSpotFleetRequests"] == [a["fleet"]]
    assert report["RemovedTargets"] == [a["id"]]
    assert report["DeletedRule"] == a["id"]


def test_expired_annex_launch_template_deleted(world):
    a = world.launch("tmpl", PAST, count=1, fleet=1, template=True)
    b = world.launch("tmplnew", FUTURE, count=1, fleet=0, template=True)
    report = world.run(world.event(a, PAST))
    world.assert_ended(a)
    assert not world.template_exists(a["template"])
    assert report["DeletedLaunchTemplates"] == [a["template"]]
    assert world.template_exists(b["template"])
    assert report["Errors"] == []


def test_template_alone_of_an_expired_annex_deleted(world):
    """A launch template left behind (its fleet gone) carries the lease
    tag: the sweep finds it and deletes it."""
    a = world.launch("orphan", PAST, count=0, fleet=0, rule=False, template=True)
    other = world.launch("other", FUTURE, count=1, fleet=0)
    report = world.run(world.event(other, FUTURE))
    assert not world.template_exists(a["template"])
    assert report["DeletedLaunchTemplates"] == [a["template"]]


def test_template_kept_when_ending_the_annex_fails(world):
    a = world.launch("keeptmpl", PAST, count=1, fleet=0, template=True)
    report = world.run(world.event(a, PAST), fail=fail_on("terminate_instances"))
    assert world.template_exists(a["template"])
    assert report["DeletedLaunchTemplates"] == []
    assert world.rule_exists(a["id"])
    report = world.run(world.event(a, PAST))
    assert report["Errors"] == [] and report["DeletedLaunchTemplates"] == [a["template"]], report
    assert not world.template_exists(a["template"]) and not world.rule_exists(a["id"])


def test_unexpired_annex_untouched_without_mutating_call(world):
    b = world.launch("later", FUTURE)
    report = world.run(world.event(b, FUTURE))
    assert world.calls, "the function made no call at all"
    assert world.mutating_calls() == []
    assert report["EndedAnnexes"] == [] and report["Errors"] == []
    world.assert_untouched(b)


def test_expired_and_unexpired_side_by_side(world):
    a = world.launch("old", PAST)
    b = world.launch("new", FUTURE)
    report = world.run(world.event(a, PAST))
    world.assert_ended(a)
    world.assert_untouched(b)
    assert report["EndedAnnexes"] == [a["id"]]
    # The fleet is cancelled (terminating its instances) before the
    # on-demand instances go.
    names = [c[0] for c in world.mutating_calls()]
    assert names == ["cancel_spot_fleet_requests", "terminate_instances", "remove_targets", "delete_rule"]
    assert world.mutating_calls()[0][1] == {"SpotFleetRequestIds": [a["fleet"]], "TerminateInstances": True}


def test_tags_win_over_stale_expired_input(world):
    a = world.launch("extended", FUTURE, rule_lease=PAST)
    report = world.run(world.event(a, PAST))
    assert world.mutating_calls() == []
    assert report["EndedAnnexes"] == []
    world.assert_untouched(a)


def test_tags_win_over_stale_unexpired_input(world):
    a = world.launch("shortened", PAST, rule_lease=FUTURE)
    report = world.run(world.event(a, FUTURE))
    world.assert_ended(a)
    assert report["DeletedRule"] == a["id"]


def test_other_expired_annex_caught_but_its_rule_left_to_itself(world):
    mine = world.launch("mine", FUTURE)
    other = world.launch("other", PAST)
    report = world.run(world.event(mine, FUTURE))
    world.assert_untouched(mine)
    world.assert_ended(other, rule_gone=False)
    assert world.targets(other["id"]) == [other["id"]]
    assert report["EndedAnnexes"] == [other["id"]]
    assert report["DeletedRule"] is None
    # The other annex's own run then finds nothing left but its rule.
    world.calls.clear()
    report = world.run(world.event(other, PAST))
    assert [c[0] for c in world.mutating_calls()] == ["remove_targets", "delete_rule"]
    assert not world.rule_exists(other["id"])
    world.assert_untouched(mine)


def test_second_run_is_idempotent(world):
    a = world.launch("twice", PAST)
    first = world.run(world.event(a, PAST))
    assert first["DeletedRule"] == a["id"]
    world.calls.clear()
    second = world.run(world.event(a, PAST))
    assert world.mutating_calls() == []
    assert second["Errors"] == [] and second["DeletedRule"] is None
    world.assert_ended(a)


def test_input_lease_counts_when_no_resource_has_a_lease_tag(world):
    a = world.launch("untagged", None, fleet=0, rule_lease=PAST)
    world.run(world.event(a, PAST))
    world.assert_ended(a)
    b = world.launch("untagged2", None, fleet=0, rule_lease=FUTURE)
    world.calls.clear()
    world.run(world.event(b, FUTURE))
    assert world.mutating_calls() == []
    world.assert_untouched(b)


def test_partial_retag_uses_the_latest_lease(world):
    a = world.launch("partial", FUTURE, count=1, fleet=0)
    world.ec2.create_tags(Resources=a["instances"], Tags=[{"Key": "htcondor:LeaseExpiration", "Value": PAST}])
    extra = world.run_instances(a["id"], [{"Key": "htcondor:AnnexName", "Value": "partial"},
                                          {"Key": "htcondor:AnnexId", "Value": a["id"]},
                                          {"Key": "htcondor:LeaseExpiration", "Value": FUTURE}])
    ids = a["instances"] + extra
    world.run(world.event(a, PAST))
    assert world.mutating_calls() == []
    assert world.running(ids)


def test_instance_without_annex_id_left_alone(world):
    r = world.ec2.run_instances(ImageId=world.ami, MinCount=1, MaxCount=1, TagSpecifications=[{
        "ResourceType": "instance", "Tags": [{"Key": "htcondor:LeaseExpiration", "Value": PAST}]}])
    a = world.launch("neighbour", PAST, fleet=0)
    world.run(world.event(a, PAST))
    world.assert_ended(a)
    assert world.running([r["Instances"][0]["InstanceId"]])
    assert [c[1] for c in world.calls if c[0] == "terminate_instances"] == [{"InstanceIds": sorted(a["instances"])}]


def test_nothing_left_and_rule_gone_makes_no_mutating_call(world):
    a = {"id": "ghost_%s" % uuid.uuid4(), "name": "ghost"}
    report = world.run(world.event(a, PAST))
    assert world.mutating_calls() == []
    assert report["Errors"] == [] and report["EndedAnnexes"] == [a["id"]]
    assert "list_targets_by_rule" in [c[0] for c in world.calls]


def test_expired_input_with_only_the_rule_left_deletes_it(world):
    a = world.launch("leftover", PAST, count=0, fleet=0)
    report = world.run(world.event(a, PAST))
    assert report["DeletedRule"] == a["id"]
    assert not world.rule_exists(a["id"])


def test_terminate_error_leaves_the_rest_done_and_next_run_finishes(world):
    a = world.launch("flaky", PAST, count=2, fleet=1)
    c = world.launch("bystander", PAST, fleet=0, rule=False)
    report = world.run(world.event(a, PAST),
                       fail=fail_on("terminate_instances", lambda kw: a["instances"][0] in kw["InstanceIds"]))
    assert [(e["Operation"], e["Code"]) for e in report["Errors"]] == [("TerminateInstances", "InjectedFault")]
    assert a["instances"][0] in report["Errors"][0]["Resource"]
    assert world.running(a["instances"])
    assert not world.fleet_active(a["fleet"]) and world.ended(a["fleet_instances"])
    assert world.ended(c["instances"])
    # The rule is the retry timer: kept while anything of its annex failed.
    assert world.rule_exists(a["id"]) and world.targets(a["id"]) == [a["id"]]
    assert "delete_rule" not in [x[0] for x in world.calls]
    report = world.run(world.event(a, PAST))
    assert report["Errors"] == []
    world.assert_ended(a)


def test_cancel_error_leaves_the_rest_done(world):
    a = world.launch("nofleetcancel", PAST, count=2, fleet=1)
    report = world.run(world.event(a, PAST), fail=fail_on("cancel_spot_fleet_requests"))
    assert [e["Operation"] for e in report["Errors"]] == ["CancelSpotFleetRequests"]
    assert world.ended(a["instances"])
    assert world.fleet_active(a["fleet"])
    assert world.rule_exists(a["id"])


def test_describe_fleets_error_still_terminates_on_demand_instances(world):
    # A fleet's instance proves itself through its fleet (moto 5.2.1 gives
    # it neither the profile nor the EC2 fleet tag): with the fleets unseen
    # it waits for the next run.
    a = world.launch("blindfleet", PAST, count=2, fleet=1)
    report = world.run(world.event(a, PAST), fail=fail_on("describe_spot_fleet_requests"))
    assert [e["Operation"] for e in report["Errors"]] == ["DescribeSpotFleetRequests"]
    assert world.ended(a["instances"])
    assert world.running(a["fleet_instances"])
    assert [x["Resource"] for x in report["LeftAlone"]] == a["fleet_instances"]
    assert world.fleet_active(a["fleet"])
    assert world.rule_exists(a["id"])
    report = world.run(world.event(a, PAST))
    assert report["Errors"] == [] and report["LeftAlone"] == []
    world.assert_ended(a)


def test_describe_instances_error_never_falls_back_to_input_lease(world):
    # Instance tags (unseen when DescribeInstances fails) may have extended
    # the lease; the input's lease alone must not end the annex then.
    a = world.launch("blind", None, count=1, fleet=1, rule_lease=PAST)
    report = world.run(world.event(a, PAST), fail=fail_on("describe_instances"))
    assert {e["Operation"] for e in report["Errors"]} == {"DescribeInstances"}
    assert world.mutating_calls() == []
    world.assert_untouched(a)


def test_remove_targets_error_keeps_rule_until_next_run(world):
    a = world.launch("sticky", PAST)
    report = world.run(world.event(a, PAST), fail=fail_on("remove_targets"))
    assert [e["Operation"] for e in report["Errors"]] == ["RemoveTargets"]
    world.assert_ended(a, rule_gone=False)
    assert "delete_rule" not in [x[0] for x in world.calls]
    report = world.run(world.event(a, PAST))
    assert report["Errors"] == [] and report["DeletedRule"] == a["id"]
    assert not world.rule_exists(a["id"])


def test_delete_rule_error_reported_after_everything_else(world):
    a = world.launch("undeletable", PAST)
    report = world.run(world.event(a, PAST), fail=fail_on("delete_rule"))
    assert [e["Operation"] for e in report["Errors"]] == ["DeleteRule"]
    assert world.ended(a["instances"] + a["fleet_instances"])
    assert world.targets(a["id"]) == []
    assert report["DeletedRule"] is None


def test_handler_raises_after_doing_the_rest(world, monkeypatch):
    a = world.launch("loud", PAST, fleet=1)
    fail = fail_on("cancel_spot_fleet_requests")
    monkeypatch.setattr(lease, "make_client", lambda service: Recorder(
        world.ec2 if service == "ec2" else world.events, world.calls, fail))
    with pytest.raises(lease.LeaseFunctionError, match="CancelSpotFleetRequests"):
        lease.handler(world.event(a, PAST), None)
    assert world.ended(a["instances"])


def test_invalid_input_still_sweeps_by_tags(world, monkeypatch):
    c = world.launch("sweep", PAST, fleet=1, rule=False)
    report = world.run({"AnnexName": "x y", "LeaseExpiration": "soon"})
    ops = [e["Operation"] for e in report["Errors"]]
    assert ops == ["Input", "Input", "Input"]
    assert report["EndedAnnexes"] == [c["id"]]
    assert world.ended(c["instances"] + c["fleet_instances"])
    assert "list_targets_by_rule" not in [x[0] for x in world.calls]


def test_pagination_reaches_every_page(world, monkeypatch):
    monkeypatch.setattr(lease, "PAGE_SIZE", 5)
    monkeypatch.setattr(lease, "TERMINATE_BATCH", 4)
    a = world.launch("wide", PAST, count=0, fleet=0)
    ids = []
    for _ in range(11):  # one reservation each, so moto pages them
        ids += world.run_instances(a["id"], [{"Key": "htcondor:AnnexName", "Value": "wide"},
                                             {"Key": "htcondor:AnnexId", "Value": a["id"]},
                                             {"Key": "htcondor:LeaseExpiration", "Value": PAST}])
    world.events.put_targets(Rule=a["id"], Targets=[
        {"Id": "extra%d" % i, "Arn": FUNCTION_ARN % world.region} for i in range(4)])
    report = world.run(world.event(a, PAST))
    assert report["Errors"] == []
    assert world.ended(ids)
    assert sorted(report["TerminatedInstances"]) == sorted(ids)
    assert len([c for c in world.calls if c[0] == "describe_instances"]) >= 4
    assert len([c for c in world.calls if c[0] == "terminate_instances"]) == 3
    assert sorted(report["RemovedTargets"]) == sorted([a["id"]] + ["extra%d" % i for i in range(4)])
    assert not world.rule_exists(a["id"])


class LoopingTargets:
    """An EventBridge stand-in whose ListTargetsByRule hands back the token
    it was given (moto 5.2.1 does that when Limit is below the target
    count); records the calls."""

    def __init__(self):
        self.calls = []

    def list_targets_by_rule(self, **kwargs):
        self.calls.append(("list_targets_by_rule", kwargs))
        return {"Targets": [{"Id": "t"}], "NextToken": "same"}

    def __getattr__(self, name):
        def call(**kwargs):
            self.calls.append((name, kwargs))
            raise AssertionError("unexpected call " + name)
        return call


def test_repeated_next_token_stops_with_an_error(world):
    a = world.launch("loop", PAST, fleet=0, rule=False)
    events = LoopingTargets()
    report = lease.run(world.event(a, PAST), ec2=world.ec2, events=events)
    assert [(e["Operation"], e["Code"]) for e in report["Errors"]] == [("ListTargetsByRule", "PaginationError")]
    assert len(events.calls) == 2
    assert world.ended(a["instances"])


def test_lease_boundary_is_inclusive(world):
    at = datetime.datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)
    a = world.launch("edge", "2030-01-01T12:00:01Z", fleet=0)
    world.run(world.event(a, "2030-01-01T12:00:01Z"), at=at)
    assert world.mutating_calls() == []
    world.run(world.event(a, "2030-01-01T12:00:01Z"), at=at + datetime.timedelta(seconds=1))
    world.assert_ended(a)


@pytest.mark.parametrize("text,expected", [
    ("2026-11-25T23:00:00Z", datetime.datetime(2026, 11, 25, 23, 0, 0, tzinfo=UTC)),
    ("2026-11-25T23:00:00.250Z", datetime.datetime(2026, 11, 25, 23, 0, 0, 250000, tzinfo=UTC)),
    ("2026-11-26T01:00:00+02:00", datetime.datetime(2026, 11, 25, 23, 0, 0, tzinfo=UTC)),
    ("2026-11-25T23:00:00", datetime.datetime(2026, 11, 25, 23, 0, 0, tzinfo=UTC)),
    (1795647600, datetime.datetime(2026, 11, 25, 23, 0, 0, tzinfo=UTC)),
    ("1795647600", datetime.datetime(2026, 11, 25, 23, 0, 0, tzinfo=UTC)),
    ("tomorrow", None), ("", None), (None, None), (True, None), ("2026-13-01T00:00:00Z", None),
])
def test_parse_time(text, expected):
    assert lease.parse_time(text) == expected


@pytest.mark.parametrize("event,problems", [
    ({"AnnexName": "a", "AnnexId": "a_0f1e", "LeaseExpiration": "2026-11-25T23:00:00Z"}, 0),
    ({"AnnexId": "a_0f1e", "LeaseExpiration": "2026-11-25T23:00:00Z"}, 0),
    ({"AnnexName": "b", "AnnexId": "a_0f1e", "LeaseExpiration": "2026-11-25T23:00:00Z"}, 1),
    ({"AnnexName": "a", "AnnexId": "a", "LeaseExpiration": "2026-11-25T23:00:00Z"}, 1),
    ({"AnnexName": "a", "AnnexId": "a_0f1e"}, 1),
    ("not a dict", 1),
])
def test_parse_event(event, problems):
    assert len(lease.parse_event(event)[3]) == problems


def test_make_client_endpoint_from_environment(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_EVENTBRIDGE",
                "AWS_ENDPOINT_URL_CLOUDWATCH_EVENTS"):
        monkeypatch.delenv(var, raising=False)
    assert lease.make_client("ec2").meta.endpoint_url == "https://ec2.eu-west-1.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert lease.make_client("ec2").meta.endpoint_url == "http://127.0.0.1:1"
    assert lease.make_client("events").meta.endpoint_url == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", "http://127.0.0.1:2")
    monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:3")
    assert lease.make_client("ec2").meta.endpoint_url == "http://127.0.0.1:2"
    assert lease.make_client("events").meta.endpoint_url == "http://127.0.0.1:3"
    assert lease.make_client("ec2").meta.region_name == "eu-west-1"


# ---- forged tags (issue 18): only annex's own resources are ever ended ----

def forged_instance(world, annex, profile=None, token="", fleet_tag=None):
    """An instance someone else launched (another profile or none, its own
    token) and then tagged as a member of `annex`, lease expired."""
    tags = [{"Key": "htcondor:AnnexName", "Value": annex["name"]},
            {"Key": "htcondor:AnnexId", "Value": annex["id"]},
            {"Key": "htcondor:LeaseExpiration", "Value": PAST}]
    ids = world.run_instances(annex["id"], [{"Key": "Name", "Value": "database"}], profile=profile, token=token)
    world.ec2.create_tags(Resources=ids, Tags=tags)  # the attacker's only right: ec2:CreateTags
    return ids[0]


FORGERIES = [
    (None, ""),                       # no profile, no token
    (OTHER_PROFILE, ""),              # another profile
    (None, None),                     # annex's token (the annex id), no profile
    (OTHER_PROFILE, None),            # annex's token, another profile
    (NODE_PROFILE, ""),               # annex's profile, not annex's token
    (NODE_PROFILE, "some-other-token"),
]


def test_forged_members_of_an_expired_annex_survive(world):
    """One region, every kind of forgery (regions are few: conftest)."""
    a = world.launch("victim", PAST, count=1, fleet=1)
    dbs = [forged_instance(world, a, profile, token) for profile, token in FORGERIES]
    report = world.run(world.event(a, PAST))
    assert world.running(dbs), "an instance that is not annex's was ended"
    assert [c[1] for c in world.calls if c[0] == "terminate_instances"] == [{"InstanceIds": a["instances"]}]
    world.assert_ended(a)
    assert sorted(report["LeftAlone"], key=lambda x: x["Resource"]) == sorted(
        ({"Resource": db, "Type": "instance", "AnnexId": a["id"],
          "Reason": "not annex's (forged or foreign tags), left alone"} for db in dbs), key=lambda x: x["Resource"])
    assert report["Errors"] == []


def test_forged_annex_of_its_own_survives(world):
    """Tags naming an annex that never existed, lease expired: the sweep
    finds it and leaves it alone."""
    fake = {"name": "fake", "id": "fake_%s" % uuid.uuid4()}
    db = forged_instance(world, fake)
    b = world.launch("bystander", FUTURE, count=1, fleet=0)
    report = world.run(world.event(b, FUTURE))
    assert world.mutating_calls() == []
    assert world.running([db])
    assert [x["Resource"] for x in report["LeftAlone"]] == [db]


def test_forged_future_lease_cannot_keep_an_annex_alive(world):
    a = world.launch("keptalive", PAST, count=1, fleet=0)
    db = forged_instance(world, a)
    world.ec2.create_tags(Resources=[db], Tags=[{"Key": "htcondor:LeaseExpiration", "Value": FUTURE}])
    world.run(world.event(a, PAST))
    world.assert_ended(a)
    assert world.running([db])


def test_foreign_fleet_tagged_as_annex_is_not_cancelled(world):
    a = world.launch("fleetvictim", PAST, count=1, fleet=1,
                     fleet_role="arn:aws:iam::123456789012:role/SomeoneElsesFleetRole")
    report = world.run(world.event(a, PAST))
    assert "cancel_spot_fleet_requests" not in [c[0] for c in world.calls]
    assert world.fleet_active(a["fleet"]) and world.running(a["fleet_instances"])
    assert world.ended(a["instances"])
    left = {(x["Type"], x["Resource"]) for x in report["LeftAlone"]}
    assert ("spot-fleet-request", a["fleet"]) in left
    assert {("instance", i) for i in a["fleet_instances"]} <= left


def test_foreign_launch_template_tagged_as_annex_is_not_deleted(world):
    a = world.launch("tmplvictim", PAST, count=1, fleet=0, template=True, template_name="their-template")
    report = world.run(world.event(a, PAST))
    assert world.template_exists(a["template"])
    assert "delete_launch_template" not in [c[0] for c in world.calls]
    assert [x["Resource"] for x in report["LeftAlone"]] == [a["template"]]
    world.assert_ended(a)


def test_profile_from_the_environment_counts(world, monkeypatch):
    """condor_annex's reused profile: -setup passes it in
    NODE_PROFILE_ARNS; without it such an instance is left alone."""
    tags = [{"Key": "htcondor:AnnexName", "Value": "reused"}]
    a = world.launch("reused", PAST, count=0, fleet=0)
    tags += [{"Key": "htcondor:AnnexId", "Value": a["id"]}, {"Key": "htcondor:LeaseExpiration", "Value": PAST}]
    ids = world.run_instances(a["id"], tags, profile=OTHER_PROFILE)
    monkeypatch.delenv("NODE_PROFILE_ARNS", raising=False)
    report = world.run(world.event(a, PAST))
    assert world.running(ids) and [x["Resource"] for x in report["LeftAlone"]] == ids
    monkeypatch.setenv("NODE_PROFILE_ARNS", "arn:aws:iam::123456789012:instance-profile/x, " + OTHER_PROFILE)
    report = world.run(world.event(a, PAST))
    assert world.ended(ids) and report["LeftAlone"] == []


@pytest.mark.parametrize("inst,fleets,members,owned", [
    ({"InstanceId": "i-1", "IamInstanceProfile": {"Arn": NODE_PROFILE}, "ClientToken": "a_1"}, (), (), True),
    ({"InstanceId": "i-1", "IamInstanceProfile": {"Arn": NODE_PROFILE}, "ClientToken": "a_2"}, (), (), False),
    ({"InstanceId": "i-1", "ClientToken": "a_1"}, (), (), False),
    ({"InstanceId": "i-1", "IamInstanceProfile": {"Arn": NODE_PROFILE.replace("HTCondorAnnex-", "X")},
      "ClientToken": "a_1"}, (), (), False),
    ({"InstanceId": "i-1", "IamInstanceProfile": {"Arn": "arn:aws-cn:iam::210987654321:instance-profile/"
                                                         "HTCondorAnnex-InstanceProfile"}, "ClientToken": "a_1"},
     (), (), True),
    ({"InstanceId": "i-1", "IamInstanceProfile": {"Arn": NODE_PROFILE},
      "Tags": [{"Key": "aws:ec2spot:fleet-request-id", "Value": "sfr-9"}]}, (), (), True),
    ({"InstanceId": "i-1", "Tags": [{"Key": "aws:ec2spot:fleet-request-id", "Value": "sfr-9"}]}, (), (), False),
    ({"InstanceId": "i-1", "Tags": [{"Key": "aws:ec2spot:fleet-request-id", "Value": "sfr-9"}]},
     ("sfr-9",), (), True),
    ({"InstanceId": "i-1"}, ("sfr-9",), ("i-1",), True),
    ({"InstanceId": "i-1"}, ("sfr-9",), ("i-2",), False),
])
def test_owner_instance_rule(inst, fleets, members, owned):
    assert lease.Owner().instance(inst, "a_1", fleets, members) is owned


@pytest.mark.parametrize("cfg,owned", [
    ({"IamFleetRole": FLEET_ROLE}, True),
    ({"IamFleetRole": FLEET_ROLE, "ClientToken": "a_1"}, True),
    ({"IamFleetRole": FLEET_ROLE, "ClientToken": "b_1"}, False),
    ({"IamFleetRole": "arn:aws:iam::123456789012:role/Other"}, False),
    ({}, False),
])
def test_owner_fleet_rule(cfg, owned):
    assert lease.Owner().fleet({"SpotFleetRequestConfig": cfg}, "a_1") is owned
    other = "arn:aws:iam::123456789012:role/Other"
    assert lease.Owner.from_environment({"FLEET_ROLE_ARNS": other}).fleet_role(other)


# ---- the budget (-max-cost): htcondor:BudgetUSD against the accrued cost ----

BUDGET_TAGS = (("htcondor:BudgetUSD", "1.5"), ("htcondor:PriceUSDPerHour", "m5.large=2,t3.micro=0.25"))


def launch_times(world, ids):
    found = {}
    for r in world.ec2.describe_instances(InstanceIds=ids)["Reservations"]:
        for i in r["Instances"]:
            found[i["InstanceId"]] = i["LaunchTime"]
    return [found[i] for i in ids]


def test_budget(world):
    """Five annexes side by side in one region (the function sweeps every
    annex of it), the function's clock 2 h after the launches:

    - over: 2 on-demand + 1 fleet instance of t3.micro at $0.25/h against
      $1.50 have accrued 3 x 2 x 0.25 = $1.50, the budget: everything ends as
      at a lease's end (fleet cancelled, instances terminated, template
      deleted, rule removed) and the report says Budget;
    - under: one such instance, $0.50 of $1.50: untouched;
    - bothends: lease passed and over a $0.10 budget: the reason is Lease;
    - own: a forged instance (another profile) priced $1000/h adds nothing,
      an instance with no price tag is counted as unpriced, and a type the
      map does not list (t3.micro in "m5.large=2") is priced at the map's
      highest: 2 h x $2 = $4 of $100;
    - forged: a budget tag only on a forged instance counts for nothing.
    """
    over = world.launch("over", FUTURE, count=2, fleet=1, template=True, extra_tags=BUDGET_TAGS)
    under = world.launch("under", FUTURE, count=1, fleet=0, extra_tags=BUDGET_TAGS)
    both = world.launch("bothends", PAST, count=1, fleet=0, extra_tags=(
        ("htcondor:BudgetUSD", "0.1"), ("htcondor:PriceUSDPerHour", "t3.micro=0.25")))
    own = world.launch("own", FUTURE, count=1, fleet=0, extra_tags=(
        ("htcondor:BudgetUSD", "100"), ("htcondor:PriceUSDPerHour", "m5.large=2")))
    base = [{"Key": "htcondor:AnnexId", "Value": own["id"]}, {"Key": "htcondor:AnnexName", "Value": "own"},
            {"Key": "htcondor:LeaseExpiration", "Value": FUTURE}]
    own_forged = world.run_instances(own["id"], base + [{"Key": "htcondor:PriceUSDPerHour",
                                                         "Value": "t3.micro=1000"}], 1, profile=OTHER_PROFILE)
    own_unpriced = world.run_instances(own["id"], base, 1)
    forged = world.launch("forged", FUTURE, count=1, fleet=0,
                          extra_tags=(("htcondor:PriceUSDPerHour", "t3.micro=9"),))
    world.run_instances(forged["id"], [{"Key": "htcondor:AnnexId", "Value": forged["id"]},
                                       {"Key": "htcondor:AnnexName", "Value": "forged"},
                                       {"Key": "htcondor:BudgetUSD", "Value": "0.01"}], 1, profile=OTHER_PROFILE)
    over_ids = over["instances"] + over["fleet_instances"]
    at = max(launch_times(world, over_ids)) + datetime.timedelta(hours=2)

    report = world.run(world.event(over, FUTURE), at=at)

    world.assert_ended(over)
    assert not world.template_exists(over["template"])
    assert sorted(report["EndedAnnexes"]) == sorted([over["id"], both["id"]])
    assert report["EndReasons"] == {over["id"]: "Budget", both["id"]: "Lease"}
    got = report["Budgets"][over["id"]]
    expected = sum((at - t).total_seconds() / 3600 * 0.25 for t in launch_times(world, over_ids))
    assert got["BudgetUSD"] == 1.5 and got["UnpricedInstances"] == 0
    assert abs(got["AccruedUSD"] - expected) < 1e-4 and got["AccruedUSD"] >= 1.5
    assert report["CancelledSpotFleetRequests"] == [over["fleet"]]
    assert report["DeletedRule"] == over["id"] and report["Errors"] == []

    world.assert_untouched(under)
    assert 0.45 < report["Budgets"][under["id"]]["AccruedUSD"] < 0.55

    assert world.ended(both["instances"])

    got = report["Budgets"][own["id"]]
    assert abs(got["AccruedUSD"] - 4) < 0.05 and got["UnpricedInstances"] == 1
    assert world.running(own["instances"] + own_forged + own_unpriced)

    assert forged["id"] not in report["Budgets"] and world.running(forged["instances"])


@pytest.mark.parametrize("value, expected", [
    ("m5.large=0.096", {"m5.large": 0.096}),
    ("c7i.4xlarge=0.714,m5.large=0.096", {"c7i.4xlarge": 0.714, "m5.large": 0.096}),
    ("m5.large=abc,c5.large=0.1,=3,x", {"c5.large": 0.1}),
    ("", {}), (None, {}),
])
def test_parse_prices(value, expected):
    assert lease.parse_prices(value) == expected


@pytest.mark.parametrize("value, expected", [("1.5", 1.5), ("0", None), ("-2", None), ("x", None), (None, None),
                                             ("inf", None)])
def test_parse_budget(value, expected):
    assert lease.parse_budget(value) == expected


# ---- EC2 Fleets (issue 21): instant CreateFleet launches ----

def ec2_fleet(world, annex_id, tags, count, token, template_name, profile=None):
    """An instant EC2 Fleet as annex's EC2 Fleet back-end makes one: a
    launch template (here without a profile unless given, so that only
    fleet membership can prove its instances annex's), then CreateFleet
    with the ClientToken and instance and fleet tags. tests/lib/motopatch
    gives the instances EC2's aws:ec2:fleet-id tag, as AWS does."""
    data = {"ImageId": world.ami, "InstanceType": "t3.micro"}
    if profile:
        data["IamInstanceProfile"] = {"Arn": profile}
    try:
        world.ec2.create_launch_template(LaunchTemplateName=template_name, LaunchTemplateData=data,
                                         TagSpecifications=[{"ResourceType": "launch-template", "Tags": tags}])
    except ClientError as e:
        assert "AlreadyExists" in e.response["Error"]["Code"]
    reply = world.ec2.create_fleet(
        Type="instant", ClientToken=token,
        TargetCapacitySpecification={"TotalTargetCapacity": count, "DefaultTargetCapacityType": "on-demand"},
        LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateName": template_name,
                                                                "Version": "1"},
                                "Overrides": [{"InstanceType": "t3.micro"}]}],
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}, {"ResourceType": "fleet", "Tags": tags}])
    return reply["FleetId"], [i for g in reply.get("Instances", []) for i in g["InstanceIds"]]


def test_expired_ec2_fleet_annex_ended_and_forged_members_left(world):
    """The annex's own instant fleets (its ClientToken and the fallback's,
    annex's template) end with their instances, whatever their profile; a
    fleet of someone else's (another token or template) tagged as the annex,
    and an instance merely tagged so, are left alone."""
    a = world.launch("ec2fleet", PAST, count=0, fleet=0)
    tags = [{"Key": "htcondor:AnnexName", "Value": "ec2fleet"}, {"Key": "htcondor:AnnexId", "Value": a["id"]},
            {"Key": "htcondor:LeaseExpiration", "Value": PAST}]
    own_name = "htcondor-annex-" + a["id"]
    own, own_ids = ec2_fleet(world, a["id"], tags, 2, a["id"], own_name)
    fallback, fallback_ids = ec2_fleet(world, a["id"], tags, 1, ("od-" + a["id"])[:64], own_name)
    foreign, foreign_ids = ec2_fleet(world, a["id"], tags, 1, "someone-elses-token", own_name)
    other_tpl, other_tpl_ids = ec2_fleet(world, a["id"], tags, 1, a["id"], "their-template")
    db = forged_instance(world, a)
    # a bystander whose lease has not passed (annex's profile: the other route)
    b = world.launch("ec2keep", FUTURE, count=0, fleet=0)
    btags = [{"Key": "htcondor:AnnexName", "Value": "ec2keep"}, {"Key": "htcondor:AnnexId", "Value": b["id"]},
             {"Key": "htcondor:LeaseExpiration", "Value": FUTURE}]
    kept, kept_ids = ec2_fleet(world, b["id"], btags, 1, b["id"], "htcondor-annex-" + b["id"], profile=NODE_PROFILE)
    report = world.run(world.event(a, PAST))
    assert world.running(kept_ids) and kept not in report["DeletedEC2Fleets"]
    assert world.ended(own_ids + fallback_ids)
    assert world.running(foreign_ids + other_tpl_ids + [db]), "an instance that is not annex's was ended"
    assert sorted(report["DeletedEC2Fleets"]) == sorted([own, fallback])
    left = {(x["Type"], x["Resource"]) for x in report["LeftAlone"]}
    assert {("fleet", foreign), ("fleet", other_tpl), ("instance", db)} <= left
    assert {("instance", i) for i in foreign_ids + other_tpl_ids} <= left
    assert not world.rule_exists(a["id"])
    assert report["Errors"] == []
    delete_calls = [c[1] for c in world.calls if c[0] == "delete_fleets"]
    assert delete_calls == [{"FleetIds": sorted([own, fallback]), "TerminateInstances": True}]



class _DeleteFleetsReply:
    """An EC2 client whose DeleteFleets answers `reply` (AWS's 200 with
    UnsuccessfulFleetDeletions, which moto never sends)."""

    def __init__(self, reply):
        self.reply, self.calls = reply, []

    def delete_fleets(self, **kwargs):
        self.calls.append(kwargs)
        return self.reply


@pytest.mark.parametrize("code,failed", [("fleetIdDoesNotExist", False), ("fleetNotInDeletableState", True),
                                         ("unexpectedError", True)])
def test_delete_fleets_unsuccessful(code, failed):
    """A fleet DeleteFleets did not delete is an error that keeps the
    annex's rule for the next run, except one that no longer exists; every
    batch of 25 (AWS's limit for instant fleets) is asked."""
    ec2 = _DeleteFleetsReply({"SuccessfulFleetDeletions": [{"FleetId": "fleet-1"}],
                              "UnsuccessfulFleetDeletions": [{"FleetId": "fleet-2",
                                                              "Error": {"Code": code, "Message": "m"}}]})
    r = lease.Run(ec2, None, now(), lease.Owner())
    r.delete_ec2_fleets("a1", ["fleet-%d" % i for i in range(30)])
    assert [len(c["FleetIds"]) for c in ec2.calls] == [25, 5]
    assert all(c["TerminateInstances"] is True for c in ec2.calls)
    assert ("a1" in r.failed_annexes) == failed
    assert [e["Code"] for e in r.report["Errors"]] == ([code, code] if failed else [])
