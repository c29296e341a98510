#!/usr/bin/env python3
"""The worst case in the launch prompt and -max-cost (issue 21, item 3)
against moto with signature checking on.

moto has no Price List API (pricing GetProducts): the on-demand prompt says
no price is available, with the reason, and the count x lease; never a
guess. Spot prices come from moto's DescribeSpotPriceHistory (years-old
points of $0.00001): the Spot Fleet prompt shows at most $X with the
price's age. -max-cost refuses a launch whose worst case exceeds it, or
whose price cannot be had, before any mutating call; it accepts one within
it; with -dry-run the plan shows the check's result. A stub Price List
endpoint on loopback (AWS_ENDPOINT_URL_PRICING) gives the priced on-demand
path.

Every real launch is priced, -yes ones too (cron, -auto), so that its
instances carry htcondor:PriceUSDPerHour, saying nothing new: the output of
a priced -yes launch is that of an unpriced one. A price that cannot be had
(moto's 500, a black-holed Price List within the request deadlines) only
means no tag. -dry-run asks no price unless -max-cost.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402
import pricelist  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
PRICING_OPS = ("GetProducts", "DescribeSpotPriceHistory")


def live(m, name):
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]},
               {"Name": "tag:htcondor:AnnexName", "Values": [name]}]
    res = m.client("ec2").describe_instances(Filters=filters)["Reservations"]
    return [i for r in res for i in r["Instances"]]


def fleets(m):
    return [f for f in m.client("ec2").describe_spot_fleet_requests()["SpotFleetRequestConfigs"]
            if f["SpotFleetRequestState"] in ("submitted", "active")]


def fleet_config(pool, m):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    for ls in cfg["SpotFleetRequestConfig"]["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
    path = os.path.join(pool.dir, "cost-fleet.json")
    json.dump(cfg, open(path, "w"))
    return path


def test_ondemand_priced(m, pool):
    # one product with two OnDemand price dimensions: the higher is the worst case
    stub = pricelist.PriceList(default=("0.096", "0.192"))
    try:
        env = pool.env(AWS_ENDPOINT_URL_PRICING=stub.url)
        rc, out, _ = T.run_annex(["-count", "3", "-annex-name", "odpriced", "-duration", "2"], env, answer="no")
        # 3 x $0.192 x 2 h = $1.152, rounded up to the cent: an upper bound
        T.check("on-demand prompt with a Price List: at most $X = count x the highest hourly price x lease",
                rc == 1 and "Worst case: at most $1.16 (3 instances x $0.192/h x 2.00 h; on-demand price of "
                "m6i.large).\nIs that OK?" in out and not live(m, "odpriced"), out)
        T.check("the Price List call is signed for service pricing in us-east-1",
                stub.requests and stub.requests[0]["target"] == "AWSPriceListService.GetProducts" and
                "/us-east-1/pricing/aws4_request" in stub.requests[0]["auth"], stub.requests)
        rc, out, err = T.run_annex(["-count", "3", "-annex-name", "odpriced", "-duration", "2", "-max-cost", "1.15",
                                    "-yes"], env)
        T.check("-max-cost just below an on-demand worst case: refused, both numbers, nothing created",
                rc != 0 and "at most $1.16, exceeds -max-cost $1.15" in err and not live(m, "odpriced"), (out, err))
        rc, out, err = T.run_annex(["-count", "3", "-annex-name", "odpriced", "-duration", "2", "-max-cost", "1.16",
                                    "-yes"], env)
        T.check("-max-cost above an on-demand worst case: launched", rc == 0 and "within it" in out and
                len(live(m, "odpriced")) == 3, (out, err))
        insts = live(m, "odpriced")
        tags = [{t["Key"]: t["Value"] for t in i.get("Tags", [])} for i in insts]
        T.check("each instance carries the budget and the price it was quoted (type=price)",
                tags and all(t.get("htcondor:BudgetUSD") == "1.16" and
                             t.get("htcondor:PriceUSDPerHour") == "m6i.large=0.192" for t in tags), tags)
        check_status_cost(m, pool, "odpriced", insts, 0.192, 1.16, "on-demand")
    finally:
        stub.close()


def check_status_cost(m, pool, name, insts, price, budget, market):
    """-status of a priced annex: the cost so far is the sum of the hours since
    each instance's LaunchTime x its price (moto's LaunchTime is real time, so
    the sum is small: compared with a tolerance of the seconds annex took),
    in -json, the human lines and -classad."""
    import datetime
    import time
    time.sleep(1.5)   # annex reckons to the second: let a second pass since the launch
    before = datetime.datetime.now(datetime.timezone.utc)
    rc, out, err = T.run_annex(["-status", "-annex-name", name, "-json"], pool.env())
    after = datetime.datetime.now(datetime.timezone.utc)
    doc = json.loads(out) if rc == 0 else {}
    annex = (doc.get("Annexes") or [{}])[0]

    def cost_at(when):
        return sum(max(0, (when - i["LaunchTime"]).total_seconds()) / 3600 * price for i in insts)
    lo, hi = cost_at(before) - price * len(insts) / 3600, cost_at(after) + price * len(insts) / 3600
    T.check("-status -json of %s: Market, CostSoFarUSD (hours since launch x price), BudgetUSD" % name,
            rc == 0 and annex.get("Market") == market and annex.get("BudgetUSD") == budget and
            annex.get("UnpricedInstances") == 0 and isinstance(annex.get("CostSoFarUSD"), float) and
            lo <= annex["CostSoFarUSD"] <= hi and annex["CostSoFarUSD"] > 0 and
            all(j.get("PriceUSDPerHour") == price and j.get("Market") == market for j in annex.get("Instances", [])),
            ({k: v for k, v in annex.items() if k != "Instances"}, err, lo, hi))
    rc, out, err = T.run_annex(["-status", "-annex-name", name], pool.env())
    T.check("-status of %s: market, cost so far and budget lines after condor_annex's table" % name,
            rc == 0 and "\nMarket: %s.\n" % market in out and
            re.search(r"^Cost so far: \$[0-9.]+ \(%d running instances? x hours since launch x the hourly price "
                      r"quoted at launch" % len(insts), out, re.M) and
            "Budget: $%g (htcondor:BudgetUSD)" % budget in out and out.startswith("STATE          COUNT\n"),
            (out, err))
    rc, out, err = T.run_annex(["-status", "-annex-name", name, "-classad"], pool.env())
    T.check("-status -classad of %s: Market, CostSoFarUSD, BudgetUSD" % name,
            rc == 0 and 'Market = "%s"\n' % market in out and re.search(r"^CostSoFarUSD = [0-9.]+$", out, re.M)
            and "BudgetUSD = %g\n" % budget in out, (out, err))


def test_ondemand_prompt(m, pool):
    with T.FaultProxy([]) as fp:
        rc, out, _ = T.run_annex(["-count", "3", "-annex-name", "odcost", "-duration", "2"], pool.env(**fp.env()),
                                 answer="no")
        calls = fp.calls()
    T.check("on-demand prompt: no price available (moto has no Price List API), the reason, count x lease, "
            "before the question", rc == 1 and
            "Worst case: no on-demand price available (Price List GetProducts: " in out and
            "; at most 3 instances x 2.00 h.\nIs that OK?" in out and "$" not in out and
            not live(m, "odcost"), out)
    gp = [c for c in calls if c.get("target") == "AWSPriceListService.GetProducts"]
    filters = {f["Field"]: f["Value"] for f in (gp[0]["body"].get("Filters", []) if gp else [])}
    T.check("the price was asked of the Price List API (GetProducts: type, region, Linux, shared, no software)",
            gp != [] and gp[0]["body"].get("ServiceCode") == "AmazonEC2" and filters.get("instanceType") ==
            "m6i.large" and filters.get("regionCode") == "us-east-1" and filters.get("operatingSystem") == "Linux"
            and filters.get("tenancy") == "Shared" and filters.get("preInstalledSw") == "NA" and
            not [c for c in calls if c.get("mutating")], calls)


def test_spot_prompt(m, pool, path):
    rc, out, _ = T.run_annex(["-slots", "32", "-annex-name", "spcost", "-duration", "2",
                              "-aws-spot-fleet-config-file", path], pool.env(), answer="no")
    # weights 4, 4, 16, 16: 32 slots could need 32 / 4 = 8 instances; moto's price is $0.00001
    # from 2006: 8 x 0.00001 x 2 = $0.00016
    T.check("spot prompt: at most $X from moto's newest spot point, count bound by the smallest weight, "
            "the price's age", rc == 1 and
            "Worst case: at most $0.00016 (8 instances x $0.00001/h x 2.00 h; newest spot price of " in out and
            "32 slots / smallest weight 4" in out and "that price is from 2006-01-02" in out and
            "days old).\nIs that OK?" in out and fleets(m) == [], out)


def test_max_cost_refuses(m, pool, path):
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "32", "-annex-name", "spmax", "-duration", "2", "-max-cost",
                                    "0.0001", "-aws-spot-fleet-config-file", path, "-yes"], pool.env(**fp.env()))
        calls = fp.calls()
    mutating = [c for c in calls if c.get("mutating")]
    T.check("-max-cost below the worst case: refused, one line naming both numbers, nothing created",
            rc != 0 and "exceeds -max-cost $0.0001" in err and "at most $0.00016" in err and
            len(err.strip().splitlines()) <= 2 and not mutating and fleets(m) == [], (out, err, mutating))
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "odmax", "-max-cost", "100", "-yes"], pool.env())
    T.check("-max-cost with no on-demand price: refused (the ceiling can't be proven), nothing created",
            rc != 0 and "can't be proven" in err and "-max-cost $100.00" in err and not live(m, "odmax"),
            (out, err))


def test_max_cost_dry_run(m, pool, path):
    rc, out, err = T.run_annex(["-slots", "32", "-annex-name", "spdry", "-max-cost", "1",
                                "-aws-spot-fleet-config-file", path, "-dry-run"], pool.env())
    T.check("-max-cost with -dry-run: the plan shows the worst case and the check's result",
            rc == 0 and "Worst case: at most $" in out and "-max-cost $1.00: the worst case is within it." in out
            and fleets(m) == [], (out, err))
    rc, out, err = T.run_annex(["-slots", "32", "-annex-name", "spdry", "-max-cost", "0.00001",
                                "-aws-spot-fleet-config-file", path, "-dry-run"], pool.env())
    T.check("-max-cost with -dry-run, exceeded: the plan shows the refusal", rc != 0 and
            "exceeds -max-cost" in err and fleets(m) == [], (out, err))


def test_max_cost_accepts(m, pool, path):
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "8", "-annex-name", "spok", "-max-cost", "5",
                                    "-aws-spot-fleet-config-file", path, "-yes"], pool.env(**fp.env()))
        calls = fp.calls()
    T.check("-max-cost above the worst case: the launch goes ahead", rc == 0 and
            "-max-cost $5.00: the worst case is within it." in out and "Annex started." in out and
            len(fleets(m)) == 1, (out, err))
    ec2 = m.client("ec2")
    fleet = fleets(m)[0] if fleets(m) else {}
    ftags = {t["Key"]: t["Value"] for t in fleet.get("Tags", [])}
    T.check("the Spot Fleet request carries htcondor:BudgetUSD", ftags.get("htcondor:BudgetUSD") == "5", ftags)
    tmpl = [t for t in ec2.describe_launch_templates()["LaunchTemplates"]
            if {x["Key"]: x["Value"] for x in t.get("Tags", [])}.get("htcondor:AnnexName") == "spok"]
    ttags = {x["Key"]: x["Value"] for x in tmpl[0].get("Tags", [])} if tmpl else {}
    T.check("annex's launch template carries htcondor:BudgetUSD", ttags.get("htcondor:BudgetUSD") == "5", ttags)
    data = ec2.describe_launch_template_versions(LaunchTemplateId=tmpl[0]["LaunchTemplateId"])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"] if tmpl else {}
    node = {}
    for spec in data.get("TagSpecifications", []):
        if spec.get("ResourceType") == "instance":
            node = {x["Key"]: x["Value"] for x in spec.get("Tags", [])}
    want = "c6i.4xlarge=0.00001,c7i.4xlarge=0.00001,g4dn.xlarge=0.00001,g5.xlarge=0.00001"
    T.check("the nodes' tags (the template's instance TagSpecification): the budget and each type's newest spot "
            "price", node.get("htcondor:BudgetUSD") == "5" and node.get("htcondor:PriceUSDPerHour") == want, node)
    sent = [c for c in calls if c.get("operation") == "CreateLaunchTemplate"]
    T.check("on the wire: CreateLaunchTemplate sends the price map as an instance tag",
            sent and want in json.dumps(sent[0]), sent[:1])


def cap_config(pool, global_cap, g5_cap, name):
    cfg = json.load(open(os.path.join(T.ROOT, "examples", "spot-fleet.json")))
    inner = cfg["SpotFleetRequestConfig"]
    for ls in inner["LaunchSpecifications"]:
        ls["ImageId"] = pool.image
        if ls["InstanceType"] == "g5.xlarge" and g5_cap:
            ls["SpotPrice"] = g5_cap
    if global_cap:
        inner["SpotPrice"] = global_cap
    out = os.path.join(pool.dir, name)
    json.dump(cfg, open(out, "w"))
    return out


def test_spot_price_cap(m, pool):
    """A SpotPrice cap is what an instance can cost at most: the worst case
    uses it (per launch specification where set, else the config's), not
    the market point."""
    path = cap_config(pool, "0.5", "0.75", "cap-both.json")
    rc, out, _ = T.run_annex(["-slots", "32", "-annex-name", "spcap", "-duration", "2",
                              "-aws-spot-fleet-config-file", path], pool.env(), answer="no")
    # 8 instances x the highest cap (g5.xlarge's own $0.75) x 2 h
    T.check("spot prompt with SpotPrice caps: the highest cap bounds the worst case, and says so",
            rc == 1 and "Worst case: at most $12.00 (8 instances x $0.75/h x 2.00 h; the Spot Fleet config's "
            "SpotPrice cap for g5.xlarge; 32 slots / smallest weight 4).\nIs that OK?" in out and
            "days old" not in out, out)
    path = cap_config(pool, "0.5", None, "cap-global.json")
    rc, out, _ = T.run_annex(["-slots", "32", "-annex-name", "spcap", "-duration", "2",
                              "-aws-spot-fleet-config-file", path], pool.env(), answer="no")
    T.check("the config's SpotPrice caps every specification without one",
            rc == 1 and "at most $8.00 (8 instances x $0.50/h x 2.00 h; the Spot Fleet config's SpotPrice cap for "
            in out, out)
    path = cap_config(pool, None, "0.75", "cap-one.json")
    rc, out, err = T.run_annex(["-slots", "32", "-annex-name", "spcap", "-duration", "2", "-max-cost", "11.99",
                                "-aws-spot-fleet-config-file", path, "-yes"], pool.env())
    T.check("one capped specification, the others at the market: the cap, above the market, is the bound "
            "-max-cost checks", rc != 0 and "at most $12.00, exceeds -max-cost $11.99" in err and fleets(m) == [],
            (out, err))


def node_tags(m, name):
    return [{t["Key"]: t["Value"] for t in i.get("Tags", [])} for i in live(m, name)]


def same_words(out, name):
    """A launch's output with its annex name and id made generic."""
    return re.sub(r"'%s_%s'" % (name, UUID), "'ANNEX'", out)


def test_yes_priced(m, pool):
    """-yes (cron, and -auto's launches) is priced like a prompted launch, so
    its instances carry the price they were quoted, and says nothing more
    than an unpriced -yes launch."""
    with pricelist.PriceList({"m6i.large": "0.192"}) as stub, T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "yespriced", "-yes"],
                                   pool.env(AWS_ENDPOINT_URL_PRICING=stub.url, **fp.env()))
        calls = fp.calls()
    tags = node_tags(m, "yespriced")
    T.check("-yes on-demand launch with a Price List: each instance tagged with the price quoted, no budget",
            rc == 0 and len(tags) == 2 and all(t.get("htcondor:PriceUSDPerHour") == "m6i.large=0.192" and
                                               "htcondor:BudgetUSD" not in t for t in tags), (out, err, tags))
    T.check("... with one GetProducts (read-only), before the first mutating call",
            stub.types() == ["m6i.large"] and [c["operation"] for c in calls if c["operation"] in PRICING_OPS]
            == ["GetProducts"] and [c["operation"] for c in calls].index("GetProducts") <
            min(i for i, c in enumerate(calls) if c["mutating"]), [c["operation"] for c in calls])
    T.check("... and says nothing of it: no worst case line, nothing on stderr",
            "Worst case" not in out and "$" not in out and not T.without_region_line(err).strip(), (out, err))
    rc2, out2, err2 = T.run_annex(["-count", "2", "-annex-name", "yesunpriced", "-yes"], pool.env())
    tags = node_tags(m, "yesunpriced")
    T.check("-yes with no price to be had (moto's Price List: 500): launched all the same, untagged",
            rc2 == 0 and len(tags) == 2 and not any("htcondor:PriceUSDPerHour" in t for t in tags), (out2, err2, tags))
    T.check("the priced and the unpriced -yes launch print the same lines",
            same_words(out, "yespriced") == same_words(out2, "yesunpriced") and
            not T.without_region_line(err2).strip(), (out, out2, err2))
    T.run_annex(["-off", "-annex-name", "yespriced"], pool.env())
    T.run_annex(["-off", "-annex-name", "yesunpriced"], pool.env())


