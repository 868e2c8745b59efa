"""GET /api/v1/events: the WebSocket (RFC 6455) pushes message.created and
task.updated to users who may see them; a foreign Origin or no session is
refused; a client user never hears about another client. The client side is
a small RFC 6455 reader over a socket (no third-party package)."""
import base64
import json
import os
import secrets
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402


class WebSocket:
    def __init__(self, url, cookie=None, origin=None):
        host, port = url.split("//")[1].split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET /api/v1/events HTTP/1.1", "Host: %s:%s" % (host, port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        if cookie:
            lines.append("Cookie: atrium_session=" + cookie)
        if origin:
            lines.append("Origin: " + origin)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1") else 0
        self.buf = b""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self, timeout=5.0):
        """The next text frame as JSON, or None when none came in time."""
        self.sock.settimeout(timeout)
        try:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
        except (socket.timeout, EOFError):
            return None
        if b0 & 0x0F == 1:
            return json.loads(payload.decode())
        return self.frame(timeout)

    def frames_until(self, pred, timeout=8.0):
        end = time.time() + timeout
        while time.time() < end:
            f = self.frame(max(0.1, end - time.time()))
            if f and pred(f):
                return f
        return None

    def close(self):
        self.sock.close()


def cookie_of(c):
    return [ck for ck in c.jar if ck.name == "atrium_session"][0].value


class Events(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_pushes_to_whoever_may_see_it(self):
        owner = Client(self.stack.url)
        self.assertEqual(owner.signup().status, 201)
        a = owner.post("/api/v1/clients", {"name": "A"}).json()["id"]
        b = owner.post("/api/v1/clients", {"name": "B"}).json()["id"]
        # a client user of B, by invitation
        inv = owner.post("/api/v1/invitations", {"email": "b-%s@example.test" % secrets.token_hex(4),
                                                 "kind": "client", "role": "member", "client_id": b})
        self.assertEqual(inv.status, 201, inv)
        guest = Client(self.stack.url)
        acc = guest.post("/api/v1/invitations/%s/accept" % inv.json()["token"],
                         {"name": "Bea", "password": "pw-" + secrets.token_urlsafe(12)})
        self.assertEqual(acc.status, 200, acc)

        ws_owner = WebSocket(self.stack.url, cookie_of(owner), origin=self.stack.url)
        ws_guest = WebSocket(self.stack.url, cookie_of(guest), origin=self.stack.url)
        self.assertEqual(ws_owner.status, 101)
        self.assertEqual(ws_guest.status, 101)
        self.assertEqual(ws_owner.frame()["type"], "ready")
        self.assertEqual(ws_guest.frame()["type"], "ready")

        body = "Über den Bericht — %s" % secrets.token_hex(4)
        th = owner.post("/api/v1/clients/%s/threads" % a, {"subject": "A only", "body": body})
        self.assertEqual(th.status, 201)
        got = ws_owner.frames_until(lambda f: f["type"] == "message.created")
        self.assertIsNotNone(got, "the owner heard nothing")
        self.assertEqual(got["data"]["body"], body)
        # B's user never hears about A
        self.assertIsNone(ws_guest.frames_until(lambda f: f["type"] == "message.created", timeout=1.5))

        # but does about B
        body_b = "for B %s" % secrets.token_hex(4)
        self.assertEqual(owner.post("/api/v1/clients/%s/threads" % b,
                                    {"subject": "B", "body": body_b}).status, 201)
        got_b = ws_guest.frames_until(lambda f: f["type"] == "message.created")
        self.assertIsNotNone(got_b)
        self.assertEqual(got_b["data"]["body"], body_b)

        t = owner.post("/api/v1/clients/%s/tasks" % b, {"title": "Send statements"})
        self.assertEqual(t.status, 201)
        got_t = ws_guest.frames_until(lambda f: f["type"] == "task.updated")
        self.assertIsNotNone(got_t)
        ws_owner.close()
        ws_guest.close()

    def test_refusals(self):
        owner = Client(self.stack.url)
        self.assertEqual(owner.signup().status, 201)
        foreign = WebSocket(self.stack.url, cookie_of(owner), origin="https://evil.example")
        self.assertNotEqual(foreign.status, 101)
        foreign.close()
        anonymous = WebSocket(self.stack.url, None, origin=self.stack.url)
        self.assertNotEqual(anonymous.status, 101)
        anonymous.close()


if __name__ == "__main__":
    unittest.main()
