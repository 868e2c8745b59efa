"""Integration tests of login throttling, the common-password list, TOTP
MFA, personal API tokens and trusted proxies (api.md "Authentication";
issue 3).

Throttling counts failures in Redis per account (5 per 15 minutes by
default) and per client IP (20); these tests reset the counters they touch
through redis-cli, so they need the stack's data folder (ATRIUM_TEST_DATA or
the ctest fixture) and skip without it.
"""
import base64
import hashlib
import hmac
import os
import struct
import threading
import time
import secrets
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402
from test_identity import Base, email, session_token  # noqa: E402

IP_KEY = "atrium:login_fail:ip:127.0.0.1"


def totp(secret, step, digits=6):
    """RFC 6238 code of step for a base32 secret (no padding)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    n = struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff
    return "%0*d" % (digits, n % 10 ** digits)


def step_now():
    return int(time.time()) // 30


def account_key(addr):
    return "atrium:login_fail:acct:" + hashlib.sha256(addr.lower().encode()).hexdigest()


class Throttling(Base):
    def setUp(self):
        self.redis("DEL", IP_KEY)  # failures of earlier tests from this host

    def tearDown(self):
        self.redis("DEL", IP_KEY)

    def test_account_throttled_after_five_failures_then_recovers(self):
        owner = self.owner()
        for _ in range(5):
            self.assertEqual(Client(self.url).login(owner.email, "wrong password!").status, 401)
        # now even the right password is refused, without being checked
        r = Client(self.url).login(owner.email, owner.password)
        self.assertEqual(r.status, 429, r)
        self.assertEqual(r.json()["error"]["code"], "rate_limited")
        retry = int(r.header("Retry-After"))
        self.assertTrue(0 < retry <= 15 * 60, retry)
        self.assertIsNone(r.header("Set-Cookie"))
        # other accounts from the same IP are not locked out
        other = self.owner()
        self.assertEqual(Client(self.url).login(other.email, other.password).status, 200)
        # the window ends (here: made to end) and login works again
        key = account_key(owner.email)
        self.assertEqual(self.redis("GET", key), "6")  # refused attempts count, too
        self.redis("DEL", key)
        self.assertEqual(Client(self.url).login(owner.email, owner.password).status, 200)
        self.audit(owner, "auth.locked", owner.user["id"])
        failed = self.audit(owner, "auth.login_failed", owner.user["id"])
        self.assertEqual(len(failed), 5)

    def test_a_parallel_burst_gets_no_more_guesses(self):
        owner = self.owner()
        out = []
        barrier = threading.Barrier(15)

        def guess():
            barrier.wait()
            out.append(Client(self.url).login(owner.email, "wrong password!").status)
        threads = [threading.Thread(target=guess) for _ in range(15)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # each attempt is counted before its password is checked
        self.assertEqual(sorted(out), [401] * 5 + [429] * 10, out)
        self.redis("DEL", account_key(owner.email))

    def test_unknown_email_is_throttled_like_a_known_one(self):
        addr = email()
        for _ in range(5):
            self.assertEqual(Client(self.url).login(addr, "wrong password!").status, 401)
        r = Client(self.url).login(addr, "wrong password!")
        self.assertEqual(r.status, 429, r)
        self.redis("DEL", account_key(addr))

    def test_success_clears_the_account_counter(self):
        owner = self.owner()
        for _ in range(4):
            Client(self.url).login(owner.email, "wrong password!")
        self.assertEqual(Client(self.url).login(owner.email, owner.password).status, 200)
        self.assertEqual(self.redis("EXISTS", account_key(owner.email)), "0")

    def test_ip_throttled_after_twenty_failures(self):
        addrs = []
        for i in range(20):
            addrs.append(email())
            self.assertEqual(Client(self.url).login(addrs[-1], "wrong password!").status, 401)
        owner = self.owner()
        r = Client(self.url).login(owner.email, owner.password)
        self.assertEqual(r.status, 429, r)
        self.assertTrue(int(r.header("Retry-After")) > 0)
        self.redis("DEL", IP_KEY)
        self.assertEqual(Client(self.url).login(owner.email, owner.password).status, 200)
        for a in addrs:
            self.redis("DEL", account_key(a))


class CommonPasswords(Base):
    def assert_refused(self, r):
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["code"], "validation_failed")
        self.assertEqual(r.json()["error"]["field"], "password")

    def test_signup_refuses_a_common_password(self):
        r = Client(self.url).signup(password="Password1234")
        self.assert_refused(r)
        self.assertIn("common", r.json()["error"]["message"])
        self.assertEqual(Client(self.url).signup(password="qwertyuiop123").status, 400)

    def test_invitation_accept_refuses_a_common_password(self):
        owner = self.owner()
        inv = self.invitation(owner, "staff", "staff")
        r = Client(self.url).post("/api/v1/invitations/%s/accept" % inv["token"],
                                  {"name": "New", "password": "ILOVEYOU1234"})
        self.assert_refused(r)
        self.accept(inv["token"])  # still usable with a good one

    def test_password_change_refuses_a_common_password(self):
        owner = self.owner()
        r = owner.post("/api/v1/me/password", {"current_password": owner.password,
                                               "new_password": "123456789012"})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"]["field"], "new_password")


class Mfa(Base):
    def setUp(self):
        self.redis("DEL", IP_KEY)

    def tearDown(self):
        self.redis("DEL", IP_KEY)

    def enrol(self, owner):
        """Turns TOTP on for owner; returns (secret, recovery codes, step used)."""
        r = owner.post("/api/v1/me/mfa/totp")
        self.assertEqual(r.status, 200, r)
        secret, uri = r.json()["secret"], r.json()["otpauth_uri"]
        self.assertRegex(secret, r"^[A-Z2-7]{32}$")
        self.assertTrue(uri.startswith("otpauth://totp/Atrium:"), uri)
        self.assertIn("secret=" + secret, uri)
        self.assertIn("period=30", uri)
        step = step_now()
        before = session_token(owner)
        r = owner.post("/api/v1/me/mfa/totp/confirm", {"code": totp(secret, step)})
        self.assertEqual(r.status, 200, r)
        # a privilege change: a new session replaces the old one
        owner._take_session(r)
        self.assertNotIn(session_token(owner), (None, before))
        self.assertNotIn("session_token", r.json())
        self.assertEqual(Client(self.url).get("/api/v1/me", headers={
            "Cookie": "atrium_session=" + before}).status, 401)
        codes = r.json()["recovery_codes"]
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        return secret, codes, step

    def password_step(self, owner):
        c = Client(self.url)
        r = c.login(owner.email, owner.password)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json().get("mfa_required"), r.json())
        self.assertNotIn("user", r.json())
        self.assertNotIn("csrf_token", r.json())
        self.assertIsNone(r.header("Set-Cookie"))
        return c, r.json()["mfa_ticket"]

    def test_enrol_login_with_totp_and_replay(self):
        owner = self.owner()
        self.assertFalse(owner.get("/api/v1/me").json()["user"]["mfa_enabled"])
        # a wrong confirmation leaves MFA off
        r = owner.post("/api/v1/me/mfa/totp")
        bad = owner.post("/api/v1/me/mfa/totp/confirm", {"code": "000000"
                         if totp(r.json()["secret"], step_now()) != "000000" else "111111"})
        self.assertEqual((bad.status, bad.json()["error"]["field"]), (400, "code"))
        secret, codes, step = self.enrol(owner)
        self.assertTrue(owner.get("/api/v1/me").json()["user"]["mfa_enabled"])
        self.assertEqual(owner.post("/api/v1/me/mfa/totp").status, 409)
        self.audit(owner, "auth.mfa_enabled", owner.user["id"])
        # the code used to confirm is spent: a replay fails, and takes the ticket with it
        c, ticket = self.password_step(owner)
        r = c.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": totp(secret, step)})
        self.assertEqual(r.status, 401, r)
        self.assertIsNone(r.header("Set-Cookie"))
        r = c.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": totp(secret, step + 1)})
        self.assertEqual(r.status, 401, r)  # the ticket was single use
        # a fresh ticket and the next step's code: a session
        c, ticket = self.password_step(owner)
        r = c.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": totp(secret, step + 1)})
        self.assertEqual(r.status, 200, r)
        c._take_session(r)
        self.assertEqual(r.json()["user"]["id"], owner.user["id"])
        self.assertIn("atrium_session=", r.header("Set-Cookie"))
        self.assertEqual(c.get("/api/v1/me").status, 200)
        self.assertEqual(c.patch("/api/v1/me", {"name": "Two Factors"}).status, 200)
        # and that code is spent too
        c2, ticket = self.password_step(owner)
        r = c2.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": totp(secret, step + 1)})
        self.assertEqual(r.status, 401, r)

    def test_ticket_is_no_session(self):
        owner = self.owner()
        secret, _, step = self.enrol(owner)
        c, ticket = self.password_step(owner)
        for hdrs in ({"Cookie": "atrium_session=" + ticket},
                     {"Authorization": "Bearer " + ticket}):
            anon = Client(self.url)
            self.assertEqual(anon.get("/api/v1/me", headers=hdrs).status, 401)
            self.assertEqual(anon.get("/api/v1/clients", headers=hdrs).status, 401)
            self.assertEqual(anon.post("/api/v1/me/mfa/totp", headers=hdrs).status, 401)
        # the half-logged-in client has no session either
        self.assertEqual(c.get("/api/v1/me").status, 401)
        # nonsense tickets
        for t in ("", "x", ticket + "x"):
            r = Client(self.url).post("/api/v1/auth/mfa", {"mfa_ticket": t,
                                                           "code": totp(secret, step + 1)})
            self.assertEqual(r.status, 401, r)
        r = c.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": totp(secret, step + 1)})
        self.assertEqual(r.status, 200, r)

    def test_recovery_codes_are_single_use(self):
        owner = self.owner()
        _, codes, _ = self.enrol(owner)
        c, ticket = self.password_step(owner)
        r = c.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": codes[3].upper()})
        self.assertEqual(r.status, 200, r)
        c2, ticket = self.password_step(owner)
        r = c2.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": codes[3]})
        self.assertEqual(r.status, 401, r)
        c3, ticket = self.password_step(owner)
        r = c3.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": codes[4]})
        self.assertEqual(r.status, 200, r)

    def test_disable_needs_the_password(self):
        owner = self.owner()
        self.enrol(owner)
        r = owner.delete("/api/v1/me/mfa/totp", json_body={"password": "not the password"})
        self.assertEqual(r.status, 403, r)
        r = owner.delete("/api/v1/me/mfa/totp", json_body={"password": owner.password},
                         csrf=False)
        self.assertEqual(r.status, 403, r)  # CSRF applies
        r = owner.delete("/api/v1/me/mfa/totp", json_body={"password": owner.password})
        self.assertEqual(r.status, 204, r)
        self.assertFalse(owner.get("/api/v1/me").json()["user"]["mfa_enabled"])
        r = Client(self.url).login(owner.email, owner.password)
        self.assertEqual(r.status, 200, r)
        self.assertIn("csrf_token", r.json())
        self.audit(owner, "auth.mfa_disabled", owner.user["id"])

    def race(self, calls):
        """Runs the callables at once; returns their results."""
        out = [None] * len(calls)
        barrier = threading.Barrier(len(calls))

        def go(i):
            barrier.wait()
            out[i] = calls[i]()
        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def test_parallel_uses_of_one_ticket_or_code_give_one_success(self):
        owner = self.owner()
        secret, codes, step = self.enrol(owner)
        # one ticket, twenty parallel tries with the right code: one session
        c, ticket = self.password_step(owner)
        statuses = self.race([lambda: Client(self.url).post(
            "/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": totp(secret, step + 1)}).status
            for _ in range(20)])
        self.assertEqual(sorted(statuses), [200] + [401] * 19, statuses)
        # one recovery code, four tickets used at once: one session
        tickets = [self.password_step(owner)[1] for _ in range(4)]
        statuses = self.race([lambda t=t: Client(self.url).post(
            "/api/v1/auth/mfa", {"mfa_ticket": t, "code": codes[0]}).status for t in tickets])
        self.assertEqual(sorted(statuses), [200, 401, 401, 401], statuses)
        self.redis("DEL", account_key(owner.email))

    def test_wrong_codes_are_throttled(self):
        owner = self.owner()
        secret, _, step = self.enrol(owner)
        wrong = "000000" if totp(secret, step + 1) != "000000" else "111111"
        for _ in range(5):
            c, ticket = self.password_step(owner)
            self.assertEqual(c.post("/api/v1/auth/mfa", {"mfa_ticket": ticket,
                                                         "code": wrong}).status, 401)
        r = Client(self.url).login(owner.email, owner.password)
        self.assertEqual(r.status, 429, r)
        self.redis("DEL", account_key(owner.email))


class ApiTokens(Base):
    def bearer(self, token):
        c = Client(self.url)
        c.bearer = token
        return c

    def test_create_use_list_revoke(self):
        owner = self.owner()
        r = owner.post("/api/v1/me/tokens", {"name": "CI export"})
        self.assertEqual(r.status, 201, r)
        tok = r.json()
        self.assertTrue(tok["token"].startswith("atr_"), tok)
        self.assertEqual(tok["name"], "CI export")
        self.assertIsNone(tok["last_used_at"])
        api = self.bearer(tok["token"])
        me = api.get("/api/v1/me")
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json()["user"]["id"], owner.user["id"])
        self.assertIsNone(me.json().get("csrf_token"))
        # writes need no CSRF header with a bearer token
        r = api.post("/api/v1/clients", {"name": "Via Token"})
        self.assertEqual(r.status, 201, r)
        # a token cannot mint tokens, nor touch the second factor
        self.assertEqual(api.post("/api/v1/me/tokens", {"name": "more"}).status, 403)
        self.assertEqual(api.post("/api/v1/me/mfa/totp").status, 403)
        self.assertEqual(api.post("/api/v1/me/mfa/totp/confirm", {"code": "123456"}).status, 403)
        self.assertEqual(api.delete("/api/v1/me/mfa/totp",
                                    json_body={"password": owner.password}).status, 403)
        items = owner.get("/api/v1/me/tokens").json()["items"]
        self.assertEqual([i["id"] for i in items], [tok["id"]])
        self.assertNotIn("token", items[0])
        self.assertIsNotNone(items[0]["last_used_at"])
        # another user cannot revoke it
        other = self.owner()
        self.assertEqual(other.delete("/api/v1/me/tokens/" + tok["id"]).status, 404)
        self.assertEqual(api.get("/api/v1/me").status, 200)
        self.assertEqual(owner.delete("/api/v1/me/tokens/" + tok["id"]).status, 204)
        self.assertEqual(api.get("/api/v1/me").status, 401)
        self.assertEqual(owner.get("/api/v1/me/tokens").json()["items"], [])
        self.assertEqual(owner.delete("/api/v1/me/tokens/" + tok["id"]).status, 404)

    def test_token_has_the_owners_rights_and_no_more(self):
        owner = self.owner()
        cid = self.new_client(owner)
        viewer = self.user(owner, "client", "viewer", cid)
        tok = viewer.post("/api/v1/me/tokens", {"name": "viewer token"}).json()["token"]
        api = self.bearer(tok)
        self.assertEqual(api.get("/api/v1/clients/%s" % cid).status, 200)
        self.assertEqual(api.patch("/api/v1/clients/%s" % cid, {"name": "x"}).status, 403)
        # exactly what the viewer's own session gets
        self.assertEqual(api.get("/api/v1/staff").status, viewer.get("/api/v1/staff").status)
        self.assertIn(api.get("/api/v1/staff").status, (403, 404))
        other_cid = self.new_client(owner)
        self.assertEqual(api.get("/api/v1/clients/%s" % other_cid).status, 404)
        # a membership change applies on the next request, as for sessions
        self.assertEqual(owner.delete("/api/v1/clients/%s/members/%s"
                                      % (cid, viewer.user["id"])).status, 204)
        self.assertEqual(api.get("/api/v1/clients/%s" % cid).status, 404)

    def test_bad_and_non_token_bearers_are_refused(self):
        owner = self.owner()
        session = next(k.value for k in owner.jar if k.name == "atrium_session")
        for t in ("atr_" + secrets.token_urlsafe(32), "nonsense", session, ""):
            self.assertEqual(self.bearer(t).get("/api/v1/me").status, 401, t)
        # the gateway's cache, once the token is gone from PostgreSQL, goes too
        tok = owner.post("/api/v1/me/tokens", {"name": "t"}).json()
        api = self.bearer(tok["token"])
        self.assertEqual(api.get("/api/v1/me").status, 200)
        self.db().sql("DELETE FROM auth.api_tokens WHERE id = '%s'" % tok["id"])
        key = "atrium:api_token:" + hashlib.sha256(tok["token"].encode()).hexdigest()
        self.assertEqual(self.redis("EXISTS", key), "1")
        self.redis("DEL", key)
        self.assertEqual(api.get("/api/v1/me").status, 401)


class TrustedProxy(unittest.TestCase):
    """A stack of its own whose gateway trusts 127.0.0.1 as a proxy: the
    client IP is then the last X-Forwarded-For entry, which throttling and
    the session list use."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start({"ATRIUM_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.9"})
        cls.url = cls.stack.url

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_forwarded_ip_is_believed_from_a_trusted_peer(self):
        owner = Client(self.url)
        self.assertEqual(owner.signup().status, 201)
        c = Client(self.url)
        # the client's own claims come first; the proxies' appends last
        hdr = {"X-Forwarded-For": "1.1.1.1, 203.0.113.7, 10.0.0.9"}
        r = c.request("POST", "/api/v1/auth/login",
                      json_body={"email": owner.email, "password": owner.password}, headers=hdr)
        self.assertEqual(r.status, 200, r)
        c._take_session(r)
        mine = [s for s in c.get("/api/v1/me/sessions").json()["items"] if s["current"]]
        self.assertEqual(mine[0]["ip"], "203.0.113.7")
        # twenty failures from one forwarded IP throttle it, not another
        for _ in range(20):
            Client(self.url).request("POST", "/api/v1/auth/login", json_body={
                "email": "u-%s@example.test" % secrets.token_hex(6), "password": "wrong password!"},
                headers={"X-Forwarded-For": "198.51.100.1"})
        r = Client(self.url).request("POST", "/api/v1/auth/login", json_body={
            "email": owner.email, "password": owner.password},
            headers={"X-Forwarded-For": "198.51.100.1"})
        self.assertEqual(r.status, 429, r)
        r = Client(self.url).request("POST", "/api/v1/auth/login", json_body={
            "email": owner.email, "password": owner.password},
            headers={"X-Forwarded-For": "198.51.100.2"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.stack.sanitizer_reports(), [])


if __name__ == "__main__":
    unittest.main()
