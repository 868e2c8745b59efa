"""Search (issue 4) end to end: GET /api/v1/search over documents (names and
the text of PDFs and text files, extracted in the background), tasks and
messages; accent- and case-insensitive matching; hostile queries that never
error; tenancy (a client user finds only their clients' shared, live
documents; another firm finds nothing); and the document list's q, which is
the same search. A private stack with the tasks service stopped answers the
others' hits with partial: true.

Decided here (and in openapi.yaml): a missing or blank q is 400
validation_failed (field q); a q without any letter or digit answers 200
with no items."""
import os
import secrets
import signal
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from common_tm import assert_error, invite  # noqa: E402
from harness import Client, Stack, wait_until  # noqa: E402


def q(s):
    return urllib.parse.quote(s, safe="")


def pdf_with_text(text):
    """A minimal one-page PDF (hand-written objects, Helvetica with
    WinAnsiEncoding) whose page shows text; offsets in the xref are exact."""
    body = text.encode("cp1252")
    esc = b"".join(b"\\%03o" % c if c > 126 or c in b"()\\" else bytes([c]) for c in body)
    stream = b"BT /F1 18 Tf 72 700 Td (" + esc + b") Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


class Search(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.owner = Client(cls.stack.url)
        assert cls.owner.signup().status == 201
        cls.X = cls.new_client(cls.owner)
        cls.Y = cls.new_client(cls.owner)
        r = cls.owner.post("/api/v1/clients/%s/folders" % cls.X,
                           {"name": "Internal", "visibility": "internal"})
        assert r.status == 201, r
        cls.FI = r.json()["id"]
        cls.other = Client(cls.stack.url)
        assert cls.other.signup().status == 201
        cls.OX = cls.new_client(cls.other)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    @staticmethod
    def new_client(owner):
        r = owner.post("/api/v1/clients", {"name": "Client " + secrets.token_hex(3)})
        assert r.status == 201, r
        return r.json()["id"]

    # -- helpers --
    def upload(self, name, data, client_id=None, folder_id=None, who=None):
        path = "/api/v1/clients/%s/documents?name=%s" % (client_id or self.X, q(name))
        if folder_id:
            path += "&folder_id=" + folder_id
        r = (who or self.owner).post(path, data=data,
                                     headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def search(self, query, who=None, extra=""):
        r = (who or self.owner).get("/api/v1/search?q=%s%s" % (q(query), extra))
        self.assertEqual(r.status, 200, (query, r))
        body = r.json()
        self.assertIs(body["partial"], False, body)
        for item in body["items"]:
            self.assertEqual(set(item), {"type", "id", "title", "snippet", "client_id"}, item)
        return body["items"]

    def ids(self, query, who=None):
        return sorted(i["id"] for i in self.search(query, who))

    def found(self, query, doc_id, who=None, timeout=30):
        """Polls until the search finds doc_id (text extraction is
        asynchronous); returns its hit."""
        def hit():
            return next((i for i in self.search(query, who) if i["id"] == doc_id), None)
        h = wait_until(hit, timeout=timeout, interval=0.3)
        self.assertIsNotNone(h, "%r did not find %s" % (query, doc_id))
        return h

    # -- documents --
    def test_pdf_text_found_accent_and_case_insensitive(self):
        tag = "pdf" + secrets.token_hex(4)
        doc = self.upload("scan-%s.pdf" % secrets.token_hex(3),
                          pdf_with_text("Rechnung an Herr Müller, Konto %s, fällig." % tag))
        self.assertEqual(doc["content_type"], "application/pdf")
        h = self.found("muller " + tag, doc["id"])
        self.assertEqual(h["type"], "document")
        self.assertEqual(h["client_id"], self.X)
        self.assertEqual(h["title"], doc["name"])
        self.assertIn("Müller", h["snippet"])
        self.assertIn(tag, h["snippet"])
        self.assertEqual([i["id"] for i in self.search("MULLER " + tag)], [doc["id"]])
        self.assertEqual([i["id"] for i in self.search("Müller " + tag.upper())], [doc["id"]])
        # the document list's q is the same search, over the text too
        r = self.owner.get("/api/v1/clients/%s/documents?q=%s" % (self.X, q("muller " + tag)))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([d["id"] for d in r.json()["items"]], [doc["id"]])
        # a word the file does not hold finds nothing
        self.assertEqual(self.search("schmidt " + tag), [])

    def test_text_file_and_new_versions(self):
        tag = "txt" + secrets.token_hex(4)
        first = "Quarterly reconciliation for Zoë Ångström (%s), see the ledger.\n" % tag
        doc = self.upload("notes-%s.txt" % secrets.token_hex(3), first.encode())
        h = self.found("angstrom " + tag, doc["id"])
        self.assertIn("Ångström", h["snippet"])
        self.assertTrue(h["snippet"].startswith("Quarterly"), h["snippet"])
        # a new version's text replaces the old one's
        r = self.owner.post("/api/v1/documents/%s/versions" % doc["id"],
                            data=("Budget for Łódź, %s.\n" % tag).encode(),
                            headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 201, r)
        self.found("lodz " + tag, doc["id"])
        self.assertEqual(self.search("angstrom " + tag), [])
        # restoring version 1 brings its text back
        r = self.owner.post("/api/v1/documents/%s/versions/1/restore" % doc["id"])
        self.assertEqual(r.status, 201, r)
        self.found("angstrom " + tag, doc["id"])
        self.assertEqual(self.search("lodz " + tag), [])

    def test_tus_upload_text_found(self):
        import base64
        tag = "tus" + secrets.token_hex(4)
        data = ("résumé of %s\n" % tag).encode()

        def b64(s):
            return base64.b64encode(s.encode()).decode()
        tus = {"Tus-Resumable": "1.0.0"}
        r = self.owner.post("/api/v1/uploads", data=b"", headers=dict(tus, **{
            "Upload-Length": str(len(data)),
            "Upload-Metadata": "filename %s,client_id %s" % (b64("cv.txt"), b64(self.X))}))
        self.assertEqual(r.status, 201, r)
        loc = urllib.parse.urlparse(r.header("Location")).path
        r = self.owner.request("PATCH", loc, data=data, headers=dict(tus, **{
            "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}))
        self.assertEqual(r.status, 204, r)
        doc_id = r.header("Atrium-Document-Id")
        self.assertTrue(doc_id, r)
        self.assertIn("résumé", self.found("resume " + tag, doc_id)["snippet"])

    def test_names_nfd_found_by_nfc(self):
        tag = "nm" + secrets.token_hex(4)
        doc = self.upload("Mu\u0308ller Bericht %s.bin" % tag, b"\x00\x01binary")
        # names are searchable at once (no extraction involved)
        self.assertEqual([i["id"] for i in self.search("M\u00fcller " + tag)], [doc["id"]])
        self.assertEqual([i["id"] for i in self.search("muller bericht " + tag)], [doc["id"]])
        hit = self.search("bericht " + tag)[0]
        self.assertEqual(hit["snippet"], "")
        self.assertEqual(hit["title"], doc["name"])
        # the last word matches as a prefix, the others as whole words
        self.assertEqual([i["id"] for i in self.search(tag + " ber")], [doc["id"]])
        self.assertEqual(self.search("ber " + tag), [])
        # a rename is searchable at once too
        r = self.owner.patch("/api/v1/documents/" + doc["id"], {"name": "Ærø plan %s.bin" % tag})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([i["id"] for i in self.search("aero plan " + tag)], [doc["id"]])
        self.assertEqual(self.search("muller " + tag), [])

    def test_hostile_queries_never_error(self):
        tag = "ob" + secrets.token_hex(4)
        doc = self.upload("O'Brien %s.txt" % tag, b"letter\n")
        self.assertEqual([i["id"] for i in self.search("O'Brien " + tag)], [doc["id"]])
        self.assertEqual([i["id"] for i in self.search("o\u2019brien " + tag)], [doc["id"]])
        for hostile in ["O'Brien", '"', "\\", "&|!():*", "'", "''", "a & b | !c", "x:*",
                        "'; DROP TABLE documents; --", "<->", "(", "\\'", "%", "_",
                        "x" * 1000, "é" * 1000, "a " * 500, "日本語"]:
            r = self.owner.get("/api/v1/search?q=" + q(hostile))
            self.assertEqual(r.status, 200, (hostile[:20], r))
            self.assertIsInstance(r.json()["items"], list)
            r = self.owner.get("/api/v1/clients/%s/documents?q=%s" % (self.X, q(hostile)))
            self.assertEqual(r.status, 200, (hostile[:20], r))
        # invalid UTF-8 in the URL is a separator, not an error
        r = self.owner.get("/api/v1/search?q=%FF%FE" + tag)
        self.assertEqual(r.status, 200, r)
        for only in ['"', "&|!():*", "\\"]:
            self.assertEqual(self.search(only), [])
        # blank or missing q: 400; over 1000 characters: 400
        for path in ["/api/v1/search", "/api/v1/search?q=", "/api/v1/search?q=%20%20"]:
            assert_error(self, self.owner.get(path), 400, "validation_failed", "q")
        assert_error(self, self.owner.get("/api/v1/search?q=" + "x" * 1001), 400,
                     "validation_failed", "q")
        assert_error(self, self.owner.get("/api/v1/search?q=a&limit=x"), 400,
                     "validation_failed", "limit")
        assert_error(self, self.owner.get("/api/v1/search?q=a&limit=0"), 400,
                     "validation_failed", "limit")
        self.assertEqual(self.owner.get("/api/v1/search?q=a").status, 200)
        self.assertEqual(Client(self.stack.url).get("/api/v1/search?q=a").status, 401)

    def test_limit_and_rank(self):
        tag = "lim" + secrets.token_hex(4)
        made = [self.upload("%s %d.bin" % (tag, i), b"x")["id"] for i in range(4)]
        self.assertEqual(sorted(i["id"] for i in self.search(tag)), sorted(made))
        self.assertEqual(len(self.search(tag, extra="&limit=2")), 2)
        self.assertEqual(len(self.search(tag, extra="&limit=500")), 4)

    def test_client_user_sees_only_their_shared_live_documents(self):
        tag = "vis" + secrets.token_hex(4)
        member = invite(self, self.stack.url, self.owner, self.X, "member", "Member")
        shared = self.upload("shared %s.txt" % tag, b"s\n")["id"]
        internal = self.upload("internal %s.txt" % tag, b"i\n", folder_id=self.FI)["id"]
        other_client = self.upload("y %s.txt" % tag, b"y\n", client_id=self.Y)["id"]
        deleted = self.upload("gone %s.txt" % tag, b"g\n")["id"]
        self.assertEqual(self.owner.delete("/api/v1/documents/" + deleted).status, 204)
        r = self.other.post("/api/v1/clients/%s/documents?name=%s" % (self.OX, q("b %s.txt" % tag)),
                            data=b"b\n", headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        foreign = r.json()["id"]

        self.assertEqual(self.ids(tag, member), [shared])
        self.assertEqual(self.ids(tag), sorted([shared, internal, other_client]))
        self.assertEqual(self.ids(tag, self.other), [foreign])
        # the same through the list's q
        r = member.get("/api/v1/clients/%s/documents?q=%s" % (self.X, tag))
        self.assertEqual([d["id"] for d in r.json()["items"]], [shared])
        # the text of an internal document stays hidden too
        secret = "sec" + secrets.token_hex(4)
        doc = self.upload("memo.txt", ("board memo %s\n" % secret).encode(), folder_id=self.FI)
        self.found(secret, doc["id"])
        self.assertEqual(self.search(secret, member), [])

    # -- tasks and messages --
    def test_tasks_and_messages_found(self):
        tag = "tm" + secrets.token_hex(4)
        member = invite(self, self.stack.url, self.owner, self.X, "member", "Member")
        r = self.owner.post("/api/v1/clients/%s/tasks" % self.X, {
            "title": "Reconcile Müller account %s" % tag,
            "description": "Ask Frau Müller for the Köln statements before Friday."})
        self.assertEqual(r.status, 201, r)
        task = r.json()
        r = self.owner.post("/api/v1/clients/%s/threads" % self.X, {
            "subject": "Statements %s" % tag, "body": "Grüße aus Köln, die Auszüge folgen."})
        self.assertEqual(r.status, 201, r)
        thread = r.json()
        r = self.owner.get("/api/v1/threads/%s/messages" % thread["id"])
        message = r.json()["items"][0]
        r = self.owner.post("/api/v1/clients/%s/tasks" % self.Y, {"title": "Y task %s" % tag})
        self.assertEqual(r.status, 201, r)
        y_task = r.json()["id"]

        hits = self.search("koln " + tag)
        by_type = {h["type"]: h for h in hits}
        self.assertEqual(set(by_type), {"task", "message"}, hits)
        self.assertEqual(by_type["task"]["id"], task["id"])
        self.assertEqual(by_type["task"]["client_id"], self.X)
        self.assertEqual(by_type["task"]["title"], task["title"])
        self.assertIn("Köln", by_type["task"]["snippet"])
        self.assertEqual(by_type["message"]["id"], message["id"])
        self.assertEqual(by_type["message"]["client_id"], self.X)
        self.assertEqual(by_type["message"]["title"], "Statements %s" % tag)
        self.assertIn("Köln", by_type["message"]["snippet"])
        # a message's body alone
        r = self.owner.post("/api/v1/threads/%s/messages" % thread["id"],
                            {"body": "Noch eine Frage zu %s: Straße?" % tag})
        self.assertEqual(r.status, 201, r)
        second = r.json()["id"]
        self.assertEqual([h["id"] for h in self.search("strasse " + tag)], [second])
        # an edit is searchable at once
        r = self.owner.patch("/api/v1/messages/" + second, {"body": "Zürich %s" % tag})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([h["id"] for h in self.search("zurich " + tag)], [second])
        self.assertEqual(self.search("strasse " + tag), [])
        # the member of X sees X's, not Y's; another firm nothing
        self.assertEqual({h["type"] for h in self.search("koln " + tag, member)},
                         {"task", "message"})
        self.assertNotIn(y_task, self.ids(tag, member))
        self.assertIn(y_task, self.ids(tag))
        self.assertEqual(self.search(tag, self.other), [])


class SearchPartial(unittest.TestCase):
    """With the tasks service stopped, search answers the others' hits with
    partial: true rather than an error."""

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start({"ATRIUM_REQUEST_TIMEOUT_MS": "3000"})

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_one_service_down_is_partial(self):
        owner = Client(self.stack.url)
        self.assertEqual(owner.signup().status, 201)
        r = owner.post("/api/v1/clients", {"name": "P"})
        self.assertEqual(r.status, 201, r)
        cid = r.json()["id"]
        tag = "part" + secrets.token_hex(4)
        r = owner.post("/api/v1/clients/%s/documents?name=%s.txt" % (cid, tag), data=b"x",
                       headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        doc = r.json()["id"]
        pids = self.stack.pids("atrium-tasks")
        self.assertTrue(pids)
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            def partial():
                r = owner.get("/api/v1/search?q=" + tag)
                return r if r.status == 200 and r.json().get("partial") else None
            r = wait_until(partial, timeout=30, interval=0.5)
            self.assertIsNotNone(r, "search never answered partial")
            self.assertEqual([i["id"] for i in r.json()["items"]], [doc])
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)


if __name__ == "__main__":
    unittest.main()
