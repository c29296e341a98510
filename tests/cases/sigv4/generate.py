#!/usr/bin/env python3
"""generate.py - computes the expected header-* files of the case folders
beside this script with botocore, the second implementation annex's signer
is checked against (see README.md here).

    python3 tests/cases/sigv4/generate.py [CASE_DIR...]

Each case folder holds a hand-written context.json and request.txt in the
layout of ../shared/sigv4-suite. request.txt is split as that suite's runner
contract says; the request is signed with botocore's S3SigV4Auth when
context.json asks for S3 style (double_uri_encode and normalize false,
sign_body true), with SigV4Auth when it asks for the generic style
(double_uri_encode and normalize true, sign_body false), the clock mocked to
the case's timestamp. Any other combination is refused: botocore cannot
express it. Only header-* files are written: botocore presigns S3 with
UNSIGNED-PAYLOAD, which is not what the suite's query variant signs.
"""
import datetime
import json
import os
import sys
from unittest import mock

import botocore.auth
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def parse_request(text):
    """Request line split at first and last space, headers (continuations
    joined with a space), the body after the first empty line."""
    head, _, rest = text.partition(b"\n")
    line = head.decode()
    first, last = line.index(" "), line.rindex(" ")
    method, target = line[:first], line[first + 1:last]
    headers, raw, body = [], b"", b""
    lines = rest.split(b"\n")
    for i, l in enumerate(lines):
        if l == b"":
            if i < len(lines) - 1:
                body = b"\n".join(lines[i + 1:])
            break
        raw += l + b"\n"
        if l[:1] in (b" ", b"\t"):
            headers[-1][1] += " " + l.decode()
        else:
            name, _, value = l.decode().partition(":")
            headers.append([name, value])
    return line, method, target, headers, raw, body


def signer_class(ctx):
    s3 = (not ctx.get("double_uri_encode", True), not ctx["normalize"], ctx["sign_body"])
    if all(s3) and not ctx.get("omit_session_token", False):
        return S3SigV4Auth
    if not any(s3) and not ctx.get("omit_session_token", False):
        return SigV4Auth
    sys.exit(f"{ctx}: botocore has no signer for this combination")


def generate(case):
    with open(os.path.join(case, "context.json")) as f:
        ctx = json.load(f)
    with open(os.path.join(case, "request.txt"), "rb") as f:
        line, method, target, headers, raw, body = parse_request(f.read())
    host = next(v for n, v in headers if n.lower() == "host").strip()
    cred = ctx["credentials"]
    creds = Credentials(cred["access_key_id"], cred["secret_access_key"], cred.get("token"))
    captured = {}

    class Capturing(signer_class(ctx)):
        def canonical_request(self, request):
            captured["cr"] = super().canonical_request(request)
            return captured["cr"]

        def string_to_sign(self, request, canonical_request):
            captured["sts"] = super().string_to_sign(request, canonical_request)
            return captured["sts"]

        def signature(self, string_to_sign, request):
            captured["sig"] = super().signature(string_to_sign, request)
            return captured["sig"]

    req = AWSRequest(method=method, url=f"https://{host}{target}", data=body)
    for name, value in headers:
        req.headers[name] = value
    when = datetime.datetime.strptime(ctx["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        Capturing(creds, ctx["service"], ctx["region"]).add_auth(req)

    added = []
    if cred.get("token"):
        added.append(("X-Amz-Security-Token", req.headers["X-Amz-Security-Token"]))
    added.append(("X-Amz-Date", req.headers["X-Amz-Date"]))
    if ctx["sign_body"]:
        added.append(("x-amz-content-sha256", req.headers["X-Amz-Content-SHA256"]))
    added.append(("Authorization", req.headers["Authorization"]))
    signed = line.encode() + b"\n" + raw
    signed += b"".join(f"{n}:{v}\n".encode() for n, v in added) + b"\n" + body

    out = {
        "header-canonical-request.txt": captured["cr"].encode(),
        "header-string-to-sign.txt": captured["sts"].encode(),
        "header-signature.txt": captured["sig"].encode(),
        "header-signed-request.txt": signed,
    }
    for name, data in out.items():
        with open(os.path.join(case, name), "wb") as f:
            f.write(data)
    print(f"{os.path.basename(case)}: {signer_class(ctx).__name__}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cases = sys.argv[1:] or sorted(
        os.path.join(here, d) for d in os.listdir(here)
        if os.path.isfile(os.path.join(here, d, "context.json")))
    for case in cases:
        generate(case)


if __name__ == "__main__":
    main()
