"""Minimal Tripwire webhook receiver, stdlib only: `python receiver.py PORT whsec_...`.

Verifies the Standard Webhooks signature and timestamp, and processes each webhook-id once.
"""

import base64
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(headers, body: bytes, secret: str, tolerance_s=300, now=None) -> bool:
    msg_id, ts, sigs = (
        headers.get(h) or "" for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    now = time.time() if now is None else now
    if not (msg_id and ts.isdigit() and abs(now - int(ts)) <= tolerance_s):
        return False
    key = base64.b64decode(secret[6:]) if secret.startswith("whsec_") else secret.encode()
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(expected, s) for s in sigs.split())


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(min(int(self.headers.get("content-length") or 0), 1 << 20))
        ok = verify(self.headers, body, self.server.secret)
        if ok and self.headers["webhook-id"] not in self.server.seen:  # dedupe redeliveries
            self.server.seen.add(self.headers["webhook-id"])
            self.server.handle_event(json.loads(body))
        self.send_response(204 if ok else 401)
        self.end_headers()


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.secret, server.seen = sys.argv[2], set()
    server.handle_event = lambda event: print(event["type"], event["data"]["entity"], flush=True)
    server.serve_forever()
