"""The mail outbox over SMTP (issue 3): with ATRIUM_SMTP_URL set, the auth
service's background thread sends each mail with libcurl to that server
instead of writing .eml files. Starts its own stack pointed at a tiny SMTP
server in this process that records what it receives."""
import email as emaillib
import os
import re
import socket
import sys
import threading
import time
import unittest
from email import policy as mail_policy

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402


class FakeSmtp:
    """Just enough of RFC 5321 for one client at a time."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received = []  # (mail from, [rcpt], data bytes)
        self.lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 fake ESMTP\r\n")
        sender, rcpts = None, []
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.strip().upper()
                if cmd.startswith(b"EHLO") or cmd.startswith(b"HELO"):
                    conn.sendall(b"250 fake\r\n")
                elif cmd.startswith(b"MAIL FROM:"):
                    sender = line.strip()[10:].decode()
                    conn.sendall(b"250 ok\r\n")
                elif cmd.startswith(b"RCPT TO:"):
                    rcpts.append(line.strip()[8:].decode())
                    conn.sendall(b"250 ok\r\n")
                elif cmd == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    data = b""
                    while True:
                        l2 = f.readline()
                        if not l2 or l2 == b".\r\n":
                            break
                        data += l2[1:] if l2.startswith(b"..") else l2
                    with self.lock:
                        self.received.append((sender, rcpts, data))
                    sender, rcpts = None, []
                    conn.sendall(b"250 queued\r\n")
                elif cmd == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")
        finally:
            conn.close()

    def close(self):
        self.sock.close()


class MailBySmtp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.smtp = FakeSmtp()
        cls.stack = Stack.start({"ATRIUM_SMTP_URL": "smtp://127.0.0.1:%d" % cls.smtp.port,
                                 "ATRIUM_MAIL_FROM": "portal@example.test",
                                 "ATRIUM_MAIL_FROM_NAME": "Firm Portal"})
        cls.url = cls.stack.url

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.smtp.close()

    def test_reset_mail_goes_by_smtp(self):
        owner = Client(self.url)
        self.assertEqual(owner.signup().status, 201)
        r = Client(self.url).post("/api/v1/auth/password-reset", {"email": owner.email})
        self.assertEqual(r.status, 202, r)
        end = time.time() + 20
        got = None
        while time.time() < end and not got:
            with self.smtp.lock:
                got = next((m for m in self.smtp.received if owner.email.lower() in m[1][0].lower()),
                           None)
            time.sleep(0.1)
        self.assertIsNotNone(got, "no mail reached the SMTP server")
        sender, rcpts, data = got
        self.assertEqual(sender, "<portal@example.test>")
        self.assertEqual(rcpts, ["<%s>" % owner.email])
        msg = emaillib.message_from_bytes(data, policy=mail_policy.default)
        self.assertEqual(msg["From"].addresses[0].display_name, "Firm Portal")
        token = re.search(r"/reset/([A-Za-z0-9_-]{43})\b", msg.get_content()).group(1)
        self.assertEqual(Client(self.url).post("/api/v1/auth/password-reset/confirm", {
            "token": token, "new_password": "via-smtp-" + "x" * 12}).status, 204)
        # nothing was written as a file
        self.assertFalse(os.path.isdir(os.path.join(self.stack.data_dir, "mail")) and
                         os.listdir(os.path.join(self.stack.data_dir, "mail")))


if __name__ == "__main__":
    unittest.main()
