"""PostgreSQL row-level security backs every service's own tenancy checks:
each table with a firm_id has a forced policy, a session sees only the firm
set in atrium.firm_id (nothing when unset), and cannot write another firm's
rows. Checked on the stack's private cluster as the services' own roles."""
import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack, wait_until  # noqa: E402

SCHEMAS = ("auth", "document", "tasks", "messaging", "billing", "audit")


class Psql:
    def __init__(self, data_dir):
        with open(os.path.join(data_dir, "pg", "atrium.conf")) as f:
            self.port = re.search(r"^port = (\d+)", f.read(), re.M).group(1)
        self.host = os.path.join(data_dir, "run", "pg")

    def run(self, role, text, check=True):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.host,
                              "-p", self.port, "-U", role, "-d", "atrium"],
                             input=text, capture_output=True, text=True, timeout=30)
        if check and out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out


class RowLevelSecurity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        if not cls.stack.data_dir:
            raise unittest.SkipTest("needs the stack's data folder (ATRIUM_TEST_DATA)")
        cls.db = Psql(cls.stack.data_dir)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_every_tenant_table_has_a_forced_policy(self):
        rows = self.db.run("postgres", """
            SELECT n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid
                           AND p.polname = 'atrium_tenant')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'firm_id'
             AND NOT a.attisdropped
            WHERE n.nspname IN ('auth','document','tasks','messaging','billing','audit')
              AND c.relkind IN ('r','p') ORDER BY 1""").stdout.split()
        self.assertGreater(len(rows), 20)
        for row in rows:
            name, rls, force, policy = row.split("|")
            self.assertEqual((rls, force, policy), ("t", "t", "t"), name)

    def test_a_session_sees_only_its_firm(self):
        a, b = Client(self.stack.url), Client(self.stack.url)
        self.assertEqual(a.signup().status, 201)
        self.assertEqual(b.signup().status, 201)
        ca = a.post("/api/v1/clients", {"name": "A"}).json()["id"]
        cb = b.post("/api/v1/clients", {"name": "B"}).json()["id"]
        ta = a.post("/api/v1/clients/%s/tasks" % ca, {"title": "a's"}).json()["id"]
        tb = b.post("/api/v1/clients/%s/tasks" % cb, {"title": "b's"}).json()["id"]
        firm_a = a.user["firm_id"]
        firm_b = b.user["firm_id"]
        # unset: nothing at all, even for the table's owner
        self.assertEqual(self.db.run("atrium_tasks", "SELECT count(*) FROM tasks.tasks").stdout.strip(), "0")
        seen = self.db.run("atrium_tasks", """
            SELECT set_config('atrium.firm_id', '%s', false) \\g /dev/null
            SELECT id FROM tasks.tasks""" % firm_a).stdout.split()
        self.assertIn(ta, seen)
        self.assertNotIn(tb, seen)
        # a write into another firm is refused by the policy
        out = self.db.run("atrium_tasks", """
            SELECT set_config('atrium.firm_id', '%s', false) \\g /dev/null
            UPDATE tasks.tasks SET firm_id = '%s' WHERE id = '%s'""" % (firm_a, firm_b, ta), check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("row-level security", out.stderr)
        # and another firm's row is simply not there to change
        out = self.db.run("atrium_tasks", """
            SELECT set_config('atrium.firm_id', '%s', false) \\g /dev/null
            DELETE FROM tasks.tasks WHERE id = '%s'""" % (firm_a, tb))
        self.assertEqual(b.get("/api/v1/tasks/" + tb).status, 200)
        # the same holds in another service's schema
        self.assertEqual(self.db.run("atrium_auth", "SELECT count(*) FROM auth.clients").stdout.strip(), "0")



class SearchUnderPolicy(unittest.TestCase):
    """Every service's search matches with @@ (ts_match_vq) on a table under
    the tenancy policy; unless it is leakproof PostgreSQL applies it after
    the policy, row by row, and never through the GIN index."""

    def test_ts_match_is_leakproof(self):
        stack = Stack.from_env()
        if not stack.data_dir:
            raise unittest.SkipTest("needs the stack's data folder")
        out = Psql(stack.data_dir).run(
            "postgres", "SELECT proleakproof FROM pg_proc"
            " WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure")
        self.assertEqual(out.stdout.strip(), "t")


POLICIES = ("SELECT count(*) FILTER (WHERE pg_get_expr(polqual, polrelid) ILIKE '%nullif%')"
            " || '/' || count(*) FROM pg_policy WHERE polname = 'atrium_tenant'")


class PolicyForm(unittest.TestCase):
    """The policy compares firm_id with the setting cast to uuid, which the
    planner can estimate (the older firm_id::text form sent a 100,000-row
    document list through a sequential scan: 740 ms instead of 1.6 ms). A
    policy of the older form, as a deployment from before has it, is
    replaced when the service starts. Starts its own stack (kills a
    service)."""

    def test_old_policy_form_replaced_at_start(self):
        stack = Stack.start()
        try:
            db = Psql(stack.data_dir)
            n = db.run("postgres", POLICIES).stdout.strip()
            done, total = n.split("/")
            self.assertGreater(int(total), 30)
            self.assertEqual(done, total)
            db.run("postgres", "ALTER POLICY atrium_tenant ON document.versions USING"
                   " (current_setting('atrium.firm_id', true) IN ('*', firm_id::text))")
            self.assertEqual(db.run("postgres", POLICIES).stdout.strip(),
                             "%d/%s" % (int(total) - 1, total))
            for pid in stack.pids("atrium-document"):
                os.kill(pid, signal.SIGKILL)
            self.assertTrue(wait_until(
                lambda: db.run("postgres", POLICIES).stdout.strip() == n, timeout=60))
            # and the list through the new policy still sees its own firm only
            c = Client(stack.url)
            self.assertEqual(c.signup().status, 201)
            cid = c.post("/api/v1/clients", {"name": "P"}).json()["id"]
            self.assertTrue(wait_until(lambda: c.post(
                "/api/v1/clients/%s/documents?name=a.txt" % cid, data=b"a",
                headers={"Content-Type": "text/plain"}).status == 201, timeout=30))
            items = c.get("/api/v1/clients/%s/documents" % cid).json()["items"]
            self.assertEqual([d["name"] for d in items], ["a.txt"])
        finally:
            stack.stop()

if __name__ == "__main__":
    unittest.main()
