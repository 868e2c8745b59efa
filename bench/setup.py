"""bench/setup.py URL WORKDIR N: signs up a firm, creates a client, uploads N
small documents, and writes the wrk Lua scripts (cookie for GET /me and the
list, a login body) and the client id into WORKDIR."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from harness import Client  # noqa: E402

url, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Client(url)
r = c.signup(firm_name="Bench LLP")
assert r.status == 201, r
cl = c.post("/api/v1/clients", {"name": "Bench Client"})
assert cl.status == 201, cl
cid = cl.json()["id"]
for i in range(n):
    up = c.post("/api/v1/clients/%s/documents?name=doc-%05d.txt" % (cid, i),
                data=("document %d\n" % i).encode(), headers={"Content-Type": "text/plain"})
    assert up.status == 201, up
cookie = [ck for ck in c.jar if ck.name == "atrium_session"][0].value
with open(os.path.join(work, "client_id"), "w") as f:
    f.write(cid)
with open(os.path.join(work, "me.lua"), "w") as f:
    f.write('wrk.headers["Cookie"] = "atrium_session=%s"\n' % cookie)
with open(os.path.join(work, "login.lua"), "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            'wrk.body = \'{"email": "%s", "password": "%s"}\'\n' % (c.email, c.password))
print("bench: %d documents in client %s" % (n, cid))