def test_yes_price_black_hole(m, pool):
    """A Price List that never answers: the launch waits only the request
    deadlines (ANNEX_REQUEST_TIMEOUT x ANNEX_MAX_ATTEMPTS), then goes on
    untagged, exit 0."""
    import time
    rule = {"call": "GetProducts", "nth": 1, "times": 0, "fault": "blackhole"}
    with T.FaultProxy([rule]) as fp:
        t0 = time.time()
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "yeshole", "-yes"],
                                   pool.env(ANNEX_REQUEST_TIMEOUT="1", ANNEX_MAX_ATTEMPTS="2", **fp.env()))
        took = time.time() - t0
        asked = [c for c in fp.calls() if c["operation"] == "GetProducts"]
    tags = node_tags(m, "yeshole")
    T.check("black-holed Price List: two attempts of 1 s, then the launch, untagged, exit 0",
            rc == 0 and len(asked) == 2 and 2 <= took < 15 and len(tags) == 1 and
            "htcondor:PriceUSDPerHour" not in tags[0] and "Annex started." in out, (rc, took, len(asked), out, err))
    T.run_annex(["-off", "-annex-name", "yeshole"], pool.env())


def test_price_timeout(m, pool):
    """A Price List that never answers, with the default request timeout
    (60 s): a launch without -max-cost waits only ANNEX_PRICE_TIMEOUT for
    its prices, then goes on untagged; with -max-cost (the proof matters)
    the command's own deadline holds, and the price line names the knob."""
    import time
    rule = {"call": "GetProducts", "nth": 1, "times": 0, "fault": "blackhole"}
    with T.FaultProxy([rule]) as fp:
        t0 = time.time()
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "pricecap", "-yes"],
                                   pool.env(ANNEX_PRICE_TIMEOUT="2", **fp.env()))
        took = time.time() - t0
    tags = node_tags(m, "pricecap")
    T.check("ANNEX_PRICE_TIMEOUT bounds the optional price lookups: launched untagged within it, exit 0",
            rc == 0 and 2 <= took < 12 and len(tags) == 1 and "htcondor:PriceUSDPerHour" not in tags[0] and
            "Annex started." in out, (rc, took, out, err))
    T.run_annex(["-off", "-annex-name", "pricecap"], pool.env())
    with T.FaultProxy([rule]) as fp:
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "pricecap2", "-dry-run", "-max-cost", "5"],
                                   pool.env(ANNEX_PRICE_TIMEOUT="1", ANNEX_COMMAND_TIMEOUT="3", **fp.env()))
    T.check("with -max-cost the command's deadline holds, not ANNEX_PRICE_TIMEOUT (refused: no proof)",
            rc != 0 and "ANNEX_PRICE_TIMEOUT" not in out + err and "ANNEX_COMMAND_TIMEOUT" in out + err,
            (rc, out, err))


