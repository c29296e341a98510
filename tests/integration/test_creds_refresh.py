#!/usr/bin/env python3
"""Credentials that last (issue 18 item 4), against moto with signature
checking on, in a private network namespace.

Every command here takes longer than its first credentials are fresh: the
fault proxy holds the first AWS call 5 s, and the credentials served expire
15 min + 2 s after they are served, so from 2 s on they are within the
advisory window (CREDS_ADVISORY_S) and the next call must fetch new ones.
Both keys are real moto keys of the test user, so every signature is
checked (without a session token: moto would check one against an assumed
role); the fault proxy logs which access key id signed each request, and
the -debug trace must never show a secret key.

- instance role (tests/lib/imds_stub.py serving key A, then key B): fetched
  twice, the later requests signed with B;
- credential_process (prints A with a near Expiration, then B): run again,
  the later requests signed with B;
- a credential_process whose new run fails while the old credentials are in
  the mandatory window: the command fails, naming the profile;
- a credential_process that hangs is killed after
  ANNEX_CREDENTIAL_PROCESS_TIMEOUT with a message naming the profile.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

FRESH_FOR = 15 * 60 + 2
DELAY = [{"call": "any", "nth": 1, "fault": "delay", "seconds": 5}]


def signers(proxy):
    """The access key id of each signed request, in order (from the proxy's log)."""
    return [c["akid"] for c in proxy.calls()]


def base_env(pool, proxy, **over):
    env = pool.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_EC2_METADATA_DISABLED=None,
                   AWS_SHARED_CREDENTIALS_FILE=os.path.join(pool.dir, "no-credentials"),
                   AWS_CONFIG_FILE=os.path.join(pool.dir, "no-config"), ANNEX_MAX_ATTEMPTS="1", **proxy.env())
    env.update(over)
    return env


def no_secrets(err, keys):
    return all(k["SecretAccessKey"] not in err and (not k["Token"] or k["Token"] not in err) for k in keys)


