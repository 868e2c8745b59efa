"""Document behaviour that needs a private stack (started here): the
per-firm storage quota, and `atriumctl fsck-blobs` against a blob folder
this test damages on purpose.

The per-firm storage quota (ATRIUM_FIRM_QUOTA_BYTES): an upload that would
make the firm's versions hold more than the quota is refused with 413 before
its bytes are stored: at the start when its size is declared
(Content-Length, tus Upload-Length), else at the chunk that would pass it.
Usage is the size of the distinct blobs the firm's versions use (deleted
documents included): a restored version, which reuses its blob, is free. Another firm's usage never counts. Starts its own stack."""
import hashlib
import os
import secrets
import subprocess
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN_DIR, Client, Stack  # noqa: E402
from test_previews import png_bytes, wait_preview  # noqa: E402

QUOTA = 1000


class FirmQuota(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start({"ATRIUM_FIRM_QUOTA_BYTES": str(QUOTA)})
        cls.firms = []
        for _ in range(3):  # 0, 1: quota; 2: fsck
            c = Client(cls.stack.url)
            assert c.signup().status == 201
            r = c.post("/api/v1/clients", {"name": "Q " + secrets.token_hex(3)})
            assert r.status == 201, r
            cls.firms.append((c, r.json()["id"]))

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def upload(self, firm, name, data):
        c, cid = self.firms[firm]
        return c.post("/api/v1/clients/%s/documents?name=%s" % (cid, urllib.parse.quote(name)),
                      data=data, headers={"Content-Type": "application/octet-stream"})

    def multipart(self, firm, name, data):
        c, cid = self.firms[firm]
        b = "q-" + secrets.token_hex(6)
        body = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n" % (b, name)).encode() + \
            data + ("\r\n--%s--\r\n" % b).encode()
        return c.post("/api/v1/clients/%s/documents" % cid, data=body,
                      headers={"Content-Type": "multipart/form-data; boundary=" + b})

    def test_quota(self):
        r = self.upload(0, "a.bin", b"a" * 600)
        self.assertEqual(r.status, 201, r)
        # declared size: refused at the start
        r = self.upload(0, "b.bin", b"b" * 401)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.json()["error"]["code"], "payload_too_large")
        # a multipart part's size is not known in advance: refused at the chunk
        r = self.multipart(0, "c.bin", b"c" * 401)
        self.assertEqual(r.status, 413, r)
        c, cid = self.firms[0]
        names = [d["name"] for d in c.get("/api/v1/clients/%s/documents" % cid).json()["items"]]
        self.assertEqual(names, ["a.bin"])
        # exactly the quota fits
        r = self.upload(0, "d.bin", b"d" * 400)
        self.assertEqual(r.status, 201, r)
        # tus: Upload-Length past the quota
        r = c.post("/api/v1/uploads", data=b"", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": "1",
            "Upload-Metadata": "filename ZS5iaW4=,client_id " +
            __import__("base64").b64encode(cid.encode()).decode()})
        self.assertEqual(r.status, 413, r)
        # a restored version reuses its blob: nothing more is counted
        a = self.doc_id(0, "a.bin")
        self.assertEqual(self.upload(0, "a.bin", b"").status, 201)  # v2, empty
        self.assertEqual(c.post("/api/v1/documents/%s/versions/1/restore" % a).status, 201)
        self.assertEqual(self.upload(0, "e.bin", b"e").status, 413)
        # a deleted document keeps its bytes, so it still counts
        self.assertEqual(c.delete("/api/v1/documents/%s" % a).status, 204)
        self.assertEqual(self.upload(0, "e.bin", b"e").status, 413)
        # the other firm is not affected
        self.assertEqual(self.upload(1, "other.bin", b"o" * 1000).status, 201)

    def doc_id(self, firm, name):
        c, cid = self.firms[firm]
        items = c.get("/api/v1/clients/%s/documents?q=%s" % (cid, name)).json()["items"]
        return items[0]["id"]

    def blob(self, sha):
        return os.path.join(self.stack.data_dir, "blobs", "sha256", sha[:2], sha[2:4], sha)

    def fsck(self):
        out = subprocess.run([os.path.join(BIN_DIR, "atriumctl"), "fsck-blobs"],
                             env=self.stack.run_env(), capture_output=True, text=True,
                             timeout=120)
        return out.returncode, out.stdout

    def test_fsck_blobs(self):
        rc, out = self.fsck()
        self.assertEqual(rc, 0, out)
        self.assertIn("rows without blob 0, blobs without row 0", out)
        a, b = b"fsck-a " + os.urandom(8), b"fsck-b " + os.urandom(8)
        for name, data in (("a.bin", a), ("b.bin", b)):
            self.assertEqual(self.upload(2, name, data).status, 201)
        sa, sb = hashlib.sha256(a).hexdigest(), hashlib.sha256(b).hexdigest()
        orphan = hashlib.sha256(b"nobody's").hexdigest()
        os.makedirs(os.path.dirname(self.blob(orphan)), exist_ok=True)
        with open(self.blob(orphan), "wb") as f:
            f.write(b"nobody's")
        os.rename(self.blob(sa), self.blob(sa) + ".aside")  # a row without its blob
        with open(self.blob(sb), "ab") as f:                 # a blob of the wrong size
            f.write(b"!")
        try:
            rc, out = self.fsck()
            self.assertEqual(rc, 1, out)
            lines = out.splitlines()
            self.assertTrue(any(l.startswith("missing " + sa) and "versions 1" in l
                                for l in lines), out)
            self.assertIn("orphan %s size 8" % orphan, lines)
            self.assertTrue(any(l.startswith("size-mismatch " + sb) and
                                "file_size %d" % (len(b) + 1) in l for l in lines), out)
            # the stray entry (a file not named by a digest) is counted apart
            self.assertIn("rows without blob 1, blobs without row 1, size mismatches 1, "
                          "other entries 1", out)
        finally:
            os.rename(self.blob(sa) + ".aside", self.blob(sa))
            with open(self.blob(sb), "r+b") as f:
                f.truncate(len(b))
            os.unlink(self.blob(orphan))
        rc, out = self.fsck()
        self.assertEqual(rc, 0, out)

    def preview(self, sha):
        return os.path.join(self.stack.data_dir, "blobs", "previews", sha[:2], sha[2:4],
                            sha + ".png")

    def test_fsck_previews(self):
        """Thumbnails are checked like blobs: a made one whose file is gone,
        a file no row made, and a file of the wrong size."""
        c, cid = self.firms[2]
        pa, pb = png_bytes(8, 6, seed=61), png_bytes(6, 8, seed=62)  # under the quota
        docs = []
        for name, data in (("pa.png", pa), ("pb.png", pb)):
            r = self.upload(2, name, data)
            self.assertEqual(r.status, 201, r)
            docs.append(r.json()["id"])
        for d in docs:
            self.assertEqual(wait_preview(c, d).status, 200)
        rc, out = self.fsck()
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"previews made \d+, files \d+, rows without file 0, "
                              r"files without row 0, size mismatches 0, other entries 0")
        sa, sb = hashlib.sha256(pa).hexdigest(), hashlib.sha256(pb).hexdigest()
        orphan = hashlib.sha256(b"no source").hexdigest()
        os.makedirs(os.path.dirname(self.preview(orphan)), exist_ok=True)
        with open(self.preview(orphan), "wb") as f:
            f.write(b"\x89PNG nobody's")
        os.rename(self.preview(sa), self.preview(sa) + ".aside")
        size_b = os.path.getsize(self.preview(sb))
        with open(self.preview(sb), "ab") as f:
            f.write(b"!")
        try:
            rc, out = self.fsck()
            self.assertEqual(rc, 1, out)
            lines = out.splitlines()
            self.assertTrue(any(l.startswith("preview-missing " + sa) for l in lines), out)
            self.assertIn("preview-orphan %s size 13" % orphan, lines)
            self.assertTrue(any(l.startswith("preview-size-mismatch " + sb) and
                                "file_size %d" % (size_b + 1) in l for l in lines), out)
            # a blob name without .png under previews/ is another entry
            self.assertRegex(out, r"rows without file 1, files without row 1, "
                                  r"size mismatches 1, other entries 1")
            # the blobs themselves are fine
            self.assertIn("rows without blob 0, blobs without row 0, size mismatches 0", out)
        finally:
            os.rename(self.preview(sa) + ".aside", self.preview(sa))
            with open(self.preview(sb), "r+b") as f:
                f.truncate(size_b)
            os.unlink(self.preview(orphan))
        rc, out = self.fsck()
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main()
