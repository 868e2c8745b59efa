"""The gateway's own rules: body caps and types, unknown routes and
methods, the request id, security headers, no CORS, no directory listing,
readiness and metrics."""
import os
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402


class Gateway(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.c = Client(cls.stack.url)
        assert cls.c.signup().status == 201

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def assertEnvelope(self, r, status, code):
        self.assertEqual(r.status, status, r)
        err = r.json()["error"]
        self.assertEqual(err["code"], code)
        self.assertEqual(err["request_id"], r.header("X-Request-Id"))
        return err

    def test_body_rules(self):
        big = b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}'
        self.assertEnvelope(self.c.request("POST", "/api/v1/clients", data=big,
                                           headers={"Content-Type": "application/json"}),
                            413, "payload_too_large")
        self.assertEnvelope(self.c.request("POST", "/api/v1/clients", data=b"name=x",
                                           headers={"Content-Type": "text/plain"}),
                            415, "unsupported_media_type")
        self.assertEnvelope(self.c.request("POST", "/api/v1/clients", data=b"[1,2]",
                                           headers={"Content-Type": "application/json"}),
                            400, "bad_request")
        # unknown members are ignored
        ok = self.c.post("/api/v1/clients", {"name": "Extra", "colour": "teal"})
        self.assertEqual(ok.status, 201)
        # a query parameter of the wrong type
        err = self.assertEnvelope(self.c.get("/api/v1/clients?limit=lots"), 400, "validation_failed")
        self.assertEqual(err["field"], "limit")

    def test_routes_and_methods(self):
        self.assertEnvelope(self.c.get("/api/v1/nope"), 404, "not_found")
        r = self.c.request("PUT", "/api/v1/me", json_body={})
        self.assertEnvelope(r, 405, "bad_request")
        self.assertEqual(sorted(m.strip() for m in r.header("Allow").split(",")), ["GET", "PATCH"])

    def test_request_id_and_headers(self):
        r = self.c.get("/api/v1/me")
        rid = r.header("X-Request-Id")
        self.assertRegex(rid, r"^[0-9a-f]{32}$")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertIn("default-src 'none'", r.header("Content-Security-Policy"))
        self.assertEqual(r.header("Referrer-Policy"), "no-referrer")
        self.assertIsNone(r.header("Access-Control-Allow-Origin"))
        self.assertIsNone(r.header("Strict-Transport-Security"))  # not behind TLS here
        self.assertEqual(r.header("Cache-Control"), "no-store")
        # a hostile id is replaced, not echoed
        bad = self.c.get("/api/v1/me", headers={"X-Request-Id": "a\"b<c>" * 3})
        self.assertRegex(bad.header("X-Request-Id"), r"^[0-9a-f]{32}$")
        # cross-origin preflight gets no CORS grant
        pre = self.c.request("OPTIONS", "/api/v1/me", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        self.assertIsNone(pre.header("Access-Control-Allow-Origin"))

    def test_static_files(self):
        with urllib.request.urlopen(self.stack.url + "/", timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn(b"Atrium", r.read())
            self.assertIn("script-src 'self'", r.headers["Content-Security-Policy"])
        # no directory listing
        listing = Client(self.stack.url).get("/nothing-here/")
        self.assertEqual(listing.status, 404)

    def test_operations(self):
        anon = Client(self.stack.url)
        self.assertEqual(anon.get("/livez").status, 200)
        self.assertEqual(anon.get("/healthz").status, 200)
        ready = anon.get("/readyz")
        self.assertEqual(ready.status, 200, ready)
        checks = ready.json()["checks"]
        for part in ("bus", "auth", "document", "tasks", "messaging", "billing-sync", "audit",
                     "postgresql", "redis"):
            self.assertEqual(checks[part], "ok", part)
        self.c.get("/api/v1/me")
        text = anon.get("/metrics").body.decode()
        self.assertIn('atrium_http_requests_total{route="GET /api/v1/me",status="200"}', text)
        self.assertIn('atrium_http_request_duration_seconds_bucket{route="GET /api/v1/me",le="+Inf"}',
                      text)
        self.assertIn("# TYPE atrium_http_request_duration_seconds histogram", text)
        self.assertEqual(anon.request("POST", "/livez").status, 405)


if __name__ == "__main__":
    unittest.main()
