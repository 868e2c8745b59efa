"""Messaging over HTTP: a thread with its first message, posting, listing
(threads newest first with unread counts, messages oldest first), the body
stored byte for byte, author-only edit and delete, read positions, tenancy
and validation."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Stack  # noqa: E402
from common_tm import assert_error, invite, new_client, new_firm  # noqa: E402

TEXT = "Grüße — 東京 — مرحبا 👋"
MESSAGE_FIELDS = {"id", "thread_id", "author", "body", "mention_ids", "created_at", "edited_at"}


class Messaging(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.owner, cls.client_id = new_firm(cls.stack.url, name="Olga Owner")
        cls.me = cls.owner.get("/api/v1/me").json()["user"]["id"]

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def thread(self, client_id=None, **body):
        body.setdefault("subject", "Q4 documents")
        body.setdefault("body", "Please upload the statements.")
        r = self.owner.post("/api/v1/clients/%s/threads" % (client_id or self.client_id), body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def test_thread_post_list_non_ascii(self):
        t = self.thread(subject="Über " + TEXT, body=TEXT)
        self.assertEqual(t["subject"], "Über " + TEXT)
        self.assertEqual(t["client_id"], self.client_id)
        self.assertEqual((t["message_count"], t["unread_count"]), (1, 0))
        first = t["first_message"]
        self.assertEqual(set(first), MESSAGE_FIELDS)
        self.assertEqual(first["body"], TEXT)
        self.assertEqual(first["body"].encode("utf-8"), TEXT.encode("utf-8"))
        self.assertEqual(first["author"], {"id": self.me, "name": "Olga Owner", "kind": "staff"})
        self.assertIsNone(first["edited_at"])

        body2 = "line one\n\tline two  \u00a0" + TEXT
        r = self.owner.post("/api/v1/threads/%s/messages" % t["id"],
                            {"body": body2, "mention_ids": [self.me, self.me]})
        self.assertEqual(r.status, 201, r)
        m = r.json()
        self.assertEqual(m["body"], body2)
        self.assertEqual(m["mention_ids"], [self.me])
        self.assertEqual(m["thread_id"], t["id"])

        r = self.owner.get("/api/v1/threads/%s/messages" % t["id"])
        self.assertEqual(r.status, 200, r)
        # the raw bytes decode to exactly what was sent
        items = json.loads(r.body.decode("utf-8"))["items"]
        self.assertEqual([i["body"] for i in items], [TEXT, body2])
        self.assertIsNone(r.json()["next_cursor"])

        lst = self.owner.get("/api/v1/clients/%s/threads" % self.client_id)
        self.assertEqual(lst.status, 200, lst)
        row = [i for i in lst.json()["items"] if i["id"] == t["id"]][0]
        self.assertEqual(row["message_count"], 2)
        self.assertEqual(row["unread_count"], 0)  # one's own messages are read
        self.assertEqual(row["last_message_at"], m["created_at"])

    def test_paging(self):
        cid = new_client(self.owner)
        made = [self.thread(client_id=cid, subject="t%d" % i)["id"] for i in range(7)]
        seen, cursor = [], None
        for _ in range(5):
            path = "/api/v1/clients/%s/threads?limit=3" % cid + ("&cursor=" + cursor if cursor else "")
            page = self.owner.get(path).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen, list(reversed(made)))
        t = made[0]
        posted = [self.owner.post("/api/v1/threads/%s/messages" % t, {"body": "m%d" % i}).json()["id"]
                  for i in range(6)]
        seen, cursor = [], None
        for _ in range(5):
            path = "/api/v1/threads/%s/messages?limit=3" % t + ("&cursor=" + cursor if cursor else "")
            page = self.owner.get(path).json()
            seen += [i["id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        self.assertEqual(seen[1:], posted)  # oldest first, after the first message
        self.assertEqual(len(set(seen)), 7)

    def test_edit_delete_own_message(self):
        t = self.thread()
        mid = t["first_message"]["id"]
        r = self.owner.patch("/api/v1/messages/" + mid, {"body": "edited " + TEXT})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["body"], "edited " + TEXT)
        self.assertIsNotNone(r.json()["edited_at"])
        assert_error(self, self.owner.patch("/api/v1/messages/" + mid, {"body": " "}),
                     400, "validation_failed", "body")
        r = self.owner.delete("/api/v1/messages/" + mid)
        self.assertEqual(r.status, 204, r)
        assert_error(self, self.owner.delete("/api/v1/messages/" + mid), 404, "not_found")
        items = self.owner.get("/api/v1/threads/%s/messages" % t["id"]).json()["items"]
        self.assertEqual(items, [])

    def test_author_only_and_unread(self):
        t = self.thread()
        member = invite(self, self.stack.url, self.owner, self.client_id, "member", "Mia Member")
        r = member.post("/api/v1/threads/%s/messages" % t["id"], {"body": "from mia"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["author"]["kind"], "client")
        mine = r.json()["id"]
        # others who can see a message may not change it
        assert_error(self, self.owner.patch("/api/v1/messages/" + mine, {"body": "x"}),
                     403, "forbidden")
        assert_error(self, self.owner.delete("/api/v1/messages/" + mine), 403, "forbidden")
        assert_error(self, member.patch("/api/v1/messages/" + t["first_message"]["id"],
                                        {"body": "x"}), 403, "forbidden")
        self.assertEqual(member.patch("/api/v1/messages/" + mine, {"body": "y"}).status, 200)

        def unread(c):
            items = c.get("/api/v1/clients/%s/threads" % self.client_id).json()["items"]
            return [i for i in items if i["id"] == t["id"]][0]["unread_count"]
        self.assertEqual(unread(self.owner), 1)
        self.assertEqual(self.owner.post("/api/v1/threads/%s/read" % t["id"],
                                         {"up_to": mine}).status, 204)
        self.assertEqual(unread(self.owner), 0)
        viewer = invite(self, self.stack.url, self.owner, self.client_id, "viewer", "Vic")
        self.assertEqual(unread(viewer), 2)
        assert_error(self, viewer.post("/api/v1/threads/%s/messages" % t["id"], {"body": "x"}),
                     403, "forbidden")
        self.assertEqual(viewer.post("/api/v1/threads/%s/read" % t["id"], {}).status, 204)
        self.assertEqual(unread(viewer), 0)

    def test_read_position(self):
        t = self.thread()
        r = self.owner.post("/api/v1/threads/%s/read" % t["id"],
                            {"up_to": t["first_message"]["id"]})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b"")
        assert_error(self, self.owner.post("/api/v1/threads/%s/read" % t["id"],
                                           {"up_to": t["id"]}), 400, "validation_failed", "up_to")

    def test_other_firm_sees_nothing(self):
        t = self.thread()
        other, _ = new_firm(self.stack.url, name="Mallory")
        mid = t["first_message"]["id"]
        for r in (other.get("/api/v1/clients/%s/threads" % self.client_id),
                  other.post("/api/v1/clients/%s/threads" % self.client_id,
                             {"subject": "x", "body": "y"}),
                  other.get("/api/v1/threads/%s/messages" % t["id"]),
                  other.post("/api/v1/threads/%s/messages" % t["id"], {"body": "y"}),
                  other.post("/api/v1/threads/%s/read" % t["id"], {}),
                  other.patch("/api/v1/messages/" + mid, {"body": "y"}),
                  other.delete("/api/v1/messages/" + mid)):
            assert_error(self, r, 404, "not_found")

    def test_validation(self):
        url = "/api/v1/clients/%s/threads" % self.client_id
        for body, field in [({"subject": "", "body": "x"}, "subject"),
                            ({"subject": "s" * 301, "body": "x"}, "subject"),
                            ({"subject": "s"}, "body"),
                            ({"subject": "s", "body": "   "}, "body"),
                            ({"subject": "s", "body": "x" * 20001}, "body"),
                            ({"subject": "s", "body": "x", "about": {"type": "invoice",
                                                                    "id": self.me}}, "about.type"),
                            ({"subject": "s", "body": "x", "about": {"type": "task",
                                                                    "id": self.me}}, "about.id"),
                            ({"subject": "s", "body": "x", "mention_ids": ["bob"]}, "mention_ids"),
                            ({"subject": "s", "body": 7}, "body")]:
            with self.subTest(field=field, body=str(body)[:60]):
                assert_error(self, self.owner.post(url, body), 400, "validation_failed", field)
        ok = self.owner.post(url, {"subject": "s", "body": "é" * 10000})  # 20000 bytes
        self.assertEqual(ok.status, 201, ok)
        task = self.owner.post("/api/v1/clients/%s/tasks" % self.client_id,
                               {"title": "talk about me"}).json()
        r = self.owner.post(url, {"subject": "s", "body": "x",
                                  "about": {"type": "task", "id": task["id"]}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["about"], {"type": "task", "id": task["id"]})
        assert_error(self, self.owner.get("/api/v1/threads/%s/messages?cursor=zzz"
                                          % r.json()["id"]), 400, "validation_failed", "cursor")


if __name__ == "__main__":
    unittest.main()
