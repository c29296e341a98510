#!/usr/bin/env python3
"""The condor_annex tutorial session, replayed against annex.

A Japanese CG studio's tutorial (condor_annex 8.8.5 on AWS) is how many of
annex's users learned condor_annex. As a normal user (HTCondor reads no
user config for root) with the key pair in ~/.condor (mode 600) and the
tutorial's pool security settings, the user types exactly what the tutorial
typed; the output must match the tutorial's line for line after removing
the parenthesised time estimates and replacing the annex's uuid. annex's own
extra lines are allowed only where ALLOWED_EXTRA says.
"""
import os
import pwd
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

USER = "annextut"

TUTORIAL = """\
$ condor_annex -setup
Creating configuration bucket (this takes less than a minute).. complete.
Creating Lambda functions (this takes about a minute).. complete.
Creating instance profile (this takes about two minutes).. complete.
Creating security group (this takes less than a minute).. complete.
Setup successful.
$ condor_annex -check-setup
Checking security configuration... OK.
Checking for configuration bucket... OK.
Checking for Lambda functions... OK.
Checking for instance profile... OK.
Checking for security group... OK.
Your setup looks OK.
$ condor_annex -count 1 -annex-name HTCondorOnAWS -aws-on-demand-instance-type m3.medium
Will request 1 m3.medium on-demand instance for 0.83 hours.  Each instance will terminate after being idle for 0.25 hours.
Is that OK?  (Type 'yes' or 'no'): yes
Starting annex...
Annex started.  Its identity with the cloud provider is 'HTCondorOnAWS_6de43f64-5612-4ab4-bf01-5d69d7fa0ee7'.  It will take about three minutes for the new machines to join the pool.
"""

# annex's own lines, and the tutorial line each may follow (see
# docs/migrating-from-condor_annex.md for why each exists).
ALLOWED_EXTRA = [
    (r"Creating Spot Fleet role\.\. complete\.", r"Creating instance profile\.\. complete\."),
    (r"Checking for Spot Fleet role\.\.\. OK\.", r"Checking for security group\.\.\. OK\."),
    (r"Checking collector address\.\.\. OK\.", r"Checking for Spot Fleet role\.\.\. OK\."),
    # the EC2 permissions proved with DryRun (issue 21; docs/iam.md), between those two
    (r"Checking permissions for launching\.\.\. OK\.", r"Checking for Spot Fleet role\.\.\. OK\."),
    (r"Checking collector address\.\.\. OK\.", r"Checking permissions for launching\.\.\. OK\."),
    # the connectivity function (issue 19; docs/network.md): its own setup line, and the checks after the
    # collector address's (moto runs no Lambda code, so the collector line is a warning there)
    (r"Creating connectivity function\.\. complete\.", r"Creating Lambda functions\.\. complete\."),
    (r"Checking the collector from AWS \(198\.51\.100\.7:9618\)\.\.\. (OK\.|WARNING: ).*",
     r"Checking collector address\.\.\. OK\."),
    (r"Checking schedds\.\.\. skipped: condor_status is not on PATH \(or set ANNEX_CONDOR_STATUS to it\)\.",
     r"Checking the collector from AWS \(198\.51\.100\.7:9618\)\.\.\. .*"),
    # the HTCondor series nodes install when their image has none (SPEC.md section 7)
    (r"HTCondor \d+\.(0|x) .*on the nodes: .*\.", r"Is that OK\?  \(Type 'yes' or 'no'\): yes"),
    # the region every command that talks to AWS names on stderr (issue 17; docs/commands.md),
    # which the terminal shows before the prompt
    (r"annex: region us-east-1 \(from AWS_REGION\)",
     r"\$ condor_annex -count 1 -annex-name HTCondorOnAWS -aws-on-demand-instance-type m3\.medium"),
    # the tutorial's m3.medium is a Xen type: its nodes cannot follow a lease change (docs/images.md);
    # on stderr too, after the region line
    (r"annex: warning: m3\.medium is not built on the AWS Nitro System \(hypervisor xen\): .*lease change.*",
     r"annex: region us-east-1 \(from AWS_REGION\)"),
    # the worst case just before the question (issue 21; docs/commands.md): moto has no Price List API,
    # so it says no price is available, and the count x lease
    (r"Worst case: no on-demand price available \(.*\); at most 1 instance x 0\.83 h\.",
     r"Will request 1 m3\.medium on-demand instance for 0\.83 hours\.  .*"),
]


def allowed(line, previous):
    return any(re.fullmatch(a, line) and re.fullmatch(b, previous or "") for a, b in ALLOWED_EXTRA)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(text):
    out = []
    for line in text.splitlines():
        line = re.sub(r" \(this takes [^)]*\)", "", line)
        out.append(UUID.sub("UUID", line))
    return out


