"""bench/dashboard.py: GET /api/v1/dashboard at the size of
/work/shared/performance.md's target (500 clients, 100k documents, 1M audit
events in one firm; p99 < 25 ms, <= 5 SQL statements), on a private stack
of its own (services log at debug, which is how statements are counted).

1. signs up a firm, invites a client user on one client, logs in again
   (so "new since last login" has a previous login);
2. fills by direct SQL: BENCH_DASH_CLIENTS (500) clients, BENCH_DASH_DOCS
   (100,000) documents spread over them and 90 days (a few new), a task,
   a thread and an invoice per client, and BENCH_DASH_EVENTS (1,000,000)
   audit events (bench-audit-driver's chain-correct rows, by COPY);
3. GET /api/v1/dashboard on one keep-alive connection, BENCH_DASH_N (300)
   times each as the owner (all 500 clients) and as the client user: p50,
   p99, the ratio to the 25 ms target;
4. the SQL statements per dashboard: every service logs, per request,
   how many statements it sent (at_service: "<method> -> OK in N us, K
   sql"); the sum over the six <svc>.dashboard calls of one request.
"""
import http.client
import json
import os
import re
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
PW = "bench-dashboard-pw-1"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def fill(db, firm, owner_id, clients, docs):
    """Clients, documents, tasks, threads, messages and invoices by SQL."""
    db.sql("""
INSERT INTO auth.clients (firm_id, name)
  SELECT '{f}', 'Bench client ' || i FROM generate_series(1, {c}) i;
INSERT INTO document.documents (firm_id, client_id, name, created_by, created_at, updated_at)
  SELECT '{f}', c.id, 'doc-' || d.i || '.pdf', '{o}',
         now() - (d.i % 90) * interval '1 day' - interval '1 hour',
         now() - (d.i % 90) * interval '1 day'
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM auth.clients
        WHERE firm_id = '{f}') c
  JOIN generate_series(1, {d}) d(i) ON d.i % {c} = c.n - 1;
INSERT INTO tasks.tasks (firm_id, client_id, title, status, assignee_ids, due_at)
  SELECT '{f}', id, 'Bench task', 'open', ARRAY['{o}'::uuid],
         now() + (random() * 20 - 5) * interval '1 day'
  FROM auth.clients WHERE firm_id = '{f}';
INSERT INTO messaging.threads (firm_id, client_id, subject, created_by)
  SELECT '{f}', id, 'Bench thread', id FROM auth.clients WHERE firm_id = '{f}';
INSERT INTO messaging.messages (thread_id, firm_id, client_id, author_id, author_kind, body)
  SELECT t.id, t.firm_id, t.client_id, t.client_id, 'client', 'hello ' || g
  FROM messaging.threads t, generate_series(1, 3) g WHERE t.firm_id = '{f}';
INSERT INTO billing.customers (firm_id, realm_id, qbo_id, display_name, client_id)
  SELECT '{f}', 'bench', c.id::text, c.name, c.id FROM auth.clients c WHERE firm_id = '{f}';
INSERT INTO billing.invoices (firm_id, realm_id, qbo_id, number, issued_on, due_on, total,
                              balance, currency, customer_id)
  SELECT '{f}', 'bench', c.id::text || '-' || g, 'B-' || g, current_date - 40,
         current_date + (g * 20 - 30), '120.50', CASE WHEN g = 3 THEN '0.00' ELSE '120.50' END,
         CASE WHEN g = 2 THEN 'EUR' ELSE 'USD' END, c.id::text
  FROM auth.clients c, generate_series(1, 3) g WHERE c.firm_id = '{f}';
""".format(f=firm, o=owner_id, c=clients, d=docs))
    db.sql("VACUUM (ANALYZE) auth.clients, document.documents, tasks.tasks, messaging.threads,"
           " messaging.messages, billing.customers, billing.invoices")


def fill_audit(db, firm, total):
    driver = os.path.join(BIN_DIR, "bench-audit-driver")
    seq, head = db.sql("SELECT last_seq || ' ' || last_hash FROM audit.firm_heads"
                       " WHERE firm_id = '%s'" % firm).split()
    more = total - int(seq)
    if more <= 0:
        return
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
    # VACUUM as autovacuum soon would: a freshly COPYed table has no
    # visibility map or hint bits, and every first read pays for them
    db.sql("UPDATE audit.firm_heads SET last_seq = %s, last_hash = '%s' WHERE firm_id = '%s';"
           % (new_seq, new_head, firm))
    db.sql("VACUUM (ANALYZE) audit.events")


