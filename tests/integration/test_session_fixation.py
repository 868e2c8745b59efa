"""Session fixation (issue 3): the session token is always new at login and
at the completion of the second factor, whatever cookie the browser sent; a
planted or earlier token never becomes the logged-in session."""
import os
import re
import secrets
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client  # noqa: E402
from test_identity import Base, session_token  # noqa: E402
import test_login_security as tls  # noqa: E402


def set_cookie_token(r):
    m = re.search(r"atrium_session=([^;]*)", r.header("Set-Cookie") or "")
    return m.group(1) if m else None


class SessionFixation(Base):
    # the MFA helpers, without inheriting the MFA tests
    setUp, tearDown = tls.Mfa.setUp, tls.Mfa.tearDown
    enrol, password_step = tls.Mfa.enrol, tls.Mfa.password_step

    def test_token_changes_at_login(self):
        owner = self.owner()
        before = session_token(owner)
        self.assertTrue(before)
        # a token planted by an attacker (made up), and one of the attacker's
        # own real sessions: neither is the session login hands out
        attacker = self.owner()
        for planted in ("planted-" + secrets.token_urlsafe(32), session_token(attacker), before):
            victim = Client(self.url)
            r = victim.post("/api/v1/auth/login", {"email": owner.email, "password": owner.password},
                            headers={"Cookie": "atrium_session=" + planted})
            self.assertEqual(r.status, 200, r)
            after = set_cookie_token(r)
            self.assertTrue(after)
            self.assertNotEqual(after, planted)
            self.assertNotEqual(after, before)
            # the planted token is still nobody's session or still the attacker's own
            me = Client(self.url).get("/api/v1/me", headers={"Cookie": "atrium_session=" + planted})
            if planted == session_token(attacker):
                self.assertEqual(me.json()["user"]["id"], attacker.user["id"])
            elif planted != before:
                self.assertEqual(me.status, 401)

    def test_token_changes_at_mfa_completion(self):
        owner = self.owner()
        secret, _, step = self.enrol(owner)
        before = session_token(owner)
        c, ticket = self.password_step(owner)
        planted = "planted-" + secrets.token_urlsafe(32)
        r = c.post("/api/v1/auth/mfa", {"mfa_ticket": ticket, "code": tls.totp(secret, step + 1)},
                   headers={"Cookie": "atrium_session=" + planted})
        self.assertEqual(r.status, 200, r)
        after = set_cookie_token(r)
        self.assertTrue(after)
        self.assertNotIn(after, (planted, before))
        self.assertEqual(Client(self.url).get("/api/v1/me", headers={
            "Cookie": "atrium_session=" + planted}).status, 401)
        self.assertEqual(Client(self.url).get("/api/v1/me", headers={
            "Cookie": "atrium_session=" + after}).status, 200)


if __name__ == "__main__":
    unittest.main()
