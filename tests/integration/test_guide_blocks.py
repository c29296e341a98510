#!/usr/bin/env python3
"""The guides' runnable blocks, run against the AWS emulator.

docs/guide.md and docs/guide.ja.md mark the command blocks a reader can
type as they are: a fenced block whose info string is `sh runnable` must
exit 0; one whose info string is `sh runnable-fails` must exit non-zero (a
refusal the guide shows on purpose). This test extracts every marked block
of each guide and runs them in order, each with `bash -e -o pipefail`, in
one working directory and HOME per guide, against a moto_server it starts
(signature checking on), the way scripts/demo.sh runs the main job. The
emulator environment is the test's, around the guide's text, never in it:

- AWS_ENDPOINT_URL, AWS_REGION and the emulator's key pair in the
  environment (the guide's readers have theirs in ~/.aws or ~/.condor);
- CONDOR_CONFIG: a throwaway pool (tests/lib/annextest.py's Pool) whose
  COLLECTOR_HOST is 198.51.100.7:9618, inside a private network namespace
  where a listener answers there, and whose ANNEX_DEFAULT_ODI_IMAGE_ID is
  the emulator's Amazon Linux 2023 image (the real default comes from SSM);
- IMAGE: the same image, for the blocks that name "your image" as $IMAGE;
- PATH: a directory with `annex` (ANNEX_BIN) and a stand-in
  `condor_status` that lists, as HTCondor 25.14 printed it
  (../shared/htcondor-recorded/annex-af.txt), every running instance of
  the annex asked about as an unclaimed slot: the nodes "join" at once;
- the working directory holds `examples/` (the source tree's), as the
  guide's readers have it in the source tree or the package's doc dir.

The guides' Spot Fleet launch is a -dry-run block (the real command is
shown beside it, unrun): moto 5.2.1 cannot end a launch-template fleet
(`annex -off` gets InvalidParameterCombination from moto's own cancel;
docs/reliability.md, "Known limits"), so the last block could not remove
the setup after a real one.

It fails naming the guide, the block's number and the line of the command
that failed; and when a guide has no runnable block, or the two guides'
runnable blocks differ (full-line comments aside, which are translated).
GUIDE_VERBOSE=1 prints each block's output. Ends with "N passed, M failed".
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

GUIDES = [os.path.join(T.ROOT, "docs", "guide.md"), os.path.join(T.ROOT, "docs", "guide.ja.md")]
FENCE = re.compile(r"^(`{3,})\s*(.*?)\s*$")
BLOCK_TIMEOUT = 300

STAND_IN = r'''#!/usr/bin/env python3
# condor_status stand-in for tests/integration/test_guide_blocks.py: for
# `-annex NAME -af ...`, every running instance of annex NAME as an
# unclaimed slot that entered its state now; anything else: nothing.
import sys, time
import boto3
a = sys.argv[1:]
if "-annex" not in a:
    sys.exit(0)
name = a[a.index("-annex") + 1]
ec2 = boto3.client("ec2", endpoint_url=%(url)r, region_name=%(region)r,
                   aws_access_key_id=%(ak)r, aws_secret_access_key=%(sk)r)
now = int(time.time())
for r in ec2.describe_instances(Filters=[{"Name": "tag:htcondor:AnnexName", "Values": [name]},
                                         {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]:
    for i in r["Instances"]:
        host = "ip-" + i.get("PrivateIpAddress", "10.0.0.1").replace(".", "-") + ".ec2.internal"
        print("slot1@%%s %%s %%s Unclaimed Idle %%d" %% (host, name, i["InstanceId"], now))
'''


def blocks(path):
    """[(number, first line in the file, kind, text)]: the marked blocks, in
    order; kind is 'ok' (sh runnable) or 'fails' (sh runnable-fails)."""
    out = []
    lines = open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(1), m.group(2).split()
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        if info[:1] == ["sh"] and len(info) == 2 and info[1] in ("runnable", "runnable-fails"):
            out.append((len(out) + 1, i + 2, "ok" if info[1] == "runnable" else "fails",
                        "\n".join(lines[i + 1:j]) + "\n"))
        elif any(w.startswith("runnable") for w in info):
            out.append((len(out) + 1, i + 1, "bad marker " + " ".join(info), ""))
        i = j + 1
    return out


def commands(text):
    """A block's commands: what must be the same in both guides."""
    return [line.rstrip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def first_command(text):
    c = commands(text)
    return c[0] if c else ""


def make_env(m, pool, work):
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir)
    os.symlink(T.ANNEX, os.path.join(bindir, "annex"))
    cs = os.path.join(bindir, "condor_status")
    with open(cs, "w") as f:
        f.write(STAND_IN % {"url": m.url, "region": m.region, "ak": m.access_key, "sk": m.secret_key})
    os.chmod(cs, 0o755)
    os.symlink(os.path.join(T.ROOT, "examples"), os.path.join(work, "examples"))
    home = os.path.join(work, "home")
    os.makedirs(home)
    env = pool.env(HOME=home, USER="root", PATH=bindir + ":" + os.environ.get("PATH", "/usr/bin:/bin"),
                   IMAGE=pool.image, ANNEX_RETRY_BASE_MS=None)
    return env


