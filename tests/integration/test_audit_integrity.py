"""Audit trail integrity end to end, on a stack of its own (it edits the
database behind the services' back and stops the audit service): signed
checkpoints (periodic and on demand) verify with an independent Ed25519
implementation; GET /api/v1/audit/verify names the seq of an event edited
in PostgreSQL and reports newest events deleted against the last
checkpoint; the CSV export neutralises formula-like cells; atriumctl audit
verify accepts an untouched JSONL export and rejects an edited or cut one;
with the audit service stopped (SIGSTOP) while 200 operations are made,
all 200 events arrive exactly once after it resumes."""
import csv
import io
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN_DIR, Client, Stack, wait_until  # noqa: E402

try:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # the signature check needs it; the rest does not
    Ed25519PublicKey = None


def _field(s):
    b = s.encode("utf-8")
    return struct.pack(">I", len(b)) + b


def checkpoint_message(cp):
    """audit_chain.h, "atrium.audit.checkpoint.v1", from its text."""
    return b"".join(_field(x) for x in ("atrium.audit.checkpoint.v1", cp["firm_id"],
                                        str(cp["seq"]), cp["head_hash"], cp["at"]))


class Db:
    """psql as the cluster's superuser on the stack's private PostgreSQL."""

    def __init__(self, data_dir):
        with open(os.path.join(data_dir, "pg", "atrium.conf")) as f:
            self.port = re.search(r"^port = (\d+)", f.read(), re.M).group(1)
        self.host = os.path.join(data_dir, "run", "pg")

    def sql(self, text):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.host,
                              "-p", self.port, "-U", "postgres", "-d", "atrium"],
                             input=text, capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out.stdout.strip()

    def tamper(self, statement):
        """Runs statement on audit.events with the append-only triggers off
        (what an owner of the table could do), then puts them back."""
        self.sql("BEGIN; ALTER TABLE audit.events DISABLE TRIGGER events_no_update_delete; "
                 + statement + "; ALTER TABLE audit.events ENABLE TRIGGER events_no_update_delete;"
                 " COMMIT;")


