#!/usr/bin/python3
"""test_http_tls.py - TLS is always verified: a local HTTPS server with a
self-signed certificate is refused, and not retried, until AWS_CA_BUNDLE
names that certificate; a certificate for another name is refused even
then; an empty or missing bundle does not switch verification off."""
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("ANNEX_BUILD", os.path.join(ROOT, "build"))
AWS_CALL = os.path.join(BUILD, "tools", "aws_call")
SERVER = os.path.join(ROOT, "tests", "lib", "throttle_server.py")
tmp = tempfile.mkdtemp(prefix="annex-tls-")


def make_cert(name, san):
    cert, key = os.path.join(tmp, name + ".pem"), os.path.join(tmp, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=" + name, "-addext", "subjectAltName=" + san],
                   check=True, capture_output=True)
    return cert, key


def start(cert, key, tag):
    log, portfile = os.path.join(tmp, tag + ".jsonl"), os.path.join(tmp, tag + ".port")
    proc = subprocess.Popen([sys.executable, SERVER, "", log, portfile, cert, key], start_new_session=True)
    for _ in range(300):
        if os.path.exists(portfile):
            return proc, int(open(portfile).read()), log
        time.sleep(0.02)
    raise RuntimeError("server did not start")


def run(port, *args, **env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in (
        "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "https_proxy", "HTTPS_PROXY")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIDTLS", "AWS_SECRET_ACCESS_KEY": "tls-secret-key-value",
                "AWS_EC2_METADATA_DISABLED": "true", "HOME": tmp, "ANNEX_MAX_ATTEMPTS": "3",
                "ANNEX_RETRY_BASE_MS": "1"})
    env.update(env_extra)
    argv = [AWS_CALL] + list(args) + ["-url", "ec2=https://127.0.0.1:%d" % port, "query", "ec2", "DescribeRegions"]
    p = subprocess.run(argv, env=env, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def requests_seen(log):
    with open(log) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    passed = failed = 0
    good_cert, good_key = make_cert("local", "IP:127.0.0.1")
    other_cert, other_key = make_cert("other.example", "DNS:other.example")
    good, good_port, good_log = start(good_cert, good_key, "good")
    other, other_port, other_log = start(other_cert, other_key, "other")

    def t_self_signed_refused():
        rc, out, err = run(good_port, "-debug")
        assert rc == 1 and "code=Transport" in err, err
        assert "attempt 1 of 3" in err and "attempt 2" not in err, "a verification failure was retried"
        assert "certificate" in err.lower(), err
        assert requests_seen(good_log) == [], "a request got through an unverified connection"

    def t_empty_bundle_still_verifies():
        rc, out, err = run(good_port, AWS_CA_BUNDLE="")
        assert rc == 1 and "code=Transport" in err, err

    def t_ca_bundle_honoured():
        rc, out, err = run(good_port, AWS_CA_BUNDLE=good_cert)
        assert rc == 0, err
        assert "<regionName>us-east-1</regionName>" in out, out
        seen = requests_seen(good_log)
        assert len(seen) == 1 and seen[0]["authorized"], seen

    def t_wrong_name_refused():
        rc, out, err = run(other_port, AWS_CA_BUNDLE=other_cert)
        assert rc == 1 and "code=Transport" in err, err
        assert requests_seen(other_log) == [], "a request reached a server with another name's certificate"

    def t_missing_bundle_file():
        rc, out, err = run(good_port, AWS_CA_BUNDLE=os.path.join(tmp, "nope.pem"))
        assert rc == 1 and "code=Transport" in err, err

    try:
        for t in (t_self_signed_refused, t_empty_bundle_still_verifies, t_ca_bundle_honoured, t_wrong_name_refused,
                  t_missing_bundle_file):
            try:
                t()
                passed += 1
                print("PASS", t.__name__)
            except Exception:
                failed += 1
                print("FAIL", t.__name__)
                traceback.print_exc(file=sys.stdout)
    finally:
        for p in (good, other):
            p.terminate()
            p.wait()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
