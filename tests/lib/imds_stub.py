"""imds_stub.py - a stand-in for the EC2 instance metadata service (IMDSv2)
on 127.0.0.1, standard library only.

    python3 tests/lib/imds_stub.py --log FILE [--mode MODE] [--role R]
        [--access-key-id A] [--secret S] [--token T] [--expiration ISO]

Prints "PORT <n>" on its first stdout line once it listens (a free port),
then serves until killed. Every request is appended to --log as one line:
"METHOD PATH ttl=<ttl header or -> token=<ok|missing|bad>".

Like the real service (IMDSv2 required, as annex's nodes set it):
  PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds (1..21600)
      and answers a fresh session token;
  GET /latest/meta-data/... needs X-aws-ec2-metadata-token with that token,
      else 401;
  GET /latest/meta-data/iam/security-credentials/ answers the role name;
  GET /latest/meta-data/iam/security-credentials/<role> answers its JSON.
Short-lived credentials that change: --expires-in S makes each answer's
Expiration S seconds from the moment it is served; --keys FILE (a JSON list
of {"AccessKeyId", "SecretAccessKey", "Token"}) makes the Nth fetch of the
role's credentials serve entry N (the last one from then on), and each
such fetch's log line ends in " served=<AccessKeyId>".
Modes: normal; hang (accepts, reads the request, never answers: for the
timeout test); norole (404 on the role list); badjson (garbage credentials).
"""
import argparse
import datetime
import http.server
import json
import secrets
import socketserver
import sys
import threading
import time

CREDS_PREFIX = "/latest/meta-data/iam/security-credentials/"


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_handler(args, tokens, lock):
    served = [0]
    keys = json.load(open(args.keys)) if args.keys else None

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def record(self, token_state, extra=""):
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds") or "-"
            with lock:
                with open(args.log, "a") as f:
                    f.write("%s %s ttl=%s token=%s%s\n" % (self.command, self.path, ttl, token_state, extra))

        def reply(self, code, body, ctype="text/plain"):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def token_state(self):
            t = self.headers.get("X-aws-ec2-metadata-token")
            if t is None:
                return "missing"
            with lock:
                return "ok" if t in tokens else "bad"

        def do_PUT(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            self.record(self.token_state())
            if args.mode == "hang":
                time.sleep(3600)
                return
            if self.path != "/latest/api/token":
                return self.reply(403, "Forbidden")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400, "Missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
            tok = args.token or secrets.token_urlsafe(32)
            with lock:
                tokens.add(tok)
            self.reply(200, tok)

        def do_GET(self):
            state = self.token_state()
            if state != "ok" or args.mode != "normal" or self.path != CREDS_PREFIX + args.role:
                self.record(state)
            if args.mode == "hang":
                time.sleep(3600)
                return
            if state != "ok":
                return self.reply(401, "Unauthorized")
            if self.path == CREDS_PREFIX:
                if args.mode == "norole":
                    return self.reply(404, "Not Found")
                return self.reply(200, args.role + "\n")
            if self.path == CREDS_PREFIX + args.role:
                if args.mode == "badjson":
                    return self.reply(200, "{not json")
                doc = {
                    "Code": "Success",
                    "LastUpdated": "2024-01-01T00:00:00Z",
                    "Type": "AWS-HMAC",
                    "AccessKeyId": args.access_key_id,
                    "SecretAccessKey": args.secret,
                    "Token": args.session_token,
                    "Expiration": args.expiration,
                }
                with lock:
                    served[0] += 1
                    n = served[0]
                if keys:
                    doc.update(keys[min(n, len(keys)) - 1])
                if args.expires_in is not None:
                    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=args.expires_in)
                    doc["Expiration"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
                self.record(state, " served=" + doc["AccessKeyId"] if keys else "")
                return self.reply(200, json.dumps(doc, indent=2))
            self.reply(404, "Not Found")

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--mode", default="normal", choices=["normal", "hang", "norole", "badjson"])
    p.add_argument("--role", default="annex-test-role")
    p.add_argument("--access-key-id", default="ASIAIMDSSTUBEXAMPLE")
    p.add_argument("--secret", default="imds/stub/secret/key/EXAMPLEKEY")
    p.add_argument("--session-token", default="imds-stub-session-token")
    p.add_argument("--token", default=None, help="fixed IMDS token (default: random)")
    p.add_argument("--expiration", default="2099-01-02T03:04:05Z")
    p.add_argument("--expires-in", type=int, default=None, help="Expiration this many seconds after serving")
    p.add_argument("--keys", default=None, help="JSON list of credentials served in turn")
    args = p.parse_args()
    open(args.log, "a").close()
    srv = Server(("127.0.0.1", 0), make_handler(args, set(), threading.Lock()))
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
