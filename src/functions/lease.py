"""lease.py - annex's lease function (AWS Lambda, handler `lease.handler`).

Runtime python3.12 (also runs on 3.11); needs only boto3, which the Lambda
runtime provides. `annex -setup` deploys it as HTCondorAnnex-LeaseFunction;
every launch creates a CloudWatch Events (EventBridge) rule named by the
annex id, `rate(5 minutes)`, whose one target calls this function with the
constant input

    {"AnnexName": "X", "AnnexId": "X_<uuid>",
     "LeaseExpiration": "2026-11-25T23:00:00Z"}

(docs/lease-function.md has the contract). Each run:

1. finds the instances tagged `htcondor:AnnexId` = AnnexId and every
   instance of any annex carrying a `htcondor:LeaseExpiration` tag, not
   counting those already shutting down or terminated, every Spot Fleet
   request tagged `htcondor:AnnexId` that is still submitted, active or
   modifying, every EC2 Fleet (CreateFleet, an -instance-types or -spot
   launch) so tagged that is not deleted, and every launch template tagged
   `htcondor:AnnexId` (a fleet launch makes one);
2. groups them by annex id; an annex's lease is the latest
   `htcondor:LeaseExpiration` among its live resources (tags are
   authoritative: a lease change rewrites them, and a change that retagged
   only part of an annex never ends it early); only when none of them
   carries a readable tag does the input's LeaseExpiration count, only for
   the input's own annex, and only when every Describe call succeeded (an
   unseen tag may have extended the lease);
   only resources that are annex's own count (`Owner`, below): a forged
   tag can neither end an instance nor keep an annex alive;
3. for every annex whose lease has passed (lease <= now), or whose
   accrued cost reached its htcondor:BudgetUSD (`Budget`, below): cancels its Spot
   Fleet requests with TerminateInstances=true, then terminates its other
   instances (those of a fleet just cancelled are its fleet's to end),
   then deletes its EC2 Fleets (DeleteFleets, TerminateInstances=true, as
   AWS requires of an instant fleet); then, when every step for it
   succeeded, deletes its launch templates (nothing launches from them any
   more);
4. when the input's annex has ended and every step for it succeeded,
   removes the targets of the rule named AnnexId and deletes the rule. The
   rule is the function's own retry timer, so it goes last and stays when
   anything failed: the next run, five minutes later, tries again.

Budget (-max-cost): the annex's own resources carry htcondor:BudgetUSD and
its instances htcondor:PriceUSDPerHour ("TYPE=USD,..."). The accrued cost
is the sum over the annex's own live instances of the hours since each
one's LaunchTime x its type's quoted price; an instance that has ended
(and so left DescribeInstances) no longer counts, so the sum is a lower
bound of the spend. At the budget the annex ends as at its lease's end;
report["EndReasons"] says which ("Lease" or "Budget") and report["Budgets"]
the numbers.

Ownership (docs/security.md, "Forged tags"): tags are only the index. An
instance is annex's when its instance profile is annex's node profile and
its launch ClientToken is its own htcondor:AnnexId tag (RunInstances) or
it carries the `aws:ec2spot:fleet-request-id` tag that only EC2 can set (a
Spot Fleet's), or when it belongs to a Spot Fleet request that is annex's
(listed by DescribeSpotFleetInstances, or named by that tag); a fleet request is annex's when it runs with
annex's fleet role (and, where the reply shows it, its ClientToken is its
annex id); a launch template when its name is `htcondor-annex-<annex id>`.
An EC2 Fleet is annex's when its ClientToken is its annex id (or the
on-demand fallback's token, `od-` + the first 61 characters of the annex
id) and every launch template it names is the annex's own; an instance is
then annex's also when it is one of such a fleet's (EC2's
`aws:ec2:fleet-id` tag names it, or DescribeFleets lists it: AWS's
DescribeFleetInstances does not serve instant fleets), or when it has
annex's node profile and carries the `aws:ec2:fleet-id` tag.
Anything else that carries annex's tags is reported under LeftAlone and
never touched. Annex's node profiles and fleet roles are
NODE_PROFILE_ARNS / FLEET_ROLE_ARNS (comma-separated, set by
`annex -setup` in the function's environment) plus annex's own names,
HTCondorAnnex-InstanceProfile and HTCondorAnnex-SpotFleetRole, in the
account (an instance can carry only a profile of its own account).

A run with nothing to do makes only Describe/List calls. An API error on
one piece is logged and recorded; the other pieces are still done. The run
returns (and logs as one JSON line) a report; `handler` raises after doing
all it could when the report holds errors, so that Lambda counts the
invocation as failed. Every step is idempotent.

All AWS clients come from `make_client`, which honours AWS_ENDPOINT_URL_EC2
/ AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL (botocore before 1.28 does
not read them itself); the tests point the function at a local emulator
that way. Pagination is done by hand (NextToken, `paginate`) so that a
wrapped client sees every call and a repeated token cannot loop until the
function's timeout.
"""
import datetime
import json
import logging
import os
import re

