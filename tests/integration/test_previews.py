"""Document previews (issue 4): GET /api/v1/documents/{id}/preview answers a
PNG thumbnail of an image (PNG, JPEG, GIF, WebP) or of a PDF's first page,
made in the background after the upload (any path: upload, new version,
version restore, tus), at most 512 px on its longest side, aspect kept.

A preview not made yet is 404 with Retry-After; a type that never gets one
(SVG, HTML, text) and a file that could not be rendered (corrupt, a
decompression bomb refused from its header) are 404 without it, and the
worker goes on with the next file. Whoever may not see the document gets
404. Serving one records "viewed" (activity and audit), a 304 does not."""
import base64
import os
import secrets
import struct
import sys
import time
import unittest
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from common_tm import assert_error, invite  # noqa: E402
from harness import Client, Stack, wait_until  # noqa: E402

MAX_EDGE = 512
HERE = os.path.dirname(os.path.abspath(__file__))
JPEG_640x480 = os.path.join(HERE, "..", "fixtures", "preview-640x480.jpg")


def png_bytes(width, height, seed=0):
    """An RGB PNG of width x height (a gradient; seed makes distinct bytes)."""
    row = bytes((x * 255 // max(width - 1, 1) + seed) % 256 for x in range(width))
    raw = b"".join(b"\x00" + bytes(c for v in row for c in (v, (y + seed) % 256, 128))
                   for y in range(height))
    return png_raw(width, height, zlib.compress(raw, 6))


def png_raw(width, height, idat):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0)) + \
        chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf_bytes(text="Atrium"):
    """A one-page US Letter PDF (612 x 792 pt) with a correct xref table."""
    content = ("0 0 1 rg 72 72 468 648 re f BT /F1 36 Tf 1 1 1 rg 100 400 Td (%s) Tj ET"
               % text).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
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


def png_size(data):
    """(width, height) from a PNG's IHDR."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:16]
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_chunks(data):
    """The chunk types of a PNG, in order."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        out.append(kind)
        pos += 12 + length
    return out


def preview_path(doc_id, version=None):
    return "/api/v1/documents/%s/preview%s" % (doc_id, "?version=%d" % version if version else "")


def wait_preview(client, doc_id, version=None, timeout=15):
    """Polls until the preview is served (200) or timeout; the last answer."""
    last = [None]

    def ready():
        last[0] = client.get(preview_path(doc_id, version))
        return last[0].status == 200
    wait_until(ready, timeout=timeout, interval=0.3)
    return last[0]


