#!/usr/bin/env python3
"""hostile_server.py - an endpoint that answers every request with a
hostile reply (standard library only), chosen by the first path segment:

    hostile_server.py PORTFILE

  /laughs/...    200, an XML "billion laughs" document (10^9 "lol"s once
                 its entities are expanded)
  /laughs-err/...  the same with status 400 (the error-decoding path)
  /xxe/...       200, XML whose entity is the file /etc/hostname
  /endless/...   200, a body without length that never ends
  /huge/...      200, Content-Length: 1 TiB, then bytes until the client hangs up
  /headers/...   200, header lines that never end
  /ok/...        200, a small EC2 DescribeRegions reply

The port is written to PORTFILE once listening.
"""
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAUGHS = ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n"
          + "".join(" <!ENTITY lol%d \"%s\">\n" % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10)
                    for i in range(1, 10))
          + "]>\n<DescribeRegionsResponse><requestId>&lol9;</requestId><regionInfo><item>"
            "<regionName>&lol9;</regionName></item></regionInfo></DescribeRegionsResponse>\n").encode()
LAUGHS_ERR = LAUGHS.replace(b"<DescribeRegionsResponse><requestId>&lol9;</requestId>",
                            b"<Response><Errors><Error><Code>&lol9;</Code><Message>&lol9;</Message></Error></Errors>"
                            b"<RequestID>&lol9;</RequestID>").replace(b"</DescribeRegionsResponse>", b"</Response>")
XXE = (b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/hostname\">]>"
       b"<DescribeRegionsResponse><requestId>&x;</requestId><regionInfo><item><regionName>&x;</regionName>"
       b"</item></regionInfo></DescribeRegionsResponse>")
OK = (b"<DescribeRegionsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>ok-1</requestId>"
      b"<regionInfo><item><regionName>us-east-1</regionName></item></regionInfo></DescribeRegionsResponse>")
CHUNK = b"<x>" + b"A" * 65533


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        mode = self.path.lstrip("/").split("/", 1)[0]
        try:
            if mode in ("laughs", "laughs-err", "xxe", "ok"):
                body = {"laughs": LAUGHS, "laughs-err": LAUGHS_ERR, "xxe": XXE, "ok": OK}[mode]
                self.send_response(400 if mode == "laughs-err" else 200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif mode in ("endless", "huge"):
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                if mode == "huge":
                    self.send_header("Content-Length", str(1 << 40))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                while True:
                    self.wfile.write(CHUNK)
            elif mode == "headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                i = 0
                while True:
                    self.wfile.write(b"X-Filler-%d: %s\r\n" % (i, b"B" * 100))
                    i += 1
            else:
                self.send_error(404)
        except (BrokenPipeError, ConnectionResetError, socket.error):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = answer


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
