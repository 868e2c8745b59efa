"""The first-version acceptance scenario, end to end through the HTTP API,
as a new user would try it: two firms, a client, a 5 MiB document, tasks,
a thread, invoices and the audit trail, plus the error envelope rules."""
import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack, wait_until  # noqa: E402


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_two_firms_documents_tasks_threads_audit(self):
        a, b = Client(self.stack.url), Client(self.stack.url)
        self.assertEqual(a.signup(firm_name="Firm A").status, 201)
        self.assertEqual(b.signup(firm_name="Firm B").status, 201)
        cl = a.post("/api/v1/clients", {"name": "Northwind"})
        self.assertEqual(cl.status, 201, cl)
        cid = cl.json()["id"]

        data = os.urandom(5 * 1024 * 1024)
        up = a.post("/api/v1/clients/%s/documents?name=report.bin" % cid, data=data,
                    headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(up.status, 201, up)
        doc = up.json()
        self.assertEqual(doc["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(doc["size"], len(data))
        listed = a.get("/api/v1/clients/%s/documents" % cid)
        self.assertEqual(listed.status, 200)
        self.assertEqual([d["id"] for d in listed.json()["items"]], [doc["id"]])
        got = a.get("/api/v1/documents/%s/content" % doc["id"])
        self.assertEqual(got.status, 200)
        self.assertEqual(got.body, data)
        part = a.get("/api/v1/documents/%s/content" % doc["id"], headers={"Range": "bytes=10-19"})
        self.assertEqual(part.status, 206)
        self.assertEqual(part.body, data[10:20])
        self.assertEqual(part.header("Content-Range"), "bytes 10-19/%d" % len(data))

        # firm B sees none of it, exactly as if it did not exist
        for path in ("/api/v1/documents/%s" % doc["id"], "/api/v1/documents/%s/content" % doc["id"],
                     "/api/v1/clients/%s/documents" % cid):
            r = b.get(path)
            self.assertEqual(r.status, 404, (path, r))
            self.assertEqual(r.json()["error"]["code"], "not_found")

        t = a.post("/api/v1/clients/%s/tasks" % cid, {"title": "Send the Q3 ledger"})
        self.assertEqual(t.status, 201, t)
        done = a.post("/api/v1/tasks/%s/complete" % t.json()["id"])
        self.assertEqual(done.status, 200, done)
        self.assertEqual(done.json()["status"], "done")
        self.assertTrue(done.json()["completed_at"].endswith("Z"))

        text = "Grüße aus Köln — 東京 — مرحبا 👋"
        th = a.post("/api/v1/clients/%s/threads" % cid, {"subject": "Q3 — Übersicht", "body": text})
        self.assertEqual(th.status, 201, th)
        msgs = a.get("/api/v1/threads/%s/messages" % th.json()["id"])
        self.assertEqual(msgs.status, 200)
        self.assertEqual(msgs.json()["items"][0]["body"].encode("utf-8"), text.encode("utf-8"))

        inv = a.get("/api/v1/clients/%s/invoices" % cid)
        self.assertEqual(inv.status, 200, inv)
        self.assertIn("items", inv.json())

        def uploaded_event():
            r = a.get("/api/v1/audit?action=document.uploaded")
            items = r.json().get("items", []) if r.status == 200 else []
            return [e for e in items if e["resource"]["id"] == doc["id"]]
        ev = wait_until(uploaded_event, timeout=15)
        self.assertTrue(ev, "document.uploaded never reached the audit trail")
        self.assertEqual(ev[0]["details"]["name"], "report.bin")

    def test_error_envelope_rules(self):
        a = Client(self.stack.url)
        self.assertEqual(a.signup().status, 201)
        bad = a.request("POST", "/api/v1/clients", data=b'{"name": ',
                        headers={"Content-Type": "application/json"})
        self.assertEqual(bad.status, 400)
        err = bad.json()["error"]
        self.assertEqual(err["code"], "bad_request")
        self.assertEqual(err["request_id"], bad.header("X-Request-Id"))
        no_csrf = a.post("/api/v1/clients", {"name": "X"}, csrf=False)
        self.assertEqual(no_csrf.status, 403)
        self.assertEqual(no_csrf.json()["error"]["code"], "forbidden")
        anon = Client(self.stack.url).get("/api/v1/me")
        self.assertEqual(anon.status, 401)
        self.assertEqual(anon.json()["error"]["code"], "unauthenticated")
        wrong_type = a.post("/api/v1/clients", {"name": 5})
        self.assertEqual(wrong_type.status, 400)
        self.assertEqual(wrong_type.json()["error"], {**wrong_type.json()["error"],
                                                      "code": "validation_failed", "field": "name"})
        # the request id is echoed when the client sends one
        r = a.get("/api/v1/me", headers={"X-Request-Id": "trace-abc.123"})
        self.assertEqual(r.header("X-Request-Id"), "trace-abc.123")
        self.assertEqual(json.loads(r.body)["user"]["email"], a.email)


if __name__ == "__main__":
    unittest.main()
