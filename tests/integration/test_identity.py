"""Integration tests of invitations, membership changes, the staff list,
sessions and password change (api.md "Authentication" and "Firm, staff,
clients, members"; issue 3).

The tests that reach into PostgreSQL or Redis (expired invitation, a
session brought back as if by Redis restarting from its append-only file)
need the stack's data folder (ATRIUM_TEST_DATA or the ctest fixture) and
skip without it.
"""
import datetime
import hashlib
import os
import secrets
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack, wait_until  # noqa: E402
from test_auth import Db  # noqa: E402

PW = "pw-" + secrets.token_urlsafe(12)


def email():
    return "u-%s@example.test" % secrets.token_hex(6)


def session_token(client):
    for c in client.jar:
        if c.name == "atrium_session":
            return c.value
    return None


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.url = cls.stack.url

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def owner(self):
        c = Client(self.url)
        r = c.signup()
        self.assertEqual(r.status, 201, r)
        return c

    def new_client(self, owner, name=None):
        r = owner.post("/api/v1/clients", {"name": name or "Client " + secrets.token_hex(3)})
        self.assertEqual(r.status, 201, r)
        return r.json()["id"]

    def invitation(self, inviter, kind, role, client_id=None, addr=None):
        body = {"email": addr or email(), "kind": kind, "role": role}
        if client_id:
            body["client_id"] = client_id
        r = inviter.post("/api/v1/invitations", body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def accept(self, token, name="Invited User", password=PW):
        u = Client(self.url)
        r = u.post("/api/v1/invitations/%s/accept" % token, {"name": name, "password": password})
        self.assertEqual(r.status, 200, r)
        u._take_session(r)
        u.email, u.password = u.user["email"], password
        return u

    def user(self, inviter, kind, role, client_id=None):
        return self.accept(self.invitation(inviter, kind, role, client_id)["token"],
                           name="%s %s" % (kind.title(), role.title()))

    def db(self):
        data = self.stack.data_dir
        if not data or not os.path.exists(os.path.join(data, "pg", "atrium.conf")):
            self.skipTest("needs the stack's data folder (ATRIUM_TEST_DATA)")
        return Db(data)

    def redis(self, *args):
        data = self.stack.data_dir
        sock = os.path.join(data or "", "run", "redis.sock")
        if not data or not os.path.exists(sock):
            self.skipTest("needs the stack's data folder (ATRIUM_TEST_DATA)")
        out = subprocess.run(["redis-cli", "-s", sock] + list(args),
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.rstrip("\n")

    def audit(self, owner, action, resource_id, want=None):
        """The trail's action events about resource_id, once there is one
        (and, with want, once one of them satisfies want: events arrive
        through the relay in their own time)."""
        def find():
            r = owner.get("/api/v1/audit?action=%s&limit=50" % action)
            items = [i for i in r.json().get("items", []) if i["resource"]["id"] == resource_id]
            if want and not any(want(i) for i in items):
                return None
            return items or None
        items = wait_until(find, timeout=15)
        self.assertTrue(items, "%s of %s not in the trail" % (action, resource_id))
        return items


class Invitations(Base):
    def test_client_invitation_round_trip(self):
        owner = self.owner()
        cid = self.new_client(owner, "Northwind & Sons")
        addr = email()
        inv = self.invitation(owner, "client", "member", cid, addr)
        self.assertTrue({"id", "email", "expires_at", "token", "accept_url"} <= set(inv), inv)
        self.assertEqual((inv["email"], inv["kind"], inv["role"], inv["client_id"]),
                         (addr, "client", "member", cid))
        self.assertRegex(inv["token"], r"^[A-Za-z0-9_-]{43}$")
        self.assertTrue(inv["accept_url"].endswith("/invite/" + inv["token"]), inv)
        expires = datetime.datetime.strptime(inv["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
        days = (expires - datetime.datetime.utcnow()).total_seconds() / 86400
        self.assertAlmostEqual(days, 7, delta=0.01)

        anon = Client(self.url)
        r = anon.get("/api/v1/invitations/" + inv["token"])
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual((j["email"], j["client_name"]), (addr, "Northwind & Sons"))
        self.assertTrue(j["firm_name"].startswith("Firm "), j)

        r = anon.post("/api/v1/invitations/%s/accept" % inv["token"],
                      {"name": "Nora Wind", "password": PW})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json()), {"user", "csrf_token"})
        self.assertIn("atrium_session=", r.header("Set-Cookie"))
        u = r.json()["user"]
        self.assertEqual((u["email"], u["name"], u["kind"], u["role"]),
                         (addr, "Nora Wind", "client", None))
        anon._take_session(r)
        me = anon.get("/api/v1/me").json()
        self.assertEqual(me["clients"], [{"id": cid, "name": "Northwind & Sons",
                                          "role": "member"}])
        # single use
        self.assertEqual(Client(self.url).get("/api/v1/invitations/" + inv["token"]).status, 410)
        r = Client(self.url).post("/api/v1/invitations/%s/accept" % inv["token"],
                                  {"name": "Again", "password": PW})
        self.assertEqual((r.status, r.json()["error"]["code"]), (410, "gone"))
        # and the new user logs in with the chosen password
        self.assertEqual(Client(self.url).login(addr, PW).status, 200)
        acc = self.audit(owner, "invitation.accepted", inv["id"])
        self.assertEqual(acc[0]["actor"]["id"], u["id"])
        self.audit(owner, "invitation.created", inv["id"])

    def test_staff_invitation_and_staff_list(self):
        owner = self.owner()
        inv = self.invitation(owner, "staff", "admin")
        self.assertIsNone(inv["client_id"])
        info = Client(self.url).get("/api/v1/invitations/" + inv["token"]).json()
        self.assertIsNone(info["client_name"])
        admin = self.accept(inv["token"], name="Ada Admin")
        self.assertEqual((admin.user["kind"], admin.user["role"]), ("staff", "admin"))
        # an admin sees every client, including ones made before it joined
        cid = self.new_client(owner)
        self.assertEqual(admin.get("/api/v1/clients/" + cid).status, 200)
        r = admin.get("/api/v1/staff")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["next_cursor"], None)
        self.assertEqual([(x["name"], x["role"]) for x in r.json()["items"]],
                         [("Ada Admin", "admin"), ("Owner", "owner")])
        page = admin.get("/api/v1/staff?limit=1").json()
        self.assertEqual(len(page["items"]), 1)
        rest = admin.get("/api/v1/staff?limit=1&cursor=" + page["next_cursor"]).json()
        self.assertEqual(rest["items"][0]["role"], "owner")
        # client users do not see the staff list; other firms see their own
        client = self.user(owner, "client", "admin", cid)
        self.assertEqual(client.get("/api/v1/staff").status, 404)
        other = self.owner()
        self.assertEqual(len(other.get("/api/v1/staff").json()["items"]), 1)
        self.assertEqual(Client(self.url).get("/api/v1/staff").status, 401)

    def test_staff_invitation_with_client_gives_membership(self):
        owner = self.owner()
        c1, c2 = self.new_client(owner), self.new_client(owner)
        staff = self.user(owner, "staff", "staff", c1)
        self.assertEqual([x["id"] for x in staff.get("/api/v1/clients").json()["items"]], [c1])
        self.assertEqual(staff.get("/api/v1/clients/" + c2).status, 404)

    def test_who_may_invite(self):
        owner = self.owner()
        c1, c2 = self.new_client(owner), self.new_client(owner)
        admin = self.user(owner, "staff", "admin")
        staff = self.user(owner, "staff", "staff", c1)
        cadmin = self.user(owner, "client", "admin", c1)
        member = self.user(owner, "client", "member", c1)
        viewer = self.user(owner, "client", "viewer", c1)
        other = self.owner()

        def inv(who, kind, role, cid=None):
            body = {"email": email(), "kind": kind, "role": role}
            if cid:
                body["client_id"] = cid
            return who.post("/api/v1/invitations", body).status

        cases = [
            (owner, "staff", "owner", None, 201), (admin, "staff", "admin", None, 201),
            (admin, "staff", "owner", None, 403), (admin, "client", "viewer", c2, 201),
            (staff, "client", "member", c1, 403), (staff, "staff", "staff", None, 403),
            (cadmin, "client", "member", c1, 201), (cadmin, "client", "admin", c1, 201),
            (cadmin, "client", "member", c2, 404), (cadmin, "staff", "staff", None, 403),
            (member, "client", "member", c1, 403), (viewer, "client", "viewer", c1, 403),
            (other, "client", "member", c1, 404), (Client(self.url), "client", "member", c1, 401),
        ]
        for who, kind, role, cid, want in cases:
            self.assertEqual(inv(who, kind, role, cid), want, (who.user, kind, role, cid))

    def test_validation_and_conflict(self):
        owner = self.owner()
        cid = self.new_client(owner)
        bad = [({"email": "nope", "kind": "client", "role": "member", "client_id": cid}, "email"),
               ({"email": email(), "kind": "robot", "role": "member"}, "kind"),
               ({"email": email(), "kind": "client", "role": "owner", "client_id": cid}, "role"),
               ({"email": email(), "kind": "staff", "role": "viewer"}, "role"),
               ({"email": email(), "kind": "client", "role": "member"}, "client_id")]
        for body, field in bad:
            r = owner.post("/api/v1/invitations", body)
            self.assertEqual((r.status, r.json()["error"].get("field")), (400, field), (body, r))
        r = owner.post("/api/v1/invitations", {"email": owner.email.upper(), "kind": "staff",
                                               "role": "staff"})
        self.assertEqual((r.status, r.json()["error"]["code"]), (409, "conflict"), r)
        # unknown and malformed tokens are 404; a weak password leaves it usable
        for t in ("A" * 43, "short", "%2e%2e"):
            self.assertEqual(Client(self.url).get("/api/v1/invitations/" + t).status, 404, t)
        inv = self.invitation(owner, "client", "viewer", cid)
        r = Client(self.url).post("/api/v1/invitations/%s/accept" % inv["token"],
                                  {"name": "V", "password": "short"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "password"), r)
        r = Client(self.url).post("/api/v1/invitations/%s/accept" % inv["token"],
                                  {"name": " ", "password": PW})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "name"), r)
        self.accept(inv["token"])

    def test_two_invitations_one_email(self):
        owner = self.owner()
        addr = email()
        a = self.invitation(owner, "staff", "staff", addr=addr)
        b = self.invitation(owner, "staff", "admin", addr=addr)
        self.accept(a["token"])
        r = Client(self.url).post("/api/v1/invitations/%s/accept" % b["token"],
                                  {"name": "Twice", "password": PW})
        self.assertEqual((r.status, r.json()["error"]["code"]), (409, "conflict"), r)

    def test_expired(self):
        db = self.db()
        owner = self.owner()
        inv = self.invitation(owner, "staff", "staff")
        db.sql("UPDATE auth.invitations SET expires_at = now() - interval '1 second'"
               " WHERE id = :'p1'::uuid", inv["id"])
        self.assertEqual(Client(self.url).get("/api/v1/invitations/" + inv["token"]).status, 410)
        r = Client(self.url).post("/api/v1/invitations/%s/accept" % inv["token"],
                                  {"name": "Late", "password": PW})
        self.assertEqual(r.status, 410, r)

    def test_token_stored_hashed(self):
        db = self.db()
        owner = self.owner()
        inv = self.invitation(owner, "staff", "staff")
        stored = db.sql("SELECT token_hash FROM auth.invitations WHERE id = :'p1'::uuid", inv["id"])
        self.assertEqual(stored, hashlib.sha256(inv["token"].encode()).hexdigest())

    def test_concurrent_accepts_one_wins(self):
        owner = self.owner()
        inv = self.invitation(owner, "client", "member", self.new_client(owner))
        n = 12
        statuses = [None] * n
        barrier = threading.Barrier(n)

        def go(i):
            c = Client(self.url)
            barrier.wait()
            statuses[i] = c.post("/api/v1/invitations/%s/accept" % inv["token"],
                                 {"name": "Racer %d" % i, "password": PW}).status

        threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # a racer that finds no free hashing slot gets 503; none gets a second account
        self.assertEqual(statuses.count(200), 1, statuses)
        self.assertTrue(all(s in (200, 410, 503) for s in statuses), statuses)


