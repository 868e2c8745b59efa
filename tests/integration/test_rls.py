"""PostgreSQL row-level security backs every service's own tenancy checks:
each table with a firm_id has a forced policy, a session sees only the firm
set in atrium.firm_id (nothing when unset), and cannot write another firm's
rows. Checked on the stack's private cluster as the services' own roles."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402

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


if __name__ == "__main__":
    unittest.main()
