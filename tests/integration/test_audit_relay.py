"""Two relaying instances of one service, on a stack of its own: a second
atrium-tasks (the running one's environment, so the same schema, bus and
database) runs beside the first while 200 tasks are created through the API.
Both serve requests and both run an outbox relay, but the session advisory
lock lets only one relay the schema at a time, also when the relaying
session is killed half-way and the lock changes hands: every task.created event is
in the trail exactly once, in the order the tasks were created, the firm's
seq has no gap, and GET /api/v1/audit/verify is ok. And audit.ingest
itself, sent batches with an event twice in one batch and again in the next
(bench-audit-driver redeliver), stores each event once, gap-free."""
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN_DIR, Client, Stack, wait_until  # noqa: E402
from common_tm import new_firm  # noqa: E402
from test_audit_integrity import Db  # noqa: E402


class AuditRelay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start()
        cls.db = Db(cls.stack.data_dir)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def spawn_second(self, comm):
        pids = self.stack.pids(comm)
        self.assertEqual(len(pids), 1, pids)
        with open("/proc/%d/environ" % pids[0], "rb") as f:
            env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
        log = open(os.path.join(self.stack.data_dir, "log", comm + "-second.log"), "ab")
        p = subprocess.Popen([os.path.join(BIN_DIR, comm)], env=env, stdout=log, stderr=log,
                             cwd=self.stack.data_dir)
        log.close()
        self.addCleanup(self.end, p)
        return p

    def end(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def relay_locks(self):
        """Sessions holding an advisory lock: the relays that own a schema."""
        return int(self.db.sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                               " AND granted"))

    def tasks_relay_backends(self):
        """Backends holding the tasks relay's lock (hashtext('atrium.outbox.tasks')
        as a bigint key: classid is its high half, objid its low half)."""
        out = self.db.sql("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND"
                          " ((classid::bigint << 32) | objid::bigint)"
                          " = hashtext('atrium.outbox.tasks')::bigint")
        return [int(x) for x in out.split()]

    def items(self, c, query=""):
        out, cursor = [], None
        while True:
            r = c.get("/api/v1/audit?limit=200" + query + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            out += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return out

    def test_two_relays_no_duplicate_no_reorder(self):
        owner, client_id = new_firm(self.stack.url)
        locks_before = self.relay_locks()
        second = self.spawn_second("atrium-tasks")
        # the second instance is up: its workers joined the bus, its relay
        # waits for the lock (the count of lock holders does not change)
        self.assertTrue(wait_until(lambda: self.stack.pids("atrium-tasks") and
                                   len(self.stack.pids("atrium-tasks")) == 2, timeout=20))
        time.sleep(2)
        self.assertIsNone(second.poll(), "the second atrium-tasks exited")
        self.assertEqual(self.relay_locks(), locks_before)

        created = []
        for i in range(200):
            r = owner.post("/api/v1/clients/%s/tasks" % client_id, {"title": "Relay %03d" % i})
            self.assertEqual(r.status, 201, r)
            created.append(r.json()["id"])
            if i == 100:
                # the second is still running and still not relaying too
                self.assertIsNone(second.poll(), "the second atrium-tasks exited")
                self.assertEqual(self.relay_locks(), locks_before)
                # the relaying session dies mid-run: its instance reconnects
                # without the lock, and one of the two takes it over
                holders = self.tasks_relay_backends()
                self.assertEqual(len(holders), 1, holders)
                self.db.sql("SELECT pg_terminate_backend(%d)" % holders[0])
        self.assertIsNone(second.poll(), "the second atrium-tasks exited")
        self.assertTrue(wait_until(lambda: len(self.tasks_relay_backends()) == 1, timeout=20))

        def arrived():
            got = self.items(owner, "&action=task.created")
            return got if len(got) >= 200 else None
        got = wait_until(arrived, timeout=60, interval=1)
        self.assertTrue(got, "not all 200 task.created events arrived")
        time.sleep(2)  # a duplicate would arrive after the originals
        got = self.items(owner, "&action=task.created")
        ids = [i["resource"]["id"] for i in reversed(got)]  # oldest first
        self.assertEqual(len(ids), 200)
        self.assertEqual(len(set(i["event_id"] for i in got)), 200)
        self.assertEqual(ids, created)  # each once, in creation order
        every = self.items(owner)
        self.assertEqual([i["seq"] for i in every], list(range(len(every), 0, -1)))
        v = owner.get("/api/v1/audit/verify")
        self.assertEqual(v.status, 200, v)
        self.assertTrue(v.json()["ok"], v.json())
        self.assertEqual(v.json()["events"], len(every))


    def test_ingest_ignores_redeliveries(self):
        owner = Client(self.stack.url)
        r = owner.signup()
        self.assertEqual(r.status, 201, r)
        firm = r.json()["firm"]["id"]
        pid = self.stack.pids("atrium-audit")[0]
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
        out = subprocess.run([os.path.join(BIN_DIR, "bench-audit-driver"), "redeliver",
                              env[b"ATRIUM_BUS_ENDPOINT"].decode(), firm],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ["2", "1"])
        got = self.items(owner, "&action=bench.redelivered")
        self.assertEqual(len(got), 3)
        self.assertEqual(len(set(i["event_id"] for i in got)), 3)
        every = self.items(owner)
        self.assertEqual([i["seq"] for i in every], list(range(len(every), 0, -1)))
        v = owner.get("/api/v1/audit/verify").json()
        self.assertTrue(v["ok"], v)


if __name__ == "__main__":
    unittest.main()