def test_yes_spot_fleet_priced(m, pool, path):
    """A -yes Spot Fleet: the nodes' tags (annex's launch template) carry
    each type's newest spot price; no budget, nothing printed of it."""
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-slots", "8", "-annex-name", "spyes", "-aws-spot-fleet-config-file", path,
                                    "-yes"], pool.env(**fp.env()))
        calls = fp.calls()
    made = [c for c in calls if c["operation"] == "CreateLaunchTemplate"]
    sent = json.dumps(made[0]["params"]) if made else ""
    want = "c6i.4xlarge=0.00001,c7i.4xlarge=0.00001,g4dn.xlarge=0.00001,g5.xlarge=0.00001"
    T.check("-yes Spot Fleet: one DescribeSpotPriceHistory; the template's instance tags carry the prices, no "
            "budget; no worst case printed", rc == 0 and
            [c["operation"] for c in calls if c["operation"] in PRICING_OPS] == ["DescribeSpotPriceHistory"] and
            want in sent and "htcondor:BudgetUSD" not in sent and "Worst case" not in out, (out, err, sent[:300]))
    T.run_annex(["-off", "-annex-name", "spyes"], pool.env())


def test_dry_run_unpriced(m, pool, path):
    """-dry-run asks no price unless -max-cost needs one."""
    for args in (["-count", "2"], ["-slots", "8", "-aws-spot-fleet-config-file", path],
                 ["-count", "2", "-instance-types", "m5.large,c5.large", "-spot"]):
        with T.FaultProxy([]) as fp:
            rc, out, err = T.run_annex(args + ["-annex-name", "drynp", "-dry-run"], pool.env(**fp.env()))
            ops = [c["operation"] for c in fp.calls()]
        T.check("-dry-run %s: no pricing call" % " ".join(args[:2]),
                rc == 0 and not [o for o in ops if o in PRICING_OPS] and "Worst case" not in out, (out, err, ops))


