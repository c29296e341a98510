#!/usr/bin/env python3
"""Instance types by attribute ranges: -vcpus, -memory-gib, -gpus (issue 21,
item 1; docs/commands.md, "Instance types by attribute ranges") against moto
with signature checking on.

annex resolves the ranges itself with DescribeInstanceTypes. The expected
lists come from an oracle here: moto's own DescribeInstanceTypes answer
(boto3), filtered and ordered in Python as docs/commands.md says (current
generation, the image's architecture, offered on-demand, every range, the
smallest by vCPUs then memory, at most ANNEX_TYPE_SELECT_MAX). The line
annex prints on stderr must name the same count and the same types in the
same order. Several types are refused on a build whose only on-demand back-end is
RunInstances (one type a launch), and shown in one request's dry run where
a multi-type back-end exists (-instance-types); one type launches through
RunInstances.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402


def live(m, name):
    filters = [{"Name": "instance-state-name", "Values": ["pending", "running"]},
               {"Name": "tag:htcondor:AnnexName", "Values": [name]}]
    res = m.client("ec2").describe_instances(Filters=filters)["Reservations"]
    return [i for r in res for i in r["Instances"]]


def all_types(m):
    ec2 = m.client("ec2")
    out, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = ec2.describe_instance_types(**kw)
        out += page["InstanceTypes"]
        token = page.get("NextToken")
        if not token:
            return out


def inside(v, lo, hi):
    return (lo is None or v >= lo) and (hi is None or v <= hi)


def oracle(types, vcpus=(None, None), mem=(None, None), gpus=(None, None), arch="x86_64", cap=20):
    """(matched, kept names) as annex must resolve them."""
    got = []
    for t in types:
        if not t.get("CurrentGeneration") or arch not in t["ProcessorInfo"]["SupportedArchitectures"]:
            continue
        if "on-demand" not in t.get("SupportedUsageClasses", []):
            continue
        v = t["VCpuInfo"]["DefaultVCpus"]
        mib = t["MemoryInfo"]["SizeInMiB"]
        g = sum(x.get("Count", 0) for x in t.get("GpuInfo", {}).get("Gpus", []))
        if inside(v, *vcpus) and inside(mib / 1024.0, *mem) and inside(g, *gpus):
            got.append((v, mib, g, t["InstanceType"]))
    got.sort()
    return len(got), [x[3] for x in got[:cap]]


LINE = re.compile(r"^annex: (\d+) instance types? in us-east-1 match(?:es)? (.*?) \(current generation, "
                  r"([a-z0-9_]+), on-demand\); (keeping [^:]*): (.*)$", re.M)


def listed(err):
    """(matched, ranges text, arch, kept names) from annex's stderr line, or None."""
    mt = LINE.search(err)
    if not mt:
        return None
    names = [re.sub(r" \(.*", "", x) for x in re.split(r", (?=[a-z0-9-]+\.[a-z0-9-]+ \()", mt.group(5))]
    return int(mt.group(1)), mt.group(2), mt.group(3), names


def one_line(err, want):
    """A usage error: one "annex:" line holding want (then the -help hint)."""
    lines = err.strip().splitlines()
    return bool(lines) and want in lines[0] and len([x for x in lines if x.startswith("annex:")]) == 1


