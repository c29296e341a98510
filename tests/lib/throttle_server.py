#!/usr/bin/env python3
"""throttle_server.py - a small AWS stand-in (standard library only) that
fails the first requests it gets, then answers.

    throttle_server.py FAULTS LOG.jsonl PORTFILE [CERT.pem KEY.pem]

With CERT and KEY it speaks HTTPS (for the TLS verification tests).

FAULTS is a comma-separated list applied to requests 1, 2, 3, ... in turn;
`name*N` repeats a fault N times, `ok` answers normally. After the list,
every request is answered normally. Faults:
  throttle  the protocol's throttling error: EC2 query -> 503
            RequestLimitExceeded, IAM/STS query -> 400 Throttling,
            JSON (X-Amz-Target) -> 400 ThrottlingException, S3 -> 503 SlowDown
  503 500 502 504   that status with an InternalError/ServiceUnavailable body
  reset     the connection is reset without a reply
  400       a non-retryable error (InvalidParameterValue)
  iam       EC2's IAM propagation error (400 InvalidParameterValue "Invalid
            IAM Instance Profile name")
A normal answer: JSON {"Rules": [], "n": N} for X-Amz-Target requests, else
an EC2 DescribeRegions reply whose requestId is "ok-N". `page` is a normal
answer that announces another page with a new token each time ("page-N":
NextToken in JSON, nextToken in XML; a GET gets JSON {"Functions": [],
"NextMarker": ...}), as an endpoint whose listing never ends would.

Every request is logged as one JSON line: n, method, path (absolute when
the server is used as a proxy), Host, fault, X-Amz-Date,
x-amz-content-sha256, Content-MD5, the SHA-256 of the body and whether an
Authorization header was present (never the signature itself). The port is written to PORTFILE once listening.
"""
import hashlib
import json
import os
import socket
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_faults(spec):
    out = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, _, count = item.partition("*")
        out.extend([name] * (int(count) if count else 1))
    return out


class State:
    def __init__(self, faults, log_path):
        self.faults = faults
        self.log_path = log_path
        self.n = 0
        self.lock = threading.Lock()

    def next(self):
        with self.lock:
            self.n += 1
            fault = self.faults[self.n - 1] if self.n <= len(self.faults) else "ok"
            return self.n, fault

    def log(self, rec):
        with self.lock, open(self.log_path, "a") as f:
            f.write(json.dumps(rec) + "\n")


def error_reply(fault, headers, body):
    target = headers.get("X-Amz-Target")
    if fault == "400":
        return 400, "text/xml", (b"<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>bad value"
                                 b"</Message></Error></Errors><RequestID>bad-1</RequestID></Response>")
    if fault == "iam":
        return 400, "text/xml", (b"<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value "
                                 b"(HTCondorAnnex-InstanceProfile) for parameter iamInstanceProfile.name is "
                                 b"invalid. Invalid IAM Instance Profile name</Message></Error></Errors>"
                                 b"<RequestID>iam-1</RequestID></Response>")
    if fault == "throttle":
        if target:
            return 400, "application/x-amz-json-1.1", json.dumps(
                {"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        if b"Version=2016-11-15" in body:
            return 503, "text/xml", (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>"
                                     b"Request limit exceeded.</Message></Error></Errors>"
                                     b"<RequestID>throttled-1</RequestID></Response>")
        if b"Action=" in body:
            return 400, "text/xml", (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                                     b"<Message>Rate exceeded</Message></Error><RequestId>throttled-2</RequestId>"
                                     b"</ErrorResponse>")
        return 503, "application/xml", (b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
                                        b"</Message><RequestId>throttled-3</RequestId></Error>")
    code = int(fault)
    name = {500: "InternalError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout"}[code]
    return code, "text/xml", (b"<Response><Errors><Error><Code>" + name.encode() + b"</Code><Message>injected "
                              + fault.encode() + b"</Message></Error></Errors><RequestID>fault-"
                              + fault.encode() + b"</RequestID></Response>")


def make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _send(self, code, ctype, data):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "srv-%d" % state.n)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            n, fault = state.next()
            state.log({"n": n, "method": self.command, "path": self.path, "host": self.headers.get("Host"),
                       "fault": fault, "content_sha256": self.headers.get("x-amz-content-sha256"),
                       "content_md5": self.headers.get("Content-MD5"),
                       "x_amz_date": self.headers.get("X-Amz-Date"),
                       "body_sha256": hashlib.sha256(body).hexdigest(),
                       "authorized": "Authorization" in self.headers})
            if fault == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if fault not in ("ok", "page"):
                return self._send(*error_reply(fault, self.headers, body))
            token = ("page-%d" % n) if fault == "page" else None
            if self.headers.get("X-Amz-Target"):
                page = {"Rules": [], "n": n}
                if token:
                    page["NextToken"] = token
                return self._send(200, "application/x-amz-json-1.1", json.dumps(page).encode())
            if token and self.command == "GET":
                return self._send(200, "application/json", json.dumps({"Functions": [], "NextMarker": token}).encode())
            return self._send(200, "text/xml", (
                b'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse '
                b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>ok-' + str(n).encode()
                + b"</requestId><regionInfo><item><regionName>us-east-1</regionName>"
                b"<regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item></regionInfo>"
                + (b"<nextToken>" + token.encode() + b"</nextToken>" if token else b"")
                + b"</DescribeRegionsResponse>"))

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        def finish(self):
            try:
                super().finish()
            except OSError:
                pass

    return Handler


def main():
    faults, log_path, port_file = sys.argv[1:4]
    open(log_path, "a").close()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(State(parse_faults(faults), log_path)))
    srv.daemon_threads = True
    if len(sys.argv) > 5:
        import ssl
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(sys.argv[4], sys.argv[5])
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