import boto3
from botocore.exceptions import ClientError

TAG_NAME = "htcondor:AnnexName"
TAG_ID = "htcondor:AnnexId"
TAG_LEASE = "htcondor:LeaseExpiration"
TAG_BUDGET = "htcondor:BudgetUSD"        # -max-cost: the annex's ceiling in dollars
TAG_PRICE = "htcondor:PriceUSDPerHour"   # "TYPE=USD[,TYPE=USD...]": what the launch was quoted

TAG_FLEET = "aws:ec2spot:fleet-request-id"   # set by EC2 only: users cannot create aws: tags
TAG_EC2_FLEET = "aws:ec2:fleet-id"            # an EC2 Fleet's instance; set by EC2 only
TEMPLATE_PREFIX = "htcondor-annex-"           # launch_template_name in annex
FALLBACK_TOKEN_PREFIX = "od-"                 # launch_ec2fleet_fallback_token in annex
OWN_PROFILE_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:instance-profile/HTCondorAnnex-InstanceProfile$")
OWN_FLEET_ROLE_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/HTCondorAnnex-SpotFleetRole$")
LEFT_ALONE = "not annex's (forged or foreign tags), left alone"

LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]
ACTIVE_FLEET_STATES = ("submitted", "active", "modifying")

PAGE_SIZE = 1000          # DescribeInstances MaxResults (5..1000)
TERMINATE_BATCH = 500     # instance ids per TerminateInstances call
CANCEL_BATCH = 100        # fleet ids per CancelSpotFleetRequests call
DELETE_FLEETS_BATCH = 25  # instant fleet ids per DeleteFleets call (AWS's limit)
DESCRIBE_FLEETS_BATCH = 100  # fleet ids per DescribeFleets call
REMOVE_TARGETS_BATCH = 100  # EventBridge's limit per RemoveTargets call
LIST_TARGETS_LIMIT = 100    # ListTargetsByRule page size (1..100)

ANNEX_NAME_RE = re.compile(r"^[A-Za-z0-9.-]{1,27}$")
ANNEX_ID_RE = re.compile(r"^[A-Za-z0-9.-]{1,27}_[A-Za-z0-9-]{1,36}$")

ENDPOINT_VARS = {
    "ec2": ("AWS_ENDPOINT_URL_EC2",),
    "events": ("AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_ENDPOINT_URL_CLOUDWATCH_EVENTS"),
}

log = logging.getLogger("annex.lease")
log.setLevel(logging.INFO)