def test_usage(pool):
    cases = [
        (["-vcpus", "abc"], "-vcpus requires a range A-B, A-, -B or N of whole numbers"),
        (["-vcpus", "1-2-3"], "-vcpus requires a range"),
        (["-vcpus", "-"], "-vcpus requires a range"),
        (["-vcpus", ""], "-vcpus requires a range"),
        (["-vcpus", "2.5"], "-vcpus requires a range"),
        (["-gpus", "1.5-"], "-gpus requires a range"),
        (["-memory-gib", "1.5.2"], "-memory-gib requires a range A-B, A-, -B or N of numbers of GiB"),
        (["-memory-gib", "1e3"], "-memory-gib requires a range"),
        (["-vcpus", "64-16"], "-vcpus 64-16: the lower bound is above the upper one"),
        (["-memory-gib", "8-0.5"], "-memory-gib 8-0.5: the lower bound is above the upper one"),
    ]
    for extra, want in cases:
        rc, _, err = T.run_annex(["-count", "1", "-annex-name", "u"] + extra + ["-yes"], pool.env())
        T.check("usage error %r: one line naming the option" % extra,
                rc != 0 and one_line(err, want), err)
    rc, _, err = T.run_annex(["-count", "1", "-annex-name", "u", "-vcpus", "4", "-instance-type", "m5.large"],
                             pool.env())
    T.check("ranges with -instance-type: refused", rc != 0 and one_line(err, "not both"), err)
    rc, _, err = T.run_annex(["-slots", "4", "-annex-name", "u", "-gpus", "1-", "-aws-spot-fleet-config-file",
                              "/nonexistent.json"], pool.env())
    T.check("ranges with a Spot Fleet config: refused",
            rc != 0 and one_line(err, "a Spot Fleet names its types in its config file"), err)
    rc, _, err = T.run_annex(["-status", "-memory-gib", "4-"], pool.env())
    T.check("ranges without a launch: refused", rc != 0 and "go only with a launch of -count N" in err, err)


def test_lists(m, pool, types):
    cases = [
        (["-vcpus", "16-64", "-memory-gib", "64-"], dict(vcpus=(16, 64), mem=(64, None))),
        (["-gpus", "1-", "-vcpus", "-8"], dict(gpus=(1, None), vcpus=(None, 8))),
        (["-memory-gib", "0.5-1.5"], dict(mem=(0.5, 1.5))),
        (["-vcpus", "4", "-memory-gib", "16", "-gpus", "0"], dict(vcpus=(4, 4), mem=(16, 16), gpus=(0, 0))),
        (["-gpus", "4"], dict(gpus=(4, 4))),
    ]
    for args, rng in cases:
        want_n, want = oracle(types, **rng)
        with T.FaultProxy([]) as fp:
            rc, out, err = T.run_annex(["-count", "2", "-annex-name", "lists"] + args + ["-dry-run"],
                                       pool.env(**fp.env()))
            calls = fp.calls()
        got = listed(err)
        T.check("%s: the oracle finds several types (a test of the list, not of one)" % " ".join(args),
                want_n > 1, want_n)
        T.check("%s: stderr names how many matched (%d) and the kept types in order" % (" ".join(args), want_n),
                got is not None and got[0] == want_n and got[2] == "x86_64" and got[3] == want and
                ("keeping the %d smallest" % len(want) in err if want_n > len(want) else "keeping all" in err),
                (got, want_n, want, err))
        if MULTI:
            # a build with the multi-type back-end (-instance-types, EC2 Fleet): the dry run shows
            # the one request with every kept type
            T.check("%s: several types go into one request (dry run)" % " ".join(args),
                    rc == 0 and all(t in out for t in want) and not live(m, "lists"), (rc, out, err))
        else:
            T.check("%s: several types are refused on this build, nothing created" % " ".join(args),
                    rc != 0 and "keeps %d instance types" % len(want) in err and "-instance-type" in err and
                    not [c for c in calls if c["mutating"]] and not live(m, "lists"), (rc, err))
        dit = [c for c in calls if c["operation"] == "DescribeInstanceTypes"]
        p = dit[0]["params"] if dit else {}
        filters = {p[k]: p.get(k.replace(".Name", ".Value.1")) for k in p if k.endswith(".Name")}
        T.check("%s: DescribeInstanceTypes filters current generation, x86_64, on-demand" % " ".join(args),
                filters.get("current-generation") == "true" and
                filters.get("processor-info.supported-architecture") == "x86_64" and
                filters.get("supported-usage-class") == "on-demand" and "gpu-info.gpus.count" not in filters,
                p)
    args = ["-vcpus", "4", "-memory-gib", "16", "-gpus", "0"]
    with T.FaultProxy([]) as fp:
        T.run_annex(["-count", "2", "-annex-name", "lists"] + args + ["-dry-run"], pool.env(**fp.env()))
        p = next((c["params"] for c in fp.calls() if c["operation"] == "DescribeInstanceTypes"), {})
    filters = {p[k]: p.get(k.replace(".Name", ".Value.1")) for k in p if k.endswith(".Name")}
    T.check("a range of one value is sent as EC2's exact filter", filters.get("vcpu-info.default-vcpus") == "4"
            and filters.get("memory-info.size-in-mib") == "16384", p)


