"""bench/upload.py [SIZE_MIB]: streams one upload of SIZE_MIB (default 1024)
through the gateway of a private stack, then downloads it back, sampling
the gateway's and the document service's resident memory throughout.
Anchors measured in the same run on the same disk: a hash + write + fsync
of the same bytes in one thread (the upload's ceiling), `dd` with
conv=fsync (the disk's own write speed) and coreutils `sha256sum` over the
stored file. Prints MB/s, the ratios, and each process's peak RSS and its
growth."""
import hashlib
import http.client
import os
import subprocess
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


def dd_write(folder):
    """The disk's own sequential write speed with fsync (dd, 1 MiB blocks)."""
    path = os.path.join(folder, "dd.bin")
    t0 = time.time()
    subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M", "count=%d" % size_mib,
                    "conv=fsync"], check=True, capture_output=True)
    dt = time.time() - t0
    os.unlink(path)
    return size / dt / 1e6


def sha256sum_rate(path):
    """coreutils sha256sum over path (the file is in the page cache or not,
    as it happens: the same for the download it is compared with)."""
    t0 = time.time()
    subprocess.run(["sha256sum", path], check=True, capture_output=True)
    return os.path.getsize(path) / (time.time() - t0) / 1e6


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
        up_peak = dict(peak)
        assert resp.status == 201, (resp.status, text[:300])
        doc = __import__("json").loads(text)

        # download it back, reading 1 MiB at a time and hashing as it comes
        peak.update(gw=rss_kib(gw), doc=sum(rss_kib(p) for p in docs))
        h = hashlib.sha256()
        t1 = time.time()
        conn.request("GET", "/api/v1/documents/%s/content" % doc["id"],
                     headers={"Cookie": "atrium_session=" + cookie})
        resp = conn.getresponse()
        got = 0
        while True:
            b = resp.read(MIB)
            if not b:
                break
            got += len(b)
            h.update(b)
        dt_down = time.time() - t1
        done.set()
        th.join()
        assert resp.status == 200 and got == size, (resp.status, got)
        assert h.hexdigest() == doc["sha256"], "downloaded bytes differ"
        down_peak = dict(peak)

        rate, rate_down = size / dt / 1e6, size / dt_down / 1e6
        blob = os.path.join(stack.data_dir, "blobs", "sha256", doc["sha256"][:2],
                            doc["sha256"][2:4], doc["sha256"])
        with tempfile.TemporaryDirectory(dir=stack.data_dir) as d:
            ceil = ceiling(d)
            disk = dd_write(d)
        shasum = sha256sum_rate(blob)
        print("upload of %d MiB:   %.1f s, %.0f MB/s" % (size_mib, dt, rate))
        print("download of %d MiB: %.1f s, %.0f MB/s (hashed by the client as it came)"
              % (size_mib, dt_down, rate_down))
        print("anchors, same run, same disk:")
        print("  sha256 + write + fsync, one thread:  %5.0f MB/s" % ceil)
        print("  dd bs=1M conv=fsync (disk write):    %5.0f MB/s" % disk)
        print("  coreutils sha256sum of the blob:     %5.0f MB/s" % shasum)
        print("upload   / hash+write+fsync ceiling: %.2fx (target >= 0.8x)" % (rate / ceil))
        print("upload   / dd write:                 %.2fx" % (rate / disk))
        print("upload   / sha256sum:                %.2fx" % (rate / shasum))
        print("download / sha256sum:                %.2fx" % (rate_down / shasum))
        for name, base, key in (("gateway", base_gw, "gw"), ("document service", base_doc, "doc")):
            print("%s RSS: %.1f MiB before; peak %.1f MiB uploading (+%.1f), %.1f MiB"
                  " downloading (+%.1f)" % (name, base / 1024, up_peak[key] / 1024,
                                            (up_peak[key] - base) / 1024,
                                            down_peak[key] / 1024, (down_peak[key] - base) / 1024))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
