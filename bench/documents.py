"""bench/documents.py URL DATA_DIR [BARE_RPS]: listing documents of one
client holding BENCH_DOCUMENTS (100,000) documents, on a running private
stack (bench/run passes its own and the bare civetweb figure of the run).

1. fill: one staff user's client gets the documents by one INSERT ... SELECT
   generate_series as the cluster's superuser (names, versions and sizes as
   uploads would make them; the bytes are not needed to list);
2. throughput: wrk -t2 -c50 on GET .../documents?limit=50 with BENCH_SESSIONS
   (200) sessions of that user, a different one on each request; ratio to
   bare civetweb (target >= 0.10x);
3. paced latency: BENCH_LIST_RATE (200) requests/s for BENCH_SECONDS over
   keep-alive connections, first pages and deep pages (by cursor), p50/p99
   (target p99 < 10 ms);
4. name search (?q=) over the same client, p50/p99.
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from harness import Client  # noqa: E402
from test_audit_integrity import Db  # noqa: E402


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def main():
    url, data_dir = sys.argv[1], sys.argv[2]
    bare = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    total = int(os.environ.get("BENCH_DOCUMENTS", "100000"))
    sessions = int(os.environ.get("BENCH_SESSIONS", "200"))
    rate = float(os.environ.get("BENCH_LIST_RATE", "200"))
    secs = int(os.environ.get("BENCH_SECONDS", "10"))
    db = Db(data_dir)

    c = Client(url)
    assert c.signup(firm_name="List Bench LLP").status == 201
    cid = c.post("/api/v1/clients", {"name": "Big Client"}).json()["id"]
    me = c.get("/api/v1/me").json()["user"]
    firm, uid = me["firm_id"], me["id"]
    t0 = time.time()
    db.sql("""
INSERT INTO document.documents (id, firm_id, client_id, name, created_by, created_at, updated_at,
                                name_tsv)
SELECT gen_random_uuid(), '{f}', '{c}', 'statement-' || lpad(i::text, 6, '0') || '.pdf', '{u}',
       now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval,
       to_tsvector('simple', 'statement ' || lpad(i::text, 6, '0') || ' pdf')
FROM generate_series(1, {n}) i;
INSERT INTO document.versions (document_id, version, firm_id, sha256, size, content_type,
                               created_by, created_at)
SELECT id, 1, firm_id, encode(sha256(id::text::bytea), 'hex'), 10000 + length(name),
       'application/pdf', created_by, created_at
FROM document.documents WHERE client_id = '{c}';
ANALYZE document.documents; ANALYZE document.versions;
""".format(f=firm, c=cid, u=uid, n=total))
    print("fill: %d documents in one client (INSERT ... generate_series)  %.1f s"
          % (total, time.time() - t0))

    # sessions: logins of the same user (each its own session)
    cookies = []
    for _ in range(sessions):
        s = Client(url)
        r = s.login(c.email, c.password)
        assert r.status == 200, r
        cookies.append([k for k in s.jar if k.name == "atrium_session"][0].value)
    path = "/api/v1/clients/%s/documents?limit=50" % cid

    # 2. wrk, rotating sessions
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write("local cookies = {%s}\nlocal n = 0\n" % ",".join('"%s"' % k for k in cookies))
        f.write('request = function()\n  n = n + 1\n'
                '  return wrk.format("GET", nil, {["Cookie"] = "atrium_session=" .. '
                'cookies[(n % #cookies) + 1]})\nend\n')
        lua = f.name
    out = subprocess.run(["wrk", "-t2", "-c50", "-d%ds" % secs, "--latency", "-s", lua, url + path],
                         capture_output=True, text=True)
    os.unlink(lua)
    rps = float([l.split()[1] for l in out.stdout.splitlines() if "Requests/sec" in l][0])
    lat = {l.split()[0]: l.split()[1] for l in out.stdout.splitlines()
           if l.strip().startswith(("50%", "99%"))}
    non2xx = [l for l in out.stdout.splitlines() if "Non-2xx" in l]
    print("list 50 of %d, %d sessions, wrk -c50  %8.0f req/s  p50 %s p99 %s%s%s"
          % (total, sessions, rps, lat.get("50%"), lat.get("99%"),
             "  %.3fx bare (target >= 0.10x)" % (rps / bare) if bare else "",
             "  " + non2xx[0].strip() if non2xx else ""))

    # 3. paced: first pages and deep pages, BENCH_LIST_RATE/s in all
    host, port = url.split("//")[1].split(":")
    deep = []
    conn = http.client.HTTPConnection(host, int(port))
    cursor = None
    for i in range(40):  # walk 40 pages down to find cursors deep in the list
        q = path + ("&cursor=" + cursor if cursor else "")
        conn.request("GET", q, headers={"Cookie": "atrium_session=" + cookies[0]})
        page = json.loads(conn.getresponse().read())
        cursor = page["next_cursor"]
        deep.append(path + "&cursor=" + cursor)
    conn.close()

    def paced(paths, label):
        nthreads = 4
        per = rate / nthreads
        lats, errors = [], [0]
        lock = threading.Lock()

        def worker(k):
            cn = http.client.HTTPConnection(host, int(port), timeout=10)
            start = time.time()
            i = 0
            while True:
                due = start + i / per
                now = time.time()
                if due - start > secs:
                    break
                if due > now:
                    time.sleep(due - now)
                p = paths[(i * nthreads + k) % len(paths)]
                t = time.time()
                cn.request("GET", p, headers={
                    "Cookie": "atrium_session=" + cookies[(i * nthreads + k) % len(cookies)]})
                r = cn.getresponse()
                r.read()
                d = (time.time() - t) * 1000
                with lock:
                    lats.append(d)
                    if r.status != 200:
                        errors[0] += 1
                i += 1
            cn.close()

        ths = [threading.Thread(target=worker, args=(k,)) for k in range(nthreads)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        print("%-44s %6d req  p50 %6.2f ms  p99 %6.2f ms  max %6.1f ms%s"
              % (label, len(lats), statistics.median(lats), pct(lats, 99), max(lats),
                 "  (%d errors)" % errors[0] if errors[0] else ""))
        return pct(lats, 99)

    p99 = paced([path], "paced %.0f/s, first page" % rate)
    paced(deep, "paced %.0f/s, pages 2-41 by cursor" % rate)
    paced([path + "&q=statement%20000420"], "paced %.0f/s, ?q= one name" % rate)
    print("paced first-page p99 target < 10 ms: %s" % ("met" if p99 < 10 else "NOT met"))


if __name__ == "__main__":
    main()