def test_cap_knob(m, pool, types):
    want_n, want = oracle(types, vcpus=(16, 64), cap=3)
    extra = pool.config + ".cap"
    with open(extra, "w") as f:
        f.write(open(pool.config).read() + "ANNEX_TYPE_SELECT_MAX = 3\n")
    rc, _, err = T.run_annex(["-count", "1", "-annex-name", "cap", "-vcpus", "16-64", "-dry-run"],
                             pool.env(CONDOR_CONFIG=extra))
    got = listed(err)
    T.check("ANNEX_TYPE_SELECT_MAX = 3 keeps the 3 smallest", got is not None and got[0] == want_n and
            got[3] == want and "keeping the 3 smallest" in err, (got, want, err))


def test_no_match(m, pool):
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "none", "-vcpus", "100000-", "-gpus", "1", "-yes"],
                               pool.env())
    T.check("a range that matches nothing: one line naming the ranges and the region, nothing created",
            rc != 0 and "no current-generation x86_64 instance type offered on-demand in us-east-1 matches "
            "-vcpus 100000- -gpus 1" in err and len(T.without_region_line(err).strip().splitlines()) == 1 and
            not live(m, "none"), err)


def test_one_type_launches(m, pool, types):
    rng = dict(vcpus=(2, 2), mem=(5.25, 5.25))
    want_n, want = oracle(types, **rng)
    T.check("the oracle finds exactly one type for -vcpus 2 -memory-gib 5.25", want_n == 1, want)
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-count", "2", "-annex-name", "onetype", "-vcpus", "2", "-memory-gib",
                                    "5.25", "-yes"], pool.env(**fp.env()))
        runs = [c for c in fp.calls() if c["operation"] == "RunInstances" and c["params"].get("DryRun") != "true"]
    got = listed(err)
    nodes = live(m, "onetype")
    T.check("one type: stderr says it is kept", got is not None and got[0] == 1 and got[3] == want and
            "keeping it:" in err, (got, want, err))
    T.check("one type launches through RunInstances with that type", rc == 0 and "Annex started." in out and
            len(runs) == 1 and runs[0]["params"].get("InstanceType") == want[0] and len(nodes) == 2 and
            all(n["InstanceType"] == want[0] for n in nodes), (rc, out, err, [r["params"] for r in runs]))
    rc, out, _ = T.run_annex(["-count", "1", "-annex-name", "onetype2", "-vcpus", "2", "-memory-gib",
                              "5.25"], pool.env(), answer="no")
    T.check("the prompt names the resolved type; no -aws-on-demand-instance-type hint",
            rc == 1 and "1 %s on-demand instance" % want[0] in out and "To change the instance type" not in out
            and not live(m, "onetype2"), out)


def test_image_arch(m, pool, types):
    imgs = m.client("ec2").describe_images(Owners=["amazon"])["Images"]
    arm = sorted(i["ImageId"] for i in imgs if i.get("Architecture") == "arm64")
    if not T.check("moto has an arm64 image", arm, len(imgs)):
        return
    want_n, want = oracle(types, vcpus=(2, 2), mem=(4, 4), arch="arm64")
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "armsel", "-vcpus", "2", "-memory-gib", "4",
                                "-aws-on-demand-ami-id", arm[0], "-dry-run"], pool.env())
    got = listed(err)
    T.check("an arm64 image: only arm64 types are selected", want_n > 0 and got is not None and
            got[2] == "arm64" and got[0] == want_n and got[3] == want and not live(m, "armsel"), (got, want, err))