def measure(url, client, n):
    cookie = [ck for ck in client.jar if ck.name == "atrium_session"][0].value
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    lat, ids, partial = [], [], []
    for i in range(n + 20):
        rid = "dash-bench-%s-%d" % (cookie[:6], i)
        t = time.perf_counter()
        conn.request("GET", "/api/v1/dashboard",
                     headers={"Cookie": "atrium_session=" + cookie, "X-Request-Id": rid})
        resp = conn.getresponse()
        body = resp.read()
        dt = (time.perf_counter() - t) * 1000
        assert resp.status == 200, (resp.status, body[:300])
        doc = json.loads(body)
        if i >= 20 and doc["partial"]:
            partial.append(",".join(doc["unavailable"]))
        if i >= 20:  # warm-up: prepared statements, caches
            lat.append(dt)
            ids.append(rid)
    conn.close()
    if partial:
        print("    %d of %d answers were partial (unavailable: %s)"
              % (len(partial), n, ", ".join(sorted(set(partial)))))
    return lat, ids


def sql_per_request(data_dir, ids):
    """Statements each request sent, summed over the services' log lines."""
    want = set(ids)
    per = {}
    line_re = re.compile(r'(\w[\w-]*\.dashboard) -> \w+ in (\d+) us, (\d+) sql')
    rid_re = re.compile(r'"request_id":\s*"([^"]+)"')
    logs = os.path.join(data_dir, "log")
    for name in os.listdir(logs):
        with open(os.path.join(logs, name), errors="replace") as f:
            for line in f:
                m = line_re.search(line)
                r = rid_re.search(line)
                if m and r and r.group(1) in want:
                    per.setdefault(r.group(1), {})[m.group(1)] = (int(m.group(3)),
                                                                  int(m.group(2)))
    return per


def main():
    clients = int(os.environ.get("BENCH_DASH_CLIENTS", "500"))
    docs = int(os.environ.get("BENCH_DASH_DOCS", "100000"))
    events = int(os.environ.get("BENCH_DASH_EVENTS", "1000000"))
    n = int(os.environ.get("BENCH_DASH_N", "300"))
    stack = Stack.start({"ATRIUM_LOG_LEVEL": "debug"})
    try:
        url, db = stack.url, Db(stack.data_dir)
        owner = Client(url)
        r = owner.signup(firm_name="Dashboard Bench LLP")
        assert r.status == 201, r
        firm, owner_id = r.json()["firm"]["id"], r.json()["user"]["id"]
        cid = owner.post("/api/v1/clients", {"name": "Bench client 0"}).json()["id"]
        inv = owner.post("/api/v1/invitations", {"email": "dash-bench-client@example.test",
                                                 "kind": "client", "role": "member",
                                                 "client_id": cid}).json()
        member = Client(url)
        r = member.post("/api/v1/invitations/%s/accept" % inv["token"],
                        {"name": "Bench Member", "password": PW})
        assert r.status == 200, r
        t0 = time.time()
        fill(db, firm, owner_id, clients, docs)
        fill_audit(db, firm, events)
        print("dashboard bench: filled %d clients, %d documents, %d audit events in %.1f s"
              % (clients + 1, docs, events, time.time() - t0))
        # a second login each: "new since last login" has something to count from
        again = Client(url)
        assert again.login(owner.email, owner.password).status == 200
        member2 = Client(url)
        assert member2.login("dash-bench-client@example.test", PW).status == 200
        assert wait_until(lambda: again.get("/api/v1/dashboard").status == 200, timeout=20)
        for who, c in (("owner, 500 clients", again), ("client user, 1 client", member2)):
            lat, ids = measure(url, c, n)
            p50, p99 = pct(lat, 50), pct(lat, 99)
            time.sleep(0.5)  # the services' log lines are written
            per = sql_per_request(stack.data_dir, ids)
            totals = [sum(s for s, _ in v.values()) for v in per.values() if len(v) == 6]
            worst = max(totals) if totals else -1
            print("GET /api/v1/dashboard as %-22s p50 %6.2f ms  p99 %6.2f ms  (target p99 < 25 ms:"
                  " %.2fx of it)  SQL statements per request: max %d, of %d requests counted"
                  " (target <= 5)" % (who, p50, p99, p99 / 25.0, worst, len(totals)))
            if per:
                svc = sorted({k for v in per.values() for k in v})
                print("    per service (statements, p50 / p99 of its handler in ms): " + ", ".join(
                    "%s %d, %.2f / %.2f" % (k, max(v[k][0] for v in per.values() if k in v),
                                            pct([v[k][1] / 1000 for v in per.values() if k in v], 50),
                                            pct([v[k][1] / 1000 for v in per.values() if k in v], 99))
                    for k in svc))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