def test_usage(pool):
    rc, _, err = T.run_annex(["-count", "1", "-annex-name", "u", "-max-cost", "-3", "-yes"], pool.env())
    T.check("-max-cost takes a positive number of dollars", rc != 0 and "-max-cost requires" in err, err)
    rc, _, err = T.run_annex(["-status", "-max-cost", "3"], pool.env())
    T.check("-max-cost goes only with a launch", rc != 0 and "-max-cost goes only with a launch" in err, err)


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the cost tests", rc == 0, out + err):
            return T.summary()
        path = fleet_config(pool, m)
        T.guarded(test_usage, pool)
        T.guarded(test_ondemand_prompt, m, pool)
        T.guarded(test_ondemand_priced, m, pool)
        T.guarded(test_spot_prompt, m, pool, path)
        T.guarded(test_max_cost_refuses, m, pool, path)
        T.guarded(test_max_cost_dry_run, m, pool, path)
        T.guarded(test_spot_price_cap, m, pool)
        T.guarded(test_max_cost_accepts, m, pool, path)
        T.guarded(test_yes_priced, m, pool)
        T.guarded(test_yes_price_black_hole, m, pool)
        T.guarded(test_price_timeout, m, pool)
        T.guarded(test_yes_spot_fleet_priced, m, pool, path)
        T.guarded(test_dry_run_unpriced, m, pool, path)
    return T.summary()


sys.exit(main())
