"""Audit trail end to end: events written by auth in its outbox reach the
audit service through the relay (asynchronously), come back from
GET /api/v1/audit newest first with a hash chain an auditor can recompute
from the page alone (services/audit/audit_chain.h), filter, page, stay
inside their firm, and are hidden (404) from everyone but owners, admins
and client admins."""
import hashlib
import json
import os
import re
import secrets
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack, wait_until  # noqa: E402

HEX64 = re.compile(r"^[0-9a-f]{64}$")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ITEM_KEYS = {"seq", "at", "actor", "action", "resource", "client_id", "ip", "user_agent",
             "details", "hash"}

# audit_chain.h, "atrium.audit.v1", re-implemented from its text.
CHAIN_FIELDS = ["firm_id", "seq", "event_id", "at", "actor_id", "actor_name", "actor_kind",
                "action", "resource_type", "resource_id", "client_id", "ip", "user_agent",
                "request_id", "source", "details"]


def _field(s):
    if s is None:
        return b"\xff\xff\xff\xff"
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def chain_hash(prev_hex, firm_id, item):
    e = {"firm_id": firm_id, "seq": str(item["seq"]), "event_id": item["event_id"],
         "at": item["at"], "actor_id": item["actor"]["id"], "actor_name": item["actor"]["name"],
         "actor_kind": item["actor"]["kind"], "action": item["action"],
         "resource_type": item["resource"]["type"], "resource_id": item["resource"]["id"],
         "client_id": item["client_id"], "ip": item["ip"], "user_agent": item["user_agent"],
         "request_id": item["request_id"], "source": item["source"],
         "details": json.dumps(item["details"], sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)}
    data = _field("atrium.audit.v1") + b"".join(_field(e[k]) for k in CHAIN_FIELDS)
    return hashlib.sha256(bytes.fromhex(prev_hex) + data).hexdigest()


def signed_up_owner(url):
    c = Client(url)
    r = c.signup()
    assert r.status == 201, r
    c.firm_id = r.json()["firm"]["id"]
    return c


def invite(owner, url, kind, role, client_id=None):
    """A new user of owner's firm, logged in, through an invitation."""
    body = {"email": "u-%s@example.test" % secrets.token_hex(6), "kind": kind, "role": role}
    if client_id:
        body["client_id"] = client_id
    r = owner.post("/api/v1/invitations", body)
    assert r.status == 201, r
    u = Client(url)
    r = u.post("/api/v1/invitations/%s/accept" % r.json()["token"],
               {"name": "Invited %s" % role, "password": "pw-" + secrets.token_urlsafe(12)})
    assert r.status == 200, r
    u.csrf = r.json().get("csrf_token")
    u.user = r.json().get("user")
    return u


