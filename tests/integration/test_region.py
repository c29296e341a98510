#!/usr/bin/env python3
"""The region (issue 17 item 4) against moto, which serves every region on
one endpoint, so two regions are two sets of resources behind one URL.

- the AWS profile's region (~/.aws/config, AWS_PROFILE, AWS_CONFIG_FILE)
  is used when no option, knob, AWS_REGION or AWS_DEFAULT_REGION names
  one: -setup and a launch act there;
- every command that talks to AWS names its region and where it came from
  in one line on stderr; stdout stays clean (-status -json parses);
- -setup records ANNEX_SETUP_REGION region-prefixed;
- -config-val reads with the region's local name, so right after -setup it
  shows what setup recorded without -aws-region;
- -reap covers every region with a recorded setup; a failure in one region
  does not stop the others and makes the exit status non-zero.
"""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

LIVE = ["pending", "running", "stopping", "stopped"]
REGION_LINE = re.compile(r"^annex: region (\S+) \((.*)\)$", re.M)


def region_lines(err):
    return REGION_LINE.findall(err)


def live(m, region, name):
    res = m.client("ec2", region).describe_instances(Filters=[
        {"Name": "tag:htcondor:AnnexName", "Values": [name]},
        {"Name": "instance-state-name", "Values": LIVE}])["Reservations"]
    return [i["InstanceId"] for r in res for i in r["Instances"]]


def image(m, region):
    imgs = m.client("ec2", region).describe_images(Owners=["amazon"])["Images"]
    return sorted(i["ImageId"] for i in imgs if i.get("Architecture") == "x86_64" and
                  i.get("Name", "").startswith("al2023-ami-2023"))[0]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def profile_env(pool, **over):
    """No AWS_REGION (moto's env sets it): the region comes from the profile."""
    base = dict(AWS_REGION=None, AWS_DEFAULT_REGION=None, AWS_PROFILE="render")
    base.update(over)
    return pool.env(**base)


def test_profile_region(m, pool):
    write(os.path.join(pool.home, ".aws", "config"),
          "[default]\nregion = eu-west-1\n\n[profile render]\noutput = json\nregion = us-west-2\n")
    rc, out, err = T.run_annex(["-setup"], profile_env(pool))
    T.check("-setup with AWS_PROFILE=render and no region variable", rc == 0, out + err)
    T.check("... names the profile's region and where it came from, once, on stderr",
            region_lines(err) == [("us-west-2", "from ~/.aws/config, profile render")], err)
    T.check("... the region line is not on stdout", "annex: region" not in out, out)
    buckets = [b["Name"] for b in m.client("s3", "us-west-2").list_buckets()["Buckets"]]
    T.check("... made its bucket in us-west-2", any(b.endswith("-us-west-2") for b in buckets) and
            not any(b.endswith("-us-east-1") for b in buckets), buckets)
    with open(pool.setup_file()) as f:
        recorded = f.read()
    T.check("... recorded the region it set up (us_west_2.ANNEX_SETUP_REGION = us-west-2)",
            re.search(r"^us_west_2\.ANNEX_SETUP_REGION = us-west-2$", recorded, re.M), recorded)

    # -config-val right after -setup, no -aws-region: the region's local name applies
    rc, out, err = T.run_annex(["-config-val", "ANNEX_DEFAULT_S3_BUCKET", "ANNEX_SETUP_REGION"], profile_env(pool))
    bucket = re.search(r"^us_west_2\.ANNEX_DEFAULT_S3_BUCKET = (\S+)$", recorded, re.M)
    T.check("-config-val after -setup, without -aws-region: the values setup recorded, alone on stdout",
            rc == 0 and bucket and out == "%s\nus-west-2\n" % bucket.group(1), (rc, out, err))
    T.check("... and no region line (it talks to no AWS service)", err == "", err)

    # a launch in the profile's region
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "west", "-duration", "1", "-yes",
                                "-aws-on-demand-ami-id", image(m, "us-west-2")], profile_env(pool))
    T.check("launch with the profile's region", rc == 0, out + err)
    T.check("... its instance runs in us-west-2, none in us-east-1",
            len(live(m, "us-west-2", "west")) == 1 and live(m, "us-east-1", "west") == [],
            (live(m, "us-west-2", "west"), live(m, "us-east-1", "west")))
    T.check("... the launch names its region on stderr",
            region_lines(err) == [("us-west-2", "from ~/.aws/config, profile render")], err)

    # -status -json: stdout stays JSON, the region line on stderr
    rc, out, err = T.run_annex(["-status", "-json"], profile_env(pool))
    try:
        json.loads(out)
        parsed = True
    except ValueError:
        parsed = False
    T.check("-status -json: stdout parses as JSON, the region line on stderr",
            rc == 0 and parsed and region_lines(err) == [("us-west-2", "from ~/.aws/config, profile render")],
            (rc, out, err))

    # the default profile when AWS_PROFILE is unset
    rc, out, err = T.run_annex(["-status"], profile_env(pool, AWS_PROFILE=None))
    T.check("no AWS_PROFILE: the [default] section's region",
            rc == 0 and region_lines(err) == [("eu-west-1", "from ~/.aws/config, profile default")], (rc, err))

    # AWS_CONFIG_FILE names another file
    other = os.path.join(pool.dir, "aws-config")
    write(other, "[profile render]\nregion = ap-south-1\n")
    rc, out, err = T.run_annex(["-status"], profile_env(pool, AWS_CONFIG_FILE=other))
    T.check("AWS_CONFIG_FILE is honoured",
            rc == 0 and region_lines(err) == [("ap-south-1", "from %s, profile render" % other)], (rc, err))

    # the order: AWS_DEFAULT_REGION and AWS_REGION before the profile, options before all
    rc, out, err = T.run_annex(["-status"], profile_env(pool, AWS_DEFAULT_REGION="ca-central-1"))
    T.check("AWS_DEFAULT_REGION wins over the profile",
            region_lines(err) == [("ca-central-1", "from AWS_DEFAULT_REGION")], err)
    rc, out, err = T.run_annex(["-status"], profile_env(pool, AWS_DEFAULT_REGION="ca-central-1",
                                                        AWS_REGION="sa-east-1"))
    T.check("AWS_REGION wins over AWS_DEFAULT_REGION", region_lines(err) == [("sa-east-1", "from AWS_REGION")], err)
    rc, out, err = T.run_annex(["-status", "-aws-region", "eu-north-1"], profile_env(pool, AWS_REGION="sa-east-1"))
    T.check("-aws-region wins over all", region_lines(err) == [("eu-north-1", "from -aws-region")], err)
    rc, out, err = T.run_annex(["-status"], profile_env(pool, AWS_PROFILE="nosuch"))
    T.check("a profile without a region: the default us-east-1, said so",
            region_lines(err) == [("us-east-1", "annex's default: nothing names a region")], err)


