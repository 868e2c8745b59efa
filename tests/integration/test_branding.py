"""Integration tests of a firm's branding (api.md "Dashboard, branding"):
defaults, a full replace by an owner or admin, validation with the field
at fault, the public read (a session's own firm, ?firm=, never telling
which firms exist), who may change it, and its audit event."""
import os
import sys
import unicodedata
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client  # noqa: E402
from test_identity import Base  # noqa: E402

PATH = "/api/v1/settings/branding"
SECTIONS = ["new_since_last_login", "tasks_due", "unread_threads", "pending_signatures",
            "open_invoices", "recent_activity"]


class Branding(Base):
    def test_defaults(self):
        owner = self.owner()
        r = owner.get("/api/v1/branding")
        self.assertEqual(r.status, 200, r)
        b = r.json()
        self.assertEqual(b["portal_name"], "Atrium")
        self.assertEqual(b["primary_color"], "#2f5d8a")
        self.assertIsNone(b["logo_url"])
        self.assertEqual(b["labels"]["client"], "Client")
        self.assertEqual(b["labels"]["invoices"], "Invoices")
        self.assertEqual(len(b["labels"]), 18)
        self.assertEqual(b["dashboard_sections"], SECTIONS)

    def test_update_and_read_back(self):
        owner = self.owner()
        body = {"portal_name": "  Kessler Portal ", "primary_color": "#AA11bb",
                "logo_url": "https://cdn.example.test/logo.svg",
                "labels": {"client": "Matter", "clients": "Matters"},
                "dashboard_sections": ["tasks_due", "open_invoices"]}
        r = owner.put(PATH, body)
        self.assertEqual(r.status, 200, r)
        b = r.json()
        self.assertEqual(b["portal_name"], "Kessler Portal")
        self.assertEqual(b["primary_color"], "#aa11bb")
        self.assertEqual(b["logo_url"], "https://cdn.example.test/logo.svg")
        self.assertEqual(b["labels"]["client"], "Matter")
        self.assertEqual(b["labels"]["clients"], "Matters")
        self.assertEqual(b["labels"]["task"], "Task")
        self.assertEqual(b["dashboard_sections"], ["tasks_due", "open_invoices"])
        self.assertEqual(owner.get("/api/v1/branding").json(), b)
        audit = self.audit(owner, "firm.branding_changed", owner.user["firm_id"])
        self.assertEqual(audit[0]["details"]["portal_name"], "Kessler Portal")
        self.assertEqual(audit[0]["details"]["labels"], {"client": "Matter", "clients": "Matters"})
        # a same-origin path is a logo too; left-out fields return to defaults
        r = owner.put(PATH, {"logo_url": "/static/logo.png"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["logo_url"], "/static/logo.png")
        self.assertEqual(r.json()["portal_name"], "Atrium")
        self.assertEqual(r.json()["labels"]["client"], "Client")
        self.assertEqual(r.json()["dashboard_sections"], SECTIONS)
        # another firm keeps its defaults
        self.assertEqual(self.owner().get("/api/v1/branding").json()["portal_name"], "Atrium")

    def test_nfc(self):
        owner = self.owner()
        decomposed = "Cafe\u0301 Legal"
        r = owner.put(PATH, {"portal_name": decomposed, "labels": {"client": "Mandat\u0301"}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["portal_name"], unicodedata.normalize("NFC", decomposed))
        self.assertEqual(r.json()["portal_name"], "Caf\u00e9 Legal")
        self.assertEqual(r.json()["labels"]["client"],
                         unicodedata.normalize("NFC", "Mandat\u0301"))

    def test_validation(self):
        owner = self.owner()
        before = owner.get("/api/v1/branding").json()
        cases = [
            ({"primary_color": "red"}, "primary_color"),
            ({"primary_color": "#12345"}, "primary_color"),
            ({"primary_color": "#12345g"}, "primary_color"),
            ({"logo_url": "javascript:alert(1)"}, "logo_url"),
            ({"logo_url": "data:image/png;base64,AAAA"}, "logo_url"),
            ({"logo_url": "http://example.test/logo.png"}, "logo_url"),
            ({"logo_url": "//evil.test/logo.png"}, "logo_url"),
            ({"logo_url": "https://"}, "logo_url"),
            ({"logo_url": "https://x.test/a\"onload=1"}, "logo_url"),
            ({"logo_url": "https://x.test/" + "a" * 2100}, "logo_url"),
            ({"portal_name": "   "}, "portal_name"),
            ({"portal_name": "x" * 61}, "portal_name"),
            ({"portal_name": "a\u0007b"}, "portal_name"),
            ({"labels": {"client": "y" * 41}}, "labels.client"),
            ({"labels": {"invoice": ""}}, "labels.invoice"),
            ({"labels": {"task": 3}}, "labels.task"),
            ({"dashboard_sections": ["tasks_due", "weather"]}, "dashboard_sections[1]"),
            ({"dashboard_sections": ["tasks_due", "tasks_due"]}, "dashboard_sections[1]"),
        ]
        for body, field in cases:
            r = owner.put(PATH, body)
            self.assertEqual(r.status, 400, (body, r))
            self.assertEqual(r.json()["error"]["field"], field, (body, r))
        # nothing was written
        self.assertEqual(owner.get("/api/v1/branding").json(), before)
        self.assertEqual(owner.put(PATH, {"portal_name": "x" * 60}).status, 200)

    def test_public_read(self):
        owner = self.owner()
        self.assertEqual(owner.put(PATH, {"portal_name": "Public Co " + owner.user["firm_id"][:6]})
                         .status, 200)
        anon = Client(self.url)
        r = anon.get("/api/v1/branding?firm=" + owner.user["firm_id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["portal_name"], "Public Co " + owner.user["firm_id"][:6])
        # unknown and malformed ids look exactly like a firm without branding
        defaults = anon.get("/api/v1/branding?firm=" + str(uuid.uuid4()))
        self.assertEqual(defaults.status, 200)
        self.assertEqual(defaults.json()["portal_name"], "Atrium")
        bad = anon.get("/api/v1/branding?firm=not-a-firm")
        self.assertEqual(bad.status, 200)
        self.assertEqual(bad.json(), defaults.json())
        # the shared stack holds many firms: without ?firm= it names none
        self.assertEqual(anon.get("/api/v1/branding").json(), defaults.json())
        # a session's own firm wins over ?firm=
        other = self.owner()
        r = other.get("/api/v1/branding?firm=" + owner.user["firm_id"])
        self.assertEqual(r.json()["portal_name"], "Atrium")

    def test_who_may_change(self):
        owner = self.owner()
        admin = self.user(owner, "staff", "admin")
        self.assertEqual(admin.put(PATH, {"portal_name": "By Admin"}).status, 200)
        staff = self.user(owner, "staff", "staff")
        r = staff.put(PATH, {"portal_name": "By Staff"})
        self.assertEqual(r.status, 403, r)
        member = self.user(owner, "client", "admin", self.new_client(owner))
        r = member.put(PATH, {"portal_name": "By Client"})
        self.assertEqual(r.status, 404, r)
        self.assertEqual(Client(self.url).put(PATH, {"portal_name": "Anon"}).status, 401)
        # everyone of the firm reads it
        self.assertEqual(member.get("/api/v1/branding").json()["portal_name"], "By Admin")
        self.assertEqual(staff.get("/api/v1/branding").json()["portal_name"], "By Admin")


if __name__ == "__main__":
    unittest.main()