class AuditTrail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.url = cls.stack.url
        cls.owner = signed_up_owner(cls.url)
        # a second session: the trail must show the login
        cls.again = Client(cls.url)
        r = cls.again.login(cls.owner.email, cls.owner.password)
        assert r.status == 200, r
        r = cls.owner.post("/api/v1/clients", {"name": "Acme Audit Ltd"})
        assert r.status == 201, r
        cls.client_id = r.json()["id"]
        r = cls.owner.post("/api/v1/clients", {"name": "Other Client"})
        assert r.status == 201, r
        cls.other_client_id = r.json()["id"]

        def arrived():
            r = cls.owner.get("/api/v1/audit?limit=200")
            if r.status != 200:
                return None
            actions = [i["action"] for i in r.json()["items"]]
            if "auth.login" in actions and actions.count("client.created") >= 2:
                return r.json()
            return None
        cls.page = wait_until(arrived, timeout=10, interval=0.2)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.assertIsNotNone(self.page, "auth.login and client.created did not reach the trail in 10 s")

    def test_shape(self):
        items = self.page["items"]
        self.assertIn("next_cursor", self.page)
        self.assertIsNone(self.page["next_cursor"])
        for it in items:
            self.assertTrue(ITEM_KEYS <= set(it), it)
            self.assertIsInstance(it["seq"], int)
            self.assertRegex(it["at"], TIME)
            self.assertTrue({"id", "name", "kind"} <= set(it["actor"]), it)
            self.assertTrue({"type", "id"} <= set(it["resource"]), it)
            self.assertIsInstance(it["details"], dict, it)
            self.assertRegex(it["hash"], HEX64)
        login = [i for i in items if i["action"] == "auth.login"][0]
        self.assertEqual(login["actor"]["id"], self.owner.user["id"])
        self.assertEqual(login["actor"]["kind"], "staff")
        created = [i for i in items if i["action"] == "client.created"
                   and i["resource"]["id"] == self.client_id]
        self.assertEqual(len(created), 1, items)
        self.assertEqual(created[0]["resource"]["type"], "client")

    def test_newest_first_gap_free_and_chained(self):
        items = self.page["items"]
        seqs = [i["seq"] for i in items]
        # a new firm's whole trail: n, n-1, ..., 1
        self.assertEqual(seqs, list(range(len(items), 0, -1)))
        prev = "0" * 64
        for it in reversed(items):
            self.assertEqual(chain_hash(prev, self.owner.firm_id, it), it["hash"],
                             "hash of seq %d does not follow audit_chain.h" % it["seq"])
            prev = it["hash"]

    def test_filters(self):
        r = self.owner.get("/api/v1/audit?action=client.created")
        self.assertEqual(r.status, 200, r)
        got = r.json()["items"]
        self.assertGreaterEqual(len(got), 2)
        self.assertTrue(all(i["action"] == "client.created" for i in got))
        r = self.owner.get("/api/v1/audit?client_id=%s" % self.client_id)
        self.assertEqual(r.status, 200, r)
        got = r.json()["items"]
        self.assertTrue(got)
        self.assertTrue(all(i["client_id"] == self.client_id for i in got), got)
        r = self.owner.get("/api/v1/audit?actor_id=%s&action=auth.login" % self.owner.user["id"])
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["items"])
        r = self.owner.get("/api/v1/audit?resource_type=client&resource_id=%s" % self.client_id)
        self.assertEqual([i["action"] for i in r.json()["items"]], ["client.created"])
        r = self.owner.get("/api/v1/audit?until=2000-01-01T00:00:00Z")
        self.assertEqual(r.json()["items"], [])
        # other tests of this class add events (invitations): compare with now
        everything = self.owner.get("/api/v1/audit?limit=200").json()["items"]
        r = self.owner.get("/api/v1/audit?since=2000-01-01T00:00:00Z&limit=200")
        self.assertEqual(len(r.json()["items"]), len(everything))

    def test_bad_filters(self):
        for q, field in (("since=yesterday", "since"), ("client_id=nope", "client_id"),
                         ("cursor=xyz", "cursor")):
            r = self.owner.get("/api/v1/audit?" + q)
            self.assertEqual(r.status, 400, (q, r))
            self.assertEqual(r.json()["error"]["code"], "validation_failed")
            self.assertEqual(r.json()["error"].get("field"), field)

    def test_paging(self):
        seen = []
        cursor = None
        for _ in range(100):
            r = self.owner.get("/api/v1/audit?limit=1" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            seen += [i["seq"] for i in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
        # newer events may arrive while paging; none is repeated or skipped
        self.assertEqual(seen, sorted(set(seen), reverse=True))
        self.assertEqual(seen[-1], 1)
        self.assertEqual(seen, list(range(seen[0], 0, -1)))

    def test_my_activity(self):
        r = self.owner.get("/api/v1/me/activity")
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertTrue(items)
        self.assertTrue(all(i["actor"]["id"] == self.owner.user["id"] for i in items))
        self.assertIn("auth.login", [i["action"] for i in items])

    def test_other_firm_sees_nothing_of_ours(self):
        other = signed_up_owner(self.url)
        r = other.get("/api/v1/audit?limit=200")
        self.assertEqual(r.status, 200, r)
        mine = {i["hash"] for i in self.page["items"]}
        self.assertFalse(mine & {i["hash"] for i in r.json()["items"]})
        r = other.get("/api/v1/audit?client_id=%s" % self.client_id)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["items"], [])
        r = other.get("/api/v1/audit?actor_id=%s" % self.owner.user["id"])
        self.assertEqual(r.json()["items"], [])

    def test_staff_and_client_members_get_404(self):
        for kind, role, cid in (("staff", "staff", None), ("client", "member", self.client_id),
                                ("client", "viewer", self.client_id)):
            u = invite(self.owner, self.url, kind, role, cid)
            r = u.get("/api/v1/audit")
            self.assertEqual(r.status, 404, (kind, role, r))
            self.assertEqual(r.json()["error"]["code"], "not_found")
            r = u.get("/api/v1/me/activity")
            self.assertEqual(r.status, 200, (kind, role, r))
            self.assertTrue(all(i["actor"]["id"] == u.user["id"] for i in r.json()["items"]))

    def test_client_admin_sees_its_client_only(self):
        u = invite(self.owner, self.url, "client", "admin", self.client_id)
        r = u.get("/api/v1/audit?limit=200")
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertTrue(items)
        self.assertTrue(all(i["client_id"] == self.client_id for i in items), items)
        r = u.get("/api/v1/audit?client_id=%s" % self.other_client_id)
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
