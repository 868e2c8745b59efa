"""Integration tests of GET /api/v1/dashboard (api.md "Dashboard, branding"):
real counts from every section's service, scoped to the caller (owner: the
firm with internal things; staff: what is assigned to them; a client user:
their client only, nothing staff-only), another firm's data never counted,
"new" counted from the login before the session, and a stopped service
giving its section null with partial true (a private stack)."""
import datetime
import os
import secrets
import signal
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack, wait_until  # noqa: E402
import test_billing  # noqa: E402
from test_identity import Base  # noqa: E402

SECTIONS = ("new_since_last_login", "tasks_due", "unread_threads", "pending_signatures",
            "open_invoices", "recent_activity")


def iso(days):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Dashboard(Base):
    seed = test_billing.Billing.seed
    connect = test_billing.Billing.connect
    sync = test_billing.Billing.sync

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = test_billing.fake_base(cls.stack)

    def dash(self, c):
        r = c.get("/api/v1/dashboard")
        self.assertEqual(r.status, 200, r)
        d = r.json()
        self.assertFalse(d["partial"], d)
        self.assertEqual(d["unavailable"], [])
        for s in SECTIONS:
            self.assertIsNotNone(d[s], s)
        return d

    def upload(self, c, client_id, name, folder_id=None):
        path = "/api/v1/clients/%s/documents?name=%s" % (client_id, urllib.parse.quote(name))
        if folder_id:
            path += "&folder_id=" + folder_id
        r = c.post(path, data=b"dashboard " + name.encode(),
                   headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def task(self, c, client_id, title, due_days, assignees=(), done=False):
        body = {"title": title, "due_at": iso(due_days), "assignee_ids": list(assignees)}
        r = c.post("/api/v1/clients/%s/tasks" % client_id, body)
        self.assertEqual(r.status, 201, r)
        if done:
            self.assertEqual(c.post("/api/v1/tasks/%s/complete" % r.json()["id"]).status, 200)
        return r.json()["id"]

    def test_sections_and_scoping(self):
        owner = self.owner()
        name_x = "Dash Client X " + secrets.token_hex(3)
        x = self.new_client(owner, name_x)
        y = self.new_client(owner, "Dash Client Y " + secrets.token_hex(3))
        member = self.user(owner, "client", "member", x)
        staff = self.user(owner, "staff", "staff", x)
        outsider = self.owner()  # another firm, with data of its own
        ox = self.new_client(outsider)
        self.upload(outsider, ox, "outsider.txt")
        self.task(outsider, ox, "outsider task", 1, [outsider.user["id"]])
        self.assertEqual(outsider.post("/api/v1/clients/%s/threads" % ox,
                                       {"subject": "theirs", "body": "hi"}).status, 201)

        # documents: one in X, one in X's internal folder, one in Y
        d1 = self.upload(owner, x, "engagement.pdf")
        r = owner.post("/api/v1/clients/%s/folders" % x,
                       {"name": "Staff notes", "visibility": "internal"})
        self.assertEqual(r.status, 201, r)
        internal = self.upload(owner, x, "internal.txt", r.json()["id"])
        self.upload(owner, y, "other-client.txt")
        # tasks in X: overdue, due in 2 days (staff's), due in 30 days, done
        t_over = self.task(owner, x, "file the return", -1)
        t_soon = self.task(owner, x, "sign engagement", 2, [staff.user["id"]])
        self.task(owner, x, "later", 30, [staff.user["id"]])
        self.task(owner, x, "finished", 1, [staff.user["id"]], done=True)
        self.task(owner, y, "y's task", 1)
        # a thread in X with two messages by the owner
        r = owner.post("/api/v1/clients/%s/threads" % x, {"subject": "Welcome", "body": "Hello"})
        self.assertEqual(r.status, 201, r)
        thread = r.json()["id"]
        self.assertEqual(owner.post("/api/v1/threads/%s/messages" % thread,
                                    {"body": "Second"}).status, 201)

        # the client user: their client only, nothing internal, all new (first login)
        d = self.dash(member)
        self.assertIsNone(d["last_login_at"])
        new = d["new_since_last_login"]
        self.assertIsNone(new["since"])
        self.assertEqual(new["count"], 1, new)
        self.assertEqual([i["id"] for i in new["items"]], [d1])
        self.assertEqual(new["items"][0]["client_id"], x)
        self.assertEqual((d["tasks_due"]["overdue"], d["tasks_due"]["due_soon"]), (1, 1))
        self.assertEqual([t["id"] for t in d["tasks_due"]["items"]], [t_over, t_soon])
        self.assertEqual(d["tasks_due"]["items"][1]["title"], "sign engagement")
        self.assertEqual(d["unread_threads"]["count"], 1)
        self.assertEqual(d["unread_threads"]["messages"], 2)
        self.assertEqual(d["unread_threads"]["items"][0]["id"], thread)
        self.assertEqual(d["unread_threads"]["items"][0]["unread_count"], 2)
        self.assertEqual(d["pending_signatures"], {"count": 0})
        self.assertEqual(d["open_invoices"], {"count": 0, "overdue": 0, "totals": []})

        # staff: the tasks assigned to them, in the clients they see
        s = self.dash(staff)
        self.assertEqual((s["tasks_due"]["overdue"], s["tasks_due"]["due_soon"]), (0, 1))
        self.assertEqual([t["id"] for t in s["tasks_due"]["items"]], [t_soon])
        self.assertEqual(s["new_since_last_login"]["count"], 2)  # X's two, internal included
        self.assertEqual(s["unread_threads"]["count"], 1)
        # the owner wrote everything: nothing new or unread, no task of theirs
        o = self.dash(owner)
        self.assertEqual(o["new_since_last_login"]["count"], 0)
        self.assertEqual(o["unread_threads"], {"count": 0, "messages": 0, "items": []})
        self.assertEqual(o["tasks_due"]["overdue"] + o["tasks_due"]["due_soon"], 0)

        # reading the thread clears it; a reply is unread for the owner
        self.assertIn(member.post("/api/v1/threads/%s/read" % thread).status, (200, 204))
        self.assertEqual(self.dash(member)["unread_threads"]["count"], 0)
        self.assertEqual(member.post("/api/v1/threads/%s/messages" % thread,
                                     {"body": "Thanks"}).status, 201)
        o = self.dash(owner)
        self.assertEqual((o["unread_threads"]["count"], o["unread_threads"]["messages"]), (1, 1))

        # recent activity: the owner sees the firm's, internal included; the
        # client user only X's events, no staff-only ones, no Y
        def activity(c, want):
            items = self.dash(c)["recent_activity"]["items"]
            return items if want(items) else None
        items = wait_until(lambda: activity(owner, lambda i: any(
            e["action"] == "message.posted" for e in i)), timeout=20)
        self.assertTrue(items)
        self.assertLessEqual(len(items), 10)
        self.assertEqual([e["seq"] for e in items], sorted((e["seq"] for e in items), reverse=True))
        self.assertNotIn("ip", items[0])
        mine = wait_until(lambda: activity(member, lambda i: any(
            e["resource"]["id"] == d1 for e in i)), timeout=20)
        self.assertTrue(mine, "the client user sees X's upload")
        for e in mine:
            self.assertIn(e.get("client_id"), (x, None), e)
            self.assertNotEqual(e["resource"].get("id"), y)
        self.assertNotIn(internal, [e["resource"]["id"] for e in mine])
        # a fresh upload to an internal folder: on top for the owner, absent
        # for the client user
        r = owner.post("/api/v1/clients/%s/folders" % x,
                       {"name": "More notes", "visibility": "internal"})
        hidden = self.upload(owner, x, "hidden.txt", r.json()["id"])
        self.assertTrue(wait_until(lambda: activity(owner, lambda i: any(
            e["resource"]["id"] == hidden for e in i)), timeout=20))
        self.assertNotIn(hidden, [e["resource"]["id"]
                                  for e in self.dash(member)["recent_activity"]["items"]])

        # the other firm: none of this firm's data
        b = self.dash(outsider)
        self.assertEqual(b["new_since_last_login"]["count"], 0)
        self.assertEqual((b["tasks_due"]["overdue"], b["tasks_due"]["due_soon"]), (0, 1))
        self.assertEqual([t["client_id"] for t in b["tasks_due"]["items"]], [ox])  # its own
        self.assertEqual(b["unread_threads"]["count"], 0)
        for e in b["recent_activity"]["items"]:
            self.assertNotIn(e.get("client_id"), (x, y))

        # invoices through the fake QuickBooks, linked to X by name
        self.assertTrue(self.fake, "the stack runs no fake QuickBooks")
        base = 300000 + secrets.randbelow(20000) * 10
        cust = str(base)
        self.seed("customers", [{"Id": cust, "SyncToken": "0", "DisplayName": name_x.upper(),
                                 "Active": True, "CurrencyRef": {"value": "USD"}}])
        inv = [("D-1", "2026-01-31", 100.5, 100.5, "USD"),    # overdue
               ("D-2", "2099-12-01", 200, 200, "USD"),        # open
               ("D-3", "2099-12-01", 50, 50, "EUR"),          # open
               ("D-4", "2026-01-31", 75, 0, "USD")]           # paid
        self.seed("invoices", [
            {"Id": str(base + i + 1), "SyncToken": "0", "DocNumber": n, "TxnDate": "2026-01-01",
             "DueDate": due, "TotalAmt": total, "Balance": bal, "CurrencyRef": {"value": cur},
             "CustomerRef": {"value": cust}} for i, (n, due, total, bal, cur) in enumerate(inv)])
        self.connect(owner)
        self.sync(owner)
        d = self.dash(member)
        oi = d["open_invoices"]
        self.assertEqual((oi["count"], oi["overdue"]), (3, 1), oi)
        self.assertEqual(oi["totals"], [
            {"currency": "EUR", "count": 1, "balance": "50.00", "overdue_count": 0,
             "overdue_balance": "0"},
            {"currency": "USD", "count": 2, "balance": "300.50", "overdue_count": 1,
             "overdue_balance": "100.50"}])
        # the owner also counts invoices of no client the shared fake holds
        o = self.dash(owner)["open_invoices"]
        usd = [t for t in o["totals"] if t["currency"] == "USD"][0]
        self.assertGreaterEqual(usd["count"], 2)
        self.assertEqual(self.dash(outsider)["open_invoices"]["count"], 0)

    def test_new_counts_from_the_previous_login(self):
        owner = self.owner()
        x = self.new_client(owner)
        self.upload(owner, x, "before.txt")
        member = self.user(owner, "client", "member", x)  # its first login
        again = Client(self.url)
        self.assertEqual(again.login(member.email, member.password).status, 200)
        after = self.upload(owner, x, "after.txt")
        d = self.dash(again)
        self.assertIsNotNone(d["last_login_at"])
        self.assertEqual(d["new_since_last_login"]["since"], d["last_login_at"])
        self.assertEqual(d["new_since_last_login"]["count"], 1)
        self.assertEqual(d["new_since_last_login"]["items"][0]["id"], after)
        # the first session still counts from before its own login (none)
        self.assertIsNone(self.dash(member)["last_login_at"])
        self.assertEqual(self.dash(member)["new_since_last_login"]["count"], 2)

    def test_pending_signatures_waiting_on_the_caller(self):
        owner = self.owner()
        x = self.new_client(owner)
        member = self.user(owner, "client", "member", x)
        d1 = self.upload(owner, x, "engagement-letter.pdf")
        d2 = self.upload(owner, x, "terms.pdf")
        self.assertEqual(self.dash(member)["pending_signatures"]["count"], 0)
        # in order: the member first on d1, then the owner; in parallel on d2
        r = owner.post("/api/v1/documents/%s/signature-requests" % d1,
                       {"signer_ids": [member.user["id"], owner.user["id"]], "ordered": True})
        self.assertEqual(r.status, 201, r)
        ordered = r.json()["id"]
        r = owner.post("/api/v1/documents/%s/signature-requests" % d2,
                       {"signer_ids": [member.user["id"]], "kind": "approval"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.dash(member)["pending_signatures"]["count"], 2)
        self.assertEqual(self.dash(owner)["pending_signatures"]["count"], 0)  # not their turn yet
        r = member.post("/api/v1/signature-requests/%s/sign" % ordered,
                        {"typed_name": "Member", "consent": True})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.dash(member)["pending_signatures"]["count"], 1)
        self.assertEqual(self.dash(owner)["pending_signatures"]["count"], 1)
        # a deleted document's request waits on nobody
        self.assertEqual(owner.delete("/api/v1/documents/%s" % d2).status, 204)
        self.assertEqual(self.dash(member)["pending_signatures"]["count"], 0)

    def test_anonymous(self):
        self.assertEqual(Client(self.url).get("/api/v1/dashboard").status, 401)


class DashboardPartial(unittest.TestCase):
    """A stopped service: its section is null and partial is true, not 503."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_stopped_service_gives_partial(self):
        c = Client(self.stack.url)
        self.assertEqual(c.signup().status, 201)
        r = c.get("/api/v1/dashboard")
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json()["partial"])
        pids = self.stack.pids("atrium-billing-sync")
        self.assertTrue(pids)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            r = c.get("/api/v1/dashboard")
            self.assertEqual(r.status, 200, r)
            d = r.json()
            self.assertTrue(d["partial"])
            self.assertEqual(d["unavailable"], ["billing-sync"])
            self.assertIsNone(d["open_invoices"])
            for s in ("new_since_last_login", "tasks_due", "unread_threads",
                      "pending_signatures", "recent_activity"):
                self.assertIsNotNone(d[s], s)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)
        self.assertTrue(wait_until(lambda: not c.get("/api/v1/dashboard").json()["partial"],
                                   timeout=30))


if __name__ == "__main__":
    unittest.main()
