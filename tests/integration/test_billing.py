"""billing-sync end to end against the stack's fake QuickBooks Online:
OAuth connect (authorization code with state), a queued sync that pulls
customers and invoices, exact money per currency, linking by name, an
unchanged re-run that writes nothing, and tenant isolation."""
import json
import os
import secrets
import sys
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack, wait_until  # noqa: E402


def fake_base(stack):
    """The fake's URL, read from the billing-sync process's environment."""
    for pid in stack.pids("atrium-billing-sync"):
        with open("/proc/%d/environ" % pid, "rb") as f:
            for kv in f.read().split(b"\0"):
                if kv.startswith(b"ATRIUM_QBO_API_BASE="):
                    return kv.split(b"=", 1)[1].decode()
    return None


class Billing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.fake = fake_base(cls.stack)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def seed(self, what, rows):
        req = urllib.request.Request(self.fake + "/_fake/" + what, data=json.dumps(rows).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status // 100, 2)

    def connect(self, c):
        """Follows the authorization-code flow as a browser would."""
        r = c.get("/api/v1/integrations/quickbooks/connect")
        self.assertEqual(r.status, 302, r)
        authorize = r.header("Location")
        q = urllib.parse.parse_qs(urllib.parse.urlparse(authorize).query)
        self.assertEqual(q["response_type"], ["code"])
        self.assertTrue(q["state"][0])
        self.assertTrue(q["redirect_uri"][0].endswith("/api/v1/integrations/quickbooks/callback"))

        class Stop(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        opener = urllib.request.build_opener(Stop())
        try:
            opener.open(authorize, timeout=10)
            self.fail("the fake did not redirect")
        except urllib.error.HTTPError as e:
            back = e.headers["Location"]
        parts = urllib.parse.urlparse(back)
        cb = c.get(parts.path + "?" + parts.query)
        self.assertEqual(cb.status, 302, cb)
        # the state is single use
        again = c.get(parts.path + "?" + parts.query)
        self.assertEqual(again.status, 400, again)
        self.assertEqual(again.json()["error"]["field"], "state")

    def sync(self, c):
        r = c.post("/api/v1/integrations/quickbooks/sync")
        self.assertEqual(r.status, 202, r)
        sid = r.json()["sync_id"]
        done = wait_until(lambda: (lambda s: s if s["status"] in ("done", "failed") else None)(
            c.get("/api/v1/integrations/quickbooks/syncs/" + sid).json()), timeout=30)
        self.assertIsNotNone(done)
        self.assertEqual(done["status"], "done", done)
        return done

    def test_connect_sync_list(self):
        self.assertTrue(self.fake, "the stack runs no fake QuickBooks")
        a, b = Client(self.stack.url), Client(self.stack.url)
        self.assertEqual(a.signup().status, 201)
        self.assertEqual(b.signup().status, 201)
        name = "Kessler Imports " + secrets.token_hex(3)
        cid = a.post("/api/v1/clients", {"name": name}).json()["id"]
        base = 70000 + secrets.randbelow(20000) * 10
        cust = str(base)
        self.seed("customers", [{"Id": cust, "SyncToken": "0", "DisplayName": name.upper(),
                                 "Active": True, "CurrencyRef": {"value": "USD"}}])
        self.seed("invoices", [
            {"Id": str(base + 1), "SyncToken": "0", "DocNumber": "K-1", "TxnDate": "2026-10-01",
             "DueDate": "2026-10-31", "TotalAmt": 1250.5, "Balance": 1250.5,
             "CurrencyRef": {"value": "USD"}, "CustomerRef": {"value": cust}},
            {"Id": str(base + 2), "SyncToken": "0", "DocNumber": "K-2", "TxnDate": "2026-11-01",
             "DueDate": "2099-12-01", "TotalAmt": 1500, "Balance": 1500,
             "CurrencyRef": {"value": "JPY"}, "CustomerRef": {"value": cust}},
            {"Id": str(base + 3), "SyncToken": "0", "DocNumber": "K-3", "TxnDate": "2026-11-02",
             "DueDate": "2099-12-01", "TotalAmt": 12.125, "Balance": 0,
             "CurrencyRef": {"value": "KWD"}, "CustomerRef": {"value": cust}},
        ])
        # not connected yet: a sync is a conflict that says what to do
        early = a.post("/api/v1/integrations/quickbooks/sync")
        self.assertEqual(early.status, 409, early)
        self.connect(a)
        first = self.sync(a)
        self.assertGreaterEqual(first["invoices_written"], 3)

        inv = a.get("/api/v1/clients/%s/invoices" % cid)
        self.assertEqual(inv.status, 200, inv)
        got = {i["number"]: i for i in inv.json()["items"]}
        self.assertEqual(set(got), {"K-1", "K-2", "K-3"})
        self.assertEqual((got["K-1"]["total"], got["K-1"]["currency"], got["K-1"]["status"]),
                         ("1250.50", "USD", "overdue"))
        self.assertEqual((got["K-2"]["total"], got["K-2"]["currency"], got["K-2"]["status"]),
                         ("1500", "JPY", "open"))
        self.assertEqual((got["K-3"]["total"], got["K-3"]["balance"], got["K-3"]["status"]),
                         ("12.125", "0.000", "paid"))
        self.assertEqual([i["number"] for i in inv.json()["items"]], ["K-3", "K-2", "K-1"])
        one = a.get("/api/v1/invoices/" + got["K-2"]["id"])
        self.assertEqual(one.status, 200)
        self.assertEqual(one.json()["total"], "1500")

        # an unchanged re-run writes nothing
        second = self.sync(a)
        self.assertEqual(second["invoices_written"], 0, second)
        self.assertGreaterEqual(second["invoices_seen"], 3)

        integ = a.get("/api/v1/integrations").json()["items"][0]
        self.assertEqual(integ["status"], "connected")
        self.assertTrue(integ["last_sync_at"].endswith("Z"))

        # another firm: the client, its invoices and the invoice do not exist
        self.assertEqual(b.get("/api/v1/clients/%s/invoices" % cid).status, 404)
        self.assertEqual(b.get("/api/v1/invoices/" + got["K-2"]["id"]).status, 404)
        self.assertEqual(b.get("/api/v1/integrations/quickbooks/syncs/" + "0" * 8).status, 404)

    def test_bad_input(self):
        a = Client(self.stack.url)
        self.assertEqual(a.signup().status, 201)
        cid = a.post("/api/v1/clients", {"name": "X"}).json()["id"]
        r = a.get("/api/v1/clients/%s/invoices?status=unpaid" % cid)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"]["field"], "status")
        r = a.get("/api/v1/clients/%s/invoices?cursor=garbage" % cid)
        self.assertEqual(r.status, 400)
        self.assertEqual(a.get("/api/v1/integrations/hubspotx/connect").status, 404)
        cb = a.get("/api/v1/integrations/quickbooks/callback?code=x&state=forged&realmId=1")
        self.assertEqual(cb.status, 400)


if __name__ == "__main__":
    unittest.main()
