"""Integration tests of a firm's security settings (api.md "settings/security";
issue 3): owner/admin only; new sessions take the firm's idle limit (the
gateway renews a session to its own idle_s); with require_mfa_for_staff a
staff user without MFA gets a session that reaches only the enrolment
routes until MFA is on, which issues a new session."""
import hashlib
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client  # noqa: E402
from test_identity import Base, session_token  # noqa: E402
import test_login_security as tls  # noqa: E402
from test_events import WebSocket  # noqa: E402

PATH = "/api/v1/settings/security"


def settings(mfa=False, idle=30, max_h=12):
    return {"require_mfa_for_staff": mfa, "session_idle_minutes": idle, "session_max_hours": max_h}


class SecuritySettings(Base):
    def session_ttl(self, client):
        key = "atrium:session:" + hashlib.sha256(session_token(client).encode()).hexdigest()
        return int(self.redis("TTL", key))

    def test_owner_reads_and_changes_them(self):
        owner = self.owner()
        r = owner.get(PATH)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json()), {"require_mfa_for_staff", "session_idle_minutes",
                                         "session_max_hours"})
        self.assertIs(r.json()["require_mfa_for_staff"], False)
        for bad in (settings(idle=4), settings(idle=1441), settings(max_h=0), settings(max_h=721),
                    {"session_idle_minutes": 30, "session_max_hours": 12}):
            r = owner.put(PATH, bad)
            self.assertEqual(r.status, 400, (bad, r))
        r = owner.put(PATH, settings(idle=45, max_h=24))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), settings(idle=45, max_h=24))
        self.assertEqual(owner.get(PATH).json(), settings(idle=45, max_h=24))
        self.audit(owner, "firm.security_changed", owner.user["firm_id"])
        # another firm sees its own
        self.assertNotEqual(self.owner().get(PATH).json(), settings(idle=45, max_h=24))

    def test_only_owner_and_admin(self):
        owner = self.owner()
        admin = self.user(owner, "staff", "admin")
        self.assertEqual(admin.get(PATH).status, 200)
        self.assertEqual(admin.put(PATH, settings(idle=20)).status, 200)
        staff = self.user(owner, "staff", "staff")
        self.assertEqual(staff.get(PATH).status, 403)
        self.assertEqual(staff.put(PATH, settings()).status, 403)
        member = self.user(owner, "client", "admin", self.new_client(owner))
        self.assertEqual(member.get(PATH).status, 404)
        self.assertEqual(member.put(PATH, settings()).status, 404)
        self.assertEqual(Client(self.url).get(PATH).status, 401)
        self.assertEqual(owner.get(PATH).json()["session_idle_minutes"], 20)

    def test_new_sessions_take_the_firms_idle_limit(self):
        owner = self.owner()
        self.assertEqual(owner.put(PATH, settings(idle=7, max_h=3)).status, 200)
        later = Client(self.url)
        self.assertEqual(later.login(owner.email, owner.password).status, 200)
        self.assertEqual(later.get("/api/v1/me").status, 200)  # renewed to its own idle_s
        self.assertTrue(0 < self.session_ttl(later) <= 7 * 60, self.session_ttl(later))
        stored = json.loads(self.redis("GET", "atrium:session:" + hashlib.sha256(
            session_token(later).encode()).hexdigest()))
        self.assertEqual(stored["idle_s"], 7 * 60)
        self.assertEqual(stored["expires_ms"] - stored["created_ms"], 3 * 3600 * 1000)
        self.assertNotIn("mfa_enrolment_only", stored)
        # the session from before the change keeps the installation's limit
        self.assertEqual(owner.get("/api/v1/me").status, 200)
        self.assertGreater(self.session_ttl(owner), 7 * 60)
        sessions = later.get("/api/v1/me/sessions").json()["items"]
        self.assertEqual(len(sessions), 2)


class RequireMfaForStaff(Base):
    setUp, tearDown = tls.Mfa.setUp, tls.Mfa.tearDown

    def test_staff_without_mfa_reach_only_enrolment(self):
        owner = self.owner()
        client_id = self.new_client(owner)
        self.assertEqual(owner.put(PATH, settings(mfa=True)).status, 200)
        # owner's own session predates the rule; a member of a client is no staff
        self.assertEqual(owner.get("/api/v1/clients").status, 200)
        member = self.user(owner, "client", "member", client_id)
        self.assertEqual(member.get("/api/v1/clients").status, 200)
        # a new staff user: enrolment only
        staff = self.user(owner, "staff", "staff")
        me = staff.get("/api/v1/me")
        self.assertEqual(me.status, 200)
        self.assertIs(me.json()["mfa_enrolment_required"], True)
        self.assertNotIn("mfa_enrolment_required", member.get("/api/v1/me").json())
        for method, path, body in (("GET", "/api/v1/clients", None),
                                   ("GET", "/api/v1/me/sessions", None),
                                   ("POST", "/api/v1/me/tokens", {"name": "x"}),
                                   ("PATCH", "/api/v1/me", {"name": "Sneaky"}),
                                   ("GET", "/api/v1/me/", None),
                                   ("GET", "/api/v1/clients/%s/documents" % client_id, None)):
            r = staff.request(method, path, json_body=body)
            self.assertEqual(r.status, 403, (path, r))
            self.assertIn("MFA", r.json()["error"]["message"])
        # no WebSocket either
        ws = WebSocket(self.url, session_token(staff), origin=self.url)
        self.assertNotEqual(ws.status, 101)
        ws.close()
        # the owner logging in again without MFA is held too
        again = Client(self.url)
        self.assertEqual(again.login(owner.email, owner.password).status, 200)
        self.assertEqual(again.get("/api/v1/clients").status, 403)
        self.assertEqual(again.post("/api/v1/auth/logout").status, 204)
        # enrolment: a new session without the restriction
        before = session_token(staff)
        secret, _, _ = tls.Mfa.enrol(self, staff)
        self.assertNotEqual(session_token(staff), before)
        self.assertEqual(staff.get("/api/v1/clients").status, 200)
        self.assertIs(staff.get("/api/v1/me").json()["mfa_enrolment_required"], False)
        self.assertEqual(staff.patch("/api/v1/me", {"name": "Enrolled"}).status, 200)
        ws = WebSocket(self.url, session_token(staff), origin=self.url)
        self.assertEqual(ws.status, 101)
        ws.close()
        # and while the firm requires it, MFA stays on
        r = staff.request("DELETE", "/api/v1/me/mfa/totp", json_body={"password": staff.password})
        self.assertEqual(r.status, 403, r)
        self.assertIn("requires MFA", r.json()["error"]["message"])
        self.assertEqual(Client(self.url).get("/api/v1/me", headers={
            "Cookie": "atrium_session=" + before}).status, 401)


if __name__ == "__main__":
    unittest.main()
