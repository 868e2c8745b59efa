"""The access-control matrix (issue 3, "What it must show"; api.md).

For every served route of api.md, ten callers -- anonymous, another firm's
owner, staff not on the client, a member of another client, and on client X
a viewer, a member, a client admin, staff on the client, the firm's admin
and its owner -- get the status api.md gives them:

  - anonymous: 401;
  - another firm's, or another client's, resource: 404, exactly as if it
    did not exist (so for staff not on client X too: staff see only the
    clients they are members of);
  - 403 only where the caller can see the resource but may not change it
    (viewers, client users on staff-only actions, staff on owner/admin-only
    actions, everyone but the author on a message); what a caller cannot
    see at all (the staff list or integrations for a client user, an
    internal folder for a client user, another user's session or token)
    is 404.

The matrix is data: MATRIX below, one row per (method, route). A row names
how its path and body are built from the fixture (format fields such as
{X}, {D}, {T}), an optional per-call setup that makes a fresh resource (so
a DELETE's outcome does not depend on which role ran first), and the
expected status per role in the column order of ROLES. Each cell also
checks the error code of a 401/403/404, and a 404 is compared with the
answer for ids that exist nowhere (same status, message and field). Every
served /api/v1 route must have a row or an entry in EXEMPT (checked from
the gateway's route tables), so a new route adds a row. On failure the
test prints every (route, role, expected, got, why).

EmptyTenant checks that a firm, a client and a staff user with no data of
their own see exactly nothing of anyone else's: empty lists everywhere.
"""
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT, Client, Stack, wait_until  # noqa: E402
from test_billing import fake_base  # noqa: E402
from test_previews import png_bytes, wait_preview  # noqa: E402

PW = "pw-" + secrets.token_urlsafe(12)

ROLES = ("anon", "b_owner", "staff_off", "y_member", "viewer", "member", "c_admin",
         "staff_on", "admin", "owner")


def email():
    return "mx-%s@example.test" % secrets.token_hex(6)


def b64(s):
    return base64.b64encode(s.encode()).decode()


RAW = {"Content-Type": "application/octet-stream"}


# Per-call setups: run as the owner before each role's call; what they
# return is added to the format fields of the row's path and body.
def fresh_doc(t):
    return {"D2": t.upload(b"fresh\n")["id"]}


def fresh_task(t):
    return {"T2": t.made(t.owner.post("/api/v1/clients/%s/tasks" % t.X, {"title": "fresh"}))["id"]}


def fresh_message(t):
    return {"M2": t.made(t.owner.post("/api/v1/threads/%s/messages" % t.H, {"body": "fresh"}))["id"]}


def member_back(t):
    r = t.owner.put("/api/v1/clients/%s/members/%s" % (t.X, t.TGT), {"role": "member"})
    assert r.status == 200, r
    return {}


def fresh_upload(t):
    r = t.owner.post("/api/v1/uploads", data=b"", headers=tus_headers(t))
    assert r.status == 201, r
    return {"U": r.header("Location").rsplit("/", 1)[1]}


def fresh_assigned_task(t):
    r = t.owner.post("/api/v1/clients/%s/tasks" % t.X,
                     {"title": "for the member", "assignee_ids": [t.member.user["id"]]})
    return {"T2": t.made(r)["id"]}


def staff_member_back(t):
    r = t.owner.put("/api/v1/clients/%s/members/%s" % (t.X, t.SGT), {"role": "staff"})
    assert r.status == 200, r
    return {}


def owner_token(t):
    return {"OT": t.made(t.owner.post("/api/v1/me/tokens", {"name": "fresh"}))["id"]}


def owner_session(t):
    c = Client(t.url)
    t.made(c.login(t.owner.email, t.owner.password), 200)
    token = [k.value for k in c.jar if k.name == "atrium_session"][0]
    return {"OS": hashlib.sha256(token.encode()).hexdigest()}


def fresh_request(t):
    r = t.owner.post("/api/v1/clients/%s/document-requests" % t.X, {"title": "statements"})
    return {"R2": t.made(r)["id"]}


def fresh_doc_v1(t):
    return {"D2": t.upload(b"fresh\n")["id"], "N": "1"}


def fresh_signature(t):
    r = t.owner.post("/api/v1/documents/%s/signature-requests" % t.D,
                     {"signer_ids": [t.member.user["id"]]})
    return {"S2": t.made(r)["id"]}


def deleted_doc(t):
    d = t.upload(b"gone\n")["id"]
    r = t.owner.delete("/api/v1/documents/%s" % d)
    assert r.status == 204, r
    return {"D2": d}


def new_email(t):
    return {"EMAIL": email()}


def tus_headers(t):
    return {"Tus-Resumable": "1.0.0", "Upload-Length": "5",
            "Upload-Metadata": "filename %s,client_id %s" % (b64("t.bin"), b64(t.X))}


def tus_internal_headers(t):
    h = tus_headers(t)
    h["Upload-Metadata"] += ",folder_id " + b64(t.FI)
    return h


TUS_SETUPS = (tus_headers, tus_internal_headers)


# Expected statuses, in the order of ROLES:
#    anon b_own s_off y_mem viewr membr c_adm s_on admin owner
READ = "401 404 404 404 200 200 200 200 200 200"      # anything in client X
SELF = "401 200 200 200 200 200 200 200 200 200"      # the caller's own things
NONE = "401 404 404 404 404 404 404 404 404 404"      # an id that exists nowhere

