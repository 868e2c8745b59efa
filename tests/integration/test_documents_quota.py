"""The per-firm storage quota (ATRIUM_FIRM_QUOTA_BYTES): an upload that would
make the firm's versions hold more than the quota is refused with 413 before
its bytes are stored: at the start when its size is declared
(Content-Length, tus Upload-Length), else at the chunk that would pass it.
Usage is the size of the distinct blobs the firm's versions use (deleted
documents included): a restored version, which reuses its blob, is free. Another firm's usage never counts. Starts its own stack."""
import os
import secrets
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402

QUOTA = 1000


class FirmQuota(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start({"ATRIUM_FIRM_QUOTA_BYTES": str(QUOTA)})
        cls.firms = []
        for _ in range(2):
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


if __name__ == "__main__":
    unittest.main()
