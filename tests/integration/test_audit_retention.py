"""Audit retention end to end, on a stack of its own with a retention period
of 3 s (ATRIUM_AUDIT_RETENTION_S) checked every second: the events up to a
checkpoint older than the period move to audit.events_archive; the listing
no longer shows them; GET /api/v1/audit/verify starts from that signed
checkpoint, reports archived_up_to and is ok; the move is the only delete the
append-only trigger allows; an export that starts after seq 1 verifies
offline with the checkpoint it starts from and not without it; deleting the
oldest live event is still named by verify."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN_DIR, Client, Stack, wait_until  # noqa: E402
from test_audit_integrity import Db  # noqa: E402


class AuditRetention(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start({"ATRIUM_AUDIT_RETENTION_S": "3",
                                 "ATRIUM_AUDIT_RETENTION_EVERY_S": "1",
                                 "ATRIUM_AUDIT_CHECKPOINT_S": "3600"})
        cls.db = Db(cls.stack.data_dir)
        time.sleep(3)  # past the checkpoint round at start: from now on only on demand

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def items(self, c):
        out, cursor = [], None
        while True:
            r = c.get("/api/v1/audit?limit=200" + ("&cursor=" + cursor if cursor else ""))
            self.assertEqual(r.status, 200, r)
            out += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return out

    def clients(self, c, n, prefix):
        for i in range(n):
            r = c.post("/api/v1/clients", {"name": "%s %d" % (prefix, i)})
            self.assertEqual(r.status, 201, r)

    def verify(self, c):
        r = c.get("/api/v1/audit/verify")
        self.assertEqual(r.status, 200, r)
        return r.json()

    def atriumctl(self, *args):
        return subprocess.run([os.path.join(BIN_DIR, "atriumctl"), "audit", "verify"] + list(args),
                              capture_output=True, text=True, timeout=60)

    def test_retention_archives_up_to_an_old_checkpoint(self):
        c = Client(self.stack.url)
        r = c.signup()
        self.assertEqual(r.status, 201, r)
        firm = r.json()["firm"]["id"]
        self.clients(c, 3, "Old")
        self.assertTrue(wait_until(lambda: len(self.items(c)) >= 5, timeout=20))
        cp = c.post("/api/v1/audit/checkpoints")
        self.assertEqual(cp.status, 201, cp)
        upto = cp.json()["seq"]
        self.clients(c, 2, "New")
        # the checkpoint grows older than 3 s; the next round archives up to it
        archived = wait_until(lambda: self.items(c)[-1]["seq"] > 1, timeout=30)
        self.assertTrue(archived, "retention did not archive within 30 s")
        self.assertTrue(wait_until(lambda: len(self.items(c)) >= 2, timeout=20))
        live = self.items(c)
        self.assertEqual(live[-1]["seq"], upto + 1)  # the listing starts after the archive
        self.assertEqual([i["seq"] for i in live], list(range(live[0]["seq"], upto, -1)))
        self.assertEqual(int(self.db.sql("SELECT count(*) FROM audit.events_archive WHERE"
                                         " firm_id = '%s'" % firm)), upto)
        self.assertEqual(self.db.sql("SELECT min(seq) || ' ' || max(seq) FROM"
                                     " audit.events_archive WHERE firm_id = '%s'" % firm),
                         "1 %d" % upto)
        v = self.verify(c)
        self.assertTrue(v["ok"], v)
        self.assertEqual(v["archived_up_to"], upto)
        self.assertEqual(v["events"], len(live))
        self.assertEqual(v["head_hash"], live[0]["hash"])

        # the move is the only delete allowed: by hand it is refused, on
        # either table
        for table in ("events", "events_archive"):
            with self.assertRaises(RuntimeError) as e:
                self.db.sql("DELETE FROM audit.%s WHERE firm_id = '%s'" % (table, firm))
            self.assertIn("append-only", str(e.exception))

        # offline: the export starts after the archive and verifies from the
        # checkpoint it starts at, and not without it
        later = c.post("/api/v1/audit/checkpoints")  # a later one, archived up to in 3 s
        self.assertIn(later.status, (200, 201), later)
        later = later.json()["seq"]
        r = c.get("/api/v1/audit/export?format=jsonl")
        self.assertEqual(r.status, 200, r)
        lines = r.body.decode("utf-8").splitlines()
        self.assertEqual(json.loads(lines[0])["seq"], upto + 1)
        cps = c.get("/api/v1/audit/checkpoints?limit=200")
        pk = cps.json()["public_key"]
        with tempfile.TemporaryDirectory() as d:
            trail, cpf = os.path.join(d, "trail.jsonl"), os.path.join(d, "cp.json")
            with open(trail, "wb") as f:
                f.write(r.body)
            with open(cpf, "wb") as f:
                f.write(cps.body)
            out = self.atriumctl(trail, "--public-key", pk, "--checkpoints", cpf)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertIn("seq %d to" % (upto + 1), out.stdout)
            out = self.atriumctl(trail)
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertIn("no signed checkpoint", out.stdout)
            # the checkpoints in two files (as two pages would be): the same;
            # without the one at the start: refused
            items = cps.json()["items"]
            start = [x for x in items if x["seq"] == upto]
            rest = [x for x in items if x["seq"] != upto]
            self.assertEqual(len(start), 1, items)
            f1, f2 = os.path.join(d, "cp1.json"), os.path.join(d, "cp2.json")
            with open(f1, "w") as f:
                json.dump({"items": start}, f)
            with open(f2, "w") as f:
                json.dump(rest, f)
            out = self.atriumctl(trail, "--public-key", pk, "--checkpoints", f2, "--checkpoints", f1)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertTrue(rest, items)
            out = self.atriumctl(trail, "--public-key", pk, "--checkpoints", f2)
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertIn("no signed checkpoint", out.stdout)

        # the oldest live event deleted behind the service's back: named
        # (once retention has moved up to the later checkpoint, so the
        # next round cannot move the gap away)
        self.assertTrue(wait_until(lambda: self.verify(c).get("archived_up_to") == later,
                                   timeout=20))
        self.assertTrue(wait_until(lambda: self.items(c) and self.items(c)[-1]["seq"] == later + 1,
                                   timeout=20))
        upto = later
        self.db.sql("BEGIN; ALTER TABLE audit.events DISABLE TRIGGER events_no_update_delete;"
                    " DELETE FROM audit.events WHERE firm_id = '%s' AND seq = %d;"
                    " ALTER TABLE audit.events ENABLE TRIGGER events_no_update_delete; COMMIT;"
                    % (firm, upto + 1))
        v = self.verify(c)
        self.assertFalse(v["ok"], v)
        self.assertEqual(v["first_bad_seq"], upto + 1, v)

    def test_no_retention_without_an_old_checkpoint(self):
        c = Client(self.stack.url)
        self.assertEqual(c.signup().status, 201)
        self.clients(c, 1, "Kept")
        self.assertTrue(wait_until(lambda: len(self.items(c)) >= 3, timeout=20))
        time.sleep(5)  # older than the period, but no checkpoint vouches for it
        self.assertEqual(self.items(c)[-1]["seq"], 1)
        v = self.verify(c)
        self.assertTrue(v["ok"], v)
        self.assertIsNone(v.get("archived_up_to"), v)


if __name__ == "__main__":
    unittest.main()
