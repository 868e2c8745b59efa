"""Integration tests of password reset by e-mail (api.md "Authentication";
issue 3): POST /auth/password-reset answers 202 and {} whatever the email;
the link is mailed through the auth outbox, which (without ATRIUM_SMTP_URL)
writes each message as an .eml file under $ATRIUM_DATA_DIR/mail/, where
these tests read it. So they need the stack's data folder (ATRIUM_TEST_DATA
or the ctest fixture) and skip without it.
"""
import email as emaillib
from email import policy as mail_policy
import hashlib
import os
import re
import secrets
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, wait_until  # noqa: E402
from test_identity import Base, email  # noqa: E402

IP_KEY = "atrium:reset:ip:127.0.0.1"
TOKEN_RE = re.compile(r"/reset/([A-Za-z0-9_-]{43})\b")


def reset_account_key(addr):
    return "atrium:reset:acct:" + hashlib.sha256(addr.lower().encode()).hexdigest()


class MailBase(Base):
    def setUp(self):
        self.redis("DEL", IP_KEY)
        self.maildir = os.path.join(self.stack.data_dir, "mail")

    def tearDown(self):
        self.redis("DEL", IP_KEY)

    def mails_to(self, addr):
        out = []
        if not os.path.isdir(self.maildir):
            return out
        for name in sorted(os.listdir(self.maildir)):
            if not name.endswith(".eml"):
                continue
            with open(os.path.join(self.maildir, name), "rb") as f:
                msg = emaillib.message_from_bytes(f.read(), policy=mail_policy.default)
            if msg["To"].addresses[0].addr_spec.lower() == addr.lower():
                out.append(msg)
        return out

    def wait_mail(self, addr, count=1, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            mails = self.mails_to(addr)
            if len(mails) >= count:
                return mails
            time.sleep(0.1)
        self.fail("no mail to %s within %d s" % (addr, timeout))

    def ask_reset(self, addr):
        r = Client(self.url).post("/api/v1/auth/password-reset", {"email": addr})
        self.assertEqual(r.status, 202, r)
        return r

    def reset_token(self, addr, count=1):
        self.ask_reset(addr)
        msg = self.wait_mail(addr, count)[count - 1]
        m = TOKEN_RE.search(msg.get_content())
        self.assertIsNotNone(m, msg.get_content())
        return m.group(1), msg

    def confirm(self, token, password):
        return Client(self.url).post("/api/v1/auth/password-reset/confirm",
                                     {"token": token, "new_password": password})


class PasswordReset(MailBase):
    def test_reset_sets_the_password_and_ends_every_session(self):
        owner = self.owner()
        other = Client(self.url)
        self.assertEqual(other.login(owner.email, owner.password).status, 200)
        token, msg = self.reset_token(owner.email)
        # the mail itself: the headers a mail client needs
        self.assertEqual(msg["Subject"], "Reset your Atrium password")
        self.assertEqual(msg.get_content_type(), "text/plain")
        self.assertEqual(msg.get_content_charset(), "utf-8")
        self.assertTrue(msg["Message-ID"].startswith("<") and msg["Date"])
        self.assertEqual(msg["MIME-Version"], "1.0")
        new_pw = "reset-" + secrets.token_urlsafe(12)
        r = self.confirm(token, new_pw)
        self.assertEqual(r.status, 204, r)
        # every session of the user is over, the caller's too
        self.assertEqual(owner.get("/api/v1/me").status, 401)
        self.assertEqual(other.get("/api/v1/me").status, 401)
        self.assertEqual(Client(self.url).login(owner.email, owner.password).status, 401)
        again = Client(self.url)
        self.assertEqual(again.login(owner.email, new_pw).status, 200)
        self.audit(again, "user.password_reset", again.user["id"])

    def test_outbox_keeps_no_link_once_sent(self):
        owner = self.owner()
        token, _ = self.reset_token(owner.email)
        db = self.db()
        addr = owner.email.replace("'", "''")
        # the file is written before the row records it: wait for that
        q = ("SELECT sent_at IS NOT NULL, body = '', attempts, last_error IS NULL"
             " FROM auth.mail_outbox WHERE to_addr = '%s'" % addr)
        wait_until(lambda: db.sql(q) == "t|t|1|t", timeout=20)
        self.assertEqual(db.sql(q), "t|t|1|t")
        hashed = db.sql("SELECT count(*) FROM auth.password_resets WHERE token_hash = '%s'"
                        % hashlib.sha256(token.encode()).hexdigest())
        self.assertEqual(hashed, "1")
        self.assertEqual(db.sql("SELECT count(*) FROM auth.password_resets WHERE token_hash = '%s'"
                                % token), "0")

    def test_a_used_token_is_gone(self):
        owner = self.owner()
        token, _ = self.reset_token(owner.email)
        self.assertEqual(self.confirm(token, "first-" + secrets.token_urlsafe(12)).status, 204)
        r = self.confirm(token, "second-" + secrets.token_urlsafe(12))
        self.assertEqual(r.status, 410, r)
        self.assertEqual(r.json()["error"]["code"], "gone")
        # an unknown token is the same
        self.assertEqual(self.confirm(secrets.token_urlsafe(32), "third-" + secrets.token_urlsafe(12)).status, 410)

    def test_a_newer_reset_spends_older_tokens(self):
        owner = self.owner()
        old, _ = self.reset_token(owner.email, 1)
        new, _ = self.reset_token(owner.email, 2)
        self.assertEqual(self.confirm(new, "newer-" + secrets.token_urlsafe(12)).status, 204)
        self.assertEqual(self.confirm(old, "older-" + secrets.token_urlsafe(12)).status, 410)

    def test_a_refused_password_leaves_the_token_usable(self):
        owner = self.owner()
        token, _ = self.reset_token(owner.email)
        for bad in ("short", "password1234"):
            r = self.confirm(token, bad)
            self.assertEqual(r.status, 400, r)
            self.assertEqual(r.json()["error"]["field"], "new_password")
        self.assertEqual(self.confirm(token, "fine-" + secrets.token_urlsafe(12)).status, 204)

    def test_twenty_parallel_confirms_one_wins(self):
        owner = self.owner()
        token, _ = self.reset_token(owner.email)
        results = []
        lock = threading.Lock()
        start = threading.Barrier(20)

        def go(i):
            start.wait()
            r = self.confirm(token, "parallel-%d-%s" % (i, secrets.token_urlsafe(12)))
            with lock:
                results.append(r.status)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results.count(204), 1, results)
        self.assertEqual(results.count(410), 19, results)

    def test_unknown_email_same_answer_and_no_mail(self):
        owner = self.owner()
        known = self.ask_reset(owner.email)
        nobody = email()
        unknown = self.ask_reset(nobody)
        self.assertEqual(known.body, unknown.body)
        self.assertEqual(known.json(), {})
        self.assertEqual(known.header("Content-Type"), unknown.header("Content-Type"))
        self.wait_mail(owner.email)
        time.sleep(0.5)
        self.assertEqual(self.mails_to(nobody), [])

    def test_the_link_opens_the_ui(self):
        owner = self.owner()
        token, msg = self.reset_token(owner.email)
        link = TOKEN_RE.search(msg.get_content()).group(0)
        r = Client(self.url).get(link)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        # the portal's page, whose reset screen tests/browser/portal.mjs drives
        self.assertIn(b'<script type="module" src="/js/main.js">', r.body)
        self.assertEqual(r.header("Referrer-Policy"), "no-referrer")
        self.assertIn("script-src 'self'", r.header("Content-Security-Policy"))
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertEqual(Client(self.url).post(link, {}).status, 405)
        # opening the page spends nothing
        self.assertEqual(self.confirm(token, "after-ui-" + secrets.token_urlsafe(12)).status, 204)

    def test_malformed_email_is_400(self):
        r = Client(self.url).post("/api/v1/auth/password-reset", {"email": "nope"})
        self.assertEqual(r.status, 400, r)

    def test_requests_are_throttled_per_email(self):
        addr = email()
        try:
            for _ in range(5):
                self.ask_reset(addr)
            r = Client(self.url).post("/api/v1/auth/password-reset", {"email": addr})
            self.assertEqual(r.status, 429, r)
            self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        finally:
            self.redis("DEL", reset_account_key(addr))

    def test_display_name_is_encoded_not_injected(self):
        owner = Client(self.url)
        name = 'Zoë "Q" Bcc: x@evil.test'
        self.assertEqual(owner.signup(name=name).status, 201)
        _, msg = self.reset_token(owner.email)
        to = msg["To"].addresses[0]
        self.assertEqual(to.display_name, name)
        self.assertEqual(to.addr_spec.lower(), owner.email.lower())
        self.assertIsNone(msg["Bcc"])


if __name__ == "__main__":
    unittest.main()
