"""bench/audit.py URL DATA_DIR: the audit trail's benchmark on a running
private stack (bench/run passes its own).

1. ingestion with the hash chain: bench-audit-driver sends BENCH_AUDIT_INGEST
   (20,000) events of one firm to audit.ingest over the bus in batches of 200,
   as the outbox relays do; prints events/s (target >= 5k);
2. bulk load: the same firm is filled up to BENCH_AUDIT_EVENTS (1,000,000)
   events with rows the driver generates with their correct chain hashes,
   COPYed into audit.events (the chain verifies: step 4 checks it);
3. filtered GET /api/v1/audit?limit=50 (by action, actor, client, resource,
   and unfiltered), one keep-alive connection, p50/p99;
4. GET /api/v1/audit/verify over all of them (target < 10 s).
"""
import http.client
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import BIN_DIR, Client, Stack, wait_until  # noqa: E402
from test_audit_integrity import Db  # noqa: E402

COLS = ("firm_id, seq, event_id, at, actor_id, actor_name, actor_kind, action, resource_type,"
        " resource_id, client_id, ip, user_agent, request_id, source, details, hash")


def main():
    url, data_dir = sys.argv[1], sys.argv[2]
    ingest_n = int(os.environ.get("BENCH_AUDIT_INGEST", "20000"))
    total = int(os.environ.get("BENCH_AUDIT_EVENTS", "1000000"))
    driver = os.path.join(BIN_DIR, "bench-audit-driver")
    stack = Stack(url, data_dir, False)
    db = Db(data_dir)

    c = Client(url)
    r = c.signup(firm_name="Audit Bench LLP")
    assert r.status == 201, r
    firm = r.json()["firm"]["id"]
    assert wait_until(lambda: c.get("/api/v1/audit").json()["items"], timeout=20)
    pid = stack.pids("atrium-audit")[0]
    with open("/proc/%d/environ" % pid, "rb") as f:
        env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
    endpoint = env[b"ATRIUM_BUS_ENDPOINT"].decode()

    # 1. ingestion through audit.ingest, chain and all
    out = subprocess.run([driver, "ingest", endpoint, firm, str(ingest_n)], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    n, secs, rate = out.stdout.split()
    print("audit ingest (chain, batches of 200, one firm)  %8.0f events/s  (%s events in %s s;"
          " target >= 5000: %.2fx)" % (float(rate), n, secs, float(rate) / 5000))

    # 2. fill the firm up to `total` events, chain-correct, by COPY
    seq, head = db.sql("SELECT last_seq || ' ' || last_hash FROM audit.firm_heads"
                       " WHERE firm_id = '%s'" % firm).split()
    more = total - int(seq)
    t0 = time.time()
    if more > 0:
        pg = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", db.host,
                               "-p", db.port, "-U", "postgres", "-d", "atrium", "-c",
                               "COPY audit.events (%s) FROM STDIN" % COLS],
                              stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        gen = subprocess.Popen([driver, "gen", firm, str(more), seq, head], stdout=pg.stdin,
                               stderr=subprocess.PIPE, text=True)
        pg.stdin.close()
        _, gerr = gen.communicate(timeout=1800)
        perr = pg.stderr.read()
        pg.wait(timeout=1800)
        assert gen.returncode == 0 and pg.returncode == 0, (gerr, perr)
        new_seq, new_head = gerr.split()
        db.sql("UPDATE audit.firm_heads SET last_seq = %s, last_hash = '%s' WHERE firm_id = '%s';"
               " ANALYZE audit.events;" % (new_seq, new_head, firm))
    print("bulk load to %d events (COPY, chain computed) %8.1f s" % (total, time.time() - t0))
    cp = c.post("/api/v1/audit/checkpoints")
    assert cp.status in (200, 201), cp

    # 3. filtered queries, newest 50, one keep-alive connection
    cookie = [ck for ck in c.jar if ck.name == "atrium_session"][0].value
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    hdr = {"Cookie": "atrium_session=" + cookie}
    filters = {
        "action": "action=task.created",
        "actor": "actor_id=00000001-0000-4000-8000-000000000007",
        "client": "client_id=00000002-0000-4000-8000-000000000042",
        "resource": "resource_type=document&resource_id=r-1234",
        "none": "",
    }
    lat = {k: [] for k in filters}
    for rnd in range(110):
        for k, q in filters.items():
            t = time.perf_counter()
            conn.request("GET", "/api/v1/audit?limit=50&" + q, headers=hdr)
            resp = conn.getresponse()
            body = resp.read()
            dt = (time.perf_counter() - t) * 1000
            assert resp.status == 200, (resp.status, body[:200])
            if rnd >= 10:  # warm-up
                lat[k].append(dt)

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
    every = [x for xs in lat.values() for x in xs]
    print("GET /api/v1/audit?limit=50 filtered, %d events in one firm: p50 %.2f ms  p99 %.2f ms"
          % (total, pct(every, 50), pct(every, 99)))
    for k, xs in lat.items():
        print("  %-9s p50 %7.2f ms  p99 %7.2f ms  (mean %.2f)"
              % (k, pct(xs, 50), pct(xs, 99), statistics.mean(xs)))

    # 4. verify the whole trail
    t = time.perf_counter()
    conn.request("GET", "/api/v1/audit/verify", headers=hdr)
    resp = conn.getresponse()
    body = resp.read()
    dt = time.perf_counter() - t
    conn.close()
    import json
    v = json.loads(body) if resp.status == 200 else {"status": resp.status, "body": body[:300]}
    print("GET /api/v1/audit/verify over %s events: %.2f s (target < 10 s)  ok=%s checkpoints=%s"
          % (v.get("events"), dt, v.get("ok"), v.get("checkpoints")))
    if not v.get("ok"):
        print("  verify: %s" % v)
        sys.exit(1)


if __name__ == "__main__":
    main()