# (method, path, body, setup, expected, note). body: a dict (JSON, its
# string values formatted with the fields too), bytes (raw upload), or None.
MATRIX = [
    # -- Authentication: the caller's own account (login, logout, password
    # change, MFA confirm/disable and invitation accept change or end the
    # fixture's sessions or are not role-dependent; test_auth and
    # test_identity cover them)
    ("GET", "/api/v1/me", None, None, SELF, ""),
    ("PATCH", "/api/v1/me", {"time_zone": "Europe/Berlin"}, None, SELF, ""),
    ("GET", "/api/v1/me/sessions", None, None, SELF, ""),
    ("DELETE", "/api/v1/me/sessions/{NOID}", None, None, NONE, ""),
    ("DELETE", "/api/v1/me/sessions/{OS}", None, owner_session,
     "401 404 404 404 404 404 404 404 404 204", "the owner's other session"),
    ("POST", "/api/v1/me/tokens", {"name": "matrix"}, None,
     "401 201 201 201 201 201 201 201 201 201", ""),
    ("GET", "/api/v1/me/tokens", None, None, SELF, ""),
    ("DELETE", "/api/v1/me/tokens/{NOID}", None, None, NONE, ""),
    ("DELETE", "/api/v1/me/tokens/{OT}", None, owner_token,
     "401 404 404 404 404 404 404 404 404 204", "the owner's token"),
    ("GET", "/api/v1/me/activity", None, None, SELF, ""),
    ("POST", "/api/v1/me/mfa/totp", None, None, SELF, "enrolment begins; not on until confirmed"),
    # -- Firm, staff, clients, members
    ("GET", "/api/v1/clients", None, None, SELF, ""),
    ("POST", "/api/v1/clients", {"name": "Made by matrix"}, None,
     # another firm's owner makes one in its own firm
     "401 201 403 403 403 403 403 403 201 201", ""),
    ("GET", "/api/v1/clients/{X}", None, None, READ, ""),
    ("PATCH", "/api/v1/clients/{X}", {"name": "Client X"}, None,
     "401 404 404 404 403 403 403 403 200 200", ""),
    ("GET", "/api/v1/clients/{X}/members", None, None, READ, ""),
    ("PUT", "/api/v1/clients/{X}/members/{TGT}", {"role": "member"}, None,
     "401 404 404 404 403 403 200 403 200 200", ""),
    ("DELETE", "/api/v1/clients/{X}/members/{TGT}", None, member_back,
     "401 404 404 404 403 403 204 403 204 204", ""),
    # staff only: a client user cannot see the staff list at all, so 404
    # (api.md's 403 is for what the caller can see)
    # staff membership of a client: owner/admin only (a client admin
    # manages client users)
    ("PUT", "/api/v1/clients/{X}/members/{SGT}", {"role": "staff"}, None,
     "401 404 404 404 403 403 403 403 200 200", "a staff user"),
    ("DELETE", "/api/v1/clients/{X}/members/{SGT}", None, staff_member_back,
     "401 404 404 404 403 403 403 403 204 204", "a staff user"),
    ("GET", "/api/v1/staff", None, None,
     "401 200 200 404 404 404 404 200 200 200", ""),
    ("POST", "/api/v1/invitations", {"email": "{EMAIL}", "kind": "staff", "role": "staff"},
     new_email, "401 201 403 403 403 403 403 403 201 201", ""),
    ("POST", "/api/v1/invitations",
     {"email": "{EMAIL}", "kind": "client", "role": "member", "client_id": "{X}"},
     new_email, "401 404 404 404 403 403 201 403 201 201", "client X"),
    ("POST", "/api/v1/invitations",
     {"email": "{EMAIL}", "kind": "client", "role": "member", "client_id": "{Y}"},
     # for client X's users and staff not on it, client Y does not exist
     new_email, "401 404 404 403 404 404 404 404 201 201", "client Y"),
    ("POST", "/api/v1/invitations", {"email": "{EMAIL}", "kind": "staff", "role": "owner"},
     new_email, "401 201 403 403 403 403 403 403 403 201", "an owner: owners only"),
    ("GET", "/api/v1/invitations/{INV}", None, None,
     "200 200 200 200 200 200 200 200 200 200", "public"),
    # -- Documents
    ("GET", "/api/v1/clients/{X}/folders", None, None, READ, ""),
    ("POST", "/api/v1/clients/{X}/folders", {"name": "F {EMAIL}", "visibility": "shared"},
     new_email, "401 404 404 404 403 201 201 201 201 201", ""),
    ("GET", "/api/v1/clients/{X}/documents", None, None, READ, ""),
    ("POST", "/api/v1/clients/{X}/documents?name=m.txt", b"matrix\n", None,
     "401 404 404 404 403 201 201 201 201 201", "raw upload"),
    ("GET", "/api/v1/documents/{D}", None, None, READ, ""),
    ("PATCH", "/api/v1/documents/{D}", {"name": "document-d.txt"}, None,
     "401 404 404 404 403 200 200 200 200 200", ""),
    ("DELETE", "/api/v1/documents/{D2}", None, fresh_doc,
     "401 404 404 404 403 204 204 204 204 204", ""),
    ("GET", "/api/v1/documents/{D}/versions", None, None, READ, ""),
    ("GET", "/api/v1/documents/{D}/activity", None, None, READ, ""),
    ("POST", "/api/v1/documents/{D2}/versions/{N}/restore", None, fresh_doc_v1,
     "401 404 404 404 403 201 201 201 201 201", "viewers change nothing"),
    ("POST", "/api/v1/documents/{D2}/restore", None, deleted_doc,
     "401 404 404 404 404 404 404 200 200 200", "a deleted document: staff only"),
    ("POST", "/api/v1/documents/{D2}/purge", None, deleted_doc,
     "401 404 404 404 404 404 404 403 204 204", "from the trash: owner/admin only"),
    ("GET", "/api/v1/clients/{X}/document-requests", None, None, READ, ""),
    # every caller searches what they may see (test_search checks which)
    ("GET", "/api/v1/search?q=document", None, None, SELF, "the caller's own hits"),
    ("GET", "/api/v1/settings/security", None, None,
     "401 200 403 404 404 404 404 403 200 200", "each firm's own; owner/admin only"),
    ("PUT", "/api/v1/settings/security",
     {"require_mfa_for_staff": False, "session_idle_minutes": 30, "session_max_hours": 12}, None,
     "401 200 403 404 404 404 404 403 200 200", "each firm's own; owner/admin only"),
    ("GET", "/api/v1/branding", None, None,
     "200 200 200 200 200 200 200 200 200 200", "public: the caller's firm, else the default"),
    ("PUT", "/api/v1/settings/branding", {"portal_name": "Matrix portal"}, None,
     "401 200 403 404 404 404 404 403 200 200", "each firm's own; owner/admin only"),
    ("GET", "/api/v1/dashboard", None, None, SELF, "scoped to what the caller sees"),
    ("POST", "/api/v1/clients/{X}/document-requests", {"title": "bank statements"}, None,
     "401 404 404 404 403 403 403 201 201 201", "staff ask, clients fulfil"),
    ("POST", "/api/v1/document-requests/{R2}/reject", {"reason": "blurry"}, fresh_request,
     "401 404 404 404 403 403 403 409 409 409", "staff decide; nothing submitted yet"),
    ("POST", "/api/v1/document-requests/{R2}/accept", None, fresh_request,
     "401 404 404 404 403 403 403 409 409 409", "nothing submitted yet: nothing to accept"),
    ("POST", "/api/v1/documents/{D}/versions", b"v\n", None,
     "401 404 404 404 403 201 201 201 201 201", ""),
    ("GET", "/api/v1/documents/{D}/content", None, None, READ, ""),
    ("GET", "/api/v1/documents/{DP}/preview", None, None, READ, "a PNG's thumbnail"),
    ("POST", "/api/v1/uploads", b"", tus_headers,
     "401 404 404 404 403 201 201 201 201 201", "tus creation for client X"),
    # an upload in progress is its creator's (the owner's) alone
    ("HEAD", "/api/v1/uploads/{U}", None, fresh_upload,
     "401 404 404 404 404 404 404 404 404 200", "tus: the owner's upload"),
    ("PATCH", "/api/v1/uploads/{U}", b"hello", fresh_upload,
     "401 404 404 404 404 404 404 404 404 204", "tus: the owner's upload"),
    ("DELETE", "/api/v1/uploads/{U}", None, fresh_upload,
     "401 404 404 404 404 404 404 404 404 204", "tus: the owner's upload"),
    ("OPTIONS", "/api/v1/uploads", None, None,
     "204 204 204 204 204 204 204 204 204 204", "tus discovery, public"),
    # an internal folder and what is in it are staff-only: a client user of
    # client X sees neither (404)
    ("GET", "/api/v1/clients/{X}/documents?folder_id={FI}", None, None,
     "401 404 404 404 404 404 404 200 200 200", "internal folder"),
    ("GET", "/api/v1/documents/{DI}", None, None,
     "401 404 404 404 404 404 404 200 200 200", "document in an internal folder"),
    ("GET", "/api/v1/documents/{DI}/content", None, None,
     "401 404 404 404 404 404 404 200 200 200", "document in an internal folder"),
    ("GET", "/api/v1/documents/{DPI}/preview", None, None,
     "401 404 404 404 404 404 404 200 200 200", "a PNG's thumbnail in an internal folder"),
    ("PATCH", "/api/v1/documents/{DI}", {"name": "i.txt"}, None,
     "401 404 404 404 404 404 404 200 200 200", "document in an internal folder"),
    ("POST", "/api/v1/clients/{X}/documents?name=j.txt&folder_id={FI}", b"j\n", None,
     "401 404 404 404 404 404 404 201 201 201", "upload into an internal folder"),
    ("POST", "/api/v1/uploads", b"", tus_internal_headers,
     "401 404 404 404 404 404 404 201 201 201", "tus creation into an internal folder"),
    ("GET", "/api/v1/documents/{DI}/versions", None, None,
     "401 404 404 404 404 404 404 200 200 200", "document in an internal folder"),
    ("POST", "/api/v1/documents/{DI}/versions", b"i2\n", None,
     "401 404 404 404 404 404 404 201 201 201", "document in an internal folder"),
    # -- Signature requests: staff ask (client admins too are refused: the
    # firm asks its clients to sign); the member is the named signer
    ("POST", "/api/v1/documents/{D}/signature-requests", {"signer_ids": ["{MEM}"]}, None,
     "401 404 404 404 403 403 403 201 201 201", "staff ask"),
    ("GET", "/api/v1/documents/{D}/signature-requests", None, None, READ, ""),
    ("GET", "/api/v1/signature-requests", None, None, SELF, "the caller's own"),
    ("GET", "/api/v1/signature-requests/{S}", None, None, READ, ""),
    ("GET", "/api/v1/signature-requests/{S}/certificate", None, None, READ, ""),
    ("POST", "/api/v1/signature-requests/{S2}/sign", {"typed_name": "M", "consent": True},
     fresh_signature, "401 404 404 404 403 200 403 403 403 403", "the named signer only"),
    ("POST", "/api/v1/signature-requests/{S2}/decline", {"reason": "no"}, fresh_signature,
     "401 404 404 404 403 200 403 403 403 403", "the named signer only"),
    ("POST", "/api/v1/signature-requests/{S2}/remind", None, fresh_signature,
     "401 404 404 404 403 403 403 403 403 200", "its creator (the owner) only"),
    # -- Tasks
    ("GET", "/api/v1/clients/{X}/tasks", None, None, READ, ""),
    ("POST", "/api/v1/clients/{X}/tasks", {"title": "matrix"}, None,
     "401 404 404 404 403 201 201 201 201 201", ""),
    ("GET", "/api/v1/tasks/{T}", None, None, READ, ""),
    # a client user changes or deletes only the tasks it created or is
    # assigned to; T and T2 are the owner's, unassigned
    ("PATCH", "/api/v1/tasks/{T}", {"title": "Task T"}, None,
     "401 404 404 404 403 403 403 200 200 200", ""),
    ("POST", "/api/v1/tasks/{T2}/complete", None, fresh_task,
     # clients may complete only tasks assigned to them; T2 has no assignee
     "401 404 404 404 403 403 403 200 200 200", ""),
    ("POST", "/api/v1/tasks/{T2}/complete", None, fresh_assigned_task,
     "401 404 404 404 403 200 403 200 200 200", "T2 assigned to the member"),
    ("DELETE", "/api/v1/tasks/{T2}", None, fresh_task,
     "401 404 404 404 403 403 403 204 204 204", ""),
    # -- Messages
    ("GET", "/api/v1/clients/{X}/threads", None, None, READ, ""),
    ("POST", "/api/v1/clients/{X}/threads", {"subject": "s", "body": "b"}, None,
     "401 404 404 404 403 201 201 201 201 201", ""),
    # a thread about a document: only one the caller sees in that client
    # (a client user does not see DI: the same 400 as for a missing one)
    ("POST", "/api/v1/clients/{X}/threads",
     {"subject": "s", "body": "b", "about": {"type": "document", "id": "{D}"}}, None,
     "401 404 404 404 403 201 201 201 201 201", "about D"),
    ("POST", "/api/v1/clients/{X}/threads",
     {"subject": "s", "body": "b", "about": {"type": "document", "id": "{DI}"}}, None,
     "401 404 404 404 403 400 400 201 201 201", "about DI, internal"),
    ("GET", "/api/v1/threads/{H}", None, None, READ, ""),
    ("GET", "/api/v1/threads/{H}/messages", None, None, READ, ""),
    ("POST", "/api/v1/threads/{H}/messages", {"body": "hello"}, None,
     "401 404 404 404 403 201 201 201 201 201", ""),
    ("PATCH", "/api/v1/messages/{M}", {"body": "edited"}, None,
     "401 404 404 404 403 403 403 403 403 200", "author only (the owner)"),
    ("PATCH", "/api/v1/messages/{MM}", {"body": "edited"}, None,
     "401 404 404 404 403 200 403 403 403 403", "author only (the member)"),
    ("DELETE", "/api/v1/messages/{M2}", None, fresh_message,
     "401 404 404 404 403 403 403 403 403 204", "author only (the owner)"),
    ("POST", "/api/v1/threads/{H}/read", {"up_to": "{M}"}, None,
     "401 404 404 404 204 204 204 204 204 204", "the caller's own read position"),
    # -- Billing (invoice I and sync SID come from the stack's fake
    # QuickBooks: their rows are skipped when the stack runs none)
    ("GET", "/api/v1/clients/{X}/invoices", None, None, READ, ""),
    ("GET", "/api/v1/invoices/{I}", None, None, READ, ""),
    ("GET", "/api/v1/invoices/{NOID}", None, None, NONE, ""),
    # staff admin; staff see the firm's settings exist (403), a client user
    # does not (404)
    ("GET", "/api/v1/integrations", None, None,
     "401 200 403 404 404 404 404 403 200 200", "staff admin"),
    ("GET", "/api/v1/integrations/quickbooks/syncs/{NOID}", None, None,
     "401 404 403 404 404 404 404 403 404 404", "staff admin; no such sync"),
    ("GET", "/api/v1/integrations/quickbooks/syncs/{SID}", None, None,
     "401 404 403 404 404 404 404 403 200 200", "firm A's sync"),
    # a sync is queued or, when one runs, a conflict: 2xx/409 both say the
    # caller got through; firm B has not connected (409)
    ("POST", "/api/v1/integrations/quickbooks/sync", None, None,
     "401 409 403 404 404 404 404 403 SYNC SYNC", ""),
    ("GET", "/api/v1/integrations/quickbooks/connect", None, None,
     "401 302 403 404 404 404 404 403 302 302", "to the provider's authorize URL"),
    ("GET", "/api/v1/integrations/quickbooks/callback?code=c&state=unknown", None, None,
     "401 400 403 404 404 404 404 403 400 400", "an unknown state"),
    # -- Audit
    ("GET", "/api/v1/audit", None, None,
     "401 200 404 404 404 404 200 404 200 200", "owner/admin: firm; client admin: client"),
    ("GET", "/api/v1/audit/export?format=jsonl", None, None,
     "401 200 404 404 404 404 200 404 200 200", ""),
    ("GET", "/api/v1/audit/verify", None, None,
     "401 200 404 404 404 404 404 404 200 200", ""),
    ("GET", "/api/v1/audit/checkpoints", None, None,
     "401 200 404 404 404 404 404 404 200 200", ""),
    # not in api.md: a signed checkpoint made on demand
    ("POST", "/api/v1/audit/checkpoints", None, None,
     "401 201 404 404 404 404 404 404 201 201", ""),
]