class Members(Base):
    def test_changes_apply_on_the_next_request(self):
        owner = self.owner()
        c1, c2 = self.new_client(owner, "One"), self.new_client(owner, "Two")
        u = self.user(owner, "client", "member", c1)
        uid = u.user["id"]
        self.assertEqual(u.get("/api/v1/clients/" + c2).status, 404)
        r = owner.put("/api/v1/clients/%s/members/%s" % (c2, uid), {"role": "viewer"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"user_id": uid, "name": u.user["name"], "email": u.email,
                                    "kind": "client", "role": "viewer"})
        self.assertEqual(u.get("/api/v1/clients/" + c2).status, 200)
        r = owner.put("/api/v1/clients/%s/members/%s" % (c2, uid), {"role": "admin"})
        self.assertEqual(r.json()["role"], "admin")
        # as the client's admin now, it may invite to c2
        self.assertEqual(u.post("/api/v1/invitations", {"email": email(), "kind": "client",
                                                        "role": "viewer",
                                                        "client_id": c2}).status, 201)
        self.assertEqual(owner.delete("/api/v1/clients/%s/members/%s" % (c2, uid)).status, 204)
        self.assertEqual(u.get("/api/v1/clients/" + c2).status, 404)
        self.assertEqual(owner.delete("/api/v1/clients/%s/members/%s" % (c2, uid)).status, 404)

        def two_as_viewer(i):
            return i["details"].get("name") == "Two" and i["details"]["role"] == "viewer"
        added = self.audit(owner, "member.added", uid, two_as_viewer)
        self.assertTrue(any(two_as_viewer(i) for i in added), added)
        changed = self.audit(owner, "member.role_changed", uid)[0]
        self.assertEqual(changed["details"]["changes"]["role"], {"old": "viewer", "new": "admin"})
        self.assertEqual(changed["client_id"], c2)
        removed = self.audit(owner, "member.removed", uid)[0]
        self.assertEqual(removed["details"]["role"], "admin")

    def test_who_may_manage(self):
        owner = self.owner()
        c1, c2 = self.new_client(owner), self.new_client(owner)
        cadmin = self.user(owner, "client", "admin", c1)
        member = self.user(owner, "client", "member", c1)
        outsider = self.user(owner, "client", "member", c2)
        staff = self.user(owner, "staff", "staff", c1)
        other = self.owner()
        path = "/api/v1/clients/%s/members/%s"
        cases = [
            (cadmin, c1, member, "viewer", 200),     # the client's admin, its member
            (cadmin, c1, outsider, "member", 404),   # not in its client: cannot learn of it
            (cadmin, c1, staff, "staff", 403),       # staff memberships are the firm's
            (cadmin, c2, outsider, "member", 404),   # another client
            (member, c1, member, "admin", 403),      # no self-promotion
            (staff, c1, member, "viewer", 403),
            (other, c1, member, "viewer", 404),
            (owner, c1, staff, "member", 400),       # staff take the role staff only
            (owner, c1, member, "staff", 400),
            (owner, c2, staff, "staff", 200),
        ]
        for who, cid, target, role, want in cases:
            r = who.put(path % (cid, target.user["id"]), {"role": role})
            self.assertEqual(r.status, want, (who.user["name"], cid, target.user["name"], role, r))
        self.assertEqual(owner.put(path % (c1, "not-a-uuid"), {"role": "member"}).status, 404)
        self.assertEqual(owner.put(path % (c1, other.user["id"]), {"role": "member"}).status, 404)
        self.assertEqual(member.delete(path % (c1, cadmin.user["id"])).status, 403)
        self.assertEqual(cadmin.delete(path % (c1, member.user["id"])).status, 204)
        self.assertEqual(member.get("/api/v1/clients/" + c1).status, 404)


