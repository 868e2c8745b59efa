"""Integration tests of the auth service through the gateway (api.md
"Authentication" and "Firm, staff, clients, members"): signup, login,
logout, me, clients, tenant isolation, staff/client visibility and CSRF.

test_staff_and_client_visibility makes its staff and client users by
writing rows into the stack's database, independent of invitations (which
test_identity.py covers); it needs the stack's data folder (ATRIUM_TEST_DATA
or the ctest fixture) and skips without it.
"""
import os
import re
import secrets
import statistics
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402


def strip_request_id(body):
    err = dict(body["error"])
    err.pop("request_id", None)
    return err


class Db:
    """psql on the private cluster of a stack (root or the cluster owner)."""

    def __init__(self, data_dir):
        with open(os.path.join(data_dir, "pg", "atrium.conf")) as f:
            conf = f.read()
        self.port = re.search(r"^port = (\d+)", conf, re.M).group(1)
        self.host = os.path.join(data_dir, "run", "pg")

    def sql(self, text, *args):
        cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.host,
               "-p", self.port, "-U", "postgres", "-d", "atrium"]
        for i, a in enumerate(args, 1):
            cmd += ["-v", "p%d=%s" % (i, a)]
        out = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out.stdout.strip()


class AuthTest(unittest.TestCase):
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

    def db(self):
        data = self.stack.data_dir
        if not data or not os.path.exists(os.path.join(data, "pg", "atrium.conf")):
            self.skipTest("needs the stack's data folder (ATRIUM_TEST_DATA)")
        return Db(data)

    # -- signup, login, logout -------------------------------------------------

    def test_signup_and_me(self):
        c = Client(self.url)
        r = c.signup(firm_name="Acme & Co", name="Olivia Owner")
        self.assertEqual(r.status, 201, r)
        j = r.json()
        self.assertEqual(set(j), {"firm", "user", "csrf_token"})
        self.assertEqual(j["firm"]["name"], "Acme & Co")
        u = j["user"]
        self.assertEqual(u["email"], c.email)
        self.assertEqual((u["kind"], u["role"], u["firm_id"]), ("staff", "owner", j["firm"]["id"]))
        self.assertEqual((u["time_zone"], u["mfa_enabled"]), ("UTC", False))
        cookie = r.header("Set-Cookie")
        self.assertIn("atrium_session=", cookie)
        self.assertIn("HttpOnly", cookie)
        self.assertNotIn("session_token", r.body.decode())

        r = c.get("/api/v1/me")
        self.assertEqual(r.status, 200, r)
        me = r.json()
        self.assertEqual(me["user"], u)
        self.assertEqual(me["clients"], [])
        self.assertEqual(me["csrf_token"], j["csrf_token"])

    def test_signup_validation(self):
        c = Client(self.url)
        r = c.signup(password="elevenchars")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["code"], "validation_failed")
        self.assertEqual(r.json()["error"]["field"], "password")
        r = c.signup(password="x" * 1025)
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "password"))
        r = c.post("/api/v1/signup", {"firm_name": "F", "name": "N", "email": "not-an-email",
                                      "password": "long enough password"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "email"))
        r = c.post("/api/v1/signup", {"firm_name": "  ", "name": "N", "email": "a@b.example",
                                      "password": "long enough password"})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "firm_name"))
        first = self.owner()
        dup = Client(self.url)
        r = dup.signup(email=first.email.upper())
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json()["error"]["code"], "conflict")

    def test_login(self):
        owner = self.owner()
        c = Client(self.url)
        r = c.login(owner.email, owner.password)
        self.assertEqual(r.status, 200, r)
        j = r.json()
        self.assertEqual(set(j), {"user", "csrf_token"})
        self.assertEqual(j["user"]["email"], owner.email)
        self.assertNotEqual(j["csrf_token"], owner.csrf)  # a new session
        self.assertEqual(c.get("/api/v1/me").status, 200)
        # emails compare case-insensitively
        self.assertEqual(Client(self.url).login(owner.email.upper(), owner.password).status, 200)

    def test_login_never_tells_whether_the_email_exists(self):
        owner = self.owner()
        wrong = Client(self.url).login(owner.email, owner.password + "x")
        unknown = Client(self.url).login("nobody-%s@example.test" % secrets.token_hex(4),
                                         owner.password)
        self.assertEqual((wrong.status, unknown.status), (401, 401))
        self.assertEqual(wrong.json()["error"]["code"], "invalid_credentials")
        self.assertEqual(strip_request_id(wrong.json()), strip_request_id(unknown.json()))
        self.assertIsNone(wrong.header("Set-Cookie"))

        def timed(email, pw):
            t = time.monotonic()
            Client(self.url).login(email, pw)
            return time.monotonic() - t

        unknown_email = "nobody-%s@example.test" % secrets.token_hex(4)
        # 1 + 3 failures: under the 5 per account that throttle (test_login_security.py)
        t_wrong = statistics.median(timed(owner.email, "wrong password!") for _ in range(3))
        t_unknown = statistics.median(timed(unknown_email, "wrong password!") for _ in range(3))
        # both run one Argon2id verify: same order of magnitude
        self.assertGreater(t_unknown, t_wrong / 3, (t_wrong, t_unknown))
        self.assertLess(t_unknown, t_wrong * 3, (t_wrong, t_unknown))

    def test_logout_ends_the_session_server_side(self):
        c = self.owner()
        token = next(k.value for k in c.jar if k.name == "atrium_session")
        r = c.post("/api/v1/auth/logout")
        self.assertEqual(r.status, 204, r)
        self.assertIn("Max-Age=0", r.header("Set-Cookie") or "")
        self.assertEqual(c.get("/api/v1/me").status, 401)
        # the old cookie replayed by hand is dead too
        replay = Client(self.url)
        r = replay.get("/api/v1/me", headers={"Cookie": "atrium_session=" + token})
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.json()["error"]["code"], "unauthenticated")

    def test_unauthenticated(self):
        c = Client(self.url)
        for path in ("/api/v1/me", "/api/v1/clients"):
            r = c.get(path)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.json()["error"]["code"], "unauthenticated")

    def test_csrf_header_required(self):
        c = self.owner()
        r = c.post("/api/v1/clients", {"name": "No CSRF"}, csrf=False)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json()["error"]["code"], "forbidden")
        r = c.post("/api/v1/clients", {"name": "Bad CSRF"}, csrf=False,
                   headers={"X-CSRF-Token": "x" * 43})
        self.assertEqual(r.status, 403, r)
        r = c.patch("/api/v1/me", {"name": "No CSRF"}, csrf=False)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(c.get("/api/v1/clients").json()["items"], [])

    # -- me ----------------------------------------------------------------------

    def test_patch_me(self):
        c = self.owner()
        r = c.patch("/api/v1/me", {"name": "  Renamed Owner ", "time_zone": "Europe/Berlin"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["name"], r.json()["time_zone"]), ("Renamed Owner", "Europe/Berlin"))
        me = c.get("/api/v1/me").json()["user"]
        self.assertEqual((me["name"], me["time_zone"]), ("Renamed Owner", "Europe/Berlin"))
        for tz in ("Mars/Olympus_Mons", "../../etc/passwd", "", "Europe/Berlin\n"):
            r = c.patch("/api/v1/me", {"time_zone": tz})
            self.assertEqual(r.status, 400, (tz, r))
            self.assertEqual(r.json()["error"]["field"], "time_zone")
        r = c.patch("/api/v1/me", {"name": ""})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "name"))
        r = c.patch("/api/v1/me", {"name": 5})
        self.assertEqual(r.status, 400, r)

    # -- clients -------------------------------------------------------------------

    def test_clients_create_list_get_patch(self):
        c = self.owner()
        made = []
        for name in ("Northwind", "Blue Mesa", "Contoso"):
            r = c.post("/api/v1/clients", {"name": name})
            self.assertEqual(r.status, 201, r)
            j = r.json()
            self.assertEqual(set(j), {"id", "name", "created_at", "external_refs"})
            self.assertEqual((j["name"], j["external_refs"]), (name, {}))
            self.assertRegex(j["created_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            made.append(j)
        r = c.get("/api/v1/clients")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"items": made[::-1], "next_cursor": None})

        page1 = c.get("/api/v1/clients?limit=2").json()
        self.assertEqual([x["id"] for x in page1["items"]], [made[2]["id"], made[1]["id"]])
        self.assertIsNotNone(page1["next_cursor"])
        # a client made meanwhile never shifts the next page
        c.post("/api/v1/clients", {"name": "Late"})
        page2 = c.get("/api/v1/clients?limit=2&cursor=" + page1["next_cursor"]).json()
        self.assertEqual([x["id"] for x in page2["items"]], [made[0]["id"]])
        self.assertIsNone(page2["next_cursor"])
        r = c.get("/api/v1/clients?cursor=garbage")
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "cursor"))

        cid = made[0]["id"]
        r = c.get("/api/v1/clients/" + cid)
        self.assertEqual((r.status, r.json()), (200, made[0]))
        r = c.patch("/api/v1/clients/" + cid, {"name": "Northwind Traders",
                                                "external_refs": {"quickbooks": "58"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["name"], r.json()["external_refs"]),
                         ("Northwind Traders", {"quickbooks": "58"}))
        self.assertEqual(c.get("/api/v1/clients/" + cid).json()["name"], "Northwind Traders")
        r = c.patch("/api/v1/clients/" + cid, {"name": ""})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "name"))
        r = c.post("/api/v1/clients", {"name": ""})
        self.assertEqual((r.status, r.json()["error"]["field"]), (400, "name"))
        r = c.get("/api/v1/clients/" + cid + "/members")
        self.assertEqual((r.status, r.json()), (200, {"items": [], "next_cursor": None}))
        for bad in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
            self.assertEqual(c.get("/api/v1/clients/" + bad).status, 404)
        me = c.get("/api/v1/me").json()
        self.assertEqual(len(me["clients"]), 4)
        self.assertTrue(all(x["role"] == "staff" for x in me["clients"]))

    def test_tenant_isolation(self):
        a, b = self.owner(), self.owner()
        cid = a.post("/api/v1/clients", {"name": "A's client"}).json()["id"]
        for r in (b.get("/api/v1/clients/" + cid),
                  b.patch("/api/v1/clients/" + cid, {"name": "taken"}),
                  b.get("/api/v1/clients/" + cid + "/members")):
            self.assertEqual(r.status, 404, r)
            self.assertEqual(r.json()["error"]["code"], "not_found")
        self.assertEqual(b.get("/api/v1/clients").json()["items"], [])
        self.assertEqual(a.get("/api/v1/clients/" + cid).json()["name"], "A's client")

    def test_staff_and_client_visibility(self):
        db = self.db()
        owner = self.owner()
        c1 = owner.post("/api/v1/clients", {"name": "Visible to staff"}).json()["id"]
        c2 = owner.post("/api/v1/clients", {"name": "Visible to client"}).json()["id"]
        firm = owner.user["firm_id"]
        # users that share the owner's password (its hash), made without invitations
        staff_email = "staff-%s@example.test" % secrets.token_hex(4)
        client_email = "client-%s@example.test" % secrets.token_hex(4)
        db.sql("""
            WITH o AS (SELECT password_hash FROM auth.users WHERE id = :'p1'::uuid),
            s AS (INSERT INTO auth.users (firm_id, email, name, password_hash, kind, role)
                  SELECT :'p2'::uuid, :'p3', 'Sam Staff', o.password_hash, 'staff', 'staff' FROM o
                  RETURNING id),
            c AS (INSERT INTO auth.users (firm_id, email, name, password_hash, kind, role)
                  SELECT :'p2'::uuid, :'p4', 'Cleo Client', o.password_hash, 'client', NULL FROM o
                  RETURNING id)
            INSERT INTO auth.memberships (client_id, user_id, firm_id, role)
            SELECT :'p5'::uuid, s.id, :'p2'::uuid, 'staff' FROM s
            UNION ALL SELECT :'p6'::uuid, c.id, :'p2'::uuid, 'member' FROM c;
            """, owner.user["id"], firm, staff_email, client_email, c1, c2)

        staff = Client(self.url)
        self.assertEqual(staff.login(staff_email, owner.password).status, 200)
        self.assertEqual([x["id"] for x in staff.get("/api/v1/clients").json()["items"]], [c1])
        self.assertEqual(staff.get("/api/v1/clients/" + c1).status, 200)
        self.assertEqual(staff.get("/api/v1/clients/" + c2).status, 404)
        self.assertEqual(staff.post("/api/v1/clients", {"name": "x"}).status, 403)
        self.assertEqual(staff.patch("/api/v1/clients/" + c1, {"name": "x"}).status, 403)
        self.assertEqual(staff.patch("/api/v1/clients/" + c2, {"name": "x"}).status, 404)
        me = staff.get("/api/v1/me").json()
        self.assertEqual(me["clients"], [{"id": c1, "name": "Visible to staff", "role": "staff"}])

        cl = Client(self.url)
        r = cl.login(client_email, owner.password)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["user"]["kind"], r.json()["user"]["role"]), ("client", None))
        self.assertEqual([x["id"] for x in cl.get("/api/v1/clients").json()["items"]], [c2])
        self.assertEqual(cl.get("/api/v1/clients/" + c1).status, 404)
        self.assertEqual(cl.post("/api/v1/clients", {"name": "x"}).status, 403)
        me = cl.get("/api/v1/me").json()
        self.assertEqual(me["clients"], [{"id": c2, "name": "Visible to client", "role": "member"}])
        members = cl.get("/api/v1/clients/%s/members" % c2).json()["items"]
        self.assertEqual(members, [{"user_id": me["user"]["id"], "name": "Cleo Client",
                                    "email": client_email, "kind": "client", "role": "member"}])

        # the owner sees both, and both member lists
        self.assertEqual({x["id"] for x in owner.get("/api/v1/clients").json()["items"]}, {c1, c2})
        self.assertEqual(owner.get("/api/v1/clients/%s/members" % c1).json()["items"][0]["role"],
                         "staff")


class SignupClosedTest(unittest.TestCase):
    """A stack of its own with ATRIUM_SIGNUP=closed."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start(extra_env={"ATRIUM_SIGNUP": "closed"})

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_signup_closed(self):
        r = Client(self.stack.url).signup()
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json()["error"]["code"], "forbidden")
        self.assertIsNone(r.header("Set-Cookie"))


if __name__ == "__main__":
    unittest.main()