ERROR_CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}
GHOST_FIELDS = ("X", "Y", "F", "D", "D2", "S", "S2", "T", "T2", "H", "M", "M2", "MM", "TGT", "SGT", "FI",
                "DI", "U", "I", "SID", "OT", "OS", "DP", "DPI")
OUTSIDERS = ("b_owner", "staff_off", "y_member")
HIDDEN_IN_X = ("FI", "DI", "U", "OT", "OS", "DPI")    # hidden from some who see client X
GHOST_RE = re.compile(r"\{(%s)\}" % "|".join(GHOST_FIELDS))


def error_of(r):
    try:
        return r.json().get("error") or {}
    except ValueError:
        return {}


# Served routes without a row, and why: they are not role-dependent (the
# caller is who the credentials say), or they would end or replace the
# fixture's sessions; test_auth, test_identity and test_login_security
# cover them.
EXEMPT = {
    ("POST", "/api/v1/signup"): "public, makes a firm",
    ("POST", "/api/v1/auth/login"): "public; failed logins are throttled",
    ("POST", "/api/v1/auth/mfa"): "public, second login step",
    ("POST", "/api/v1/auth/logout"): "ends the caller's session",
    ("POST", "/api/v1/me/password"): "ends the caller's other sessions",
    ("POST", "/api/v1/me/mfa/totp/confirm"): "turns MFA on for the caller",
    ("DELETE", "/api/v1/me/mfa/totp"): "needs MFA on; the caller's own",
    ("POST", "/api/v1/invitations/{}/accept"): "public, single use",
    ("POST", "/api/v1/auth/password-reset"): "public, same answer for everyone, throttled",
    ("POST", "/api/v1/auth/password-reset/confirm"): "public, needs a mailed token",
}


