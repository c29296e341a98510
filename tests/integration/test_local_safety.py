#!/usr/bin/env python3
"""test_local_safety.py - what annex does against local attackers and for
its secrets on this machine (docs/security.md, "Local measures"):

- no core dumps: a running annex has RLIMIT_CORE 0 (soft and hard) and is
  not dumpable (its /proc files belong to root even when it runs as
  another user), seen from a credential_process stand-in that inspects its
  parent;
- -reap's lock cannot be blocked by another user: a lock file another user
  made (and holds) in a shared directory named by XDG_RUNTIME_DIR is passed
  over for ~/.condor/annex/reap.lock (0600 in a 0700 directory); a lock
  directory that is not the user's is refused by name;
- AWS's own hosts take only https://: a plain http:// URL for one, from the
  option, the environment or a knob, is refused naming its source before
  any packet is sent (an HTTP proxy in the environment sees nothing).
"""
import fcntl
import os
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()

NOBODY = 65534
ASAN = b"__asan_init" in open(T.ANNEX, "rb").read()
CLOSED = "http://127.0.0.1:1"     # connection refused at once: the run ends after the part under test


def as_nobody():
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def t_no_core_dumps(pool):
    out_dir = tempfile.mkdtemp(prefix="annex-core-")
    os.chmod(out_dir, 0o777)
    report = os.path.join(out_dir, "report")
    stub = os.path.join(pool.dir, "credproc")
    with open(stub, "w") as f:
        f.write("#!/bin/sh\n{\n"
                "echo \"owner=$(stat -c %%u /proc/$PPID/status)\"\n"
                "grep '^Max core file size' /proc/$PPID/limits\n"
                "echo \"soft=$(ulimit -S -c) hard=$(ulimit -H -c)\"\n"
                "} > '%s'\n"
                "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDCORE\", \"SecretAccessKey\": \"core-secret\"}'\n"
                % report)
    os.chmod(stub, 0o755)
    cfg = os.path.join(pool.dir, "aws-config")
    with open(cfg, "w") as f:
        f.write("[default]\ncredential_process = %s\n" % stub)
    os.chmod(cfg, 0o644)
    env = pool.env(AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=os.path.join(pool.dir, "none"),
                   ANNEX_MAX_ATTEMPTS="1", HOME=out_dir)
    rc, out, err = T.run_annex(["-status", "-aws-ec2-url", CLOSED], env, preexec=as_nobody, timeout=60)
    text = open(report).read() if os.path.exists(report) else ""
    T.check("credential_process ran as annex's child", "owner=" in text, (rc, out, err, text))
    lim = [line.split() for line in text.splitlines() if line.startswith("Max core file size")]
    T.check("RLIMIT_CORE is 0, soft and hard", lim and lim[0][4:6] == ["0", "0"] and
            "soft=0 hard=0" in text, text)
    if ASAN:
        T.check("(ASan build: stays dumpable for LeakSanitizer)", True)
    else:
        T.check("annex is not dumpable (its /proc files are root's though it runs as uid %d)" % NOBODY,
                "owner=0" in text, text)


def reap_env(pool, home, **over):
    env = pool.env(AWS_ACCESS_KEY_ID="AKIDREAP", AWS_SECRET_ACCESS_KEY="reap-secret", ANNEX_MAX_ATTEMPTS="1",
                   HOME=home, ANNEX_REAP_LOCK_FILE=None, XDG_RUNTIME_DIR=None, ANNEX_REAP_LOCK_WAIT="1")
    env.update(over)
    return env