class Previews(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.owner = Client(cls.stack.url)
        assert cls.owner.signup().status == 201
        r = cls.owner.post("/api/v1/clients", {"name": "Pix " + secrets.token_hex(3)})
        assert r.status == 201, r
        cls.cid = r.json()["id"]

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def upload(self, name, data, client=None, client_id=None, folder_id=None):
        path = "/api/v1/clients/%s/documents?name=%s" % (client_id or self.cid,
                                                        urllib.parse.quote(name))
        if folder_id:
            path += "&folder_id=" + folder_id
        r = (client or self.owner).post(path, data=data,
                                        headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def assert_thumbnail(self, r, want):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.body[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(png_size(r.body), want)
        self.assertLessEqual(max(want), MAX_EDGE)
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertEqual(r.header("Content-Security-Policy"), "default-src 'none'; sandbox")
        self.assertIn("private", r.header("Cache-Control"))
        self.assertRegex(r.header("ETag"), r'^"[0-9a-f]{64}"$')
        self.assertTrue(r.header("Content-Disposition").startswith("inline"))
        # metadata stripped: image chunks only (no text, time, ICC or Exif)
        self.assertLessEqual(set(png_chunks(r.body)), {b"IHDR", b"PLTE", b"tRNS", b"IDAT",
                                                       b"IEND", b"pHYs"})

    def assert_never(self, doc_id, client=None):
        """404 with the api.md envelope and no Retry-After: no preview, ever."""
        r = (client or self.owner).get(preview_path(doc_id))
        assert_error(self, r, 404, "not_found")
        self.assertIsNone(r.header("Retry-After"), r)
        return r

    # -- tests --
    def test_png_and_jpeg(self):
        png = self.upload("wide-%s.png" % secrets.token_hex(3), png_bytes(800, 200))
        # at once: not made yet (404 with Retry-After), or already made
        first = self.owner.get(preview_path(png["id"]))
        if first.status != 200:
            assert_error(self, first, 404, "not_found")
            self.assertTrue(first.header("Retry-After"), first)
        self.assert_thumbnail(wait_preview(self.owner, png["id"]), (512, 128))
        with open(JPEG_640x480, "rb") as f:
            jpeg = self.upload("photo-%s.jpg" % secrets.token_hex(3), f.read())
        self.assertEqual(jpeg["content_type"], "image/jpeg")
        self.assert_thumbnail(wait_preview(self.owner, jpeg["id"]), (512, 384))
        # smaller than the edge: never enlarged; portrait keeps its aspect
        tall = self.upload("tall-%s.png" % secrets.token_hex(3), png_bytes(90, 300, seed=3))
        self.assert_thumbnail(wait_preview(self.owner, tall["id"]), (90, 300))

    def test_pdf_first_page(self):
        doc = self.upload("letter-%s.pdf" % secrets.token_hex(3), pdf_bytes())
        self.assertEqual(doc["content_type"], "application/pdf")
        r = wait_preview(self.owner, doc["id"])
        self.assertEqual(r.status, 200, r)
        w, h = png_size(r.body)
        self.assertEqual(h, 512)
        self.assertIn(w, (395, 396, 397))  # 612/792 of 512

    def test_svg_html_and_text_never(self):
        svg = self.upload("x-%s.svg" % secrets.token_hex(3),
                          b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                          b'<script>alert(1)</script><rect width="10" height="10"/></svg>')
        html = self.upload("x-%s.html" % secrets.token_hex(3),
                           b"<!doctype html><title>x</title><img src=x onerror=alert(1)>")
        txt = self.upload("x-%s.txt" % secrets.token_hex(3), b"plain words\n")
        for d in (svg, html, txt):
            self.assertFalse(d["content_type"].startswith("image/"), d)
            self.assert_never(d["id"])
        # a file stored after them is made; they still have none
        after = self.upload("after-%s.png" % secrets.token_hex(3), png_bytes(64, 64, seed=5))
        self.assertEqual(wait_preview(self.owner, after["id"]).status, 200)
        for d in (svg, html, txt):
            self.assert_never(d["id"])

    def test_corrupt_and_bomb_then_good(self):
        corrupt = self.upload("broken-%s.png" % secrets.token_hex(3),
                              b"\x89PNG\r\n\x1a\n" + os.urandom(300))
        self.assertEqual(corrupt["content_type"], "image/png")
        # 100000 x 100000 pixels declared, a few bytes of data
        bomb = self.upload("bomb-%s.png" % secrets.token_hex(3),
                           png_raw(100000, 100000, zlib.compress(b"\x00" * 64)))
        self.assertLess(len(png_raw(100000, 100000, zlib.compress(b"\x00" * 64))), 200)
        good = self.upload("good-%s.png" % secrets.token_hex(3), png_bytes(300, 150, seed=9))
        # the worker survived both and makes the next one
        self.assert_thumbnail(wait_preview(self.owner, good["id"]), (300, 150))
        # the bomb is refused from its header at the first attempt: for good
        self.assertTrue(wait_until(lambda: self.owner.get(preview_path(bomb["id"])).header(
            "Retry-After") is None, timeout=15), "the bomb is still pending")
        self.assert_never(bomb["id"])
        r = self.owner.get(preview_path(corrupt["id"]))
        assert_error(self, r, 404, "not_found")  # retried with back-off, then failed for good
        # still alive: a new file after all that
        again = self.upload("again-%s.png" % secrets.token_hex(3), png_bytes(20, 10, seed=11))
        self.assert_thumbnail(wait_preview(self.owner, again["id"]), (20, 10))

    def test_same_bytes_one_thumbnail(self):
        data = png_bytes(200, 100, seed=21)
        a = self.upload("a-%s.png" % secrets.token_hex(3), data)
        ra = wait_preview(self.owner, a["id"])
        self.assertEqual(ra.status, 200)
        b = self.upload("b-%s.png" % secrets.token_hex(3), data)
        rb = self.owner.get(preview_path(b["id"]))  # made already: no wait
        self.assertEqual(rb.status, 200, rb)
        self.assertEqual(rb.header("ETag"), ra.header("ETag"))
        self.assertEqual(rb.body, ra.body)

    def test_lost_file_made_again(self):
        """A made thumbnail whose file went missing is queued again, not a 500."""
        if not self.stack.data_dir:
            self.skipTest("needs the stack's data folder")
        data = png_bytes(64, 32, seed=71)
        doc = self.upload("lost-%s.png" % secrets.token_hex(3), data)
        first = wait_preview(self.owner, doc["id"])
        self.assertEqual(first.status, 200, first)
        sha = doc["sha256"]
        path = os.path.join(self.stack.data_dir, "blobs", "previews", sha[:2], sha[2:4],
                            sha + ".png")
        os.unlink(path)
        r = self.owner.get(preview_path(doc["id"]))
        assert_error(self, r, 404, "not_found")
        self.assertTrue(r.header("Retry-After"), r)
        again = wait_preview(self.owner, doc["id"])
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.body, first.body)
        self.assertTrue(os.path.exists(path))

    def test_versions_restore_and_tus(self):
        name = "v-%s.png" % secrets.token_hex(3)
        v1 = self.upload(name, png_bytes(400, 100, seed=31))
        with open(JPEG_640x480, "rb") as f:
            v2 = self.upload(name, f.read())
        self.assertEqual((v2["id"], v2["version"]), (v1["id"], 2))
        self.assert_thumbnail(wait_preview(self.owner, v1["id"]), (512, 384))
        self.assert_thumbnail(wait_preview(self.owner, v1["id"], version=1), (400, 100))
        r = self.owner.get(preview_path(v1["id"]) + "?version=0")
        assert_error(self, r, 400, "validation_failed", "version")
        assert_error(self, self.owner.get(preview_path(v1["id"], version=9)), 404, "not_found")
        # a restored version is the newest again, with its thumbnail
        r = self.owner.post("/api/v1/documents/%s/versions/1/restore" % v1["id"])
        self.assertEqual(r.status, 201, r)
        self.assert_thumbnail(wait_preview(self.owner, v1["id"]), (400, 100))
        # a new version through POST .../versions
        r = self.owner.post("/api/v1/documents/%s/versions" % v1["id"],
                            data=png_bytes(100, 400, seed=33),
                            headers={"Content-Type": "application/octet-stream"})
        self.assertEqual(r.status, 201, r)
        self.assert_thumbnail(wait_preview(self.owner, v1["id"]), (100, 400))
        # tus: the finished upload's document gets its preview too
        data = png_bytes(256, 64, seed=35)
        meta = "filename %s,client_id %s" % (base64.b64encode(b"tus.png").decode(),
                                             base64.b64encode(self.cid.encode()).decode())
        r = self.owner.post("/api/v1/uploads", data=b"", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)), "Upload-Metadata": meta})
        self.assertEqual(r.status, 201, r)
        r = self.owner.request("PATCH", r.header("Location"), data=data, headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream"})
        self.assertEqual(r.status, 204, r)
        self.assert_thumbnail(wait_preview(self.owner, r.header("Atrium-Document-Id")),
                              (256, 64))

    def test_access(self):
        doc = self.upload("shared-%s.png" % secrets.token_hex(3), png_bytes(50, 50, seed=41))
        self.assertEqual(wait_preview(self.owner, doc["id"]).status, 200)
        folder = self.owner.post("/api/v1/clients/%s/folders" % self.cid,
                                 {"name": "Staff " + secrets.token_hex(3),
                                  "visibility": "internal"}).json()
        inner = self.upload("inner-%s.png" % secrets.token_hex(3), png_bytes(60, 30, seed=43),
                            folder_id=folder["id"])
        self.assertEqual(wait_preview(self.owner, inner["id"]).status, 200)
        member = invite(self, self.stack.url, self.owner, self.cid, "member", "Member")
        viewer = invite(self, self.stack.url, self.owner, self.cid, "viewer", "Viewer")
        r = self.owner.post("/api/v1/clients", {"name": "Other " + secrets.token_hex(3)})
        other_cid = r.json()["id"]
        other_member = invite(self, self.stack.url, self.owner, other_cid, "member", "Other")
        stranger = Client(self.stack.url)
        self.assertEqual(stranger.signup().status, 201)
        self.assertEqual(member.get(preview_path(doc["id"])).status, 200)
        self.assertEqual(viewer.get(preview_path(doc["id"])).status, 200)
        ghost = stranger.get(preview_path("00000000-0000-4000-8000-000000000000"))
        assert_error(self, ghost, 404, "not_found")
        for who, d in ((stranger, doc), (other_member, doc), (member, inner), (viewer, inner)):
            r = who.get(preview_path(d["id"]))
            assert_error(self, r, 404, "not_found")
            self.assertIsNone(r.header("Retry-After"))
            # exactly as a document that does not exist
            self.assertEqual(r.json()["error"]["message"], ghost.json()["error"]["message"])
        self.assertEqual(Client(self.stack.url).get(preview_path(doc["id"])).status, 401)
        # a deleted document has no preview, for staff too
        self.assertEqual(self.owner.delete("/api/v1/documents/" + doc["id"]).status, 204)
        assert_error(self, self.owner.get(preview_path(doc["id"])), 404, "not_found")
        assert_error(self, member.get(preview_path(doc["id"])), 404, "not_found")

    def test_viewed_and_etag(self):
        doc = self.upload("seen-%s.png" % secrets.token_hex(3), png_bytes(120, 80, seed=51))
        member = invite(self, self.stack.url, self.owner, self.cid, "member", "Looker")
        r = wait_preview(self.owner, doc["id"])
        self.assertEqual(r.status, 200, r)
        etag = r.header("ETag")

        def actions():
            r = self.owner.get("/api/v1/documents/%s/activity" % doc["id"])
            self.assertEqual(r.status, 200, r)
            return [(a["action"], a.get("actor", {}).get("id")) for a in r.json()["items"]]
        before = actions()
        self.assertEqual(before[0], ("viewed", self.owner.user["id"]))
        r = member.get(preview_path(doc["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("ETag"), etag)
        after = actions()
        self.assertEqual(len(after), len(before) + 1)
        self.assertEqual(after[0], ("viewed", member.user["id"]))
        # revalidation: 304, no body, nothing recorded
        r = member.get(preview_path(doc["id"]), headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304, r)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("ETag"), etag)
        r = member.get(preview_path(doc["id"]), headers={"If-None-Match": '"%s"' % ("0" * 64)})
        self.assertEqual(r.status, 200)
        self.assertEqual(len(actions()), len(after) + 1)

        def audited():
            r = self.owner.get("/api/v1/audit?action=document.viewed&resource_id=" + doc["id"])
            items = r.json().get("items", []) if r.status == 200 else []
            return [e for e in items if e["details"].get("preview") is True]
        ev = wait_until(audited, timeout=15)
        self.assertTrue(ev, "document.viewed of a preview never reached the audit trail")
        self.assertEqual(ev[0]["details"]["version"], 1)


if __name__ == "__main__":
    unittest.main()