def template(method, path):
    """(method, path) with every parameter as {} and no query."""
    path = path.split("?")[0].replace("/integrations/quickbooks/", "/integrations/{p}/")
    return method, re.sub(r"\{[^}]+\}", "{}", path)


def served_routes():
    """(method, path template) of every /api/v1 route in the gateway's
    tables (gateway/routes_*.c and s_stream_routes in gw_routes.c)."""
    gw = os.path.join(ROOT, "gateway")
    out = set()
    for name in sorted(os.listdir(gw)):
        if name.startswith("routes_") and name.endswith(".c") or name == "gw_routes.c":
            with open(os.path.join(gw, name)) as f:
                for m, p in re.findall(r'\{"([A-Z]+)",\s*"(/api/v1[^"]*)"', f.read()):
                    out.add(template(m, p))
    return out


def fill(value, fields):
    if isinstance(value, str):
        return value.format(**fields)
    if isinstance(value, dict):
        return {k: fill(v, fields) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, fields) for v in value]
    return value


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack.from_env()
        cls.url = cls.stack.url

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    @classmethod
    def made(cls, r, status=201):
        assert r.status == status, r
        return r.json()

    @classmethod
    def signup(cls):
        c = Client(cls.url)
        cls.made(c.signup())
        return c

    @classmethod
    def user(cls, inviter, kind, role, client_id=None):
        body = {"email": email(), "kind": kind, "role": role}
        if client_id:
            body["client_id"] = client_id
        token = cls.made(inviter.post("/api/v1/invitations", body))["token"]
        u = Client(cls.url)
        r = u.post("/api/v1/invitations/%s/accept" % token,
                   {"name": "%s %s" % (kind, role), "password": PW})
        cls.made(r, 200)
        u._take_session(r)
        return u

    @classmethod
    def client(cls, owner, name):
        return cls.made(owner.post("/api/v1/clients", {"name": name}))["id"]

    @classmethod
    def upload(cls, data, name=None):
        # a unique name: an upload under an existing name is a new version
        name = name or "d-%s.txt" % secrets.token_hex(4)
        return cls.made(cls.owner.post("/api/v1/clients/%s/documents?name=%s" % (cls.X, name),
                                       data=data, headers=RAW))


