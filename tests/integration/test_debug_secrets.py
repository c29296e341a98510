#!/usr/bin/env python3
"""No secret in annex's output, -debug included (SPEC.md sections 5 and 10).

Runs `annex -setup -debug`, `annex -count 1 -yes -debug` (and the same
launch without -debug, and a -dry-run -debug) against moto with signature
checking on, and asserts that neither stdout nor stderr holds the AWS secret
key (raw or %-encoded), the pool password (its bytes, its printable runs,
its base64 at each of the three alignments it can have inside a larger
base64 text), nor any signature value. The -debug runs must show a trace
(requests, the Authorization header with its value blanked), so a trace
that prints nothing cannot pass. Runs in a private network namespace.
"""
import base64
import os
import re
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import annextest as T  # noqa: E402

T.enter_netns()
from motoserver import MotoServer  # noqa: E402

SIG_RE = re.compile(r"(?i)signature=\s*[0-9a-f]{16,}")


def b64_cores(secret):
    """Substrings that any base64 text containing `secret` must contain: the
    encoding of secret at offsets 0, 1 and 2 of a 3-byte group, without the
    characters that depend on its neighbours."""
    cores = []
    for off in range(3):
        enc = base64.b64encode(b"\0" * off + secret).decode()
        start = (off * 8 + 5) // 6 + (1 if off else 0)
        tail = (len(secret) + off) % 3
        end = len(enc.rstrip("=")) - (1 if tail else 0)
        cores.append(enc[start:end])
    return cores


def leaks(text, m, password):
    found = []
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    for name, needle in (("secret key", m.secret_key), ("secret key %-encoded", urllib.parse.quote(m.secret_key, safe=""))):
        if needle.encode() in data:
            found.append(name)
    if password in data:
        found.append("pool password bytes")
    for run in re.findall(rb"[\x21-\x7e]{6,}", password):
        if run in data:
            found.append("pool password text %r" % run)
    for core in b64_cores(password):
        if core.encode() in data:
            found.append("pool password base64 %s" % core)
    for core in b64_cores(base64.b64encode(password)):   # the boot script's b64, inside UserData's b64
        if core.encode() in data:
            found.append("pool password base64 inside base64 %s" % core)
    if SIG_RE.search(data.decode("latin-1")):
        found.append("a Signature= value: " + SIG_RE.search(data.decode("latin-1")).group(0))
    return found


def run_raw(args, env):
    """Like T.run_annex, but keeps stdout/stderr as bytes (the password is binary)."""
    import subprocess
    p = subprocess.run([T.ANNEX] + args, env=env, capture_output=True, timeout=180, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def test_self_check(m, password):
    """The detector itself finds each kind of leak."""
    samples = {
        "secret": ("x " + m.secret_key + " y").encode(),
        "password": b"a" + password + b"b",
        "base64": base64.b64encode(b"ab" + password),
        "user-data (boot script in base64)": base64.b64encode(
            b"#!/bin/bash\npool_password_b64='" + base64.b64encode(password) + b"'\n"),
        "user-data shifted": base64.b64encode(b"#!/bin/bash\nx='" + base64.b64encode(password) + b"'\n"),
        "signature": b"Authorization: AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=" + b"ab" * 32,
    }
    for name, data in samples.items():
        T.check("detector finds %s" % name, leaks(data, m, password), data[:80])
    T.check("detector quiet on clean text", not leaks(b"Authorization: AWS4-HMAC-SHA256 Signature=<redacted>", m,
                                                      password))


def test_setup_debug(m, pool, password):
    rc, out, err = run_raw(["-setup", "-debug"], pool.env())
    T.check("setup -debug succeeds", rc == 0 and b"Setup successful." in out, out + err)
    T.check("setup -debug traces the requests", b"CreateRole" in err and b"Authorization" in err and
            b"2015-03-31/functions" in err, err[-2000:])
    T.check("setup -debug prints no secret", not leaks(out + err, m, password), leaks(out + err, m, password))


def test_launch_debug(m, pool, password):
    rc, out, err = run_raw(["-count", "1", "-annex-name", "dbg", "-yes", "-debug"], pool.env())
    T.check("launch -debug succeeds", rc == 0 and b"Annex started." in out, out + err)
    T.check("launch -debug traces RunInstances with its UserData field blanked",
            b"RunInstances" in err and b"UserData=" in err and b"Authorization" in err, err[-2000:])
    T.check("launch -debug prints no secret", not leaks(out + err, m, password), leaks(out + err, m, password))

    rc, out, err = run_raw(["-count", "1", "-annex-name", "quiet", "-yes"], pool.env())
    T.check("launch without -debug succeeds", rc == 0 and b"Annex started." in out, out + err)
    T.check("launch without -debug prints no secret", not leaks(out + err, m, password), leaks(out + err, m, password))

    rc, out, err = run_raw(["-count", "1", "-annex-name", "dry", "-dry-run", "-debug"], pool.env())
    T.check("-dry-run -debug prints no secret", rc == 0 and not leaks(out + err, m, password),
            (rc, leaks(out + err, m, password)))

    # a wrong key: the real one with its last character changed (to "X", or to "Y" when it is an "X":
    # moto's keys are random, and one in about 60 ends in "X")
    wrong = m.secret_key[:-1] + ("Y" if m.secret_key.endswith("X") else "X")
    rc, out, err = run_raw(["-count", "1", "-annex-name", "bad", "-yes", "-debug"],
                           pool.env(AWS_SECRET_ACCESS_KEY=wrong))
    T.check("a failed signature check with -debug prints no secret (the wrong key neither)",
            rc == 1 and not leaks(out + err, m, password) and wrong.encode() not in out + err,
            (rc, leaks(out + err, m, password)))


def main():
    with MotoServer() as m:
        pool = T.Pool(m)
        password = open(pool.password_file, "rb").read()
        T.guarded(test_self_check, m, password)
        T.guarded(test_setup_debug, m, pool, password)
        T.guarded(test_launch_debug, m, pool, password)
    return T.summary()


sys.exit(main())