def t_reap_lock_not_blockable(pool):
    shared = tempfile.mkdtemp(prefix="annex-shared-run-")
    os.chmod(shared, 0o1777)
    planted = os.path.join(shared, "annex-reap.lock")
    with open(planted, "w"):
        pass
    os.chown(planted, NOBODY, NOBODY)
    home = tempfile.mkdtemp(prefix="annex-home-")
    lock = os.path.join(home, ".condor", "annex", "reap.lock")
    with open(planted) as held:
        fcntl.flock(held, fcntl.LOCK_EX)       # the other user also holds it
        for label, over in (("XDG_RUNTIME_DIR is a shared directory", {"XDG_RUNTIME_DIR": shared}),
                            ("no XDG_RUNTIME_DIR", {})):
            rc, out, err = T.run_annex(["-reap", "-aws-ec2-url", CLOSED], reap_env(pool, home, **over), timeout=60)
            T.check("%s: another user's lock file neither blocks nor fails -reap" % label,
                    "ReapLock" not in err and "lock" not in err.lower() and "Another annex -reap" not in out and
                    "127.0.0.1:1" in err, (rc, out, err))
            T.check("%s: the lock is ~/.condor/annex/reap.lock, 0600 in a 0700 directory" % label,
                    os.path.isfile(lock) and stat.S_IMODE(os.stat(lock).st_mode) == 0o600 and
                    stat.S_IMODE(os.stat(os.path.dirname(lock)).st_mode) == 0o700, lock)
    # a private runtime directory is used
    run = tempfile.mkdtemp(prefix="annex-run-")
    rc, out, err = T.run_annex(["-reap", "-aws-ec2-url", CLOSED], reap_env(pool, home, XDG_RUNTIME_DIR=run),
                               timeout=60)
    T.check("a private XDG_RUNTIME_DIR holds the lock", os.path.isfile(os.path.join(run, "annex-reap.lock")),
            (rc, out, err, os.listdir(run)))
    # a lock directory another user owns is refused, by name
    home2 = tempfile.mkdtemp(prefix="annex-home-")
    os.makedirs(os.path.join(home2, ".condor", "annex"), mode=0o700)
    os.chown(os.path.join(home2, ".condor", "annex"), NOBODY, NOBODY)
    rc, out, err = T.run_annex(["-reap", "-aws-ec2-url", CLOSED], reap_env(pool, home2), timeout=60)
    T.check("another user's ~/.condor/annex is refused by name",
            rc == 1 and "annex: %s/.condor/annex belongs to uid %d, not to this user" % (home2, NOBODY) in err, err)


def t_https_for_aws_hosts(pool):
    tmp = tempfile.mkdtemp(prefix="annex-https-")
    log, portfile = os.path.join(tmp, "proxy.jsonl"), os.path.join(tmp, "port")
    proxy = subprocess.Popen([sys.executable, os.path.join(T.ROOT, "tests", "lib", "throttle_server.py"), "", log,
                              portfile], start_new_session=True)
    try:
        for _ in range(500):
            if os.path.exists(portfile):
                break
            time.sleep(0.02)
        purl = "http://127.0.0.1:%s" % open(portfile).read()
        base = dict(AWS_ACCESS_KEY_ID="AKIDHTTPS", AWS_SECRET_ACCESS_KEY="https-secret", ANNEX_MAX_ATTEMPTS="1",
                    http_proxy=purl, HTTP_PROXY=purl, https_proxy=purl, HTTPS_PROXY=purl)
        aws = "http://ec2.us-east-1.amazonaws.com"
        cases = (
            ("-aws-ec2-url", ["-aws-ec2-url", aws], {}),
            ("AWS_ENDPOINT_URL_EC2", [], {"AWS_ENDPOINT_URL_EC2": aws}),
            ("AWS_ENDPOINT_URL", [], {"AWS_ENDPOINT_URL": "http://EC2.cn-north-1.AmazonAWS.com.cn:80/"}),
            ("ANNEX_DEFAULT_EC2_URL", [], {"_CONDOR_ANNEX_DEFAULT_EC2_URL": aws}),
        )
        for source, args, over in cases:
            env = pool.env(**dict(base, **over))
            rc, out, err = T.run_annex(["-status"] + args, env, timeout=60)
            T.check("http:// to AWS from %s: refused naming it" % source,
                    rc == 1 and err.startswith("annex: %s: endpoint URL '" % source) and
                    "names an AWS host over plain http://" in err and err.count("\n") == 1, (rc, out, err))
        seen = open(log).read() if os.path.exists(log) else ""
        T.check("nothing was sent (the proxy saw no request)", seen == "", seen)
        env = pool.env(**dict(base, AWS_ENDPOINT_URL_EC2="https://ec2.us-east-1.amazonaws.com"))
        rc, out, err = T.run_annex(["-status"], env, timeout=60)
        T.check("https:// to AWS is accepted (it fails later, at the proxy's refused CONNECT)",
                rc == 1 and "endpoint URL" not in err, (rc, err))
    finally:
        os.killpg(proxy.pid, 15)
        proxy.wait()


def main():
    pool = T.Pool(None)
    os.chmod(pool.config, 0o644)
    for t in (t_no_core_dumps, t_reap_lock_not_blockable, t_https_for_aws_hosts):
        T.guarded(t, pool)
    return T.summary()


if __name__ == "__main__":
    sys.exit(main())
