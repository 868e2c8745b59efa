"""Tasks over HTTP: create, list with filters and keyset paging, get,
PATCH, complete, delete; tenancy (another firm sees 404) and validation
(400 validation_failed with the error envelope)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Client, Stack  # noqa: E402
from common_tm import assert_error, invite, new_client, new_firm  # noqa: E402

TASK_FIELDS = {"id", "title", "description", "status", "assignee_ids", "start_at", "due_at",
               "completed_at", "priority", "labels", "project_id", "client_id", "created_by",
               "created_at", "updated_at"}


class Tasks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.owner, cls.client_id = new_firm(cls.stack.url)
        cls.me = cls.owner.get("/api/v1/me").json()["user"]["id"]

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def create(self, client_id=None, **body):
        body.setdefault("title", "File the return")
        return self.owner.post("/api/v1/clients/%s/tasks" % (client_id or self.client_id), body)

    def test_create_get_list_complete(self):
        r = self.create(title="Grüße — 東京: send Q4 statements", description="all of them",
                        due_at="2026-12-01T10:00:00+01:00", priority="high",
                        labels=["tax", "q4", "tax"], assignee_ids=[self.me])
        self.assertEqual(r.status, 201, r)
        t = r.json()
        self.assertEqual(set(t), TASK_FIELDS)
        self.assertEqual(t["title"], "Grüße — 東京: send Q4 statements")
        self.assertEqual(t["status"], "open")
        self.assertEqual(t["priority"], "high")
        self.assertEqual(t["labels"], ["tax", "q4"])
        self.assertEqual(t["assignee_ids"], [self.me])
        self.assertEqual(t["due_at"], "2026-12-01T09:00:00.000Z")
        self.assertIsNone(t["completed_at"])
        self.assertIsNone(t["start_at"])
        self.assertIsNone(t["project_id"])
        self.assertEqual(t["client_id"], self.client_id)
        self.assertEqual(t["created_by"], self.me)

        g = self.owner.get("/api/v1/tasks/" + t["id"])
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json(), t)

        lst = self.owner.get("/api/v1/clients/%s/tasks?assignee=me" % self.client_id)
        self.assertEqual(lst.status, 200, lst)
        self.assertIn(t["id"], [i["id"] for i in lst.json()["items"]])
        self.assertIn("next_cursor", lst.json())

        c = self.owner.post("/api/v1/tasks/%s/complete" % t["id"])
        self.assertEqual(c.status, 200, c)
        done = c.json()
        self.assertEqual(done["status"], "done")
        self.assertTrue(done["completed_at"].endswith("Z"))
        # completing again changes nothing
        again = self.owner.post("/api/v1/tasks/%s/complete" % t["id"])
        self.assertEqual(again.status, 200, again)
        self.assertEqual(again.json()["completed_at"], done["completed_at"])

        by_status = self.owner.get("/api/v1/clients/%s/tasks?status=done" % self.client_id)
        self.assertEqual([i["status"] for i in by_status.json()["items"]],
                         ["done"] * len(by_status.json()["items"]))
        self.assertIn(t["id"], [i["id"] for i in by_status.json()["items"]])

    def test_paging_newest_first_without_gaps(self):
        cid = new_client(self.owner)
        made = []
        for i in range(7):
            r = self.create(client_id=cid, title="task %d" % i)
            self.assertEqual(r.status, 201, r)
            made.append(r.json()["id"])
        seen, cursor, pages = [], None, 0
        while True:
            path = "/api/v1/clients/%s/tasks?limit=3" % cid
            if cursor:
                path += "&cursor=" + cursor
            r = self.owner.get(path)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            pages += 1
            self.assertLessEqual(len(page["items"]), 3)
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if pages == 1:
                # an insert while paging makes nothing appear twice or vanish
                self.assertEqual(self.create(client_id=cid, title="late").status, 201)
            if cursor is None:
                break
            self.assertLess(pages, 5)
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(seen, list(reversed(made)))

    def test_patch_and_clear(self):
        t = self.create(labels=["a"], due_at="2026-12-01T10:00:00Z").json()
        r = self.owner.patch("/api/v1/tasks/" + t["id"],
                             {"status": "in_progress", "description": "now with notes",
                              "start_at": "2026-11-30T08:00:00Z", "priority": "urgent"})
        self.assertEqual(r.status, 200, r)
        p = r.json()
        self.assertEqual((p["status"], p["priority"], p["description"]),
                         ("in_progress", "urgent", "now with notes"))
        self.assertEqual(p["start_at"], "2026-11-30T08:00:00.000Z")
        self.assertEqual(p["title"], t["title"])
        self.assertNotEqual(p["updated_at"], t["updated_at"])
        r = self.owner.patch("/api/v1/tasks/" + t["id"],
                             {"clear": ["labels", "due_at"], "description": ""})
        self.assertEqual(r.status, 200, r)
        p = r.json()
        self.assertEqual(p["labels"], [])
        self.assertIsNone(p["due_at"])
        self.assertIsNone(p["description"])
        # a done status completes; leaving it reopens
        p = self.owner.patch("/api/v1/tasks/" + t["id"], {"status": "done"}).json()
        self.assertIsNotNone(p["completed_at"])
        p = self.owner.patch("/api/v1/tasks/" + t["id"], {"status": "open"}).json()
        self.assertIsNone(p["completed_at"])

    def test_delete(self):
        t = self.create().json()
        r = self.owner.delete("/api/v1/tasks/" + t["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        assert_error(self, self.owner.get("/api/v1/tasks/" + t["id"]), 404, "not_found")
        assert_error(self, self.owner.delete("/api/v1/tasks/" + t["id"]), 404, "not_found")

    def test_other_firm_sees_nothing(self):
        t = self.create().json()
        other, _ = new_firm(self.stack.url, name="Mallory")
        assert_error(self, other.get("/api/v1/tasks/" + t["id"]), 404, "not_found")
        assert_error(self, other.patch("/api/v1/tasks/" + t["id"], {"title": "mine"}),
                     404, "not_found")
        assert_error(self, other.post("/api/v1/tasks/%s/complete" % t["id"]), 404, "not_found")
        assert_error(self, other.delete("/api/v1/tasks/" + t["id"]), 404, "not_found")
        assert_error(self, other.get("/api/v1/clients/%s/tasks" % self.client_id),
                     404, "not_found")
        assert_error(self, other.post("/api/v1/clients/%s/tasks" % self.client_id,
                                      {"title": "x"}), 404, "not_found")
        # unchanged for its owner
        self.assertEqual(self.owner.get("/api/v1/tasks/" + t["id"]).json()["title"], t["title"])
        # a missing task and a malformed id look the same
        assert_error(self, self.owner.get("/api/v1/tasks/00000000-0000-4000-8000-000000000000"),
                     404, "not_found")
        assert_error(self, self.owner.get("/api/v1/tasks/not-a-uuid"), 404, "not_found")

    def test_validation(self):
        cases = [
            ({"title": ""}, "title"),
            ({"title": "   "}, "title"),
            ({"title": "x" * 501}, "title"),
            ({"title": "ok", "due_at": "tomorrow"}, "due_at"),
            ({"title": "ok", "due_at": "2026-02-30T10:00:00Z"}, "due_at"),
            ({"title": "ok", "start_at": "2026-12-01"}, "start_at"),
            ({"title": "ok", "start_at": "2026-12-02T00:00:00Z",
              "due_at": "2026-12-01T00:00:00Z"}, "due_at"),
            ({"title": "ok", "priority": "asap"}, "priority"),
            ({"title": "ok", "status": "closed"}, "status"),
            ({"title": "ok", "assignee_ids": ["bob"]}, "assignee_ids"),
            ({"title": "ok", "project_id": "p1"}, "project_id"),
            ({"title": 5}, "title"),
            ({"title": "ok", "labels": "tax"}, "labels"),
        ]
        for body, field in cases:
            with self.subTest(body=str(body)[:80]):
                r = self.owner.post("/api/v1/clients/%s/tasks" % self.client_id, body)
                assert_error(self, r, 400, "validation_failed", field)
        r = self.owner.post("/api/v1/clients/%s/tasks" % self.client_id, {})
        assert_error(self, r, 400, "validation_failed", "title")
        self.assertEqual(self.create(title="x" * 500).status, 201)
        t = self.create().json()
        assert_error(self, self.owner.patch("/api/v1/tasks/" + t["id"], {"due_at": "soon"}),
                     400, "validation_failed", "due_at")
        assert_error(self, self.owner.patch("/api/v1/tasks/" + t["id"], {"clear": ["title"]}),
                     400, "validation_failed", "clear")
        assert_error(self, self.owner.get("/api/v1/clients/%s/tasks?cursor=bogus"
                                          % self.client_id), 400, "validation_failed", "cursor")
        assert_error(self, self.owner.get("/api/v1/clients/%s/tasks?assignee=bob"
                                          % self.client_id), 400, "validation_failed", "assignee")

    def test_client_roles(self):
        t = self.create(title="for the client").json()
        viewer = invite(self, self.stack.url, self.owner, self.client_id, "viewer", "Vic Viewer")
        self.assertEqual(viewer.get("/api/v1/tasks/" + t["id"]).status, 200)
        assert_error(self, viewer.post("/api/v1/clients/%s/tasks" % self.client_id,
                                       {"title": "x"}), 403, "forbidden")
        assert_error(self, viewer.patch("/api/v1/tasks/" + t["id"], {"title": "x"}),
                     403, "forbidden")
        assert_error(self, viewer.post("/api/v1/tasks/%s/complete" % t["id"]), 403, "forbidden")
        member = invite(self, self.stack.url, self.owner, self.client_id, "member", "Mia Member")
        mid = member.get("/api/v1/me").json()["user"]["id"]
        assigned = self.create(title="sign the letter", assignee_ids=[mid]).json()
        assert_error(self, member.post("/api/v1/tasks/%s/complete" % t["id"]), 403, "forbidden")
        r = member.post("/api/v1/tasks/%s/complete" % assigned["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "done")
        own = member.post("/api/v1/clients/%s/tasks" % self.client_id, {"title": "question"})
        self.assertEqual(own.status, 201, own)
        self.assertEqual(member.patch("/api/v1/tasks/" + own.json()["id"],
                                      {"title": "better question"}).status, 200)
        assert_error(self, member.delete("/api/v1/tasks/" + own.json()["id"]), 403, "forbidden")


if __name__ == "__main__":
    unittest.main()