def test_imds(pool, keys):
    tmp = tempfile.mkdtemp(prefix="annex-imds-")
    kf, log = os.path.join(tmp, "keys.json"), os.path.join(tmp, "imds.log")
    with open(kf, "w") as f:
        json.dump(keys, f)
    stub = subprocess.Popen([sys.executable, os.path.join(T.ROOT, "tests", "lib", "imds_stub.py"), "--log", log,
                             "--keys", kf, "--expires-in", str(FRESH_FOR)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(stub.stdout.readline().split()[1])
        with T.FaultProxy(DELAY) as fp:
            t0 = time.time()
            rc, out, err = T.run_annex(["-status", "-debug"], base_env(
                pool, fp, AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d" % port))
            took = time.time() - t0
            used = signers(fp)
    finally:
        stub.kill()
        stub.wait()
    served = re.findall(r"served=(\S+)", open(log).read())
    T.check("instance role: the command spans the expiry window and succeeds", rc == 0 and took >= 5,
            (rc, took, out, err[-3000:]))
    T.check("instance role: fetched again (A, then B)", served[:2] == [keys[0]["AccessKeyId"], keys[1]["AccessKeyId"]],
            served)
    T.check("instance role: the first request signed with A, the later ones with B",
            len(used) >= 2 and used[0] == keys[0]["AccessKeyId"] and used[-1] == keys[1]["AccessKeyId"] and
            set(used) == {keys[0]["AccessKeyId"], keys[1]["AccessKeyId"]}, used)
    T.check("instance role: the trace says so, without a secret",
            "credentials fetched again from instance role" in err and no_secrets(err, keys), err[-3000:])


def process_script(pool, name, body):
    path = os.path.join(pool.dir, name)
    with open(path, "w") as f:
        f.write("#!/usr/bin/env python3\n" + body)
    os.chmod(path, 0o755)
    cfg = os.path.join(pool.dir, name + ".config")
    with open(cfg, "w") as f:
        f.write("[default]\ncredential_process = %s\n" % path)
    return cfg


ROTATING = '''import datetime, json, os, sys
keys = json.load(open(%(keys)r))
log = %(log)r
n = len(open(log).read().splitlines()) if os.path.exists(log) else 0
with open(log, "a") as f:
    f.write("run %%d\\n" %% (n + 1))
if n >= 1 and %(fail_second)r:
    sys.exit(3)
k = keys[min(n, len(keys) - 1)]
exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=%(fresh)d if n == 0 else 3600)
print(json.dumps({"Version": 1, "AccessKeyId": k["AccessKeyId"], "SecretAccessKey": k["SecretAccessKey"],
                  "Expiration": exp.strftime("%%Y-%%m-%%dT%%H:%%M:%%SZ")}))
'''


def test_process(pool, keys):
    kf, log = os.path.join(pool.dir, "pkeys.json"), os.path.join(pool.dir, "proc.log")
    with open(kf, "w") as f:
        json.dump(keys, f)
    cfg = process_script(pool, "rotating", ROTATING % {"keys": kf, "log": log, "fail_second": False,
                                                      "fresh": FRESH_FOR})
    with T.FaultProxy(DELAY) as fp:
        rc, out, err = T.run_annex(["-status", "-debug"], base_env(pool, fp, AWS_CONFIG_FILE=cfg))
        used = signers(fp)
    runs = open(log).read().splitlines()
    T.check("credential_process: the command succeeds", rc == 0, (out, err[-3000:]))
    T.check("credential_process: run again when its Expiration neared (twice in all)", runs == ["run 1", "run 2"],
            runs)
    T.check("credential_process: the later requests signed with the new key",
            len(used) >= 2 and used[0] == keys[0]["AccessKeyId"] and used[-1] == keys[1]["AccessKeyId"], used)
    T.check("credential_process: no secret in the trace", no_secrets(err, keys))


def test_process_mandatory_fails(pool, keys):
    kf, log = os.path.join(pool.dir, "mkeys.json"), os.path.join(pool.dir, "mproc.log")
    with open(kf, "w") as f:
        json.dump(keys, f)
    # fresh for 9 minutes: inside the mandatory window from the start
    cfg = process_script(pool, "failing", ROTATING % {"keys": kf, "log": log, "fail_second": True, "fresh": 9 * 60})
    with T.FaultProxy([]) as fp:
        rc, out, err = T.run_annex(["-status"], base_env(pool, fp, AWS_CONFIG_FILE=cfg))
    T.check("a failed refresh in the mandatory window fails the command, naming the profile",
            rc == 1 and re.search(r"the credentials expire at \S+ and could not be fetched again: credential_process "
                                  r"of profile 'default' in \S+: \S+ exited with status 3", err), (rc, out, err))
    T.check("... no secret in the message", no_secrets(out + err, keys))


def test_process_timeout(pool):
    pidfile = os.path.join(pool.dir, "hang.pid")
    cfg = process_script(pool, "hang", "import os, time\nopen(%r, 'w').write(str(os.getpid()))\ntime.sleep(300)\n"
                         % pidfile)
    with T.FaultProxy([]) as fp:
        t0 = time.time()
        rc, out, err = T.run_annex(["-status"], base_env(pool, fp, AWS_CONFIG_FILE=cfg,
                                                         ANNEX_CREDENTIAL_PROCESS_TIMEOUT="1"))
        took = time.time() - t0
    want = ("annex: credential_process of profile 'default' in %s did not finish within 1 s and was killed (raise "
            "ANNEX_CREDENTIAL_PROCESS_TIMEOUT if it needs longer)\n" % cfg)
    T.check("a hanging credential_process: one line naming the profile, exit 1",
            rc == 1 and T.without_region_line(err) == want,
            (rc, out, err, want))
    T.check("... after about the timeout", 0.9 <= took < 10, took)
    pid = int(open(pidfile).read()) if os.path.exists(pidfile) else 0
    alive = pid and os.path.exists("/proc/%d" % pid)
    T.check("... and the process is gone", pid and not alive, pid)
    T.check("... nothing was sent to AWS", fp.calls() == [], fp.calls())


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        second = m.client("iam").create_access_key(UserName="annex-tester")["AccessKey"]
        keys = [{"AccessKeyId": m.access_key, "SecretAccessKey": m.secret_key, "Token": ""},
                {"AccessKeyId": second["AccessKeyId"], "SecretAccessKey": second["SecretAccessKey"],
                 "Token": ""}]
        T.guarded(test_imds, pool, keys)
        T.guarded(test_process, pool, keys)
        T.guarded(test_process_mandatory_fails, pool, keys)
        T.guarded(test_process_timeout, pool)
    return T.summary()


sys.exit(main())
