"""bench/ws_fanout.py [N]: N (default 1000) WebSocket subscribers of one firm
on GET /api/v1/events; one message is posted; prints when the first and the
last subscriber received it (performance.md: the bare fan-out to 1,000 is
36 ms; the target is p99 <= 1.5x). The gateway gets N+64 HTTP threads:
civetweb holds one per open WebSocket."""
import os
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from harness import Client, Stack  # noqa: E402
from test_events import WebSocket, cookie_of  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


def main():
    stack = Stack.start({"ATRIUM_HTTP_THREADS": str(n + 64), "ATRIUM_LOG_LEVEL": "warn"})
    try:
        c = Client(stack.url, timeout=60)
        assert c.signup().status == 201
        cid = c.post("/api/v1/clients", {"name": "Fan-out"}).json()["id"]
        cookie = cookie_of(c)
        socks = []
        t0 = time.time()
        for _ in range(n):
            ws = WebSocket(stack.url, cookie, origin=stack.url)
            assert ws.status == 101, ws.status
            assert ws.frame(10)["type"] == "ready"
            socks.append(ws)
        print("%d subscribers connected in %.1f s" % (n, time.time() - t0))
        sel = selectors.DefaultSelector()
        for ws in socks:
            ws.sock.setblocking(False)
            sel.register(ws.sock, selectors.EVENT_READ, ws)
        sent = time.time()
        r = c.post("/api/v1/clients/%s/threads" % cid, {"subject": "all", "body": "fan-out"})
        assert r.status == 201, r
        got = {}
        deadline = time.time() + 30
        while len(got) < n and time.time() < deadline:
            for key, _ in sel.select(timeout=1):
                ws = key.data
                try:
                    data = ws.sock.recv(65536)
                except BlockingIOError:
                    continue
                if data and b"message.created" in data and ws not in got:
                    got[ws] = time.time() - sent
        lat = sorted(got.values())
        if not lat:
            print("nobody received the event")
            return
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        print("received by %d of %d: first %.1f ms, p50 %.1f ms, p99 %.1f ms, last %.1f ms "
              "(from the POST; includes the thread's creation)" % (len(lat), n, lat[0] * 1000, p(0.5),
                                                                    p(0.99), lat[-1] * 1000))
        for ws in socks:
            ws.close()
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