def type_item(name, vcpus, mib, gpus=(), arch="x86_64", current="true"):
    g = "".join("<item><count>%d</count></item>" % c for c in gpus)
    return ("<item><instanceType>%s</instanceType><currentGeneration>%s</currentGeneration>"
            "<processorInfo><supportedArchitectures><item>%s</item></supportedArchitectures></processorInfo>"
            "%s%s%s</item>" % (name, current, arch,
                               "<vCpuInfo><defaultVCpus>%d</defaultVCpus></vCpuInfo>" % vcpus if vcpus else "",
                               "<memoryInfo><sizeInMiB>%d</sizeInMiB></memoryInfo>" % mib,
                               "<gpuInfo><gpus>%s</gpus></gpuInfo>" % g if gpus else ""))


def page(items, token=None):
    return ('<?xml version="1.0" encoding="UTF-8"?><DescribeInstanceTypesResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><instanceTypeSet>%s'
            '</instanceTypeSet>%s</DescribeInstanceTypesResponse>' %
            ("".join(items), "<nextToken>%s</nextToken>" % token if token else ""))


def test_pages(m, pool):
    """Two pages served by the fault proxy: every page is read, the second
    asked with the first's token and the same filters; GPU counts are
    summed, and a type of another generation or architecture, or without
    vCPUs, is left out whatever the endpoint's filters did."""
    p1 = page([type_item("m5.large", 2, 8192), type_item("g4dn.xlarge", 4, 16384, gpus=(1, 1)),
               type_item("t1.micro", 1, 627, current="false")], token="tok-2")
    p2 = page([type_item("m6i.large", 2, 8192), type_item("m6g.large", 2, 8192, arch="arm64"),
               type_item("c5.xlarge", 4, 8192), type_item("x9.large", 0, 8192), type_item("g4dn.2xlarge", 8, 32768,
                                                                                        gpus=(1,))])
    rules = [{"call": "DescribeInstanceTypes", "nth": 1, "fault": "reply", "status": 200, "body": p1},
             {"call": "DescribeInstanceTypes", "nth": 2, "fault": "reply", "status": 200, "body": p2}]
    with T.FaultProxy(rules) as fp:
        rc, out, err = T.run_annex(["-count", "1", "-annex-name", "pages", "-vcpus", "-4", "-gpus", "-1",
                                    "-dry-run"], pool.env(**fp.env()))
        dit = [c["params"] for c in fp.calls() if c["operation"] == "DescribeInstanceTypes"]
    got = listed(err)
    T.check("pages: both read; the matching types smallest first; GPU counts summed (g4dn.xlarge has 2)",
            got is not None and got[0] == 3 and got[3] == ["m5.large", "m6i.large", "c5.xlarge"] and
            "keeping all" in err, err)
    T.check("pages: the second page asked with the first's token and the same filters",
            len(dit) >= 2 and "NextToken" not in dit[0] and dit[1].get("NextToken") == "tok-2" and
            {k: v for k, v in dit[1].items() if k.startswith("Filter.")} ==
            {k: v for k, v in dit[0].items() if k.startswith("Filter.")}, dit)


MULTI = False


def main():
    global MULTI
    # several types launch only where a back-end sends them as one request (EC2 Fleet, whose
    # option -instance-types comes with it); until then they are refused
    MULTI = "-instance-types" in T.run_annex(["-help", "all"], {"PATH": "/usr/bin:/bin"})[1]
    print("this build has %s multi-type back-end" % ("a" if MULTI else "no"), flush=True)
    with MotoServer() as m:
        pool = T.Pool(m)
        rc, out, err = T.run_annex(["-setup"], pool.env())
        if not T.check("setup for the type-selection tests", rc == 0, out + err):
            return T.summary()
        types = all_types(m)
        T.guarded(test_usage, pool)
        T.guarded(test_lists, m, pool, types)
        T.guarded(test_cap_knob, m, pool, types)
        T.guarded(test_no_match, m, pool)
        T.guarded(test_one_type_launches, m, pool, types)
        T.guarded(test_image_arch, m, pool, types)
        T.guarded(test_pages, m, pool)
    return T.summary()


sys.exit(main())
