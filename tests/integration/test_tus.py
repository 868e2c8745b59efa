"""tus 1.0.0 resumable uploads at /api/v1/uploads: creation with metadata,
HEAD offsets, PATCH appends, a PATCH cut off mid-body keeps what arrived and
resumes from there, offset conflicts, termination, and isolation."""
import base64
import hashlib
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402

TUS = {"Tus-Resumable": "1.0.0"}


def meta(**kv):
    return ",".join("%s %s" % (k, base64.b64encode(v.encode()).decode()) for k, v in kv.items())


class Tus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def setUp(self):
        self.c = Client(self.stack.url)
        self.assertEqual(self.c.signup().status, 201)
        self.cid = self.c.post("/api/v1/clients", {"name": "Tus Co"}).json()["id"]

    def create(self, length, name="big.bin"):
        r = self.c.post("/api/v1/uploads", data=b"", headers=dict(
            TUS, **{"Upload-Length": str(length), "Upload-Metadata": meta(filename=name, client_id=self.cid)}))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header("Tus-Resumable"), "1.0.0")
        self.assertTrue(r.header("Upload-Expires").endswith("GMT"))
        return r.header("Location")

    def head(self, loc):
        r = self.c.request("HEAD", loc, headers=TUS)
        return r

    def patch(self, loc, offset, data):
        return self.c.request("PATCH", loc, data=data, headers=dict(
            TUS, **{"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"}))

    def test_options_and_version(self):
        r = Client(self.stack.url).request("OPTIONS", "/api/v1/uploads")
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("Tus-Version"), "1.0.0")
        self.assertIn("creation", r.header("Tus-Extension"))
        no_version = self.c.post("/api/v1/uploads", data=b"", headers={"Upload-Length": "5"})
        self.assertEqual(no_version.status, 412)
        self.assertEqual(no_version.header("Tus-Version"), "1.0.0")

    def test_resumable_upload_becomes_a_document(self):
        data = os.urandom(3 * 1024 * 1024 + 12345)
        loc = self.create(len(data))
        h = self.head(loc)
        self.assertEqual(h.status, 200)
        self.assertEqual(h.header("Upload-Offset"), "0")
        self.assertEqual(h.header("Upload-Length"), str(len(data)))
        half = len(data) // 2
        p1 = self.patch(loc, 0, data[:half])
        self.assertEqual(p1.status, 204, p1)
        self.assertEqual(p1.header("Upload-Offset"), str(half))
        self.assertIsNone(p1.header("Atrium-Document-Id"))
        stale = self.patch(loc, 0, data[:10])
        self.assertEqual(stale.status, 409)
        self.assertEqual(self.head(loc).header("Upload-Offset"), str(half))
        p2 = self.patch(loc, half, data[half:])
        self.assertEqual(p2.status, 204, p2)
        doc_id = p2.header("Atrium-Document-Id")
        self.assertTrue(doc_id)
        meta_r = self.c.get("/api/v1/documents/" + doc_id)
        self.assertEqual(meta_r.json()["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(meta_r.json()["name"], "big.bin")
        self.assertEqual(self.c.get("/api/v1/documents/%s/content" % doc_id).body, data)
        # finished uploads are gone
        self.assertEqual(self.head(loc).status, 404)

    def test_interrupted_patch_keeps_what_arrived(self):
        data = os.urandom(2 * 1024 * 1024)
        loc = self.create(len(data), "cut.bin")
        cookie = [ck for ck in self.c.jar if ck.name == "atrium_session"][0].value
        host, port = self.stack.url.split("//")[1].split(":")
        sent = 1024 * 1024 + 777
        with socket.create_connection((host, int(port))) as s:
            head = ("PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
                    "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
                    "Content-Length: %d\r\nCookie: atrium_session=%s\r\nX-CSRF-Token: %s\r\n\r\n"
                    % (loc, len(data), cookie, self.c.csrf)).encode()
            s.sendall(head + data[:sent])
            time.sleep(0.3)
            s.shutdown(socket.SHUT_WR)
            s.recv(65536)
        off = None
        for _ in range(50):
            off = int(self.head(loc).header("Upload-Offset") or -1)
            if off == sent:
                break
            time.sleep(0.1)
        self.assertEqual(off, sent)
        done = self.patch(loc, off, data[off:])
        self.assertEqual(done.status, 204, done)
        doc_id = done.header("Atrium-Document-Id")
        self.assertEqual(self.c.get("/api/v1/documents/%s/content" % doc_id).body, data)

    def test_termination_and_isolation(self):
        loc = self.create(100, "x.txt")
        other = Client(self.stack.url)
        self.assertEqual(other.signup().status, 201)
        self.assertEqual(other.request("HEAD", loc, headers=TUS).status, 404)
        self.assertEqual(other.request("DELETE", loc, headers=TUS).status, 404)
        d = self.c.request("DELETE", loc, headers=TUS)
        self.assertEqual(d.status, 204)
        self.assertEqual(self.head(loc).status, 404)

    def test_bad_requests(self):
        r = self.c.post("/api/v1/uploads", data=b"", headers=dict(TUS, **{"Upload-Length": "10"}))
        self.assertEqual(r.status, 400)
        r = self.c.post("/api/v1/uploads", data=b"", headers=dict(
            TUS, **{"Upload-Length": "10", "Upload-Metadata": "filename !!!notbase64"}))
        self.assertEqual(r.status, 400)
        loc = self.create(10, "y.txt")
        wrong_type = self.c.request("PATCH", loc, data=b"abc", headers=dict(
            TUS, **{"Upload-Offset": "0", "Content-Type": "text/plain"}))
        self.assertEqual(wrong_type.status, 415)
        too_much = self.patch(loc, 0, b"x" * 11)
        self.assertEqual(too_much.status, 400)

    def test_fulfils_document_request(self):
        r = self.c.post("/api/v1/clients/%s/document-requests" % self.cid, {"title": "ID scan"})
        self.assertEqual(r.status, 201, r)
        rid = r.json()["id"]
        r = self.c.post("/api/v1/uploads", data=b"", headers=dict(TUS, **{
            "Upload-Length": "4",
            "Upload-Metadata": meta(filename="id.txt", client_id=self.cid, request_id=rid)}))
        self.assertEqual(r.status, 201, r)
        r = self.patch(r.header("Location"), 0, b"scan")
        self.assertEqual(r.status, 204, r)
        doc_id = r.header("Atrium-Document-Id")
        self.assertTrue(doc_id)
        items = self.c.get("/api/v1/clients/%s/document-requests" % self.cid).json()["items"]
        self.assertEqual((items[0]["status"], items[0]["document_id"]), ("submitted", doc_id))


if __name__ == "__main__":
    unittest.main()