class Sessions(Base):
    def test_list_and_revoke(self):
        owner = self.owner()
        second = Client(self.url)
        self.assertEqual(second.login(owner.email, owner.password).status, 200)
        r = owner.get("/api/v1/me/sessions")
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertEqual(len(items), 2, items)
        self.assertIsNone(r.json()["next_cursor"])
        mine = hashlib.sha256(session_token(owner).encode()).hexdigest()
        theirs = hashlib.sha256(session_token(second).encode()).hexdigest()
        self.assertEqual({i["id"]: i["current"] for i in items}, {mine: True, theirs: False})
        self.assertEqual(items[0]["id"], theirs)  # newest first
        for i in items:
            self.assertTrue({"created_at", "last_used_at", "expires_at", "ip",
                             "user_agent"} <= set(i), i)
            self.assertLessEqual(i["created_at"], i["last_used_at"])
        self.assertEqual(items[0]["ip"], "127.0.0.1")

        other = self.owner()
        for bad in (theirs, "0" * 64, "xyz"):
            self.assertEqual(other.delete("/api/v1/me/sessions/" + bad).status, 404, bad)
        self.assertEqual(second.get("/api/v1/me").status, 200)
        self.assertEqual(owner.delete("/api/v1/me/sessions/" + theirs).status, 204)
        self.assertEqual(second.get("/api/v1/me").status, 401)
        self.assertEqual(owner.get("/api/v1/me").status, 200)
        self.assertEqual([i["id"] for i in owner.get("/api/v1/me/sessions").json()["items"]],
                         [mine])
        # revoking the current one is a logout
        self.assertEqual(owner.delete("/api/v1/me/sessions/" + mine).status, 204)
        self.assertEqual(owner.get("/api/v1/me").status, 401)

    def test_password_change_ends_other_sessions(self):
        owner = self.owner()
        second = Client(self.url)
        self.assertEqual(second.login(owner.email, owner.password).status, 200)
        new_pw = "new-" + secrets.token_urlsafe(12)
        r = owner.post("/api/v1/me/password", {"current_password": "wrong-" + owner.password,
                                               "new_password": new_pw})
        self.assertEqual((r.status, r.json()["error"]["field"]), (403, "current_password"), r)
        r = owner.post("/api/v1/me/password", {"current_password": owner.password,
                                               "new_password": "short"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "new_password"), r)
        self.assertEqual(second.get("/api/v1/me").status, 200)
        r = owner.post("/api/v1/me/password", {"current_password": owner.password,
                                               "new_password": new_pw}, csrf=False)
        self.assertEqual(r.status, 403, r)  # CSRF header still required
        r = owner.post("/api/v1/me/password", {"current_password": owner.password,
                                               "new_password": new_pw})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(second.get("/api/v1/me").status, 401)
        # the caller's own session goes on, writes included
        self.assertEqual(owner.get("/api/v1/me").status, 200)
        self.assertEqual(owner.patch("/api/v1/me", {"name": "Still Here"}).status, 200)
        self.assertEqual(len(owner.get("/api/v1/me/sessions").json()["items"]), 1)
        self.assertEqual(Client(self.url).login(owner.email, owner.password).status, 401)
        self.assertEqual(Client(self.url).login(owner.email, new_pw).status, 200)
        changed = self.audit(owner, "user.password_changed", owner.user["id"])
        self.assertEqual(changed[0]["details"]["sessions_ended"], 1)

    def test_revoked_session_stays_revoked_when_redis_brings_it_back(self):
        owner = self.owner()
        second = Client(self.url)
        self.assertEqual(second.login(owner.email, owner.password).status, 200)
        key = "atrium:session:" + hashlib.sha256(session_token(second).encode()).hexdigest()
        saved = self.redis("GET", key)
        self.assertIn("\"generation\":0", saved)
        r = owner.post("/api/v1/me/password", {"current_password": owner.password,
                                               "new_password": "new-" + secrets.token_urlsafe(12)})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.redis("EXISTS", key), "0")
        # as if Redis replayed an append-only file that lost the delete
        value = saved
        self.redis("SET", key, value, "EX", "600")
        self.assertEqual(second.get("/api/v1/me").status, 401)
        self.assertEqual(self.redis("EXISTS", key), "0")  # and it is deleted
        # also when the principal itself was lost and is rebuilt from PostgreSQL
        self.redis("SET", key, value, "EX", "600")
        self.redis("DEL", "atrium:principal:" + owner.user["id"])
        self.assertEqual(second.get("/api/v1/me").status, 401)
        self.assertEqual(owner.get("/api/v1/me").status, 200)


if __name__ == "__main__":
    unittest.main()