class Owner:
    """What makes a resource annex's own: the node instance profiles and
    Spot Fleet roles annex launches with (annex's own names always count;
    `profiles` / `fleet_roles` add ARNs, e.g. condor_annex's reused
    profile, which -setup passes in the environment)."""

    def __init__(self, profiles=(), fleet_roles=()):
        self.profiles = {p for p in profiles if p}
        self.fleet_roles = {r for r in fleet_roles if r}

    @classmethod
    def from_environment(cls, env=None):
        env = os.environ if env is None else env

        def arns(var):
            return [a.strip() for a in env.get(var, "").split(",") if a.strip()]
        return cls(arns("NODE_PROFILE_ARNS"), arns("FLEET_ROLE_ARNS"))

    def profile(self, arn):
        return isinstance(arn, str) and (arn in self.profiles or bool(OWN_PROFILE_RE.match(arn)))

    def fleet_role(self, arn):
        return isinstance(arn, str) and (arn in self.fleet_roles or bool(OWN_FLEET_ROLE_RE.match(arn)))

    def fleet(self, fleet, annex_id):
        """A Spot Fleet request (DescribeSpotFleetRequests item) is annex's:
        annex's fleet role, and its ClientToken, when the reply shows one,
        is the annex id (annex sends the annex id as the fleet's token)."""
        cfg = fleet.get("SpotFleetRequestConfig") or {}
        token = cfg.get("ClientToken")
        return self.fleet_role(cfg.get("IamFleetRole")) and (not token or token == annex_id)

    @staticmethod
    def ec2_fleet(fleet, annex_id):
        """An EC2 Fleet (DescribeFleets item) is annex's: its ClientToken is
        the annex id or the fallback's token derived from it, and every
        launch template it names is the annex's own."""
        token = fleet.get("ClientToken")
        configs = fleet.get("LaunchTemplateConfigs") or []
        names = [(c.get("LaunchTemplateSpecification") or {}).get("LaunchTemplateName") for c in configs]
        return (token in (annex_id, (FALLBACK_TOKEN_PREFIX + annex_id)[:64]) and bool(names) and
                all(n == TEMPLATE_PREFIX + annex_id for n in names))

    def instance(self, inst, annex_id, fleet_ids, members):
        """An instance (DescribeInstances item) is annex's: a member of one
        of the annex's own fleets `fleet_ids` (named by the EC2-set fleet
        tag, or in `members`, the fleets' listed instances), or annex's
        node profile and either its ClientToken the annex id (RunInstances)
        or the EC2-set fleet tag (a Spot Fleet instance whose request is
        not listed, e.g. when DescribeSpotFleetRequests failed)."""
        fleet_tag = tags_of(inst).get(TAG_FLEET) or tags_of(inst).get(TAG_EC2_FLEET)
        if fleet_tag in fleet_ids or inst.get("InstanceId") in members:
            return True
        profile = (inst.get("IamInstanceProfile") or {}).get("Arn")
        return self.profile(profile) and (inst.get("ClientToken") == annex_id or bool(fleet_tag))

    @staticmethod
    def template(template, annex_id):
        return template.get("LaunchTemplateName") == TEMPLATE_PREFIX + annex_id


class LeaseFunctionError(Exception):
    """Raised by `handler` after a run in which some step failed."""


def make_client(service):
    """A boto3 client for `service` ("ec2" or "events") in the function's
    region, pointed at AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL when
    one is set (the emulator in tests), else at AWS's regional endpoint."""
    endpoint = None
    for var in ENDPOINT_VARS.get(service, ()) + ("AWS_ENDPOINT_URL",):
        if os.environ.get(var):
            endpoint = os.environ[var]
            break
    kwargs = {}
    if endpoint:
        kwargs["endpoint_url"] = endpoint
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        kwargs["region_name"] = region
    return boto3.client(service, **kwargs)


def parse_time(value):
    """The instant an ISO 8601 string (`2026-11-25T23:00:00Z`, an offset,
    fractional seconds; no zone means UTC) or a number of seconds since the
    epoch stands for, as an aware UTC datetime; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        return parse_time(float(text))
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.astimezone(datetime.timezone.utc)


def iso(when):
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_code(exc):
    """AWS's error code of a failed call, or the exception's class name."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", "Unknown")
    return type(exc).__name__


class PaginationError(Exception):
    """A service handed back the NextToken it was just given."""


def paginate(call, args, items):
    """Every item of every page of `call(**args)`, `items(page)` picking a
    page's items; follows NextToken, and stops with PaginationError when a
    token repeats (a loop that would otherwise run until Lambda's timeout)."""
    found, args, seen = [], dict(args), set()
    while True:
        page = call(**args)
        found.extend(items(page))
        token = page.get("NextToken")
        if not token:
            return found
        if token in seen:
            raise PaginationError("NextToken repeated; pagination does not advance")
        seen.add(token)
        args["NextToken"] = token


def parse_budget(value):
    """The dollars of a htcondor:BudgetUSD tag; None when absent or not a
    positive number."""
    try:
        usd = float(value)
    except (TypeError, ValueError):
        return None
    return usd if usd > 0 and usd != float("inf") else None


def parse_prices(value):
    """type -> hourly USD from a htcondor:PriceUSDPerHour tag
    ("m5.large=0.096,c5.xlarge=0.17"); malformed pairs are skipped."""
    prices = {}
    for pair in (value or "").split(","):
        kind, _, usd = pair.partition("=")
        try:
            usd = float(usd)
        except ValueError:
            continue
        if kind and usd >= 0 and usd != float("inf"):
            prices[kind] = usd
    return prices