def run_guide(path, listed):
    name = os.path.relpath(path, T.ROOT)
    work = tempfile.mkdtemp(prefix="annex-guide-")
    try:
        with MotoServer() as m:
            pool = T.Pool(m)
            env = make_env(m, pool, work)
            results = []
            for n, line, kind, text in listed:
                if kind.startswith("bad marker"):
                    T.check("%s block %d (line %d): a known marker" % (name, n, line), False, kind)
                    continue
                # the line of the failing command: bash's own LINENO in the block
                script = ("trap 'echo \"__guide_failed_at__ $LINENO\" >&2' ERR\n" if kind == "ok" else "") + text
                opts = ["-e", "-o", "pipefail"] if kind == "ok" else []
                p = subprocess.run(["bash"] + opts + ["-c", script], cwd=work, env=env, capture_output=True,
                                   text=True, timeout=BLOCK_TIMEOUT, stdin=subprocess.DEVNULL)
                at = re.findall(r"__guide_failed_at__ (\d+)", p.stderr)
                failed_line = line + int(at[-1]) - 2 if at else line
                shown = "\n".join(s for s in (p.stdout + p.stderr).splitlines() if "__guide_failed_at__" not in s)
                if os.environ.get("GUIDE_VERBOSE"):
                    print("---- %s block %d ----\n%s\n----" % (name, n, shown), flush=True)
                if kind == "ok":
                    ok = p.returncode == 0
                    why = "exit %d at %s:%d (%s)\n%s" % (p.returncode, name, failed_line,
                                                          text.splitlines()[failed_line - line] if 0 <= failed_line - line < len(text.splitlines()) else "", shown[-1500:])
                else:
                    ok = p.returncode != 0
                    why = "exit 0 but the guide says it fails, at %s:%d\n%s" % (name, line, shown[-1500:])
                # a crash behind an exit status that looks fine (the stand-in's, moto's)
                bad = [w for w in ("Traceback", "SignatureDoesNotMatch") if w in p.stdout + p.stderr]
                if bad:
                    ok, why = False, "%s in the output of %s:%d\n%s" % (bad[0], name, line, shown[-1500:])
                T.check("%s block %d (line %d, %s): %s" % (name, n, line,
                        "exits 0" if kind == "ok" else "fails as shown", first_command(text)), ok, why)
                results.append(ok)
            shutil.rmtree(pool.dir, ignore_errors=True)
            return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    listed = {}
    for g in GUIDES:
        name = os.path.relpath(g, T.ROOT)
        if not os.path.exists(g):
            T.check("%s exists" % name, False, g)
            continue
        listed[g] = blocks(g)
        T.check("%s has runnable blocks" % name, len(listed[g]) > 0, "no ```sh runnable block")
    if len(listed) == 2:
        a, b = (listed[g] for g in GUIDES)
        ca = [(k, commands(t)) for _, _, k, t in a]
        cb = [(k, commands(t)) for _, _, k, t in b]
        diff = ""
        for i in range(max(len(ca), len(cb))):
            if i >= len(ca) or i >= len(cb) or ca[i] != cb[i]:
                diff = "block %d: %s (line %s) vs %s (line %s)" % (
                    i + 1, ca[i] if i < len(ca) else "none", a[i][1] if i < len(a) else "-",
                    cb[i] if i < len(cb) else "none", b[i][1] if i < len(b) else "-")
                break
        T.check("both guides have the same runnable blocks (%d, %d)" % (len(ca), len(cb)), not diff, diff)
    for g in GUIDES:
        if listed.get(g):
            lst = T.Listener()
            try:
                run_guide(g, listed[g])
            finally:
                lst.close()
    return T.summary()


sys.exit(main())
