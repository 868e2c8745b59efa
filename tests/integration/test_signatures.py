"""Signature and approval requests (api.md "Documents", issue 4 "Evidence
and tracking"): staff ask users who can see a document to sign or approve
its current version; a signer outside the document's audience is refused
with 400 (signer_ids); only a named signer signs, in turn when ordered,
with consent true and a typed name; a decline ends the request; a new
version voids pending requests (then signing is 409); two concurrent signs
of one signer give one success; the certificate (JSON and PDF) carries the
version's SHA-256, each signer's time, IP and user agent, and the audit
hashes of the events once the trail has them; reminders before and at
due_at reach the signer's WebSocket once each (a private stack with
ATRIUM_SIGNATURE_REMINDER_S of seconds)."""
import datetime
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from common_tm import assert_error, invite  # noqa: E402
from harness import Client, Stack, wait_until  # noqa: E402
from test_events import WebSocket, cookie_of  # noqa: E402

RAW = {"Content-Type": "application/octet-stream"}
UA = "SignatureTest/1.0 (evidence)"


def staff(test, url, owner, role="staff"):
    r = owner.post("/api/v1/invitations", {"email": "s-%s@example.test" % secrets.token_hex(5),
                                           "kind": "staff", "role": role})
    test.assertEqual(r.status, 201, r)
    u = Client(url)
    a = u.post("/api/v1/invitations/%s/accept" % r.json()["token"],
               {"name": "Staff " + role, "password": "pw-" + secrets.token_urlsafe(12)})
    test.assertEqual(a.status, 200, a)
    u._take_session(a)
    return u


def in_seconds(s):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


class Base(unittest.TestCase):
    stack_env = None

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start(cls.stack_env) if cls.stack_env else Stack.from_env()
        cls.url = cls.stack.url
        cls.owner = Client(cls.url)
        assert cls.owner.signup().status == 201
        cls.X = cls.owner.post("/api/v1/clients", {"name": "X " + secrets.token_hex(3)}).json()["id"]
        cls.Y = cls.owner.post("/api/v1/clients", {"name": "Y " + secrets.token_hex(3)}).json()["id"]
        cls.m1 = invite(cls(), cls.url, cls.owner, cls.X, "member", "Member One")
        cls.m2 = invite(cls(), cls.url, cls.owner, cls.X, "member", "Member Two")
        cls.ym = invite(cls(), cls.url, cls.owner, cls.Y, "member", "Y Member")

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def upload(self, data=None, name=None, folder_id=None):
        name = name or "doc-%s.txt" % secrets.token_hex(4)
        path = "/api/v1/clients/%s/documents?name=%s" % (self.X, name)
        if folder_id:
            path += "&folder_id=" + folder_id
        r = self.owner.post(path, data=data or os.urandom(64), headers=RAW)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def ask(self, doc, signers, by=None, **kw):
        body = dict(kw, signer_ids=[s.user["id"] if isinstance(s, Client) else s for s in signers])
        return (by or self.owner).post("/api/v1/documents/%s/signature-requests" % doc["id"], body)

    def asked(self, doc, signers, **kw):
        r = self.ask(doc, signers, **kw)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def sign(self, who, sid, typed="Typed Name", consent=True, headers=None):
        return who.post("/api/v1/signature-requests/%s/sign" % sid,
                        {"typed_name": typed, "consent": consent}, headers=headers)

    def get(self, who, sid):
        return who.get("/api/v1/signature-requests/" + sid)