class AuditIntegrity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.start({"ATRIUM_AUDIT_CHECKPOINT_S": "2"})
        cls.db = Db(cls.stack.data_dir)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def firm(self, clients=2, name="Owner", client_name=None):
        """A new firm with `clients` clients whose events have all arrived."""
        c = Client(self.stack.url)
        r = c.signup(name=name)
        self.assertEqual(r.status, 201, r)
        c.firm_id = r.json()["firm"]["id"]
        for i in range(clients):
            r = c.post("/api/v1/clients", {"name": client_name or "Client %d" % i})
            self.assertEqual(r.status, 201, r)
        want = 2 + clients  # firm.created, auth.login, client.created...
        got = wait_until(lambda: len(self.items(c)) >= want, timeout=20)
        self.assertTrue(got, "events did not arrive")
        return c

    def items(self, c, query=""):
        out, cursor = [], None
        while True:
            r = c.get("/api/v1/audit?limit=200" + query + ("&cursor=" + cursor if cursor else ""))
            if r.status != 200:
                return []
            out += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return out

    def verify(self, c):
        r = c.get("/api/v1/audit/verify")
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_checkpoints_signed_periodically_and_verifiable(self):
        c = self.firm()
        r = wait_until(lambda: (lambda r: r.json()["items"] and r)(c.get("/api/v1/audit/checkpoints")),
                       timeout=15)
        self.assertTrue(r, "no periodic checkpoint within 15 s (ATRIUM_AUDIT_CHECKPOINT_S=2)")
        j = r.json()
        self.assertRegex(j["public_key"], r"^[0-9a-f]{64}$")
        self.assertIn(j["key_id"], [k["key_id"] for k in j["keys"]])
        cp = j["items"][0]
        self.assertEqual(cp["firm_id"], c.firm_id)
        self.assertRegex(cp["signature"], r"^[0-9a-f]{128}$")
        head = self.items(c)[0]
        self.assertLessEqual(cp["seq"], head["seq"])
        if Ed25519PublicKey:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(j["public_key"]))
            key.verify(bytes.fromhex(cp["signature"]), checkpoint_message(cp))  # raises if bad
        # on demand: 201 a new one, or 200 the one that signs this head already
        r = c.post("/api/v1/audit/checkpoints")
        self.assertIn(r.status, (200, 201), r)
        self.assertEqual(r.json()["seq"], head["seq"])
        self.assertEqual(r.json()["head_hash"], head["hash"])
        v = self.verify(c)
        self.assertEqual((v["ok"], v["checkpoints_ok"], v["first_bad_seq"]), (True, True, None), v)
        self.assertEqual(v["events"], head["seq"])
        self.assertEqual(v["head_hash"], head["hash"])
        self.assertGreaterEqual(v["checkpoints"], 1)

    def test_only_owners_and_admins(self):
        c = self.firm(clients=0)
        anon = Client(self.stack.url)
        self.assertEqual(anon.get("/api/v1/audit/verify").status, 401)
        self.assertEqual(anon.get("/api/v1/audit/export?format=csv").status, 401)
        other = self.firm(clients=0)
        # another firm's owner verifies its own trail, never ours
        self.assertEqual(self.verify(other)["events"], len(self.items(other)))
        self.assertEqual(c.get("/api/v1/audit/export?format=xml").status, 400)

    def test_edited_event_is_named(self):
        c = self.firm(clients=3)
        self.assertTrue(self.verify(c)["ok"])
        self.db.tamper("UPDATE audit.events SET actor_name = 'Mallory'"
                       " WHERE firm_id = '%s' AND seq = 3" % c.firm_id)
        v = self.verify(c)
        self.assertFalse(v["ok"], v)
        self.assertEqual(v["first_bad_seq"], 3, v)
        self.assertIn("seq 3", v["problem"])

    def test_deleted_newest_events_reported_against_checkpoint(self):
        c = self.firm(clients=3)
        head = self.items(c)[0]["seq"]
        r = c.post("/api/v1/audit/checkpoints")
        self.assertIn(r.status, (200, 201), r)
        self.assertEqual(r.json()["seq"], head)
        # the newest two go, and the head row is wound back to match: only
        # the signed checkpoint still knows
        self.db.tamper("DELETE FROM audit.events WHERE firm_id = '%s' AND seq > %d"
                       % (c.firm_id, head - 2))
        self.db.sql("UPDATE audit.firm_heads SET last_seq = %d, last_hash = (SELECT hash FROM"
                    " audit.events WHERE firm_id = '%s' AND seq = %d) WHERE firm_id = '%s'"
                    % (head - 2, c.firm_id, head - 2, c.firm_id))
        v = self.verify(c)
        self.assertFalse(v["ok"], v)
        self.assertFalse(v["checkpoints_ok"], v)
        self.assertEqual(v["events"], head - 2)
        self.assertEqual(v["first_bad_seq"], head - 1, v)
        self.assertEqual(v["last_checkpoint_seq"], head)
        self.assertIn("removed", v["problem"])

    def test_csv_export_neutralises_formulas(self):
        c = self.firm(clients=1, name="=1+2", client_name="=1+2")
        r = c.post("/api/v1/clients", {"name": "@SUM(A1)"}, headers={"User-Agent": "-2+3"})
        self.assertEqual(r.status, 201, r)
        self.assertTrue(wait_until(lambda: len(self.items(c)) >= 4, timeout=20))
        r = c.get("/api/v1/audit/export?format=csv")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        self.assertIn("attachment", r.header("Content-Disposition"))
        text = r.body.decode("utf-8")
        self.assertIn("\r\n", text)
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        self.assertEqual([int(x["seq"]) for x in rows], list(range(1, len(rows) + 1)))
        for row in rows:
            for k, cell in row.items():
                self.assertFalse(cell[:1] in ("=", "+", "-", "@", "\t", "\r"), (k, cell))
        self.assertTrue(all(x["actor_name"] == "'=1+2" for x in rows), rows)
        self.assertIn("'-2+3", [x["user_agent"] for x in rows])
        names = [json.loads(x["details"]).get("name") for x in rows if x["action"] == "client.created"]
        self.assertEqual(names, ["=1+2", "@SUM(A1)"])
        # filters apply; the export itself is on the record
        r = c.get("/api/v1/audit/export?format=csv&action=client.created")
        self.assertEqual(len(list(csv.DictReader(io.StringIO(r.body.decode(), newline="")))), 2)
        self.assertTrue(wait_until(lambda: self.items(c, "&action=audit.exported"), timeout=20))
        ex = self.items(c, "&action=audit.exported")[-1]
        self.assertEqual(ex["details"]["format"], "csv")

    def atriumctl(self, *args):
        return subprocess.run([os.path.join(BIN_DIR, "atriumctl"), "audit", "verify"] + list(args),
                              capture_output=True, text=True, timeout=60)

    def test_offline_verifier(self):
        c = self.firm(clients=3)
        self.assertIn(c.post("/api/v1/audit/checkpoints").status, (200, 201))
        r = c.get("/api/v1/audit/export?format=jsonl")
        self.assertEqual(r.status, 200, r)
        lines = r.body.decode("utf-8").splitlines()
        self.assertEqual([json.loads(x)["seq"] for x in lines], list(range(1, len(lines) + 1)))
        first = json.loads(lines[0])
        self.assertEqual(set(first), {"seq", "at", "event_id", "firm_id", "actor_id", "actor_name",
                                      "actor_kind", "action", "resource_type", "resource_id",
                                      "client_id", "ip", "user_agent", "request_id", "source",
                                      "details", "hash"})
        cps = c.get("/api/v1/audit/checkpoints")
        pk = cps.json()["public_key"]
        with tempfile.TemporaryDirectory() as d:
            good, cpf = os.path.join(d, "trail.jsonl"), os.path.join(d, "cp.json")
            with open(good, "wb") as f:
                f.write(r.body)
            with open(cpf, "wb") as f:
                f.write(cps.body)
            out = self.atriumctl(good, "--public-key", pk, "--checkpoints", cpf)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertTrue(out.stdout.startswith("ok:"), out.stdout)
            # one field of seq 2 edited
            ev = json.loads(lines[1])
            ev["actor_name"] = "Someone Else"
            edited = os.path.join(d, "edited.jsonl")
            with open(edited, "w") as f:
                f.write("\n".join([lines[0], json.dumps(ev)] + lines[2:]) + "\n")
            out = self.atriumctl(edited)
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertIn("seq 2", out.stdout)
            # the newest event cut off: only the checkpoint can tell
            cut = os.path.join(d, "cut.jsonl")
            with open(cut, "w") as f:
                f.write("\n".join(lines[:-1]) + "\n")
            self.assertEqual(self.atriumctl(cut).returncode, 0)
            out = self.atriumctl(cut, "--public-key", pk, "--checkpoints", cpf)
            self.assertEqual(out.returncode, 1, out.stdout)
            self.assertIn("removed", out.stdout)
            # a key the auditor does not trust fails the checkpoints
            out = self.atriumctl(good, "--public-key", "11" * 32, "--checkpoints", cpf)
            self.assertEqual(out.returncode, 1, out.stdout)

    def test_audit_stopped_200_operations_arrive_once(self):
        c = self.firm(clients=0)
        pids = self.stack.pids("atrium-audit")
        self.assertTrue(pids, "no audit service process")
        created = []
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            t0 = time.time()
            for i in range(200):
                r = c.post("/api/v1/clients", {"name": "Stopped %03d" % i})
                self.assertEqual(r.status, 201, r)  # the portal keeps working
                created.append(r.json()["id"])
            while time.time() - t0 < 5:
                time.sleep(0.2)
            # nothing can have arrived meanwhile
            self.assertEqual(c.get("/api/v1/audit?action=client.created").status, 503)
        finally:
            for pid in pids:
                os.kill(pid, signal.SIGCONT)

        def arrived():
            got = self.items(c, "&action=client.created")
            return got if len(got) >= 200 else None
        got = wait_until(arrived, timeout=90, interval=1)
        self.assertTrue(got, "not all 200 events arrived within 90 s of resuming")
        ids = [i["resource"]["id"] for i in got]
        self.assertEqual(len(ids), 200)
        self.assertEqual(sorted(ids), sorted(created))  # each once, none lost
        every = self.items(c)
        self.assertEqual([i["seq"] for i in every], list(range(len(every), 0, -1)))
        self.assertTrue(self.verify(c)["ok"])


if __name__ == "__main__":
    unittest.main()