def make_user(pool_dir):
    subprocess.run(["userdel", "-r", USER], capture_output=True)
    subprocess.run(["useradd", "-m", "-s", "/bin/bash", USER], check=True)
    pw = pwd.getpwnam(USER)
    return pw


def as_user(pw, home):
    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return drop


def main():
    with MotoServer() as m:
        pw = make_user(None)
        home = pw.pw_dir
        condor = os.path.join(home, ".condor")
        os.makedirs(condor, exist_ok=True)
        with open(os.path.join(condor, "publicKeyFile"), "w") as f:
            f.write(m.access_key + "\n")
        with open(os.path.join(condor, "privateKeyFile"), "w") as f:
            f.write(m.secret_key + "\n")
        pool = T.Pool(m, extra="""\
SEC_DAEMON_AUTHENTICATION = REQUIRED
SEC_DAEMON_AUTHENTICATION_METHODS = PASSWORD
SEC_DAEMON_INTEGRITY = REQUIRED
SEC_NEGOTIATOR_AUTHENTICATION = REQUIRED
SEC_NEGOTIATOR_AUTHENTICATION_METHODS = PASSWORD
SEC_CLIENT_AUTHENTICATION_METHODS = FS, PASSWORD
ALLOW_DAEMON = condor_pool@*
""")
        for path in (condor, os.path.join(condor, "publicKeyFile"), os.path.join(condor, "privateKeyFile"),
                     pool.password_file):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(condor, 0o700)
        for f in ("publicKeyFile", "privateKeyFile"):
            os.chmod(os.path.join(condor, f), 0o600)
        os.chmod(pool.dir, 0o755)
        # a copy of annex the user can execute, wherever the checkout lives
        bindir = os.path.join(pool.dir, "bin")
        os.makedirs(bindir)
        shutil.copy(T.ANNEX, os.path.join(bindir, "annex"))
        os.chmod(bindir, 0o755)
        env = pool.env(HOME=home, USER=USER, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
        T.ANNEX = os.path.join(bindir, "annex")
        lst = T.Listener()
        transcript = []
        try:
            for args, answer in ((["-setup"], None), (["-check-setup"], None),
                                 (["-count", "1", "-annex-name", "HTCondorOnAWS",
                                   "-aws-on-demand-instance-type", "m3.medium"], "yes")):
                transcript.append("$ condor_annex " + " ".join(args))
                rc, out, err = T.run_annex(args, env, answer=answer, preexec=as_user(pw, home))
                transcript.extend(out.splitlines())
                T.check("annex %s exits 0 as %s" % (" ".join(args), USER), rc == 0, out + err)
        finally:
            lst.close()
        got = normalise("\n".join(transcript).replace("$ condor_annex", "$ condor_annex"))
        want = normalise(TUTORIAL)
        extra = [line for line in got if line not in want]
        stripped = [line for line in got if line in want]
        print("---- replayed session ----\n" + "\n".join(transcript) + "\n--------------------------")
        T.check("every tutorial line, in order", stripped == want,
                "\n".join(x for x in (set(want) - set(got))))
        ok_extra = all(allowed(got[i], got[i - 1] if i else None) for i in range(len(got)) if got[i] not in want)
        T.check("annex's extra lines only where allowed", ok_extra, extra)
        uc = os.path.join(home, ".condor", "user_config")
        T.check("setup wrote the user's user_config, mode 0600, owned by the user",
                os.path.exists(uc) and (os.stat(uc).st_mode & 0o777) == 0o600 and os.stat(uc).st_uid == pw.pw_uid, uc)
        text = open(uc).read() if os.path.exists(uc) else ""
        T.check("setup recorded condor_annex's key files in the knobs",
                "us_east_1.ANNEX_DEFAULT_ACCESS_KEY_FILE = %s/publicKeyFile" % condor in text and
                "us_east_1.ANNEX_DEFAULT_SECRET_KEY_FILE = %s/privateKeyFile" % condor in text, text)
        inst = [i for r in m.client("ec2").describe_instances(
            Filters=[{"Name": "tag:htcondor:AnnexName", "Values": ["HTCondorOnAWS"]}])["Reservations"]
            for i in r["Instances"]]
        T.check("one m3.medium instance started", len(inst) == 1 and inst[0]["InstanceType"] == "m3.medium", inst)
        T.check("its owner clause is the user", inst and {t["Key"]: t["Value"] for t in inst[0]["Tags"]}
                .get("htcondor:Owner") == USER, inst)
    subprocess.run(["userdel", "-r", USER], capture_output=True)
    return T.summary()


sys.exit(main())
