"""Integration tests of login throttling, the common-password list and TOTP
MFA (api.md "Authentication"; issue 3).

Throttling counts failures in Redis per account (5 per 15 minutes by
default) and per client IP (20); these tests reset the counters they touch
through redis-cli, so they need the stack's data folder (ATRIUM_TEST_DATA or
the ctest fixture) and skip without it.
"""
import hashlib
import os
import secrets
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client  # noqa: E402
from test_identity import Base, email  # noqa: E402

IP_KEY = "atrium:login_fail:ip:127.0.0.1"


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
        self.assertEqual(self.redis("GET", key), "5")
        self.redis("DEL", key)
        self.assertEqual(Client(self.url).login(owner.email, owner.password).status, 200)
        self.audit(owner, "auth.locked", owner.user["id"])
        failed = self.audit(owner, "auth.login_failed", owner.user["id"])
        self.assertEqual(len(failed), 5)

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


if __name__ == "__main__":
    unittest.main()