def test_reap_two_regions(m, pool):
    """us-west-2 was set up above through the profile; us-east-1 now through
    AWS_REGION. One annex in each, both past their lease: one -reap (its own
    region us-east-1) ends both."""
    rc, out, err = T.run_annex(["-setup"], pool.env())
    T.check("-setup in us-east-1", rc == 0 and region_lines(err) == [("us-east-1", "from AWS_REGION")], out + err)
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "east", "-duration", "0.001", "-yes"], pool.env())
    T.check("launch in us-east-1", rc == 0, out + err)
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "west2", "-duration", "0.001", "-yes",
                                "-aws-on-demand-ami-id", image(m, "us-west-2")], profile_env(pool))
    T.check("launch in us-west-2", rc == 0, out + err)
    time.sleep(5)
    lock = os.path.join(pool.dir, "reap.lock")
    renv = dict(ANNEX_REAP_LOCK_FILE=lock, ANNEX_CONDOR_STATUS="/nonexistent/condor_status")
    rc, out, err = T.run_annex(["-reap"], pool.env(**renv))
    T.check("-reap from us-east-1 reaps both set-up regions, exit 0", rc == 0, (rc, out, err))
    T.check("... the annex in us-east-1 ended", live(m, "us-east-1", "east") == [], live(m, "us-east-1", "east"))
    T.check("... the annex in us-west-2 ended", live(m, "us-west-2", "west2") == [], live(m, "us-west-2", "west2"))
    T.check("... one line per annex on stdout",
            re.search(r"^Annex 'east' .*lease expired", out, re.M) and
            re.search(r"^Annex 'west2' .*lease expired", out, re.M) and len(out.splitlines()) == 2, out)
    regions = region_lines(err)
    T.check("... one region line per region acted in, the command's own first",
            [r for r, _ in regions] == ["us-east-1", "us-west-2"] and
            regions[1][1].startswith("from the -setup recorded at %s:" % pool.setup_file()), err)
    rc, out, err = T.run_annex(["-reap"], pool.env(**renv))
    T.check("second -reap: nothing to do in either region, nothing said", rc == 0 and out == "" and err == "",
            (rc, out, err))

    # a failure in one region does not stop the other
    rc, out, err = T.run_annex(["-count", "1", "-annex-name", "east2", "-duration", "0.001", "-yes"], pool.env())
    T.check("launch another in us-east-1", rc == 0, out + err)
    time.sleep(5)
    with open(pool.setup_file(), "a") as f:
        f.write("us_west_2.ANNEX_DEFAULT_ACCESS_KEY_FILE = /nonexistent/key\n"
                "us_west_2.ANNEX_DEFAULT_SECRET_KEY_FILE = /nonexistent/secret\n")
    rc, out, err = T.run_annex(["-reap"], pool.env(**renv))
    T.check("a region that fails: exit non-zero", rc != 0, (rc, out, err))
    T.check("... the other region is still reaped", live(m, "us-east-1", "east2") == [] and
            re.search(r"^Annex 'east2' .*lease expired", out, re.M), (out, err))
    T.check("... the failing region is named with its error",
            re.search(r"^annex: region us-west-2 \(", err, re.M) and
            re.search(r"^annex: us-west-2: .*/nonexistent/key", err, re.M) and
            re.search(r"1 of 2 regions could not be reaped", err), err)

    # -aws-region: that region alone
    rc, out, err = T.run_annex(["-reap", "-aws-region", "us-east-1"], pool.env(**renv))
    T.check("-reap -aws-region R looks only in R (the broken region is not visited)", rc == 0 and err == "",
            (rc, out, err))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        T.guarded(test_profile_region, m, pool)
        T.guarded(test_reap_two_regions, m, pool)
    return T.summary()


if __name__ == "__main__":
    sys.exit(main())
