"""Helpers shared by the tasks and messaging integration tests: a firm
with a client, the api.md error envelope check, and a second user of the same
firm through an invitation."""
import secrets

from harness import Client


def new_firm(url, name="Owner"):
    """Signs up a firm; returns (owner client, id of a new client of it)."""
    c = Client(url)
    r = c.signup(name=name)
    assert r.status == 201, r
    return c, new_client(c)


def new_client(owner):
    r = owner.post("/api/v1/clients", {"name": "Client " + secrets.token_hex(3)})
    assert r.status == 201, r
    return r.json()["id"]


def invite(test, url, owner, client_id, role, name):
    """A client user of client_id with role, logged in, through an
    invitation."""
    r = owner.post("/api/v1/invitations", {
        "email": "u-%s@example.test" % secrets.token_hex(5), "kind": "client",
        "role": role, "client_id": client_id})
    test.assertEqual(r.status, 201, r)
    token = r.json()["token"]
    u = Client(url)
    a = u.post("/api/v1/invitations/%s/accept" % token,
               {"name": name, "password": "pw-" + secrets.token_urlsafe(12)})
    test.assertEqual(a.status, 200, a)
    u._take_session(a)
    return u


def assert_error(test, r, status, code, field=None):
    """r is the api.md error envelope with status, code and (when given) field."""
    test.assertEqual(r.status, status, r)
    err = r.json()["error"]
    test.assertEqual(err["code"], code, r)
    test.assertTrue(err.get("message"), r)
    test.assertTrue(err.get("request_id"), r)
    if field is not None:
        test.assertEqual(err.get("field"), field, r)
