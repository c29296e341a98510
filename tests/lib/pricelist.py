"""pricelist.py - a stub AWS Price List API on loopback, for the suites and
benches whose launches need an on-demand price (moto has no Price List:
its answer is a 500, so a launch against moto alone is never priced).

GetProducts answers the price of the type its instanceType filter asks for
(prices: {type: "USD"}; a type not listed gets default, and no product at
all when default is None), one OnDemand price dimension per USD (a tuple
of USD strings gives several, as some products have), in the shape AWS
sends (each PriceList entry a JSON document in a string). Every request is
recorded: its X-Amz-Target, body, Authorization header and the type asked.
Point annex at it with AWS_ENDPOINT_URL_PRICING=stub.url; through a
FaultProxy the calls are logged (and can be faulted) like AWS's.
"""
import http.server
import json
import threading


class PriceList:
    def __init__(self, prices=None, default="0.096"):
        self.prices = dict(prices or {})
        self.default = default
        self.requests = []
        owner = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                f = {x.get("Field"): x.get("Value") for x in body.get("Filters", [])}
                t = f.get("instanceType")
                owner.requests.append({"target": self.headers.get("X-Amz-Target"), "body": body, "type": t,
                                       "auth": self.headers.get("Authorization", "")})
                usd = owner.prices.get(t, owner.default)
                products = []
                if usd is not None:
                    usds = usd if isinstance(usd, (list, tuple)) else (usd,)
                    dims = {"d%d" % i: {"unit": "Hrs", "pricePerUnit": {"USD": v}} for i, v in enumerate(usds)}
                    products = [json.dumps({"product": {"attributes": {"instanceType": t}},
                                            "terms": {"OnDemand": {"SKU.OFFER": {"priceDimensions": dims}}}})]
                out = json.dumps({"FormatVersion": "aws_v1", "PriceList": products}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def types(self):
        """The types asked, in order."""
        return [r["type"] for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