def instance_price(inst):
    """The hourly price an instance was quoted: its own type's in its price
    tag, else (a type the 256-character tag had no room for, which annex
    leaves out only when cheaper than every type listed) the highest the
    tag lists, an upper bound; None when it carries no readable price."""
    prices = parse_prices(tags_of(inst).get(TAG_PRICE))
    if not prices:
        return None
    return prices.get(inst.get("InstanceType"), max(prices.values()))


def accrued_cost(instances, now):
    """(dollars, unpriced): the sum over `instances` (DescribeInstances
    items) of the hours since each one's LaunchTime x its quoted price, and
    how many carry no price (left out of the sum)."""
    total, unpriced = 0.0, 0
    for inst in instances:
        price = instance_price(inst)
        launched = inst.get("LaunchTime")
        if not isinstance(launched, datetime.datetime):
            launched = parse_time(launched)
        elif launched.tzinfo is None:
            launched = launched.replace(tzinfo=datetime.timezone.utc)
        if price is None or launched is None:
            unpriced += 1
            continue
        total += max(0.0, (now - launched).total_seconds()) / 3600.0 * price
    return total, unpriced


def tags_of(resource):
    return {t.get("Key"): t.get("Value") for t in resource.get("Tags") or []}


def parse_event(event):
    """(annex name, annex id, lease datetime, problems) from the rule's
    input. A missing or malformed field gives None for it and one line in
    problems; the run still sweeps by tags."""
    problems = []
    if not isinstance(event, dict):
        return None, None, None, ["input is not a JSON object"]
    name, annex_id, lease = event.get("AnnexName"), event.get("AnnexId"), None
    if name is not None and not (isinstance(name, str) and ANNEX_NAME_RE.match(name)):
        problems.append("AnnexName %r is not a valid annex name" % (name,))
        name = None
    if not (isinstance(annex_id, str) and ANNEX_ID_RE.match(annex_id)):
        problems.append("AnnexId %r is missing or not of the form NAME_UUID" % (annex_id,))
        annex_id = None
    elif name is not None and not annex_id.startswith(name + "_"):
        problems.append("AnnexId %r does not belong to AnnexName %r" % (annex_id, name))
        annex_id = None
    if "LeaseExpiration" in event:
        lease = parse_time(event["LeaseExpiration"])
        if lease is None:
            problems.append("LeaseExpiration %r is not an ISO 8601 time" % (event["LeaseExpiration"],))
    else:
        problems.append("LeaseExpiration is missing")
    return name, annex_id, lease, problems


