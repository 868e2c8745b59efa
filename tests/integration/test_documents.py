"""Documents end to end through the gateway: streaming upload (raw body and
multipart) hashed on the way in, listing and search, byte-identical download
with Range and ETag, versions on a name collision, name rules, folders,
rename/move, soft delete, and another firm seeing nothing (404 everywhere,
exactly like a missing document)."""
import hashlib
import os
import secrets
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from common_tm import invite  # noqa: E402
from harness import Client, Stack, wait_until  # noqa: E402

MiB = 1024 * 1024


def q(s):
    return urllib.parse.quote(s, safe="")


class Documents(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.owner = Client(cls.stack.url)
        r = cls.owner.signup()
        assert r.status == 201, r
        r = cls.owner.post("/api/v1/clients", {"name": "Acme " + secrets.token_hex(3)})
        assert r.status == 201, r
        cls.client_id = r.json()["id"]
        cls.other = Client(cls.stack.url)
        assert cls.other.signup().status == 201
        r = cls.other.post("/api/v1/clients", {"name": "Other " + secrets.token_hex(3)})
        assert r.status == 201, r
        cls.other_client_id = r.json()["id"]
        cls.data = os.urandom(5 * MiB)
        cls.sha = hashlib.sha256(cls.data).hexdigest()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    # -- helpers --
    def upload_raw(self, name, data, client=None, client_id=None, folder_id=None,
                   content_type="application/octet-stream"):
        path = "/api/v1/clients/%s/documents?name=%s" % (client_id or self.client_id, q(name))
        if folder_id:
            path += "&folder_id=" + folder_id
        return (client or self.owner).post(path, data=data,
                                           headers={"Content-Type": content_type})

    def upload_multipart(self, filename, data):
        boundary = "atrium-" + secrets.token_hex(8)
        body = (("--%s\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                 "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n")
                % (boundary, boundary, filename)).encode() + data + \
            ("\r\n--%s--\r\n" % boundary).encode()
        return self.owner.post("/api/v1/clients/%s/documents" % self.client_id, data=body,
                               headers={"Content-Type":
                                        "multipart/form-data; boundary=" + boundary})

    def list_docs(self, query="", client=None, client_id=None):
        return (client or self.owner).get("/api/v1/clients/%s/documents%s"
                                          % (client_id or self.client_id, query))

    def ids(self, r):
        self.assertEqual(r.status, 200, r)
        return [d["id"] for d in r.json()["items"]]

    # -- tests --
    def test_client_gone_mid_upload_leaves_nothing(self):
        """A client that disconnects mid-upload leaves no document, no blob
        and no temporary file (issue 4)."""
        import socket
        tmp = os.path.join(self.stack.data_dir, "blobs", "tmp")
        before = set(os.listdir(tmp))
        u = urllib.parse.urlsplit(self.stack.url)
        cookie = "; ".join("%s=%s" % (k.name, k.value) for k in self.owner.jar)
        head = ("POST /api/v1/clients/%s/documents?name=cut-off.bin HTTP/1.1\r\n"
                "Host: %s:%d\r\nContent-Type: application/octet-stream\r\n"
                "Content-Length: %d\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n\r\n"
                % (self.client_id, u.hostname, u.port, len(self.data), cookie,
                   self.owner.csrf)).encode()
        with socket.create_connection((u.hostname, u.port), timeout=30) as sock:
            sock.sendall(head + self.data[:2 * MiB + 12345])
            # the gateway has stored some chunks by now
            self.assertTrue(wait_until(lambda: set(os.listdir(tmp)) - before, timeout=20))
        # gone: the upload is aborted, its temporary file removed
        self.assertTrue(wait_until(lambda: set(os.listdir(tmp)) <= before, timeout=60),
                        set(os.listdir(tmp)) - before)
        names = [d["name"] for d in self.list_docs("?limit=100").json()["items"]]
        self.assertNotIn("cut-off.bin", names)
        prefix = hashlib.sha256(self.data[:2 * MiB + 12345]).hexdigest()
        self.assertFalse(os.path.exists(os.path.join(self.stack.data_dir, "blobs", "sha256",
                                                     prefix[:2], prefix[2:4], prefix)))

    def test_raw_upload_download_range_etag(self):
        name = "raw-%s.bin" % secrets.token_hex(4)
        r = self.upload_raw(name, self.data)
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        self.assertEqual(doc["sha256"], self.sha)
        self.assertEqual(doc["size"], len(self.data))
        self.assertEqual(doc["name"], name)
        self.assertEqual(doc["version"], 1)
        self.assertEqual(doc["content_type"], "application/octet-stream")
        self.assertIsNone(doc.get("folder_id"))
        for k in ("id", "created_by", "created_at"):
            self.assertTrue(doc.get(k), k)

        self.assertIn(doc["id"], self.ids(self.list_docs()))
        r = self.owner.get("/api/v1/documents/" + doc["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["sha256"], self.sha)

        r = self.owner.get("/api/v1/documents/%s/content" % doc["id"])
        self.assertEqual(r.status, 200, r.status)
        self.assertEqual(len(r.body), len(self.data))
        self.assertTrue(r.body == self.data, "downloaded bytes differ")
        etag = r.header("ETag")
        self.assertIn(self.sha, etag or "")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertIn("attachment", r.header("Content-Disposition") or "")

        r = self.owner.get("/api/v1/documents/%s/content" % doc["id"],
                           headers={"Range": "bytes=10-19"})
        self.assertEqual(r.status, 206, r.status)
        self.assertEqual(r.body, self.data[10:20])

        r = self.owner.get("/api/v1/documents/%s/content" % doc["id"],
                           headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304)
        self.assertEqual(r.body, b"")

    def test_multipart_upload(self):
        name = "multi-%s.bin" % secrets.token_hex(4)
        r = self.upload_multipart(name, self.data)
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        self.assertEqual(doc["sha256"], self.sha)
        self.assertEqual(doc["size"], len(self.data))
        self.assertEqual(doc["name"], name)
        r = self.owner.get("/api/v1/documents/%s/content" % doc["id"])
        self.assertTrue(r.status == 200 and r.body == self.data, "multipart bytes differ")

    def test_content_type_from_bytes(self):
        r = self.upload_raw("claims-%s.pdf" % secrets.token_hex(3), b"plain words, not a pdf\n",
                            content_type="application/pdf")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["content_type"], "text/plain; charset=utf-8")
        r = self.upload_raw("real-%s.pdf" % secrets.token_hex(3), b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["content_type"], "application/pdf")
        r = self.upload_raw("page-%s.html" % secrets.token_hex(3), b"<script>alert(1)</script>",
                            content_type="text/html")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["content_type"], "text/plain; charset=utf-8")

    def test_name_collision_makes_a_version(self):
        name = "report-%s.txt" % secrets.token_hex(4)
        first = self.upload_raw(name, b"first version\n")
        self.assertEqual(first.status, 201, first)
        self.assertFalse(first.json().get("new_version"))
        # same name, other case: the same document
        second = self.upload_raw(name.upper().replace(".TXT", ".txt"), b"second version\n")
        self.assertEqual(second.status, 201, second)
        d2 = second.json()
        self.assertEqual(d2["id"], first.json()["id"])
        self.assertEqual(d2["version"], 2)
        self.assertTrue(d2["new_version"])
        self.assertEqual(d2["name"], name)
        ids = self.ids(self.list_docs("?q=" + q(name)))
        self.assertEqual(ids, [d2["id"]])
        r = self.owner.get("/api/v1/documents/%s/versions" % d2["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual([v["version"] for v in r.json()["items"]], [2, 1])
        self.assertEqual(r.json()["items"][1]["sha256"],
                         hashlib.sha256(b"first version\n").hexdigest())
        r = self.owner.get("/api/v1/documents/%s/content" % d2["id"])
        self.assertEqual(r.body, b"second version\n")
        r = self.owner.get("/api/v1/documents/%s/content?version=1" % d2["id"])
        self.assertEqual(r.body, b"first version\n")
        # an explicit new version through /versions
        r = self.owner.post("/api/v1/documents/%s/versions" % d2["id"], data=b"third\n",
                            headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["version"], 3)

    def test_invalid_names(self):
        for name in [".", "..", "a/b", "ctl\x01char", "x" * 256, "del\x7f"]:
            r = self.upload_raw(name, b"data")
            self.assertEqual(r.status, 400, (name, r))
            err = r.json()["error"]
            self.assertEqual(err["code"], "validation_failed", name)
            self.assertEqual(err.get("field"), "name", name)
        r = self.owner.post("/api/v1/clients/%s/documents?name=" % self.client_id, data=b"x",
                            headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 400, r)
        # the longest allowed name works
        r = self.upload_raw("y" * 251 + ".txt", b"long name\n")
        self.assertEqual(r.status, 201, r)

    def test_search_escapes_wildcards(self):
        tag = secrets.token_hex(4)
        a = self.upload_raw("50%%_off-%s.txt" % tag, b"a\n").json()["id"]
        b = self.upload_raw("50xxoff-%s.txt" % tag, b"b\n").json()["id"]
        self.assertEqual(self.ids(self.list_docs("?q=" + q("50%_off-" + tag))), [a])
        got = self.ids(self.list_docs("?q=" + q(tag.upper())))
        self.assertEqual(sorted(got), sorted([a, b]))

    def test_paging(self):
        tag = secrets.token_hex(4)
        made = [self.upload_raw("page-%s-%d.txt" % (tag, i), b"%d\n" % i).json()["id"]
                for i in range(5)]
        seen, cursor = [], None
        for _ in range(10):
            qs = "?q=%s&limit=2" % tag + ("&cursor=" + cursor if cursor else "")
            r = self.list_docs(qs)
            self.assertEqual(r.status, 200, r)
            seen += [d["id"] for d in r.json()["items"]]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, list(reversed(made)))
        r = self.list_docs("?cursor=not-a-cursor")
        self.assertEqual(r.status, 400, r)

    def test_other_firm_sees_nothing(self):
        doc = self.upload_raw("secret-%s.txt" % secrets.token_hex(4), b"secret\n").json()
        missing = "00000000-0000-4000-8000-000000000000"
        for path in ["/api/v1/documents/" + doc["id"],
                     "/api/v1/documents/%s/content" % doc["id"],
                     "/api/v1/documents/%s/versions" % doc["id"],
                     "/api/v1/clients/%s/documents" % self.client_id,
                     "/api/v1/clients/%s/folders" % self.client_id]:
            r = self.other.get(path)
            self.assertEqual(r.status, 404, (path, r))
            self.assertEqual(r.json()["error"]["code"], "not_found")
        # exactly like a missing document
        a = self.other.get("/api/v1/documents/" + doc["id"]).json()["error"]
        b = self.other.get("/api/v1/documents/" + missing).json()["error"]
        self.assertEqual((a["code"], a["message"]), (b["code"], b["message"]))
        self.assertEqual(self.other.patch("/api/v1/documents/" + doc["id"],
                                          {"name": "mine.txt"}).status, 404)
        self.assertEqual(self.other.delete("/api/v1/documents/" + doc["id"]).status, 404)
        r = self.upload_raw("intrude.txt", b"x", client=self.other, client_id=self.client_id)
        self.assertEqual(r.status, 404, r)
        r = self.other.post("/api/v1/documents/%s/versions" % doc["id"], data=b"x",
                            headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 404, r)
        # and the owner still has it, unchanged
        r = self.owner.get("/api/v1/documents/" + doc["id"])
        self.assertEqual(r.json()["name"], doc["name"])

    def test_folders_rename_move_delete(self):
        tag = secrets.token_hex(4)
        r = self.owner.post("/api/v1/clients/%s/folders" % self.client_id,
                            {"name": "Tax " + tag})
        self.assertEqual(r.status, 201, r)
        folder = r.json()
        self.assertEqual(folder["visibility"], "shared")
        self.assertIsNone(folder["parent_id"])
        r = self.owner.post("/api/v1/clients/%s/folders" % self.client_id,
                            {"name": "tax " + tag})
        self.assertEqual(r.status, 409, r)
        r = self.owner.post("/api/v1/clients/%s/folders" % self.client_id,
                            {"name": "Staff notes " + tag, "visibility": "internal"})
        self.assertEqual(r.status, 201, r)
        internal = r.json()
        r = self.owner.post("/api/v1/clients/%s/folders" % self.client_id,
                            {"name": "sub", "parent_id": internal["id"]})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["visibility"], "internal")
        r = self.owner.get("/api/v1/clients/%s/folders" % self.client_id)
        self.assertEqual(r.status, 200, r)
        self.assertTrue({folder["id"], internal["id"]} <= {f["id"] for f in r.json()["items"]})

        doc = self.upload_raw("in-folder-%s.txt" % tag, b"x\n", folder_id=folder["id"]).json()
        self.assertEqual(doc["folder_id"], folder["id"])
        self.assertEqual(self.ids(self.list_docs("?folder_id=" + folder["id"])), [doc["id"]])
        self.assertNotIn(doc["id"], self.ids(self.list_docs("?folder_id=root")))

        r = self.owner.patch("/api/v1/documents/" + doc["id"], {"name": "renamed-%s.txt" % tag})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["name"], "renamed-%s.txt" % tag)
        r = self.owner.patch("/api/v1/documents/" + doc["id"], {"name": "a/b"})
        self.assertEqual(r.status, 400, r)
        r = self.owner.patch("/api/v1/documents/" + doc["id"], {"folder_id": "root"})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["folder_id"])
        self.assertIn(doc["id"], self.ids(self.list_docs("?folder_id=root")))
        # renaming onto a taken name is a conflict
        taken = self.upload_raw("taken-%s.txt" % tag, b"t\n").json()
        r = self.owner.patch("/api/v1/documents/" + doc["id"], {"name": taken["name"]})
        self.assertEqual(r.status, 409, r)

        r = self.owner.delete("/api/v1/documents/" + doc["id"])
        self.assertEqual(r.status, 204, r)
        self.assertNotIn(doc["id"], self.ids(self.list_docs()))
        # staff still get its metadata, marked deleted; its bytes are not served
        r = self.owner.get("/api/v1/documents/" + doc["id"])
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["deleted_at"])
        self.assertEqual(self.owner.get("/api/v1/documents/%s/content" % doc["id"]).status, 404)
        self.assertEqual(self.owner.delete("/api/v1/documents/" + doc["id"]).status, 404)
        # the name is free again
        r = self.upload_raw("renamed-%s.txt" % tag, b"new\n")
        self.assertEqual(r.status, 201, r)
        self.assertNotEqual(r.json()["id"], doc["id"])
        self.assertEqual(r.json()["version"], 1)

    def test_restore_version(self):
        name = "restore-v-%s.txt" % secrets.token_hex(4)
        first = self.upload_raw(name, b"one\n").json()
        self.upload_raw(name, b"two\n")
        r = self.owner.post("/api/v1/documents/%s/versions/1/restore" % first["id"])
        self.assertEqual(r.status, 201, r)
        d = r.json()
        self.assertEqual(d["version"], 3)
        self.assertEqual(d["sha256"], hashlib.sha256(b"one\n").hexdigest())
        self.assertTrue(d["new_version"])
        r = self.owner.get("/api/v1/documents/%s/content" % first["id"])
        self.assertEqual(r.body, b"one\n")
        vs = self.owner.get("/api/v1/documents/%s/versions" % first["id"]).json()["items"]
        self.assertEqual([v["version"] for v in vs], [3, 2, 1])
        self.assertEqual(vs[0]["sha256"], vs[2]["sha256"])  # the same blob
        for bad in ("9", "0", "x"):
            r = self.owner.post("/api/v1/documents/%s/versions/%s/restore" % (first["id"], bad))
            self.assertIn(r.status, (400, 404), (bad, r))
        self.assertEqual(self.owner.post("/api/v1/documents/%s/versions/9/restore"
                                         % first["id"]).status, 404)
        r = self.other.post("/api/v1/documents/%s/versions/1/restore" % first["id"])
        self.assertEqual(r.status, 404, r)
        viewer = invite(self, self.stack.url, self.owner, self.client_id, "viewer", "Vi")
        r = viewer.post("/api/v1/documents/%s/versions/1/restore" % first["id"])
        self.assertEqual(r.status, 403, r)
        acts = self.owner.get("/api/v1/documents/%s/activity" % first["id"]).json()["items"]
        self.assertEqual([a["action"] for a in acts[:2]], ["downloaded", "version_restored"])
        self.assertEqual(acts[1]["version"], 3)

    def test_restore_deleted_document(self):
        tag = secrets.token_hex(4)
        member = invite(self, self.stack.url, self.owner, self.client_id, "member", "Mo")
        doc = self.upload_raw("gone-%s.txt" % tag, b"gone\n").json()
        self.assertEqual(self.owner.delete("/api/v1/documents/" + doc["id"]).status, 204)
        # staff still see it, marked; a client user does not
        r = self.owner.get("/api/v1/documents/" + doc["id"])
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json()["deleted_at"])
        self.assertEqual(member.get("/api/v1/documents/" + doc["id"]).status, 404)
        self.assertEqual(member.get("/api/v1/documents/%s/activity" % doc["id"]).status, 404)
        self.assertEqual(member.post("/api/v1/documents/%s/restore" % doc["id"]).status, 404)
        self.assertEqual(self.other.post("/api/v1/documents/%s/restore" % doc["id"]).status, 404)
        r = self.owner.post("/api/v1/documents/%s/restore" % doc["id"])
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()["deleted_at"])
        self.assertIn(doc["id"], self.ids(self.list_docs("?q=" + tag)))
        self.assertEqual(member.get("/api/v1/documents/" + doc["id"]).status, 200)
        # a live one: restoring again answers it; a client user may not
        self.assertEqual(self.owner.post("/api/v1/documents/%s/restore" % doc["id"]).status, 200)
        self.assertEqual(member.post("/api/v1/documents/%s/restore" % doc["id"]).status, 403)
        # its name taken meanwhile: 409
        self.assertEqual(self.owner.delete("/api/v1/documents/" + doc["id"]).status, 204)
        twin = self.upload_raw("GONE-%s.txt" % tag, b"twin\n").json()
        self.assertNotEqual(twin["id"], doc["id"])
        r = self.owner.post("/api/v1/documents/%s/restore" % doc["id"])
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json()["error"]["code"], "conflict")
        acts = [a["action"] for a in self.owner.get(
            "/api/v1/documents/%s/activity" % doc["id"]).json()["items"]]
        # newest first: the second delete, the member's view, the restore, ...
        self.assertEqual(acts[:4], ["deleted", "viewed", "restored", "viewed"])

    def test_activity(self):
        member = invite(self, self.stack.url, self.owner, self.client_id, "member", "Meg")
        name = "act-%s.txt" % secrets.token_hex(4)
        doc = self.upload_raw(name, b"a\n").json()
        self.assertEqual(self.owner.get("/api/v1/documents/" + doc["id"]).status, 200)
        r = member.post("/api/v1/documents/%s/versions" % doc["id"], data=b"b\n",
                        headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(member.get("/api/v1/documents/%s/content" % doc["id"]).status, 200)
        self.assertEqual(self.owner.patch("/api/v1/documents/" + doc["id"],
                                          {"name": "x-" + name}).status, 200)
        r = self.owner.get("/api/v1/documents/%s/activity" % doc["id"])
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertEqual([a["action"] for a in items],
                         ["renamed", "downloaded", "versioned", "viewed", "uploaded"])
        self.assertEqual(items[1]["actor"]["name"], "Meg")
        self.assertEqual(items[1]["actor"]["kind"], "client")
        self.assertEqual(items[1]["version"], 2)
        self.assertEqual(items[4]["actor"]["kind"], "staff")
        self.assertTrue(items[0]["at"].endswith("Z"))
        # the client sees what client users did, not what staff did
        r = member.get("/api/v1/documents/%s/activity" % doc["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual([a["action"] for a in r.json()["items"]], ["downloaded", "versioned"])
        # paging
        r = self.owner.get("/api/v1/documents/%s/activity?limit=2" % doc["id"]).json()
        self.assertEqual(len(r["items"]), 2)
        r2 = self.owner.get("/api/v1/documents/%s/activity?limit=10&cursor=%s"
                            % (doc["id"], r["next_cursor"])).json()
        self.assertEqual([a["action"] for a in r2["items"]],
                         ["versioned", "viewed", "uploaded"])
        self.assertIsNone(r2["next_cursor"])
        self.assertEqual(self.other.get("/api/v1/documents/%s/activity" % doc["id"]).status, 404)

    def test_document_requests(self):
        tag = secrets.token_hex(4)
        base = "/api/v1/clients/%s/document-requests" % self.client_id
        member = invite(self, self.stack.url, self.owner, self.client_id, "member", "Rita")
        viewer = invite(self, self.stack.url, self.owner, self.client_id, "viewer", "Vera")
        folder = self.owner.post("/api/v1/clients/%s/folders" % self.client_id,
                                 {"name": "Requested " + tag}).json()
        internal = self.owner.post("/api/v1/clients/%s/folders" % self.client_id,
                                   {"name": "Int " + tag, "visibility": "internal"}).json()
        # validation and permissions
        for body, field in [({}, "title"), ({"title": "x", "due_at": "soon"}, "due_at"),
                            ({"title": "x", "folder_id": internal["id"]}, "folder_id")]:
            r = self.owner.post(base, body)
            self.assertEqual(r.status, 400, (body, r))
            self.assertEqual(r.json()["error"]["field"], field)
        self.assertEqual(member.post(base, {"title": "mine"}).status, 403)
        self.assertEqual(self.other.post(base, {"title": "x"}).status, 404)
        r = self.owner.post(base, {"title": "Bank statements " + tag, "description": "2025",
                                   "due_at": "2026-12-31T17:00:00Z", "folder_id": folder["id"]})
        self.assertEqual(r.status, 201, r)
        req = r.json()
        self.assertEqual(req["status"], "open")
        self.assertEqual(req["due_at"], "2026-12-31T17:00:00.000Z")
        self.assertEqual(req["folder_id"], folder["id"])
        self.assertIsNone(req["document_id"])
        # the client sees it; another firm does not
        r = member.get(base)
        self.assertEqual(r.status, 200, r)
        self.assertIn(req["id"], [x["id"] for x in r.json()["items"]])
        self.assertEqual(self.other.get(base).status, 404)
        self.assertEqual(self.owner.get(base + "?status=bogus").status, 400)
        # nothing submitted yet: nothing to accept or reject
        r = self.owner.post("/api/v1/document-requests/%s/accept" % req["id"])
        self.assertEqual(r.status, 409, r)
        # a viewer cannot fulfil it; another firm cannot name it
        r = self.upload_raw("stmt-%s.pdf" % tag, b"x", client=viewer)
        self.assertEqual(r.status, 403, r)
        path = "/api/v1/clients/%s/documents?name=a.txt&request_id=%s" % (
            self.other_client_id, req["id"])
        r = self.other.post(path, data=b"x", headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["error"]["field"], "request_id")
        # the client uploads for it: the file lands in the request's folder
        path = "/api/v1/clients/%s/documents?name=%s&request_id=%s" % (
            self.client_id, q("stmt-%s.pdf" % tag), req["id"])
        r = member.post(path, data=b"%PDF-1.4\n", headers={"Content-Type": "application/pdf"})
        self.assertEqual(r.status, 201, r)
        doc = r.json()
        self.assertEqual(doc["folder_id"], folder["id"])
        got = {x["id"]: x for x in self.owner.get(base + "?status=submitted").json()["items"]}
        self.assertIn(req["id"], got)
        self.assertEqual(got[req["id"]]["document_id"], doc["id"])
        self.assertEqual(got[req["id"]]["version"], 1)
        self.assertTrue(got[req["id"]]["submitted_at"])
        # reject: needs a reason, staff only, and reopens it
        self.assertEqual(self.owner.post("/api/v1/document-requests/%s/reject" % req["id"],
                                         {}).status, 400)
        self.assertEqual(member.post("/api/v1/document-requests/%s/reject" % req["id"],
                                     {"reason": "no"}).status, 403)
        self.assertEqual(self.other.post("/api/v1/document-requests/%s/reject" % req["id"],
                                         {"reason": "no"}).status, 404)
        r = self.owner.post("/api/v1/document-requests/%s/reject" % req["id"],
                            {"reason": "page 2 is missing"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "open")
        self.assertEqual(r.json()["reason"], "page 2 is missing")
        # resubmitted (same name: a new version), then accepted
        r = member.post(path, data=b"%PDF-1.4\n2 pages\n",
                        headers={"Content-Type": "application/pdf"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["version"], 2)
        self.assertEqual(member.post("/api/v1/document-requests/%s/accept"
                                     % req["id"]).status, 403)
        r = self.owner.post("/api/v1/document-requests/%s/accept" % req["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "accepted")
        self.assertEqual(r.json()["version"], 2)
        self.assertEqual(r.json()["reason"], "page 2 is missing")
        # accepted is final
        r = member.post(path, data=b"late", headers={"Content-Type": "text/plain"})
        self.assertEqual(r.status, 409, r)
        self.assertEqual(self.owner.post("/api/v1/document-requests/%s/reject" % req["id"],
                                         {"reason": "x"}).status, 409)
        # the audit trail has each step (relayed from the outbox shortly)
        want = {"document_request.created", "document_request.submitted",
                "document_request.rejected", "document_request.accepted"}

        def audited():
            r = self.owner.get("/api/v1/audit?resource_id=" + req["id"])
            return r.status == 200 and want <= {e["action"] for e in r.json()["items"]}
        self.assertTrue(wait_until(audited, timeout=30))


if __name__ == "__main__":
    unittest.main()