class AccessMatrix(Fixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = owner = cls.signup()
        cls.X = cls.client(owner, "Client X")
        cls.Y = cls.client(owner, "Client Y")
        cls.admin = cls.user(owner, "staff", "admin")
        cls.staff_on = cls.user(owner, "staff", "staff")
        cls.made(owner.put("/api/v1/clients/%s/members/%s" % (cls.X, cls.staff_on.user["id"]),
                           {"role": "staff"}), 200)
        cls.staff_off = cls.user(owner, "staff", "staff")
        cls.viewer = cls.user(owner, "client", "viewer", cls.X)
        cls.member = cls.user(owner, "client", "member", cls.X)
        cls.c_admin = cls.user(owner, "client", "admin", cls.X)
        cls.y_member = cls.user(owner, "client", "member", cls.Y)
        cls.TGT = cls.user(owner, "client", "member", cls.X).user["id"]
        cls.SGT = cls.user(owner, "staff", "staff").user["id"]
        cls.made(owner.put("/api/v1/clients/%s/members/%s" % (cls.X, cls.SGT),
                           {"role": "staff"}), 200)
        cls.b_owner = cls.signup()
        cls.anon = Client(cls.url)
        # client X's resources, made by the owner
        cls.F = cls.made(owner.post("/api/v1/clients/%s/folders" % cls.X,
                                    {"name": "Folder F", "visibility": "shared"}))["id"]
        cls.D = cls.upload(b"document D\n")["id"]
        cls.FI = cls.made(owner.post("/api/v1/clients/%s/folders" % cls.X,
                                     {"name": "Internal", "visibility": "internal"}))["id"]
        cls.DI = cls.made(owner.post("/api/v1/clients/%s/documents?name=i.txt&folder_id=%s"
                                     % (cls.X, cls.FI), data=b"internal\n", headers=RAW))["id"]
        # PNGs (shared, internal) whose thumbnails are made before the matrix runs
        cls.DP = cls.upload(png_bytes(40, 20, seed=7), "p-%s.png" % secrets.token_hex(4))["id"]
        cls.DPI = cls.made(owner.post("/api/v1/clients/%s/documents?name=pi.png&folder_id=%s"
                                      % (cls.X, cls.FI), data=png_bytes(20, 40, seed=8),
                                      headers=RAW))["id"]
        for d in (cls.DP, cls.DPI):
            assert wait_preview(owner, d).status == 200, "no preview of " + d
        cls.T = cls.made(owner.post("/api/v1/clients/%s/tasks" % cls.X, {"title": "Task T"}))["id"]
        cls.H = cls.made(owner.post("/api/v1/clients/%s/threads" % cls.X,
                                    {"subject": "Thread H", "body": "first"}))["id"]
        cls.M = cls.made(owner.post("/api/v1/threads/%s/messages" % cls.H, {"body": "M"}))["id"]
        cls.MM = cls.made(cls.member.post("/api/v1/threads/%s/messages" % cls.H,
                                          {"body": "by the member"}))["id"]
        cls.INV = cls.made(owner.post("/api/v1/invitations", {
            "email": email(), "kind": "client", "role": "viewer", "client_id": cls.X}))["token"]
        cls.S = cls.made(owner.post("/api/v1/documents/%s/signature-requests" % cls.D,
                                    {"signer_ids": [cls.member.user["id"]]}))["id"]
        cls.I, cls.SID = cls.invoice()
        cls.fields = {"X": cls.X, "Y": cls.Y, "F": cls.F, "D": cls.D, "T": cls.T, "H": cls.H,
                      "M": cls.M, "FI": cls.FI, "DI": cls.DI, "TGT": cls.TGT, "SGT": cls.SGT, "MM": cls.MM, "INV": cls.INV, "NOID": str(uuid.uuid4()),
                      "I": cls.I, "SID": cls.SID, "S": cls.S, "MEM": cls.member.user["id"],
                      "DP": cls.DP, "DPI": cls.DPI}

    @classmethod
    def invoice(cls):
        """An invoice of client X, synced from the stack's fake QuickBooks;
        (None, None) when the stack runs no fake."""
        fake = fake_base(cls.stack) if cls.stack.data_dir else None
        if not fake:
            return None, None

        def seed(what, rows):
            req = urllib.request.Request(fake + "/_fake/" + what, data=json.dumps(rows).encode(),
                                         method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=10) as r:
                assert r.status // 100 == 2

        name = "Matrix Co " + secrets.token_hex(4)
        cls.made(cls.owner.patch("/api/v1/clients/%s" % cls.X, {"name": name}), 200)
        cust = str(90000000 + secrets.randbelow(10 ** 7) * 10)
        seed("customers", [{"Id": cust, "SyncToken": "0", "DisplayName": name, "Active": True,
                            "CurrencyRef": {"value": "USD"}}])
        seed("invoices", [{"Id": str(int(cust) + 1), "SyncToken": "0", "DocNumber": "MX-1",
                           "TxnDate": "2026-11-01", "DueDate": "2099-12-01", "TotalAmt": 10,
                           "Balance": 10, "CurrencyRef": {"value": "USD"},
                           "CustomerRef": {"value": cust}}])
        o = cls.owner
        r = o.get("/api/v1/integrations/quickbooks/connect")
        assert r.status == 302, r

        class Stop(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        try:
            urllib.request.build_opener(Stop()).open(r.header("Location"), timeout=10)
            raise AssertionError("the fake did not redirect")
        except urllib.error.HTTPError as e:
            back = urllib.parse.urlparse(e.headers["Location"])
        assert o.get(back.path + "?" + back.query).status == 302
        sid = cls.made(o.post("/api/v1/integrations/quickbooks/sync"), 202)["sync_id"]
        done = wait_until(lambda: o.get("/api/v1/integrations/quickbooks/syncs/" + sid).json()
                          ["status"] in ("done", "failed"), timeout=30)
        assert done, "the sync did not finish"
        items = cls.made(o.get("/api/v1/clients/%s/invoices" % cls.X), 200)["items"]
        assert len(items) == 1, items
        return items[0]["id"], sid

    def call(self, role, method, path, body, setup, ghost=False):
        """One role's call of a row; with ghost, every id the role may not
        see (all of them for an outsider of client X) is replaced by one
        that exists nowhere."""
        fields = dict(self.fields)
        headers = {}
        if setup in (tus_headers, tus_internal_headers):
            headers = setup(self)
        elif setup:
            fields.update(setup(self))
        if ghost:
            # every id replaced by one that exists nowhere
            hidden = GHOST_FIELDS if role in OUTSIDERS else HIDDEN_IN_X
            fields.update({k: str(uuid.uuid4()) for k in hidden})
            if setup is tus_internal_headers and role not in OUTSIDERS:
                headers["Upload-Metadata"] = "filename %s,client_id %s,folder_id %s" % (
                    b64("t.bin"), b64(self.X), b64(str(uuid.uuid4())))
            if setup in (tus_headers, tus_internal_headers) and role in OUTSIDERS:
                headers["Upload-Metadata"] = "filename %s,client_id %s" % (
                    b64("t.bin"), b64(str(uuid.uuid4())))
        path = fill(path, fields)
        c = getattr(self, role)
        if isinstance(body, bytes):
            if not headers:
                headers = RAW
            if method == "PATCH" and "/uploads/" in path:
                headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                           "Content-Type": "application/offset+octet-stream"}
            return c.request(method, path, data=body, headers=headers)
        if "/uploads" in path:
            headers = dict(headers, **{"Tus-Resumable": "1.0.0"})
        return c.request(method, path, json_body=fill(body, fields), headers=headers)

    def test_every_served_route_has_a_row(self):
        rows = {template(r[0], r[1]) for r in MATRIX}
        self.assertEqual(sorted(served_routes() - rows - set(EXEMPT)), [],
                         "served routes with no row in MATRIX (add one)")
        self.assertEqual(sorted(rows - served_routes()), [], "rows for routes not served")
        # the exempt ones that need a session: none without one
        for method, path in (("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/me/password"),
                             ("POST", "/api/v1/me/mfa/totp/confirm"),
                             ("DELETE", "/api/v1/me/mfa/totp")):
            r = self.anon.request(method, path, json_body={})
            self.assertEqual((r.status, error_of(r).get("code")), (401, "unauthenticated"), path)

    def test_matrix(self):
        for row in MATRIX:
            self.assertEqual(len(row[4].split()), len(ROLES), row)
        bad = []
        skipped = 0
        for method, path, body, setup, expected, note in MATRIX:
            if self.I is None and ("{I}" in path or "{SID}" in path):
                skipped += 1
                continue
            for role, want in zip(ROLES, expected.split()):
                got = self.call(role, method, path, body, setup)
                why = ""
                if want == "SYNC":  # either of two, both past the access check
                    want = str(got.status) if got.status in (202, 409) else "202|409"
                if not want.isdigit() or got.status != int(want):
                    why = "wrong status"
                elif int(want) in ERROR_CODES and method != "HEAD":
                    err = error_of(got)
                    if err.get("code") != ERROR_CODES[int(want)]:
                        why = "error code %r" % err.get("code")
                    elif (int(want) == 404 and role != "anon" and
                          (GHOST_RE.search(path + repr(body)) or setup in TUS_SETUPS)):
                        # exactly as if it did not exist: the same answer
                        # as for ids that exist nowhere
                        ghost = self.call(role, method, path, body, setup, ghost=True)
                        g = error_of(ghost)
                        seen = (ghost.status, g.get("message"), g.get("field"))
                        if seen != (404, err.get("message"), err.get("field")):
                            why = "unlike a missing one: %d %r %r" % seen
                if why:
                    bad.append((method + " " + path, role, want, str(got.status),
                                why + " " + got.body[:70].decode("utf-8", "replace")))
        cells = (len(MATRIX) - skipped) * len(ROLES)
        if bad:
            w = max(len(b[0]) for b in bad)
            lines = ["%-*s  %-9s  %-8s  %-3s  %s" % (w, "route", "role", "expected", "got", "why")]
            lines += ["%-*s  %-9s  %-8s  %-3s  %s" % (w, *b) for b in bad]
            self.fail("%d of %d cells wrong:\n%s" % (len(bad), cells, "\n".join(lines)))

    def test_internal_folder_not_listed_to_client_users(self):
        def ids(c, path):
            r = c.get(path)
            self.assertEqual(r.status, 200, (path, r))
            return {i["id"] for i in r.json()["items"]}
        folders = "/api/v1/clients/%s/folders" % self.X
        docs = "/api/v1/clients/%s/documents?limit=200" % self.X
        for role in ("viewer", "member", "c_admin"):
            c = getattr(self, role)
            self.assertNotIn(self.FI, ids(c, folders), role)
            self.assertIn(self.F, ids(c, folders), role)
            self.assertNotIn(self.DI, ids(c, docs), role)
        for role in ("staff_on", "admin", "owner"):
            c = getattr(self, role)
            self.assertIn(self.FI, ids(c, folders), role)
            self.assertIn(self.DI, ids(c, docs + "&folder_id=" + self.FI), role)

    def test_thread_about_names_only_what_the_caller_sees(self):
        other = self.made(self.owner.post("/api/v1/clients/%s/documents?name=y.txt" % self.Y,
                                          data=b"y\n", headers=RAW))["id"]
        task = self.made(self.owner.post("/api/v1/clients/%s/tasks" % self.Y, {"title": "y"}))
        threads = "/api/v1/clients/%s/threads" % self.X
        for about in ({"type": "document", "id": other}, {"type": "task", "id": task["id"]},
                      {"type": "document", "id": str(uuid.uuid4())},
                      {"type": "task", "id": str(uuid.uuid4())}):
            r = self.owner.post(threads, {"subject": "s", "body": "b", "about": about})
            self.assertEqual(r.status, 400, (about, r))
            self.assertEqual(error_of(r).get("field"), "about.id", r)
        r = self.member.post(threads, {"subject": "s", "body": "b",
                                       "about": {"type": "document", "id": self.DI}})
        ghost = self.member.post(threads, {"subject": "s", "body": "b",
                                           "about": {"type": "document", "id": str(uuid.uuid4())}})
        self.assertEqual((r.status, error_of(r)["code"]), (ghost.status, error_of(ghost)["code"]))

    def test_client_admin_cannot_pull_in_users_it_does_not_see(self):
        # a user of another client, a staff user, the owner: for client X's
        # admin none is a member, the same 404 as a user that does not exist
        path = "/api/v1/clients/%s/members/%%s" % self.X
        ghost = self.c_admin.put(path % uuid.uuid4(), {"role": "member"})
        self.assertEqual(ghost.status, 404, ghost)
        for uid in (self.y_member.user["id"], self.staff_off.user["id"], self.owner.user["id"]):
            r = self.c_admin.put(path % uid, {"role": "member"})
            self.assertEqual((r.status, error_of(r)), (404, dict(
                error_of(ghost), request_id=error_of(r).get("request_id"))), uid)
        self.assertEqual([x["id"] for x in self.y_member.get("/api/v1/clients").json()["items"]],
                         [self.Y])

    def test_client_lists_per_role(self):
        def ids(c):
            return {i["id"] for i in c.get("/api/v1/clients?limit=200").json()["items"]}
        for role in ("viewer", "member", "c_admin", "staff_on"):
            self.assertEqual(ids(getattr(self, role)), {self.X}, role)
        self.assertEqual(ids(self.y_member), {self.Y})
        self.assertEqual(ids(self.staff_off), set())
        self.assertFalse(ids(self.b_owner) & {self.X, self.Y})
        for role in ("admin", "owner"):
            self.assertLessEqual({self.X, self.Y}, ids(getattr(self, role)), role)

    def test_client_admin_audit_is_its_client(self):
        r = self.c_admin.get("/api/v1/audit?limit=200")
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertTrue(items)
        self.assertEqual({i["client_id"] for i in items}, {self.X})
        r = self.c_admin.get("/api/v1/audit?client_id=%s" % self.Y)
        self.assertTrue(r.status == 404 or r.json()["items"] == [], r)
        r = self.c_admin.get("/api/v1/audit/export?format=jsonl")
        self.assertEqual(r.status, 200, r)
        lines = [json.loads(x) for x in r.body.decode().splitlines() if x.strip()]
        self.assertTrue(lines)
        self.assertEqual({x["client_id"] for x in lines}, {self.X})

    # api.md: "internal folders are visible to staff only"; a client admin's
    # audit trail is its client's, so the events about the internal folder and
    # its documents (names, ids, sha256) must not be in it: the document
    # service marks them details.staff_only, the audit list and export leave
    # them out for client users.
    def test_client_admin_audit_hides_internal_folders(self):
        hidden = {self.FI, self.DI}
        for path in ("/api/v1/audit?limit=200", "/api/v1/audit/export?format=jsonl"):
            r = self.c_admin.get(path)
            self.assertEqual(r.status, 200, r)
            events = (r.json()["items"] if "export" not in path else
                      [json.loads(x) for x in r.body.decode().splitlines() if x.strip()])
            self.assertTrue(events, path)
            for ev in events:
                rid = ev["resource"]["id"] if "resource" in ev else ev.get("resource_id")
                self.assertNotIn(rid, hidden, (path, ev))

    def test_api_token_carries_its_users_rights(self):
        # a Bearer token of the viewer: reads client X, changes nothing,
        # and client Y does not exist for it
        tok = self.made(self.viewer.post("/api/v1/me/tokens", {"name": "mx"}))["token"]
        c = Client(self.url)
        c.bearer = tok
        self.assertEqual(c.get("/api/v1/clients/%s/tasks" % self.X).status, 200)
        self.assertEqual(c.post("/api/v1/clients/%s/tasks" % self.X, {"title": "no"}).status, 403)
        self.assertEqual(c.get("/api/v1/clients/%s/tasks" % self.Y).status, 404)
        self.assertEqual(c.get("/api/v1/audit").status, 404)

    def test_membership_change_takes_effect_at_once(self):
        u = self.user(self.owner, "client", "member", self.X)
        path = "/api/v1/clients/%s/members/%s" % (self.X, u.user["id"])
        tasks = "/api/v1/clients/%s/tasks" % self.X
        self.assertEqual(u.post(tasks, {"title": "as member"}).status, 201)
        self.made(self.owner.put(path, {"role": "viewer"}), 200)
        self.assertEqual(u.post(tasks, {"title": "as viewer"}).status, 403)
        self.assertEqual(u.get(tasks).status, 200)
        self.assertEqual(self.owner.delete(path).status, 204)
        self.assertEqual(u.get(tasks).status, 404)
        self.assertEqual(u.get("/api/v1/documents/%s" % self.D).status, 404)
        self.made(self.owner.put(path, {"role": "member"}), 200)
        self.assertEqual(u.get("/api/v1/documents/%s" % self.D).status, 200)


class EmptyTenant(Fixture):
    """A firm with no data, and a client with no data, see nothing of others'
    (issue 3: "empty states and caches are where leaks hide")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # firm A with data in client X
        cls.owner = a = cls.signup()
        cls.X = cls.client(a, "Busy X")
        cls.made(a.post("/api/v1/clients/%s/folders" % cls.X, {"name": "F", "visibility": "shared"}))
        cls.upload(b"busy\n")
        cls.made(a.post("/api/v1/clients/%s/tasks" % cls.X, {"title": "busy"}))
        cls.made(a.post("/api/v1/clients/%s/threads" % cls.X, {"subject": "busy", "body": "b"}))
        cls.x_member = cls.user(a, "client", "member", cls.X)
        # client Y of the same firm with a member and an admin, no data
        cls.Y = cls.client(a, "Quiet Y")
        cls.y_member = cls.user(a, "client", "member", cls.Y)
        cls.y_admin = cls.user(a, "client", "admin", cls.Y)
        # firm B: its owner and nothing else
        cls.b_owner = cls.signup()

    def items(self, c, path):
        r = c.get(path)
        self.assertEqual(r.status, 200, (path, r))
        return r.json()["items"]

    def test_other_firm_sees_nothing(self):
        b = self.b_owner
        bid = b.user["id"]
        self.assertEqual(self.items(b, "/api/v1/clients"), [])
        self.assertEqual([s["id"] for s in self.items(b, "/api/v1/staff")], [bid])
        for path in ("/api/v1/clients/%s/documents", "/api/v1/clients/%s/folders",
                     "/api/v1/clients/%s/tasks", "/api/v1/clients/%s/threads",
                     "/api/v1/clients/%s/invoices", "/api/v1/clients/%s/members"):
            self.assertEqual(b.get(path % self.X).status, 404, path)
        for path in ("/api/v1/audit?limit=200", "/api/v1/me/activity?limit=200"):
            for ev in self.items(b, path):
                self.assertIn((ev["actor"] or {}).get("id"), (bid, None), (path, ev))
                self.assertIsNone(ev["client_id"], (path, ev))
        r = b.get("/api/v1/audit?client_id=%s" % self.X)
        self.assertTrue(r.status == 404 or r.json()["items"] == [], r)
        r = b.get("/api/v1/audit/export?format=jsonl")
        self.assertEqual(r.status, 200, r)
        self.assertNotIn(self.X.encode(), r.body)
        self.assertNotIn(self.owner.user["id"].encode(), r.body)

    def test_staff_on_no_client_sees_nothing(self):
        # staff see only the clients they are members of: none here
        s = self.user(self.owner, "staff", "staff")
        self.assertEqual(self.items(s, "/api/v1/clients"), [])
        for path in ("/api/v1/clients/%s/documents", "/api/v1/clients/%s/tasks",
                     "/api/v1/clients/%s/threads"):
            self.assertEqual(s.get(path % self.X).status, 404, path)
        self.assertEqual(s.get("/api/v1/audit").status, 404)

    def test_other_client_sees_nothing(self):
        for c in (self.y_member, self.y_admin):
            self.assertEqual([x["id"] for x in self.items(c, "/api/v1/clients")], [self.Y])
            for path in ("/api/v1/clients/%s/documents", "/api/v1/clients/%s/folders",
                         "/api/v1/clients/%s/tasks", "/api/v1/clients/%s/threads",
                         "/api/v1/clients/%s/invoices"):
                self.assertEqual(self.items(c, path % self.Y), [], path)
                self.assertEqual(c.get(path % self.X).status, 404, path)
            for ev in self.items(c, "/api/v1/me/activity?limit=200"):
                self.assertEqual(ev["actor"]["id"], c.user["id"], ev)
                self.assertIn(ev["client_id"], (self.Y, None), ev)
        self.assertEqual(self.y_member.get("/api/v1/audit").status, 404)
        # the client admin sees its client's trail and nothing of X's
        for ev in self.items(self.y_admin, "/api/v1/audit?limit=200"):
            self.assertEqual(ev["client_id"], self.Y, ev)
        r = self.y_admin.get("/api/v1/audit?client_id=%s" % self.X)
        self.assertTrue(r.status == 404 or r.json()["items"] == [], r)
        members = {m["user_id"] for m in self.items(self.y_admin,
                                                    "/api/v1/clients/%s/members" % self.Y)}
        self.assertNotIn(self.x_member.user["id"], members)


if __name__ == "__main__":
    unittest.main()
