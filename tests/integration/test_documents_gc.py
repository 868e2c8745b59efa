"""The end of a file's life (issue 4: "a blob is deleted only when no
version references it"): purging a soft-deleted document by hand (owner or
admin) and by the trash (ATRIUM_DOCUMENT_TRASH_S, here 3 s), the blobs that
go with it and the ones that must stay because another document uses the
same bytes, and `atriumctl fsck-blobs --repair` for orphans. Starts its own
stack so the trash period can be seconds."""
import hashlib
import os
import secrets
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN_DIR, Client, Stack, wait_until  # noqa: E402
from test_audit_integrity import Db  # noqa: E402

TRASH_S = 3


class Purge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start({"ATRIUM_DOCUMENT_TRASH_S": str(TRASH_S)})
        cls.c = Client(cls.stack.url)
        assert cls.c.signup().status == 201
        r = cls.c.post("/api/v1/clients", {"name": "GC " + secrets.token_hex(3)})
        assert r.status == 201, r
        cls.cid = r.json()["id"]

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def upload(self, name, data, c=None):
        r = (c or self.c).post("/api/v1/clients/%s/documents?name=%s"
                               % (self.cid, urllib.parse.quote(name)), data=data,
                               headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def blob(self, sha):
        return os.path.join(self.stack.data_dir, "blobs", "sha256", sha[:2], sha[2:4], sha)

    def fsck(self, *args):
        out = subprocess.run([os.path.join(BIN_DIR, "atriumctl"), "fsck-blobs"] + list(args),
                             env=self.stack.run_env(), capture_output=True, text=True,
                             timeout=120)
        return out.returncode, out.stdout + out.stderr

    def test_purge_keeps_shared_bytes_and_drops_the_last_user(self):
        data = b"shared bytes " + os.urandom(16)
        sha = hashlib.sha256(data).hexdigest()
        a = self.upload("a.bin", data)
        b = self.upload("b.bin", data)  # same bytes: one blob, two documents
        self.assertEqual(a["sha256"], sha)
        self.assertTrue(os.path.exists(self.blob(sha)))

        # a live document is never purged
        r = self.c.post("/api/v1/documents/%s/purge" % a["id"])
        self.assertEqual(r.status, 409, r)
        self.assertEqual(r.json()["error"]["code"], "conflict")

        self.assertEqual(self.c.delete("/api/v1/documents/%s" % a["id"]).status, 204)
        self.assertEqual(self.c.post("/api/v1/documents/%s/purge" % a["id"]).status, 204)
        # gone for everyone, staff included, and not restorable
        self.assertEqual(self.c.get("/api/v1/documents/%s" % a["id"]).status, 404)
        self.assertEqual(self.c.post("/api/v1/documents/%s/restore" % a["id"]).status, 404)
        self.assertEqual(self.c.post("/api/v1/documents/%s/purge" % a["id"]).status, 404)
        # b still uses the bytes: they stay and b still downloads
        self.assertTrue(os.path.exists(self.blob(sha)))
        r = self.c.get("/api/v1/documents/%s/content" % b["id"])
        self.assertEqual((r.status, r.body), (200, data))

        # b's versions: v1 the shared bytes, v2 new bytes; purging b drops both
        data2 = b"second version " + os.urandom(16)
        sha2 = hashlib.sha256(data2).hexdigest()
        self.upload("b.bin", data2)
        self.assertEqual(self.c.delete("/api/v1/documents/%s" % b["id"]).status, 204)
        self.assertEqual(self.c.post("/api/v1/documents/%s/purge" % b["id"]).status, 204)
        self.assertFalse(os.path.exists(self.blob(sha)))
        self.assertFalse(os.path.exists(self.blob(sha2)))

        # the audit trail keeps the purge, with the name at the time
        def purged():
            items = self.c.get("/api/v1/audit?action=document.purged&resource_id=%s"
                               % b["id"]).json()["items"]
            return items
        items = wait_until(purged, timeout=30)
        self.assertTrue(items)
        self.assertEqual(items[0]["details"]["name"], "b.bin")

        # the same bytes uploaded again are stored again
        c = self.upload("again.bin", data)
        self.assertEqual(c["sha256"], sha)
        self.assertTrue(os.path.exists(self.blob(sha)))
        r = self.c.get("/api/v1/documents/%s/content" % c["id"])
        self.assertEqual((r.status, r.body), (200, data))
        rc, out = self.fsck()
        self.assertEqual(rc, 0, out)

    def test_trash_purges_by_itself(self):
        data = b"trash me " + os.urandom(16)
        sha = hashlib.sha256(data).hexdigest()
        d = self.upload("trash.bin", data)
        keep = self.upload("restored.bin", b"keep me " + os.urandom(16))
        for x in (d, keep):
            self.assertEqual(self.c.delete("/api/v1/documents/%s" % x["id"]).status, 204)
        # restored within the period: it stays, whatever the trash does
        self.assertEqual(self.c.post("/api/v1/documents/%s/restore" % keep["id"]).status, 200)
        # the background pass runs every 5 s; give it a few rounds
        self.assertTrue(wait_until(lambda: not os.path.exists(self.blob(sha)), timeout=40),
                        "the trash did not purge a document deleted %d s ago" % TRASH_S)
        self.assertEqual(self.c.get("/api/v1/documents/%s" % d["id"]).status, 404)
        self.assertEqual(self.c.post("/api/v1/documents/%s/restore" % d["id"]).status, 404)
        r = self.c.get("/api/v1/documents/%s/content" % keep["id"])
        self.assertEqual(r.status, 200)

        def event():
            items = self.c.get("/api/v1/audit?action=document.purged&resource_id=%s"
                               % d["id"]).json()["items"]
            return items
        items = wait_until(event, timeout=30)
        self.assertTrue(items)
        self.assertEqual(items[0]["actor"]["kind"], "system")

    def test_fsck_repair_removes_old_orphans_only(self):
        old = hashlib.sha256(b"old orphan " + os.urandom(8)).hexdigest()
        young = hashlib.sha256(b"young orphan " + os.urandom(8)).hexdigest()
        for sha in (old, young):
            os.makedirs(os.path.dirname(self.blob(sha)), exist_ok=True)
            with open(self.blob(sha), "wb") as f:
                f.write(b"orphan")
        past = time.time() - 7200
        os.utime(self.blob(old), (past, past))
        self.addCleanup(lambda: [os.path.exists(self.blob(s)) and os.unlink(self.blob(s))
                                 for s in (old, young)])
        rc, out = self.fsck()
        self.assertEqual(rc, 1, out)  # reporting changes nothing
        self.assertTrue(os.path.exists(self.blob(old)))
        rc, out = self.fsck("--repair")
        self.assertIn("removed 1 blobs without row", out)
        self.assertFalse(os.path.exists(self.blob(old)))
        self.assertTrue(os.path.exists(self.blob(young)))  # within the grace period
        self.assertEqual(rc, 1, out)  # the young one is still there
        rc, out = self.fsck("--repair", "--grace", "0")
        self.assertEqual(rc, 0, out)
        self.assertFalse(os.path.exists(self.blob(young)))

    def test_purge_drops_the_extracted_text(self):
        d = self.upload("notes.txt", b"the zanzibarquux contract terms\n")
        found = wait_until(lambda: self.c.get("/api/v1/search?q=zanzibarquux").json()["items"],
                           timeout=30)
        self.assertEqual([i["id"] for i in found], [d["id"]])
        db = Db(self.stack.data_dir)
        q = "SELECT count(*) FROM document.texts WHERE document_id = '%s'" % d["id"]
        self.assertEqual(db.sql(q), "1")
        self.assertEqual(self.c.delete("/api/v1/documents/%s" % d["id"]).status, 204)
        self.assertEqual(self.c.post("/api/v1/documents/%s/purge" % d["id"]).status, 204)
        self.assertEqual(db.sql(q), "0")
        self.assertEqual(db.sql("SELECT count(*) FROM document.documents WHERE id = '%s'"
                                " AND text_tsv IS NULL AND purged_at IS NOT NULL" % d["id"]), "1")

    def test_purge_drops_the_thumbnail(self):
        with open(os.path.join(os.path.dirname(__file__), "..", "fixtures",
                               "preview-640x480.jpg"), "rb") as f:
            data = f.read()
        sha = hashlib.sha256(data).hexdigest()
        d = self.upload("photo.jpg", data)
        png = os.path.join(self.stack.data_dir, "blobs", "previews", sha[:2], sha[2:4],
                           sha + ".png")
        self.assertTrue(wait_until(
            lambda: self.c.get("/api/v1/documents/%s/preview" % d["id"]).status == 200,
            timeout=30))
        self.assertTrue(os.path.exists(png))
        self.assertEqual(self.c.delete("/api/v1/documents/%s" % d["id"]).status, 204)
        self.assertEqual(self.c.post("/api/v1/documents/%s/purge" % d["id"]).status, 204)
        self.assertFalse(os.path.exists(self.blob(sha)))
        self.assertFalse(os.path.exists(png))
        rc, out = self.fsck()
        self.assertEqual(rc, 0, out)

    def test_purge_rights(self):
        # (who may purge, role by role, is in test_access_matrix.py)
        other = Client(self.stack.url)
        self.assertEqual(other.signup().status, 201)
        d = self.upload("rights.bin", b"rights " + os.urandom(8))
        self.assertEqual(self.c.delete("/api/v1/documents/%s" % d["id"]).status, 204)
        r = self.c.post("/api/v1/documents/not-a-uuid/purge")
        self.assertEqual(r.status, 404)
        self.assertEqual(other.post("/api/v1/documents/%s/purge" % d["id"]).status, 404)


if __name__ == "__main__":
    unittest.main()