class Run:
    """One invocation: the clients, the clock, and the report being built."""

    def __init__(self, ec2, events, now, owner):
        self.ec2, self.events, self.now, self.owner = ec2, events, now, owner
        self.report = {
            "Now": iso(now),
            "AnnexId": None,
            "EndedAnnexes": [],
            "EndReasons": {},
            "Budgets": {},
            "TerminatedInstances": [],
            "CancelledSpotFleetRequests": [],
            "DeletedEC2Fleets": [],
            "DeletedLaunchTemplates": [],
            "RemovedTargets": [],
            "DeletedRule": None,
            "LeftAlone": [],
            "Errors": [],
        }
        self.failed_annexes = set()
        self.describe_failed = False

    def error(self, operation, resource, exc, annex_id=None):
        """Record (and log) a failed step; `annex_id` marks that annex as
        not fully ended, which keeps its rule for the next run."""
        if isinstance(exc, ClientError):
            code, message = error_code(exc), exc.response.get("Error", {}).get("Message", "")
        elif isinstance(exc, ValueError):
            code, message = "Invalid", str(exc)
        else:
            code, message = type(exc).__name__, str(exc)[:300]
        entry = {"Operation": operation, "Resource": resource, "Code": code, "Message": message}
        self.report["Errors"].append(entry)
        log.error(json.dumps(entry))
        if annex_id:
            self.failed_annexes.add(annex_id)

    def describe_instances(self, filters):
        """Every instance matching `filters` in a live state; None on error."""
        args = {"Filters": filters + [{"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}],
                "MaxResults": PAGE_SIZE}
        try:
            return paginate(self.ec2.describe_instances, args,
                            lambda page: [i for r in page.get("Reservations", []) for i in r.get("Instances", [])])
        except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
            self.error("DescribeInstances", json.dumps(filters), exc)
            self.describe_failed = True
            return None

    def describe_fleets(self):
        """Every Spot Fleet request of the region; None on error."""
        try:
            return paginate(self.ec2.describe_spot_fleet_requests, {},
                            lambda page: page.get("SpotFleetRequestConfigs", []))
        except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
            self.error("DescribeSpotFleetRequests", "*", exc)
            self.describe_failed = True
            return None

    def describe_ec2_fleets(self, fleet_ids):
        """The EC2 Fleets `fleet_ids` (DescribeFleets has no tag filter, and
        AWS shows an instant fleet only when asked for it by id: the ids
        come from EC2's aws:ec2:fleet-id tag on the instances); None on
        error. A batch AWS refuses is asked again one id at a time, so that
        one fleet AWS no longer knows (InvalidFleetId.NotFound) hides no
        other."""
        fleets, failed = [], False
        ids = sorted(fleet_ids)
        for i in range(0, len(ids), DESCRIBE_FLEETS_BATCH):
            chunk = ids[i:i + DESCRIBE_FLEETS_BATCH]
            try:
                fleets += paginate(self.ec2.describe_fleets, {"FleetIds": chunk}, lambda page: page.get("Fleets", []))
                continue
            except Exception:  # noqa: BLE001 - asked again one by one below
                pass
            for fid in chunk:
                try:
                    fleets += paginate(self.ec2.describe_fleets, {"FleetIds": [fid]},
                                       lambda page: page.get("Fleets", []))
                except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
                    if not error_code(exc).startswith("InvalidFleetId"):
                        self.error("DescribeFleets", fid, exc)
                        failed = True
        if failed:
            self.describe_failed = True
            return None
        return fleets

    def describe_templates(self):
        """Every launch template tagged htcondor:AnnexId; None on error."""
        try:
            return paginate(self.ec2.describe_launch_templates,
                            {"Filters": [{"Name": "tag-key", "Values": [TAG_ID]}]},
                            lambda page: page.get("LaunchTemplates", []))
        except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
            self.error("DescribeLaunchTemplates", "*", exc)
            self.describe_failed = True
            return None

    def gather(self, input_id):
        """annex id -> {"instances": [...], "fleets": [...], "templates":
        [...], "leases": [...]} for every annex with live resources (and the
        input's, even empty)."""
        annexes = {}

        def slot(annex_id):
            return annexes.setdefault(annex_id, {"instances": {}, "fleets": {}, "ec2_fleets": {}, "templates": {},
                                                 "leases": []})

        def add(kind, key, obj):
            """Files obj under its annex id tag (once), with its lease tag;
            False when it has no annex id."""
            tags = tags_of(obj)
            annex_id = tags.get(TAG_ID)
            if not annex_id:
                return False
            entry = slot(annex_id)
            if key not in entry[kind]:
                entry[kind][key] = obj
                lease = parse_time(tags.get(TAG_LEASE))
                if lease:
                    entry["leases"].append(lease)
            return True

        if input_id:
            slot(input_id)
        batches = []
        if input_id:
            batches.append(self.describe_instances([{"Name": "tag:" + TAG_ID, "Values": [input_id]}]))
        batches.append(self.describe_instances([{"Name": "tag-key", "Values": [TAG_LEASE]}]))
        for batch in batches:
            for inst in batch or []:
                if not add("instances", inst["InstanceId"], inst):
                    log.info("instance %s has a %s tag but no %s tag; left alone",
                             inst["InstanceId"], TAG_LEASE, TAG_ID)
        for fleet in self.describe_fleets() or []:
            if fleet.get("SpotFleetRequestState") in ACTIVE_FLEET_STATES:
                add("fleets", fleet["SpotFleetRequestId"], fleet)
        fleet_ids = {tags_of(i).get(TAG_EC2_FLEET) for e in annexes.values() for i in e["instances"].values()}
        fleet_ids.discard(None)
        for fleet in self.describe_ec2_fleets(fleet_ids) or []:
            if not str(fleet.get("FleetState", "")).startswith("deleted"):
                add("ec2_fleets", fleet["FleetId"], fleet)
        for template in self.describe_templates() or []:
            add("templates", template["LaunchTemplateId"], template)
        return annexes

    def fleet_members(self, annex_id, fleet_id):
        """The ids of the instances Spot Fleet request `fleet_id` runs; None
        (and an error) when they cannot be listed."""
        try:
            return paginate(self.ec2.describe_spot_fleet_instances, {"SpotFleetRequestId": fleet_id},
                            lambda page: [i["InstanceId"] for i in page.get("ActiveInstances", [])])
        except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
            self.error("DescribeSpotFleetInstances", fleet_id, exc, annex_id)
            return None

    def left_alone(self, kind, resource_id, annex_id):
        """Records (and logs) a resource that carries annex's tags but is
        not annex's own: it is never touched."""
        entry = {"Resource": resource_id, "Type": kind, "AnnexId": annex_id, "Reason": LEFT_ALONE}
        self.report["LeftAlone"].append(entry)
        log.warning("%s %s tagged as annex %s: %s", kind, resource_id, annex_id, LEFT_ALONE)

    def keep_own(self, annex_id, entry):
        """Keeps in `entry` only what is annex's own (`Owner`), records the
        rest as left alone, lists the members of the annex's own fleets
        when an instance needs them to prove itself (entry["members"]:
        fleet id -> instance ids, None when the listing failed), and
        recomputes entry["leases"] from what is kept, so that a forged
        lease tag cannot keep an annex alive either."""
        owner = self.owner
        fleets = {}
        for fid, fleet in entry["fleets"].items():
            if owner.fleet(fleet, annex_id):
                fleets[fid] = fleet
            else:
                self.left_alone("spot-fleet-request", fid, annex_id)
        ec2_fleets = {}
        for fid, fleet in entry["ec2_fleets"].items():
            if owner.ec2_fleet(fleet, annex_id):
                ec2_fleets[fid] = fleet
            else:
                self.left_alone("fleet", fid, annex_id)
        entry["members"] = members = {}
        if fleets and any(not owner.instance(i, annex_id, set(fleets) | set(ec2_fleets), ())
                          for i in entry["instances"].values()):
            for fid in sorted(fleets):
                members[fid] = self.fleet_members(annex_id, fid)
        listed = {m for ids in members.values() for m in ids or ()}
        # an instant EC2 Fleet lists its instances itself (DescribeFleets)
        listed |= {i for f in ec2_fleets.values() for group in f.get("Instances") or []
                   for i in group.get("InstanceIds") or []}
        own_fleet_ids = set(fleets) | set(ec2_fleets)
        instances = {}
        for iid, inst in entry["instances"].items():
            if owner.instance(inst, annex_id, own_fleet_ids, listed):
                instances[iid] = inst
            else:
                self.left_alone("instance", iid, annex_id)
        templates = {}
        for tid, template in entry["templates"].items():
            if owner.template(template, annex_id):
                templates[tid] = template
            else:
                self.left_alone("launch-template", tid, annex_id)
        entry["fleets"], entry["instances"], entry["templates"] = fleets, instances, templates
        entry["ec2_fleets"] = ec2_fleets
        entry["leases"] = [lease for lease in (parse_time(tags_of(o).get(TAG_LEASE)) for kind in
                                               (fleets, ec2_fleets, instances, templates) for o in kind.values())
                           if lease]

    def check_budget(self, annex_id, entry):
        """True when the annex's own resources carry a htcondor:BudgetUSD
        (the lowest, when several) and the accrued cost of its own live
        instances reaches it; records both under report["Budgets"]. Only
        what DescribeInstances shows in a live state counts (an instance
        that has ended drops out: docs/lease-function.md, "Budget")."""
        budgets = [b for b in (parse_budget(tags_of(o).get(TAG_BUDGET)) for kind in
                               ("fleets", "instances", "templates") for o in entry[kind].values()) if b]
        if not budgets:
            return False
        accrued, unpriced = accrued_cost(entry["instances"].values(), self.now)
        budget = min(budgets)
        self.report["Budgets"][annex_id] = {"BudgetUSD": budget, "AccruedUSD": round(accrued, 6),
                                            "UnpricedInstances": unpriced}
        return accrued >= budget

    def cancel_fleets(self, annex_id, fleet_ids, members):
        """Cancel the Spot Fleet requests `fleet_ids` with
        TerminateInstances=true and return the ids of the instances those
        cancellations terminate, which then need no TerminateInstances of
        their own (a request cancelled_terminating no longer counts as
        active, so a later run terminates any of them still alive).
        `members` holds the fleets' instances already listed."""
        members = dict(members)
        for fid in fleet_ids:
            if fid not in members:
                members[fid] = self.fleet_members(annex_id, fid)
        terminated_by_fleet = set()
        for i in range(0, len(fleet_ids), CANCEL_BATCH):
            chunk = fleet_ids[i:i + CANCEL_BATCH]
            try:
                reply = self.ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=chunk, TerminateInstances=True)
            except Exception as exc:  # noqa: BLE001
                self.error("CancelSpotFleetRequests", ",".join(chunk), exc, annex_id)
                continue
            for ok in reply.get("SuccessfulFleetRequests", []):
                fid = ok["SpotFleetRequestId"]
                self.report["CancelledSpotFleetRequests"].append(fid)
                terminated_by_fleet.update(members.get(fid) or [])
                log.info("cancelled Spot Fleet request %s of annex %s", fid, annex_id)
            for bad in reply.get("UnsuccessfulFleetRequests", []):
                err = bad.get("Error", {})
                exc = ClientError({"Error": {"Code": err.get("Code", "Unknown"),
                                             "Message": err.get("Message", "")}}, "CancelSpotFleetRequests")
                self.error("CancelSpotFleetRequests", bad.get("SpotFleetRequestId"), exc, annex_id)
        return terminated_by_fleet

    def terminate(self, annex_id, instance_ids):
        for i in range(0, len(instance_ids), TERMINATE_BATCH):
            chunk = instance_ids[i:i + TERMINATE_BATCH]
            try:
                reply = self.ec2.terminate_instances(InstanceIds=chunk)
            except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
                self.error("TerminateInstances", ",".join(chunk), exc, annex_id)
                continue
            for change in reply.get("TerminatingInstances", []):
                self.report["TerminatedInstances"].append(change["InstanceId"])
            log.info("terminated %d instance(s) of annex %s: %s", len(chunk), annex_id, " ".join(chunk))

    def delete_ec2_fleets(self, annex_id, fleet_ids):
        """Delete the annex's EC2 Fleets with TerminateInstances=true (what
        AWS requires of an instant fleet; its instances were terminated
        just before)."""
        for i in range(0, len(fleet_ids), DELETE_FLEETS_BATCH):
            chunk = fleet_ids[i:i + DELETE_FLEETS_BATCH]
            try:
                reply = self.ec2.delete_fleets(FleetIds=chunk, TerminateInstances=True)
            except Exception as exc:  # noqa: BLE001
                self.error("DeleteFleets", ",".join(chunk), exc, annex_id)
                continue
            for ok in reply.get("SuccessfulFleetDeletions", []):
                self.report["DeletedEC2Fleets"].append(ok["FleetId"])
                log.info("deleted EC2 Fleet %s of annex %s", ok["FleetId"], annex_id)
            for bad in reply.get("UnsuccessfulFleetDeletions", []):
                err = bad.get("Error", {})
                if err.get("Code") == "fleetIdDoesNotExist":   # gone already: nothing left to end
                    log.info("EC2 Fleet %s of annex %s: already gone", bad.get("FleetId"), annex_id)
                    continue
                exc = ClientError({"Error": {"Code": err.get("Code", "Unknown"),
                                             "Message": err.get("Message", "")}}, "DeleteFleets")
                self.error("DeleteFleets", bad.get("FleetId"), exc, annex_id)

    def delete_templates(self, annex_id, template_ids):
        """Delete the launch templates of an annex that has ended; one
        already gone counts as done."""
        for tid in template_ids:
            try:
                self.ec2.delete_launch_template(LaunchTemplateId=tid)
            except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
                if not error_code(exc).startswith("InvalidLaunchTemplate"):
                    self.error("DeleteLaunchTemplate", tid, exc, annex_id)
                continue
            self.report["DeletedLaunchTemplates"].append(tid)
            log.info("deleted launch template %s of annex %s", tid, annex_id)

    def delete_rule(self, annex_id):
        """Remove every target of the rule `annex_id`, then the rule. A rule
        that is already gone counts as done."""
        try:
            targets = paginate(self.events.list_targets_by_rule, {"Rule": annex_id, "Limit": LIST_TARGETS_LIMIT},
                               lambda page: [t["Id"] for t in page.get("Targets", [])])
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) != "ResourceNotFoundException":
                self.error("ListTargetsByRule", annex_id, exc, annex_id)
            return
        for i in range(0, len(targets), REMOVE_TARGETS_BATCH):
            chunk = targets[i:i + REMOVE_TARGETS_BATCH]
            try:
                reply = self.events.remove_targets(Rule=annex_id, Ids=chunk)
            except Exception as exc:  # noqa: BLE001 - one failed piece must not stop the rest
                self.error("RemoveTargets", annex_id, exc, annex_id)
                return
            failed = {f.get("TargetId") for f in reply.get("FailedEntries", [])}
            for f in reply.get("FailedEntries", []):
                exc = ClientError({"Error": {"Code": f.get("ErrorCode", "Unknown"),
                                             "Message": f.get("ErrorMessage", "")}}, "RemoveTargets")
                self.error("RemoveTargets", "%s/%s" % (annex_id, f.get("TargetId")), exc, annex_id)
            self.report["RemovedTargets"].extend(t for t in chunk if t not in failed)
            if failed:
                return
        try:
            self.events.delete_rule(Name=annex_id)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) != "ResourceNotFoundException":
                self.error("DeleteRule", annex_id, exc, annex_id)
                return
        self.report["DeletedRule"] = annex_id
        log.info("deleted rule %s and its %d target(s)", annex_id, len(targets))


