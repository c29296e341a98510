"""motoserver.py - start moto's server on 127.0.0.1 with signature checking on.

Used by every integration test (Python: `with MotoServer() as m: ...`; shell:
`eval "$(python3 tests/lib/motoserver.py start DIR)"` then
`python3 tests/lib/motoserver.py stop DIR`).

moto checks request signatures once INITIAL_NO_AUTH_ACTION_COUNT free calls
are spent. We spend exactly three: CreateUser, PutUserPolicy (an Allow-*
inline policy) and CreateAccessKey; every later call, annex's included, is
verified, so a wrong signature fails the test. The returned access key is
the one moto checks against.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

FREE_CALLS = 3


def find_moto_server():
    exe = shutil.which("moto_server")
    if exe:
        return exe
    for cand in (os.path.expanduser("~/.pyenv/shims/moto_server"), "/root/.pyenv/shims/moto_server"):
        if os.access(cand, os.X_OK):
            return cand
    raise RuntimeError("moto_server not found on PATH or in ~/.pyenv/shims (it comes with the machine image)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class MotoServer:
    def __init__(self, region="us-east-1", log=None, env=None):
        """env: variables for the server's process only (e.g. the test-only
        ANNEX_MOTO_FLEET_ERRORS of motopatch/sitecustomize.py)."""
        self.region = region
        self.server_env = dict(env or {})
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.proc = None
        self.log = log
        self.access_key = self.secret_key = None

    def start(self):
        env = dict(os.environ)
        env.update(self.server_env)
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(FREE_CALLS)
        env.pop("AWS_ENDPOINT_URL", None)
        # motopatch/sitecustomize.py: where moto 5.2.1 differs from AWS in
        # what annex's tests depend on (read its docstring)
        patch = os.path.join(os.path.dirname(os.path.abspath(__file__)), "motopatch")
        env["PYTHONPATH"] = patch + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        logf = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [find_moto_server(), "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=logf, stderr=logf, start_new_session=True)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).read()
                break
            except Exception:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("moto_server did not start on " + self.url)
                time.sleep(0.1)
        self._provision()
        return self

    def _provision(self):
        import boto3
        iam = boto3.client("iam", endpoint_url=self.url, region_name="us-east-1",
                           aws_access_key_id="AKIAFREECALLS0000000", aws_secret_access_key="free")
        iam.create_user(UserName="annex-tester")
        iam.put_user_policy(UserName="annex-tester", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="annex-tester")["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]

    def reset(self):
        """Forgets every resource (and the IAM user), then provisions a new
        key: the three provisioning calls go through unchecked again."""
        for path, body in (("/moto-api/reset", b""), ("/moto-api/reset-auth", str(FREE_CALLS).encode())):
            req = urllib.request.Request(self.url + path, data=body, method="POST",
                                         headers={"Content-Type": "text/plain"})
            urllib.request.urlopen(req, timeout=10).read()
        self._provision()

    def client(self, service, region=None):
        """An independent boto3 client, signed with the provisioned key."""
        import boto3
        c = boto3.client(service, endpoint_url=self.url, region_name=region or self.region,
                         aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)
        if service == "lambda":
            # moto checks Lambda GET/DELETE signatures only with a signed
            # x-amz-content-sha256 (TESTING.md); AWS accepts it too.
            import hashlib

            def add_hash(request, **kw):
                body = request.body or b""
                if isinstance(body, str):
                    body = body.encode()
                if "X-Amz-Content-SHA256" in request.headers:
                    del request.headers["X-Amz-Content-SHA256"]
                request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
            c.meta.events.register("before-sign.lambda", add_hash)
        return c

    def _post_json(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=10).read()

    def lambda_simple(self):
        """moto's simple Lambda mode, where Invoke answers canned replies
        (lambda_replies; past the queue: the payload). Call it before any
        function is made: the simple mode keeps its functions apart from the
        default mode's, which the switch hides. In the simple mode Invoke
        finds a reply even for a function that does not exist (AWS: 404)."""
        self._post_json("/moto-api/config", {"lambda": {"use_docker": False}})

    def lambda_replies(self, replies, region=None):
        """Queues the outputs of the next Lambda Invoke calls (strings),
        whatever the function: moto runs no Lambda code here (no Docker;
        TESTING.md), so tests of annex's invoke path use canned replies.
        Needs lambda_simple()."""
        self._post_json("/moto-api/static/lambda-simple/response",
                        {"results": list(replies), "region": region or self.region})

    def env(self):
        """Environment for running annex against this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _main():
    # start DIR: starts a server that outlives this process, prints shell
    # exports (MOTO_URL, MOTO_PID and the env() variables); stop DIR ends it.
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "start":
        os.makedirs(d, exist_ok=True)
        m = MotoServer(region=os.environ.get("MOTO_REGION", "us-east-1"), log=os.path.join(d, "moto.log"))
        m.start()
        with open(os.path.join(d, "moto.pid"), "w") as f:
            f.write(str(m.proc.pid))
        exports = dict(m.env(), MOTO_URL=m.url, MOTO_PID=str(m.proc.pid))
        with open(os.path.join(d, "moto.env"), "w") as f:
            for k, v in exports.items():
                f.write("export %s=%s\n" % (k, v))
        for k, v in exports.items():
            print("export %s=%s" % (k, v))
    elif cmd == "stop":
        try:
            pid = int(open(os.path.join(d, "moto.pid")).read())
            os.killpg(pid, signal.SIGTERM)
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    _main()
