"""A file past 4 GiB through the whole path (issue 4): 4 GiB + 1 byte is
uploaded as one raw request body streamed from a sparse file, and must come
back with the right size and SHA-256, and a Range read across and past the
4 GiB boundary must return the bytes that are there. Nothing in the gateway
or the document service may keep a size or an offset in 32 bits.

The file is sparse on the test's side only: the blob the service writes is
a full 4 GiB on disk, removed with the shared stack at the end of the run."""
import hashlib
import http.client
import os
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402

SIZE = 4 * 1024 ** 3 + 1
# (offset, bytes): something to find at the start, across the 4 GiB line and
# at the very last byte; everything else is zeros.
MARKS = [(0, b"ATRIUM-4GiB-HEAD"), (4 * 1024 ** 3 - 8, b"boundary"), (SIZE - 1, b"Z")]


def sparse_file():
    f = tempfile.NamedTemporaryFile(prefix="at-4g-", delete=False)
    f.truncate(SIZE)
    for off, data in MARKS:
        f.seek(off)
        f.write(data)
    f.close()
    assert os.path.getsize(f.name) == SIZE
    return f.name


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def expected(off, n):
    """The file's bytes [off, off+n) from MARKS, without reading the file."""
    out = bytearray(n)
    for moff, data in MARKS:
        for i, b in enumerate(data):
            if off <= moff + i < off + n:
                out[moff + i - off] = b
    return bytes(out)


class LargeUpload(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.c = Client(cls.stack.url, timeout=600)
        assert cls.c.signup().status == 201
        r = cls.c.post("/api/v1/clients", {"name": "Big files"})
        assert r.status == 201, r
        cls.cid = r.json()["id"]
        cls.path = sparse_file()

    @classmethod
    def tearDownClass(cls):
        os.unlink(cls.path)

    def raw_upload(self, name):
        u = urllib.parse.urlsplit(self.stack.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600, blocksize=1 << 20)
        cookie = "; ".join("%s=%s" % (k.name, k.value) for k in self.c.jar)
        with open(self.path, "rb") as f:
            conn.request("POST", "/api/v1/clients/%s/documents?name=%s"
                         % (self.cid, urllib.parse.quote(name)), body=f,
                         headers={"Content-Type": "application/octet-stream",
                                  "Content-Length": str(SIZE), "Cookie": cookie,
                                  "X-CSRF-Token": self.c.csrf})
            r = conn.getresponse()
            body = r.read()
        conn.close()
        return r.status, body

    def test_upload_past_4gib_then_ranges(self):
        want = sha256_of(self.path)
        status, body = self.raw_upload("past-4-GiB.bin")
        self.assertEqual(status, 201, body[:500])
        doc = __import__("json").loads(body)
        self.assertEqual(doc["size"], SIZE)
        self.assertEqual(doc["sha256"], want)

        got = self.c.get("/api/v1/documents/%s" % doc["id"]).json()
        self.assertEqual(got["size"], SIZE)
        versions = self.c.get("/api/v1/documents/%s/versions" % doc["id"]).json()["items"]
        self.assertEqual([(v["size"], v["sha256"]) for v in versions], [(SIZE, want)])

        content = "/api/v1/documents/%s/content" % doc["id"]
        # across the 4 GiB line
        lo, hi = 4 * 1024 ** 3 - 16, SIZE - 1
        r = self.c.get(content, headers={"Range": "bytes=%d-%d" % (lo, hi)})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.header("Content-Range"), "bytes %d-%d/%d" % (lo, hi, SIZE))
        self.assertEqual(r.body, expected(lo, hi - lo + 1))
        self.assertEqual(r.body[-9:], b"boundaryZ")
        # wholly past it: the last byte, by suffix and by offset
        r = self.c.get(content, headers={"Range": "bytes=-1"})
        self.assertEqual((r.status, r.body), (206, b"Z"))
        self.assertEqual(r.header("Content-Range"), "bytes %d-%d/%d" % (SIZE - 1, SIZE - 1, SIZE))
        r = self.c.get(content, headers={"Range": "bytes=%d-" % (SIZE - 1)})
        self.assertEqual((r.status, r.body), (206, b"Z"))
        # one past the end is unsatisfiable
        r = self.c.get(content, headers={"Range": "bytes=%d-" % SIZE})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.header("Content-Range"), "bytes */%d" % SIZE)
        # the start, as a plain Range
        r = self.c.get(content, headers={"Range": "bytes=0-15"})
        self.assertEqual((r.status, r.body), (206, b"ATRIUM-4GiB-HEAD"))
        # the whole answer announces the 64-bit length without sending it
        u = urllib.parse.urlsplit(self.stack.url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        cookie = "; ".join("%s=%s" % (k.name, k.value) for k in self.c.jar)
        conn.request("HEAD", content, headers={"Cookie": cookie})
        h = conn.getresponse()
        h.read()
        conn.close()
        if h.status == 200:
            self.assertEqual(h.getheader("Content-Length"), str(SIZE))
            self.assertEqual(h.getheader("ETag"), '"%s"' % want)
        else:
            self.assertEqual(h.status, 405)  # HEAD not offered: the GET above is the proof
        # delete it so later tests' quota and disk are not burdened
        self.assertEqual(self.c.delete("/api/v1/documents/%s" % doc["id"]).status, 204)


if __name__ == "__main__":
    unittest.main()
