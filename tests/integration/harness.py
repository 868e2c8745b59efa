"""Integration-test harness: a private Atrium stack and an HTTP client.

A stack is the real thing (PostgreSQL, Redis, bus, every service, gateway)
started by scripts/atrium-run --background in a temporary data folder on a
free port. ctest starts one shared stack as a fixture and passes its URL in
ATRIUM_TEST_URL; a test that kills processes starts its own with Stack.start().

Standard library only: urllib for HTTP, http.cookiejar for the session cookie.
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import http.cookiejar

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN_DIR = os.environ.get("ATRIUM_BIN_DIR", os.path.join(ROOT, "build", "bin"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """A running stack: .url, .data_dir; stop() ends it and removes its data."""

    def __init__(self, url, data_dir, owned):
        self.url = url
        self.data_dir = data_dir
        self.owned = owned

    @classmethod
    def from_env(cls):
        url = os.environ.get("ATRIUM_TEST_URL")
        if url:
            return cls(url, os.environ.get("ATRIUM_TEST_DATA", ""), False)
        path = os.environ.get("ATRIUM_TEST_STACK_FILE")
        if path and os.path.exists(path):
            with open(path) as f:
                info = json.load(f)
            return cls(info["url"], info["data_dir"], False)
        return cls.start()

    @classmethod
    def start(cls, extra_env=None):
        data_dir = tempfile.mkdtemp(prefix="at-", dir="/tmp")
        port = free_port()
        env = dict(os.environ, ATRIUM_DATA_DIR=data_dir, ATRIUM_HTTP_PORT=str(port),
                   ATRIUM_BIN_DIR=BIN_DIR, ATRIUM_DEMO="0", ATRIUM_SIGNUP="open")
        env.update(extra_env or {})
        # an ASan build's processes: leaks inside third-party libraries only
        env.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(ROOT, "tests", "lsan.supp"))
        out = subprocess.run([os.path.join(ROOT, "scripts", "atrium-run"), "--background"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            raise RuntimeError("stack did not start:\n" + out.stdout + out.stderr)
        return cls("http://127.0.0.1:%d" % port, data_dir, True)

    def pids(self, comm):
        """Pids of this stack's processes named comm (e.g. "atrium-document"),
        found by the ATRIUM_RUN_TAG that atrium-run puts in their environment,
        or by a working folder inside the stack's data folder."""
        tag = ("ATRIUM_RUN_TAG=" + os.path.realpath(self.data_dir)).encode()
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/comm" % d, "rb") as f:
                    if f.read().strip().decode() != comm[:15]:
                        continue
                with open("/proc/%s/environ" % d, "rb") as f:
                    tagged = tag in f.read().split(b"\0")
                # PostgreSQL and Redis are started with a clean environment:
                # theirs is the working folder inside the data folder
                cwd = os.readlink("/proc/%s/cwd" % d)
                if tagged or cwd.startswith(os.path.realpath(self.data_dir) + "/"):
                    out.append(int(d))
            except OSError:
                continue
        return out

    def run_env(self):
        return dict(os.environ, ATRIUM_DATA_DIR=self.data_dir, ATRIUM_BIN_DIR=BIN_DIR)

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: AddressSanitizer")

    def sanitizer_reports(self):
        """Lines of the stack's logs where a sanitizer reported (a build with
        -DATRIUM_SANITIZE=ON writes them to each process's stderr)."""
        found = []
        logs = os.path.join(self.data_dir, "log")
        for name in sorted(os.listdir(logs)) if os.path.isdir(logs) else []:
            with open(os.path.join(logs, name), errors="replace") as f:
                for line in f:
                    if any(m in line for m in self.SANITIZER_MARKS):
                        found.append("%s: %s" % (name, line.rstrip()))
        return found

    def stop(self):
        """Stops an owned stack and removes its data. Raises when a process
        of the stack reported a sanitizer error, so such a run fails."""
        if not self.owned:
            return
        subprocess.run([os.path.join(ROOT, "scripts", "atrium-run"), "stop"],
                       env=self.run_env(), cwd=ROOT, capture_output=True, timeout=120)
        reports = self.sanitizer_reports()
        if reports:
            keep = self.data_dir
            raise AssertionError("sanitizer reports (logs kept in %s):\n%s"
                                 % (keep, "\n".join(reports[:40])))
        shutil.rmtree(self.data_dir, ignore_errors=True)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        return self.headers.get(name)

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


class Client:
    """An HTTP client with its own cookie jar. After login/signup it sends
    the X-CSRF-Token header on every state-changing request."""

    def __init__(self, base_url, timeout=30):
        self.base = base_url.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.csrf = None
        self.timeout = timeout
        self.user = None
        self.bearer = None

    def request(self, method, path, json_body=None, data=None, headers=None, csrf=True):
        hdrs = dict(headers or {})
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        if csrf and self.csrf and method in ("POST", "PUT", "PATCH", "DELETE"):
            hdrs.setdefault("X-CSRF-Token", self.csrf)
        if self.bearer:
            hdrs.setdefault("Authorization", "Bearer " + self.bearer)
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body=json_body, **kw)

    def patch(self, path, json_body=None, **kw):
        return self.request("PATCH", path, json_body=json_body, **kw)

    def put(self, path, json_body=None, **kw):
        return self.request("PUT", path, json_body=json_body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def _take_session(self, r):
        if r.status in (200, 201):
            j = r.json()
            self.csrf = j.get("csrf_token", self.csrf)
            self.user = j.get("user", self.user)
        return r

    def signup(self, firm_name=None, email=None, password=None, name="Owner"):
        """Signs up a new firm; returns the response. Credentials are kept
        on the client as .email and .password."""
        self.email = email or "owner-%s@example.test" % secrets.token_hex(6)
        self.password = password or "pw-" + secrets.token_urlsafe(12)
        r = self.post("/api/v1/signup", {"firm_name": firm_name or "Firm " + secrets.token_hex(4),
                                         "name": name, "email": self.email,
                                         "password": self.password})
        return self._take_session(r)

    def login(self, email, password):
        r = self.post("/api/v1/auth/login", {"email": email, "password": password})
        return self._take_session(r)


def wait_until(fn, timeout=60, interval=0.25):
    """Calls fn until it returns a truthy value or timeout seconds pass."""
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(interval)
    return None