def run(event, ec2=None, events=None, now=None, owner=None):
    """Do one lease check for the rule input `event` and return the report
    (a dict: what was ended, what was left alone, and the errors). `ec2`,
    `events`, `now` and `owner` are for tests; by default they come from
    `make_client`, the clock and the environment (`Owner`)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    ec2 = ec2 or make_client("ec2")
    events = events or make_client("events")
    r = Run(ec2, events, now, owner or Owner.from_environment())
    _name, input_id, input_lease, problems = parse_event(event)
    r.report["AnnexId"] = input_id
    for problem in problems:
        r.error("Input", json.dumps(event, default=str)[:300], ValueError(problem))

    annexes = r.gather(input_id)
    for annex_id in sorted(annexes):
        entry = annexes[annex_id]
        r.keep_own(annex_id, entry)
        if entry["leases"]:
            lease = max(entry["leases"])
        elif annex_id == input_id and not r.describe_failed:
            lease = input_lease
        else:
            lease = None
        over_budget = r.check_budget(annex_id, entry)
        if not over_budget and (lease is None or lease > now):
            continue
        r.report["EndedAnnexes"].append(annex_id)
        if lease is not None and lease <= now:
            r.report["EndReasons"][annex_id] = "Lease"
            log.info("annex %s: lease ended at %s", annex_id, iso(lease))
        else:
            r.report["EndReasons"][annex_id] = "Budget"
            log.info("annex %s: accrued cost $%.6f reached its budget $%s", annex_id,
                     r.report["Budgets"][annex_id]["AccruedUSD"], r.report["Budgets"][annex_id]["BudgetUSD"])
        by_fleet = set()
        if entry["fleets"]:
            by_fleet = r.cancel_fleets(annex_id, sorted(entry["fleets"]), entry["members"])
        instance_ids = sorted(i for i in entry["instances"] if i not in by_fleet)
        if instance_ids:
            r.terminate(annex_id, instance_ids)
        if entry["ec2_fleets"]:
            r.delete_ec2_fleets(annex_id, sorted(entry["ec2_fleets"]))
        if entry["templates"] and annex_id not in r.failed_annexes:
            r.delete_templates(annex_id, sorted(entry["templates"]))

    if (input_id and input_id in r.report["EndedAnnexes"]
            and input_id not in r.failed_annexes and not r.describe_failed):
        r.delete_rule(input_id)
    return r.report


def handler(event, context):
    """Lambda entry point: run, log the report, and fail the invocation
    (after doing everything it could) when some step failed."""
    report = run(event)
    log.info(json.dumps(report))
    if report["Errors"]:
        raise LeaseFunctionError("%d step(s) failed: %s" % (
            len(report["Errors"]),
            "; ".join("%s %s: %s" % (e["Operation"], e["Resource"], e["Code"]) for e in report["Errors"][:5])))
    return report
