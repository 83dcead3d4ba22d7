# mitmdump addon for the e2e harness (mitmproxy 8):
# - logs CONNECTs, requests and client TLS failures as JSON lines to $AZH_MITM_LOG (never headers,
#   bodies or credentials: only whether Proxy-Authorization was sent);
# - with AZH_MITM_RESPOND=1 answers every request itself (200 {}), so nothing goes upstream.
import json
import os
import time

from mitmproxy import http

LOG = os.environ.get("AZH_MITM_LOG")
RESPOND = os.environ.get("AZH_MITM_RESPOND") == "1"


def _write(d):
    if not LOG:
        return
    d["time"] = time.time()
    with open(LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(d) + "\n")


class AzhLog:
    def http_connect(self, flow: http.HTTPFlow):
        _write({
            "event": "connect",
            "host": flow.request.host,
            "port": flow.request.port,
            "authSent": "proxy-authorization" in flow.request.headers,
            "status": flow.response.status_code if flow.response else 200,
        })

    def requestheaders(self, flow: http.HTTPFlow):
        if flow.request.method == "CONNECT":
            return

    def request(self, flow: http.HTTPFlow):
        if RESPOND and flow.response is None:
            flow.response = http.Response.make(200, b"{}", {"content-type": "application/json"})

    def response(self, flow: http.HTTPFlow):
        _write({
            "event": "request",
            "host": flow.request.pretty_host,
            "port": flow.request.port,
            "method": flow.request.method,
            "path": flow.request.path.split("?")[0],
            "status": flow.response.status_code if flow.response else None,
        })

    def error(self, flow: http.HTTPFlow):
        _write({
            "event": "error",
            "host": flow.request.pretty_host if flow.request else None,
            "message": str(flow.error) if flow.error else None,
        })

    def tls_established_client(self, data):
        _write({"event": "tls-client-ok", "sni": data.context.client.sni})

    def tls_failed_client(self, data):
        _write({"event": "tls-client-failed", "sni": data.context.client.sni, "error": str(data.conn.error)})

    def tls_failed_server(self, data):
        _write({"event": "tls-server-failed", "sni": data.context.client.sni, "error": str(data.conn.error)})


addons = [AzhLog()]
