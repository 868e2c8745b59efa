"""bench/upload.py [SIZE_MIB]: streams one upload of SIZE_MIB (default 1024)
through the gateway of a private stack, sampling the gateway's and the
document service's resident memory, and compares the throughput with a
hash + write + fsync of the same bytes on the same disk (the ceiling).
Prints MB/s, the ratio, and the RSS growth of each process."""
import hashlib
import http.client
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from harness import Client, Stack  # noqa: E402

MIB = 1024 * 1024
size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
size = size_mib * MIB
block = os.urandom(MIB)


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def ceiling(folder):
    """SHA-256 + write + fsync of size bytes, one thread, like the service."""
    path = os.path.join(folder, "ceiling.bin")
    h = hashlib.sha256()
    t0 = time.time()
    with open(path, "wb") as f:
        for _ in range(size_mib):
            h.update(block)
            f.write(block)
        f.flush()
        os.fsync(f.fileno())
    dt = time.time() - t0
    os.unlink(path)
    return size / dt / 1e6


def main():
    stack = Stack.start({"ATRIUM_LOG_LEVEL": "warn"})
    try:
        c = Client(stack.url, timeout=600)
        assert c.signup().status == 201
        cid = c.post("/api/v1/clients", {"name": "Bench"}).json()["id"]
        gw = stack.pids("atrium-gateway")[0]
        docs = stack.pids("atrium-document")
        base_gw, base_doc = rss_kib(gw), sum(rss_kib(p) for p in docs)
        peak = {"gw": base_gw, "doc": base_doc}
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak["gw"] = max(peak["gw"], rss_kib(gw))
                peak["doc"] = max(peak["doc"], sum(rss_kib(p) for p in docs))
                time.sleep(0.05)

        th = threading.Thread(target=sample)
        th.start()
        host, port = stack.url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        cookie = [ck for ck in c.jar if ck.name == "atrium_session"][0].value

        def body():
            for _ in range(size_mib):
                yield block

        t0 = time.time()
        conn.request("POST", "/api/v1/clients/%s/documents?name=big.bin" % cid, body=body(),
                      headers={"Content-Length": str(size), "Content-Type": "application/octet-stream",
                               "Cookie": "atrium_session=" + cookie, "X-CSRF-Token": c.csrf})
        resp = conn.getresponse()
        text = resp.read()
        dt = time.time() - t0
        done.set()
        th.join()
        assert resp.status == 201, (resp.status, text[:300])
        rate = size / dt / 1e6
        with tempfile.TemporaryDirectory(dir=stack.data_dir) as d:
            ceil = ceiling(d)
        print("upload of %d MiB: %.1f s, %.0f MB/s" % (size_mib, dt, rate))
        print("ceiling (sha256 + write + fsync, one thread, same disk): %.0f MB/s" % ceil)
        print("ratio to ceiling: %.2fx" % (rate / ceil))
        print("gateway RSS: %.1f MiB before, peak growth %.1f MiB" % (base_gw / 1024, (peak["gw"] - base_gw) / 1024))
        print("document service RSS: %.1f MiB before, peak growth %.1f MiB" % (base_doc / 1024, (peak["doc"] - base_doc) / 1024))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