class Signatures(Base):
    def test_create_by_staff_binds_version_and_sha(self):
        doc = self.upload(b"contract v1\n")
        req = self.asked(doc, [self.m1], kind="approval", message="please approve")
        self.assertEqual(req["status"], "pending")
        self.assertEqual(req["document_version"], 1)
        self.assertEqual(req["document_sha256"], hashlib.sha256(b"contract v1\n").hexdigest())
        self.assertEqual(req["kind"], "approval")
        self.assertEqual([s["user_id"] for s in req["signers"]], [self.m1.user["id"]])
        self.assertEqual(req["signers"][0]["status"], "pending")
        self.assertIsNone(req["signers"][0]["typed_name"])
        acts = self.owner.get("/api/v1/documents/%s/activity" % doc["id"]).json()["items"]
        self.assertIn("signature_requested", [a["action"] for a in acts])

    def test_client_users_cannot_create(self):
        doc = self.upload()
        assert_error(self, self.ask(doc, [self.m2], by=self.m1), 403, "forbidden")
        assert_error(self, self.ask(doc, [self.m1], by=self.ym), 404, "not_found")

    def test_signer_who_cannot_see_the_document_is_400(self):
        doc = self.upload()
        off = staff(self, self.url, self.owner)  # staff, not on client X
        other_firm = Client(self.url)
        self.assertEqual(other_firm.signup().status, 201)
        for who in (self.ym, off, other_firm, str(uuid.uuid4()), "not-an-id"):
            assert_error(self, self.ask(doc, [self.m1, who]), 400, "validation_failed",
                         "signer_ids")
        assert_error(self, self.ask(doc, [self.m1, self.m1]), 400, "validation_failed",
                     "signer_ids")
        assert_error(self, self.ask(doc, []), 400, "validation_failed", "signer_ids")
        assert_error(self, self.ask(doc, [self.m1], kind="stamp"), 400, "validation_failed",
                     "kind")
        # an internal folder's document: staff only
        fi = self.owner.post("/api/v1/clients/%s/folders" % self.X,
                             {"name": "Int " + secrets.token_hex(3), "visibility": "internal"})
        idoc = self.upload(folder_id=fi.json()["id"])
        assert_error(self, self.ask(idoc, [self.m1]), 400, "validation_failed", "signer_ids")
        self.assertEqual(self.ask(idoc, [self.owner.user["id"]]).status, 201)

    def test_sign_by_named_signer_only(self):
        doc = self.upload()
        req = self.asked(doc, [self.m1])
        assert_error(self, self.sign(self.m2, req["id"]), 403, "forbidden")
        assert_error(self, self.sign(self.ym, req["id"]), 404, "not_found")
        assert_error(self, self.sign(self.owner, req["id"]), 403, "forbidden")
        assert_error(self, self.get(self.ym, req["id"]), 404, "not_found")
        self.assertEqual(self.get(self.m2, req["id"]).status, 200)
        r = self.sign(self.m1, req["id"], typed="Member One")
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual(out["status"], "completed")
        self.assertEqual(out["signers"][0]["status"], "signed")
        self.assertEqual(out["signers"][0]["typed_name"], "Member One")
        self.assertTrue(out["completed_at"])
        acts = self.owner.get("/api/v1/documents/%s/activity" % doc["id"]).json()["items"]
        self.assertIn("signed", [a["action"] for a in acts])
        # a completed request cannot be signed again
        assert_error(self, self.sign(self.m1, req["id"]), 409, "conflict")

    def test_consent_and_typed_name_are_required(self):
        req = self.asked(self.upload(), [self.m1])
        for body, field in (({"typed_name": "A", "consent": False}, "consent"),
                            ({"typed_name": "A"}, "consent"),
                            ({"typed_name": "", "consent": True}, "typed_name"),
                            ({"typed_name": "   ", "consent": True}, "typed_name"),
                            ({"consent": True}, "typed_name"),
                            ({"typed_name": "A\u0007", "consent": True}, "typed_name")):
            r = self.m1.post("/api/v1/signature-requests/%s/sign" % req["id"], body)
            assert_error(self, r, 400, "validation_failed", field)
        r = self.m1.post("/api/v1/signature-requests/%s/sign" % req["id"],
                         {"typed_name": "A", "consent": "yes"})
        assert_error(self, r, 400, "validation_failed", "consent")
        self.assertEqual(self.get(self.m1, req["id"]).json()["status"], "pending")

    def test_ordered_signers_sign_in_turn(self):
        req = self.asked(self.upload(), [self.m1, self.m2], ordered=True)
        self.assertEqual([s["turn"] for s in req["signers"]], [True, False])
        assert_error(self, self.sign(self.m2, req["id"]), 409, "conflict")
        self.assertEqual(self.sign(self.m1, req["id"]).status, 200)
        r = self.sign(self.m2, req["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "completed")

    def test_parallel_signers_sign_in_any_order(self):
        req = self.asked(self.upload(), [self.m1, self.m2])
        self.assertEqual([s["turn"] for s in req["signers"]], [True, True])
        r = self.sign(self.m2, req["id"])
        self.assertEqual((r.status, r.json()["status"]), (200, "pending"))
        r = self.sign(self.m1, req["id"])
        self.assertEqual((r.status, r.json()["status"]), (200, "completed"))

    def test_decline_with_reason(self):
        doc = self.upload()
        req = self.asked(doc, [self.m1, self.m2])
        r = self.m2.post("/api/v1/signature-requests/%s/decline" % req["id"], {})
        assert_error(self, r, 400, "validation_failed", "reason")
        r = self.m2.post("/api/v1/signature-requests/%s/decline" % req["id"],
                         {"reason": "wrong amount"})
        self.assertEqual(r.status, 200, r)
        out = r.json()
        self.assertEqual(out["status"], "declined")
        self.assertEqual(out["signers"][1]["status"], "declined")
        self.assertEqual(out["signers"][1]["reason"], "wrong amount")
        assert_error(self, self.sign(self.m1, req["id"]), 409, "conflict")
        acts = self.owner.get("/api/v1/documents/%s/activity" % doc["id"]).json()["items"]
        self.assertIn("declined", [a["action"] for a in acts])
        r = self.m1.post("/api/v1/signature-requests/%s/decline" % req["id"], {"reason": "x"})
        assert_error(self, r, 409, "conflict")

    def test_new_version_voids_pending_requests(self):
        doc = self.upload(b"v1\n")
        req = self.asked(doc, [self.m1])
        done = self.asked(doc, [self.m2])
        self.assertEqual(self.sign(self.m2, done["id"]).status, 200)
        r = self.owner.post("/api/v1/documents/%s/versions" % doc["id"], data=b"v2\n",
                            headers=RAW)
        self.assertEqual(r.status, 201, r)
        now = self.get(self.m1, req["id"]).json()
        self.assertEqual(now["status"], "voided")
        self.assertTrue(now["void_reason"])
        self.assertEqual(self.get(self.m2, done["id"]).json()["status"], "completed")
        assert_error(self, self.sign(self.m1, req["id"]), 409, "conflict")
        # restoring an old version is a new version too
        req2 = self.asked(doc, [self.m1])
        self.assertEqual(req2["document_version"], 2)
        r = self.owner.post("/api/v1/documents/%s/versions/1/restore" % doc["id"])
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.get(self.m1, req2["id"]).json()["status"], "voided")
        # an upload under the same name (a new version by collision) too
        req3 = self.asked(doc, [self.m1])
        self.upload(b"v4\n", name=doc["name"])
        self.assertEqual(self.get(self.m1, req3["id"]).json()["status"], "voided")
        audit = self.owner.get("/api/v1/audit?action=signature.voided&resource_id=" + req["id"])
        self.assertTrue(wait_until(lambda: self.owner.get(
            "/api/v1/audit?action=signature.voided&resource_id=" + req["id"]).json()["items"],
            timeout=20), audit)

    def test_deleting_the_document_voids_pending_requests(self):
        doc = self.upload(b"to be deleted\n")
        req = self.asked(doc, [self.m1])
        self.assertEqual(self.owner.delete("/api/v1/documents/%s" % doc["id"]).status, 204)
        now = self.get(self.owner, req["id"]).json()
        self.assertEqual(now["status"], "voided")
        self.assertEqual(now["void_reason"], "the document was deleted")
        # restoring the document does not bring the request back
        self.assertEqual(self.owner.post("/api/v1/documents/%s/restore" % doc["id"]).status, 200)
        self.assertEqual(self.get(self.owner, req["id"]).json()["status"], "voided")
        assert_error(self, self.sign(self.m1, req["id"]), 409, "conflict")

    def test_concurrent_double_sign_one_success(self):
        for _ in range(3):
            req = self.asked(self.upload(), [self.m1, self.m2])
            statuses = []
            barrier = threading.Barrier(4)

            def go():
                barrier.wait()
                statuses.append(self.sign(self.m1, req["id"]).status)
            threads = [threading.Thread(target=go) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(sorted(statuses), [200, 409, 409, 409], statuses)
            signers = self.get(self.m1, req["id"]).json()["signers"]
            self.assertEqual(signers[0]["status"], "signed")

    def test_lists(self):
        doc = self.upload()
        mine = self.asked(doc, [self.m1, self.m2], ordered=True)
        other = self.asked(doc, [self.m2])

        def ids(c, q):
            r = c.get("/api/v1/signature-requests" + q)
            self.assertEqual(r.status, 200, r)
            return [i["id"] for i in r.json()["items"]]
        self.assertIn(mine["id"], ids(self.m1, "?status=pending"))
        self.assertNotIn(other["id"], ids(self.m1, ""))
        self.assertIn(mine["id"], ids(self.m1, "?awaiting_me=true"))
        self.assertNotIn(mine["id"], ids(self.m2, "?awaiting_me=true"))  # not m2's turn
        self.assertIn(other["id"], ids(self.m2, "?awaiting_me=true"))
        self.assertIn(mine["id"], ids(self.owner, "?status=pending"))  # made by the owner
        self.assertEqual(ids(self.ym, ""), [])
        self.assertEqual(self.sign(self.m1, mine["id"]).status, 200)
        self.assertNotIn(mine["id"], ids(self.m1, "?status=pending"))
        self.assertIn(mine["id"], ids(self.m2, "?awaiting_me=true"))
        r = self.m1.get("/api/v1/documents/%s/signature-requests" % doc["id"])
        self.assertEqual({mine["id"], other["id"]} - {i["id"] for i in r.json()["items"]}, set())
        assert_error(self, self.ym.get("/api/v1/documents/%s/signature-requests" % doc["id"]),
                     404, "not_found")
        assert_error(self, self.m1.get("/api/v1/signature-requests?status=nope"), 400,
                     "validation_failed", "status")

    def test_manual_remind_reaches_websocket_and_audit(self):
        req = self.asked(self.upload(), [self.m1, self.m2], ordered=True)
        ws = WebSocket(self.url, cookie=cookie_of(self.m1))
        self.assertEqual(ws.status, 101)
        self.assertTrue(ws.frames_until(lambda f: f["type"] == "ready"))
        ws2 = WebSocket(self.url, cookie=cookie_of(self.m2))
        self.assertTrue(ws2.frames_until(lambda f: f["type"] == "ready"))
        admin = staff(self, self.url, self.owner, role="admin")
        r = admin.post("/api/v1/signature-requests/%s/remind" % req["id"])
        assert_error(self, r, 403, "forbidden")
        r = self.owner.post("/api/v1/signature-requests/%s/remind" % req["id"])
        self.assertEqual(r.status, 200, r)
        f = ws.frames_until(lambda f: f["type"] == "notification"
                            and f["data"].get("request_id") == req["id"])
        self.assertIsNotNone(f, "no notification on m1's socket")
        self.assertEqual((f["data"]["kind"], f["data"]["when"]), ("signature.reminder", "manual"))
        # ordered: m2's turn has not come, and a notification is for its user only
        self.assertIsNone(ws2.frames_until(lambda f: f["type"] == "notification"
                                           and f["data"].get("request_id") == req["id"]
                                           and f["data"].get("kind") == "signature.reminder",
                                           timeout=2))
        ws.close()
        ws2.close()
        self.assertTrue(wait_until(lambda: self.owner.get(
            "/api/v1/audit?action=signature.reminded&resource_id=" + req["id"]).json()["items"],
            timeout=20))

    def test_certificate_json_and_pdf(self):
        data = b"certificate me\n"
        doc = self.upload(data)
        req = self.asked(doc, [self.m1, self.m2])
        r = self.sign(self.m1, req["id"], typed="Member One", headers={"User-Agent": UA})
        self.assertEqual(r.status, 200, r)
        path = "/api/v1/signature-requests/%s/certificate" % req["id"]
        assert_error(self, self.ym.get(path), 404, "not_found")

        def relayed():
            c = self.m2.get(path).json()
            return c if all(not e["audit_pending"] for e in c["events"]) else None
        cert = wait_until(relayed, timeout=30)
        self.assertTrue(cert, self.m2.get(path).json())
        sha = hashlib.sha256(data).hexdigest()
        self.assertEqual((cert["document_sha256"], cert["document_version"]), (sha, 1))
        self.assertEqual(cert["document_name"], doc["name"])
        s1, s2 = cert["signers"]
        self.assertEqual((s1["typed_name"], s1["user_agent"], s1["ip"]),
                         ("Member One", UA, "127.0.0.1"))
        self.assertTrue(s1["signed_at"])
        self.assertRegex(s1["audit_hash"], "^[0-9a-f]{64}$")
        self.assertFalse(s1["audit_pending"])
        self.assertIsNone(s2["audit_hash"])
        self.assertIsNone(s2["signed_at"])
        actions = [e["action"] for e in cert["events"]]
        self.assertEqual(actions, ["signature.requested", "document.signed"])
        # the hash is the one the audit trail shows for that event
        trail = self.owner.get("/api/v1/audit?action=document.signed&resource_id=" + doc["id"])
        items = trail.json()["items"]
        self.assertEqual([(i["hash"], i["seq"]) for i in items],
                         [(s1["audit_hash"], s1["audit_seq"])])
        self.assertEqual(items[0]["user_agent"], UA)
        # PDF
        r = self.m2.get(path + "?format=pdf")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/pdf")
        self.assertTrue(r.header("Content-Disposition").startswith("attachment"))
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertTrue(r.body.startswith(b"%PDF-"), r.body[:20])
        self.assertIn(("sha256 " + sha).encode(), r.body)  # the Subject metadata
        if shutil.which("pdftotext"):
            with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
                f.write(r.body)
                f.flush()
                text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True,
                                      check=True).stdout.decode()
            flat = "".join(text.split())
            for want in (sha, "MemberOne", s1["audit_hash"], "127.0.0.1"):
                self.assertIn(want, flat)
        assert_error(self, self.m2.get(path + "?format=docx"), 400, "validation_failed", "format")


class Reminders(Base):
    """Reminders before and at due_at, on a private stack where "before" is
    4 seconds."""
    stack_env = {"ATRIUM_SIGNATURE_REMINDER_S": "4"}

    def test_reminders_before_and_at_due_once_each(self):
        ws = WebSocket(self.url, cookie=cookie_of(self.m1))
        self.assertTrue(ws.frames_until(lambda f: f["type"] == "ready"))
        req = self.asked(self.upload(), [self.m1], due_at=in_seconds(8))
        got = []
        end = time.time() + 25
        while time.time() < end and len(got) < 2:
            f = ws.frames_until(lambda f: f["type"] == "notification"
                                and f["data"].get("kind") == "signature.reminder"
                                and f["data"].get("request_id") == req["id"],
                                timeout=max(0.1, end - time.time()))
            if f:
                got.append(f["data"]["when"])
        self.assertEqual(got, ["before", "due"])
        # nothing more comes: once each
        self.assertIsNone(ws.frames_until(lambda f: f["type"] == "notification"
                                          and f["data"].get("request_id") == req["id"]
                                          and f["data"].get("kind") == "signature.reminder",
                                          timeout=3))
        ws.close()

        def reminded():
            items = self.owner.get("/api/v1/audit?action=signature.reminded&resource_id="
                                   + req["id"]).json()["items"]
            return items if len(items) >= 2 else None
        items = wait_until(reminded, timeout=20)
        self.assertTrue(items)
        self.assertEqual(sorted(i["details"]["when"] for i in items), ["before", "due"])
        # and the mail went to the outbox (written as .eml without SMTP)
        mail_dir = os.path.join(self.stack.data_dir, "mail")

        def read(name):
            with open(os.path.join(mail_dir, name), errors="replace") as f:
                return f.read()
        self.assertTrue(wait_until(lambda: os.path.isdir(mail_dir) and any(
            "Due now" in read(n) for n in os.listdir(mail_dir)), timeout=20))


if __name__ == "__main__":
    unittest.main()
