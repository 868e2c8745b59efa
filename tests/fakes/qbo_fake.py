#!/usr/bin/env python3
"""qbo_fake: a local QuickBooks Online (Accounting v3) double for billing-sync tests.

It speaks the wire protocol of shared/integrations.md Part A (OAuth A1, query A3, entity shapes A5,
faults A6, limits A7) with the Part D knobs tests need today. It deliberately does not do CDC,
webhooks, writes through /v3 (only the /_fake control API changes data), XML entity bodies (a
request without `Accept: application/json` gets a minimal XML envelope only) or HubSpot.

Python 3 standard library only. Start it with `--port 0` and read the first stdout line,
`PORT <n>`: the port is bound before it is printed, so there is no race over a free port.

Control API (JSON bodies, no auth; tests only):
  POST /_fake/reset            data, tokens, stats, clock and knobs back to the start-up state
  GET  /_fake/stats            request counts per endpoint kind and per HTTP status
  POST /_fake/config           change knobs: {"latency_ms":..,"rate_per_min":..,"max_in_flight":..,
                               "access_ttl":..,"rotation_s":..,"grace_s":..,"fault_casing":"upper"|
                               "lower","maxresults_over_cap":"clamp"|"error"}
  POST /_fake/inject           queue faults for the next API calls: {"status":429|500|503|...,
                               "count":N,"retry_after":S (optional),"path":"query"|"token"}
  POST /_fake/clock            {"advance": seconds} moves the fake clock forward
  POST /_fake/tokens           mints a token pair for the realm: {"access_token","refresh_token"}
  POST /_fake/invoices|customers|payments
                               a QBO-shaped object or a list of them; an existing Id is merged and
                               gets SyncToken+1 and a new LastUpdatedTime; "_void": true voids an
                               invoice the way QBO shows it; answers the stored objects
"""

import argparse
import base64
import datetime as dt
import json
import random
import re
import secrets
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

COMPANY_TZ = ZoneInfo("America/Los_Angeles")  # sandbox companies are US/Pacific (A3)
ISO_DECIMALS = {"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "CHF": 2, "JPY": 0, "KWD": 3,
                "BHD": 3}
CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling",
                  "CAD": "Canadian Dollar", "AUD": "Australian Dollar", "CHF": "Swiss Franc",
                  "JPY": "Japanese Yen", "KWD": "Kuwaiti Dinar", "BHD": "Bahraini Dinar"}
ENTITIES = {"invoice": "Invoice", "customer": "Customer", "payment": "Payment"}
THROTTLE_XML = (
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{t}">'
    '<Fault type="SERVICE"><Error code="3001">'
    '<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>'
    '<Detail>The request limit was reached.  Try again later</Detail></Error></Fault>'
    '</IntuitResponse>')


class QueryError(Exception):
    """A statement the fake cannot parse: answered as Fault 4000 (A6)."""


# ---------------------------------------------------------------- time helpers

def qbo_time(epoch):
    """Seconds since the epoch -> QBO's company-offset second-precision stamp (A3)."""
    return dt.datetime.fromtimestamp(int(epoch), COMPANY_TZ).isoformat()


def parse_time(text):
    """A literal from a query; no offset means company time, as QBO does (P8)."""
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise QueryError("unparseable date '%s'" % text)
    if t.tzinfo is None:
        t = t.replace(tzinfo=COMPANY_TZ)
    return t.timestamp()


def money(minor, decimals):
    """Integer minor units -> the JSON number QBO would send (1250.5, 1500.0, 12.125)."""
    return float(Decimal(minor).scaleb(-decimals))


# ---------------------------------------------------------------- query language (A3)

TOKEN_RE = re.compile(r"""\s*(?:
    (?P<str>'(?:\\.|[^'\\])*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|=|<|>|\(|\)|,|\*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
  )""", re.X)


def tokenize(stmt):
    toks, pos, stmt = [], 0, stmt.rstrip()
    while pos < len(stmt):
        m = TOKEN_RE.match(stmt, pos)
        if not m or m.end() == pos:
            raise QueryError("Encountered \"%s\" at line 1, column %d" % (stmt[pos:pos + 10], pos + 1))
        pos = m.end()
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "str":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        toks.append((kind, text))
    return toks


def parse_query(stmt):
    """-> dict(entity, count, where=[(path, op, value)], order=(path, desc)|None, start, max)."""
    toks = tokenize(stmt)
    i = 0

    def peek(word=None):
        if i >= len(toks):
            return None
        k, t = toks[i]
        if word is None:
            return toks[i]
        return (k == "word" and t.lower() == word) or None

    def take(kind=None, word=None):
        nonlocal i
        if i >= len(toks):
            raise QueryError("Encountered \"<EOF>\"")
        k, t = toks[i]
        if (kind and k != kind) or (word and (k != "word" or t.lower() != word)):
            raise QueryError("Encountered \"%s\" at token %d" % (t, i + 1))
        i += 1
        return t

    q = {"count": False, "where": [], "order": None, "start": 1, "max": None}
    take(word="select")
    if peek() == ("op", "*"):
        take()
    else:
        if take(kind="word").lower() != "count":
            raise QueryError("only select * and count(*) are supported")
        take(kind="op"), take(kind="op"), take(kind="op")
        q["count"] = True
    take(word="from")
    ent = take(kind="word")
    if ent.lower() not in ENTITIES:
        raise QueryError("unknown entity %s" % ent)
    q["entity"] = ENTITIES[ent.lower()]
    if peek("where"):
        take()
        while True:
            path = take(kind="word")
            k, op = toks[i] if i < len(toks) else (None, None)
            if k == "op" and op in ("=", "<", ">", "<=", ">=", "!="):
                i += 1
                q["where"].append((path, op, literal(take())))
            elif k == "word" and op.lower() in ("in", "like"):
                i += 1
                if op.lower() == "like":
                    q["where"].append((path, "like", literal(take())))
                else:
                    take(kind="op")
                    vals = [literal(take())]
                    while peek() == ("op", ","):
                        take()
                        vals.append(literal(take()))
                    take(kind="op")
                    q["where"].append((path, "in", vals))
            else:
                raise QueryError("Encountered \"%s\"" % op)
            if peek("and"):
                take()
                continue
            if peek("or"):
                raise QueryError("OR is not supported")
            break
    if peek("orderby") or peek("order"):
        if take().lower() == "order":
            take(word="by")
        path = take(kind="word")
        desc = False
        if peek("asc") or peek("desc"):
            desc = take().lower() == "desc"
        q["order"] = (path, desc)
    if peek("startposition"):
        take()
        q["start"] = int(take(kind="num"))
    if peek("maxresults"):
        take()
        q["max"] = int(take(kind="num"))
    if i != len(toks):
        raise QueryError("Encountered \"%s\"" % toks[i][1])
    return q


def literal(tok):
    # The tokenizer has already unescaped strings; numbers and booleans stay typed.
    if isinstance(tok, str) and tok.lower() in ("true", "false"):
        return tok.lower() == "true"
    return tok


def lookup(obj, path):
    """Case-insensitive dotted lookup; a *Ref resolves to its value (A3)."""
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        key = next((k for k in cur if k.lower() == part.lower()), None)
        if key is None:
            return None
        cur = cur[key]
    if isinstance(cur, dict) and "value" in cur:
        cur = cur["value"]
    return cur


def comparable(path, value):
    if value is None:
        return None
    if path.lower().endswith("time"):
        return parse_time(value) if isinstance(value, str) else value
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    return value


def matches(obj, cond):
    path, op, want = cond
    if path.lower() == "metadata.lastupdatedtime":
        have = obj["_t"]     # pre-parsed: the incremental filter runs over every row per page
    else:
        have = comparable(path, lookup(obj, path))
    if op == "in":
        return have in [comparable(path, w) for w in want]
    if op == "like":
        rx = "^" + ".*".join(re.escape(p) for p in str(want).split("%")) + "$"
        return have is not None and re.match(rx, str(have), re.I) is not None
    want = comparable(path, want)
    if have is None or type(have) is not type(want):
        return False
    return {"=": have == want, "!=": have != want, "<": have < want, ">": have > want,
            "<=": have <= want, ">=": have >= want}[op]


# ---------------------------------------------------------------- the company's data

class Company:
    def __init__(self, args):
        self.args = args
        self.lock = threading.RLock()   # handlers answer while holding it
        self.reset()

    def reset(self):
        a = self.args
        self.clock_offset = 0.0
        self.knobs = {"latency_ms": a.latency_ms, "rate_per_min": a.rate_per_min,
                      "max_in_flight": a.max_in_flight, "access_ttl": a.access_ttl,
                      "rotation_s": a.rotation_s, "grace_s": a.grace_s,
                      "fault_casing": a.fault_casing, "maxresults_over_cap": "clamp"}
        self.injections = []     # [{"status", "count", "retry_after", "path"}]
        self.stats = {"requests": {}, "status": {}, "max_in_flight_seen": 0}
        self.in_flight = 0
        self.window = []         # API request times within the last 60 s (A7)
        self.codes = {}          # auth code -> (redirect_uri, expires_at)
        self.access = {}         # access token -> expires_at
        self.refresh = {}        # refresh token -> {"issued", "window_end", "dead_at"}
        self.rows = {"Invoice": {}, "Customer": {}, "Payment": {}}
        self.cache = {}          # (entity, id, with_link) -> serialized JSON
        self.next_id = {"Invoice": 1, "Customer": 1, "Payment": 1}
        if a.refresh_token:
            self._new_refresh(a.refresh_token)
        if a.seed:
            with open(a.seed) as f:
                seed = json.load(f)
            for ent, key in (("Customer", "customers"), ("Invoice", "invoices"),
                             ("Payment", "payments")):
                for obj in seed.get(key, []):
                    self._put(ent, obj, bump=False)
        self._generate(a.customers, a.invoices, a.currencies.split(","))
        for ent, table in self.rows.items():      # serialize once now, not during the first pull
            for row in table.values():
                self.serialized(ent, row, False)

    def now(self):
        return time.time() + self.clock_offset

    # -- generated data: deterministic for a given --random-seed
    def _generate(self, n_customers, n_invoices, currencies):
        rnd = random.Random(self.args.random_seed)
        base = dt.datetime(2025, 1, 1, 9, 0, tzinfo=COMPANY_TZ).timestamp()
        cust_ids = []
        for c in range(n_customers):
            cur = currencies[c % len(currencies)]
            obj = {"DisplayName": "Customer %d" % (c + 1),
                   "FullyQualifiedName": "Customer %d" % (c + 1),
                   "CompanyName": "Customer %d LLC" % (c + 1),
                   "PrimaryEmailAddr": {"Address": "ap%d@customer.example" % (c + 1)},
                   "Active": True, "Balance": 0.0, "BalanceWithJobs": 0.0,
                   "CurrencyRef": {"value": cur, "name": CURRENCY_NAMES.get(cur, cur)},
                   "MetaData": {"CreateTime": qbo_time(base), "LastUpdatedTime": qbo_time(base)}}
            cust_ids.append(self._put("Customer", obj, bump=False)["Id"])
        if not cust_ids and n_invoices:
            raise SystemExit("--invoices needs at least one customer")
        for n in range(n_invoices):
            cust = self.rows["Customer"][cust_ids[n % len(cust_ids)]]
            cur = cust["CurrencyRef"]["value"]
            d = ISO_DECIMALS.get(cur, 2)
            qty = rnd.randint(1, 5)
            unit = rnd.randint(1, 2000 * 10 ** d) if d else rnd.randint(1, 2000) * 100
            total = qty * unit
            txn = dt.date(2025, 1, 1) + dt.timedelta(days=n % 700)
            kind = n % 10   # 6-7 paid, 8 half paid, every 50th voided, the rest open by due date
            balance = total
            if kind in (6, 7):
                balance = 0
            elif kind == 8:
                balance = total // 2
            stamp = base + n * 60
            obj = {"DocNumber": str(1001 + n), "TxnDate": txn.isoformat(),
                   "DueDate": (txn + dt.timedelta(days=30)).isoformat(),
                   "CurrencyRef": dict(cust["CurrencyRef"]),
                   "CustomerRef": {"value": cust["Id"], "name": cust["DisplayName"]},
                   "Line": [{"Id": "1", "LineNum": 1, "Amount": money(total, d),
                             "Description": "Services %d" % (n + 1),
                             "DetailType": "SalesItemLineDetail",
                             "SalesItemLineDetail": {"ItemRef": {"value": "7", "name": "Consulting"},
                                                     "UnitPrice": money(unit, d), "Qty": qty,
                                                     "TaxCodeRef": {"value": "NON"}}},
                            {"Amount": money(total, d), "DetailType": "SubTotalLineDetail",
                             "SubTotalLineDetail": {}}],
                   "TotalAmt": money(total, d), "Balance": money(balance, d),
                   "EmailStatus": "EmailSent", "PrintStatus": "NotSet",
                   "BillEmail": dict(cust["PrimaryEmailAddr"]),
                   "AllowOnlineCreditCardPayment": True, "AllowOnlineACHPayment": True,
                   "MetaData": {"CreateTime": qbo_time(stamp), "LastUpdatedTime": qbo_time(stamp)}}
            inv = self._put("Invoice", obj, bump=False)
            if kind == 9 and n % 50 == 49:
                self._void(inv)
            elif balance != total:
                pay = {"TxnDate": txn.isoformat(), "CurrencyRef": dict(cust["CurrencyRef"]),
                       "CustomerRef": dict(inv["CustomerRef"]),
                       "TotalAmt": money(total - balance, d), "UnappliedAmt": 0,
                       "Line": [{"Amount": money(total - balance, d),
                                 "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
                       "MetaData": {"CreateTime": qbo_time(stamp + 30),
                                    "LastUpdatedTime": qbo_time(stamp + 30)}}
                p = self._put("Payment", pay, bump=False)
                inv["LinkedTxn"] = [{"TxnId": p["Id"], "TxnType": "Payment"}]

    def _void(self, inv):
        # How QBO shows a voided invoice: amounts zeroed, memo "Voided", links dropped.
        for line in inv.get("Line", []):
            line["Amount"] = 0.0
            if "SalesItemLineDetail" in line:
                line["SalesItemLineDetail"]["UnitPrice"] = 0
                line["SalesItemLineDetail"]["Qty"] = 0
        inv["TotalAmt"] = 0.0
        inv["Balance"] = 0.0
        inv["PrivateNote"] = "Voided"
        inv.pop("LinkedTxn", None)

    def _put(self, ent, obj, bump=True):
        obj = json.loads(json.dumps(obj))
        void = obj.pop("_void", False)
        table = self.rows[ent]
        now = qbo_time(self.now())
        oid = str(obj.get("Id") or "")
        if oid and oid in table:
            row = table[oid]
            row.update({k: v for k, v in obj.items() if k not in ("Id", "MetaData")})
            row["SyncToken"] = str(int(row["SyncToken"]) + 1)
            row["MetaData"]["LastUpdatedTime"] = now
        else:
            if not oid:
                oid = str(self.next_id[ent])
            self.next_id[ent] = max(self.next_id[ent], int(oid) + 1 if oid.isdigit() else 0)
            row = {"Id": oid, "SyncToken": str(obj.pop("SyncToken", "0")), "domain": "QBO",
                   "sparse": False}
            row.update(obj)
            row["Id"] = oid
            row.setdefault("MetaData", {"CreateTime": now, "LastUpdatedTime": now})
            if ent == "Customer":
                row.setdefault("Active", True)
            table[oid] = row
        if void and ent == "Invoice":
            self._void(row)
        row["_t"] = parse_time(row["MetaData"]["LastUpdatedTime"])
        row["_n"] = int(oid) if oid.isdigit() else 0
        for link in (False, True):
            self.cache.pop((ent, oid, link), None)
        return row

    def public(self, row):
        return {k: v for k, v in row.items() if not k.startswith("_")}

    def serialized(self, ent, row, with_link):
        key = (ent, row["Id"], with_link)
        text = self.cache.get(key)
        if text is None:
            obj = self.public(row)
            if with_link and ent == "Invoice" and obj.get("BillEmail") and (
                    obj.get("AllowOnlineCreditCardPayment") or obj.get("AllowOnlineACHPayment")):
                obj["InvoiceLink"] = "https://connect.intuit.example/portal/app/CommerceNetwork/" \
                                     "view/scs-v1-%s-%s" % (self.args.realm, row["Id"])
            text = json.dumps(obj, separators=(",", ":"))
            self.cache[key] = text
        return text

    # -- OAuth (A1)
    def _new_refresh(self, value=None):
        value = value or "AB11" + secrets.token_urlsafe(36)
        now = self.now()
        self.refresh[value] = {"issued": now, "window_end": now + 8640000, "dead_at": None}
        return value

    def _new_access(self):
        value = "eyJ" + secrets.token_urlsafe(48)
        self.access[value] = self.now() + self.knobs["access_ttl"]
        return value

    def token_response(self, rt, hard):
        info = self.refresh[rt]
        body = {"token_type": "bearer", "access_token": self._new_access(),
                "expires_in": int(self.knobs["access_ttl"]), "refresh_token": rt,
                "x_refresh_token_expires_in": int(info["window_end"] - self.now())}
        if hard:
            body["x_refresh_token_hard_expires_in"] = int(info["issued"] + 157680000 - self.now())
        return body

    def refresh_ok(self, rt):
        info = self.refresh.get(rt)
        now = self.now()
        return info is not None and now < info["window_end"] and (
            info["dead_at"] is None or now < info["dead_at"])

    def rotate(self, rt):
        """A refresh with rt: same value inside the rotation period, else a new one (A1)."""
        info = self.refresh[rt]
        now = self.now()
        if now - info["issued"] < self.knobs["rotation_s"]:
            info["window_end"] = now + 8640000      # the rolling window restarts on use
            return rt
        info["dead_at"] = now + self.knobs["grace_s"]
        return self._new_refresh()


# ---------------------------------------------------------------- HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "qbo-fake/1"
    company = None  # set in main

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("qbo_fake: " + fmt % args + "\n")

    def setup(self):
        super().setup()
        # Headers and body leave in two writes; without this, delayed ACK adds ~40 ms to each.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing
    def _count(self, kind):
        with self.company.lock:
            r = self.company.stats["requests"]
            r[kind] = r.get(kind, 0) + 1

    def _send(self, status, body, ctype="application/json;charset=UTF-8", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":"))
        data = body.encode() if isinstance(body, str) else body
        with self.company.lock:
            s = self.company.stats["status"]
            s[str(status)] = s.get(str(status), 0) + 1
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("intuit_tid", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _json_body(self):
        raw = self._body()
        return json.loads(raw) if raw else {}

    def _time(self):
        return dt.datetime.fromtimestamp(self.company.now(), COMPANY_TZ).isoformat(
            timespec="milliseconds")

    def _fault(self, status, code, message, detail="", ftype="ValidationFault"):
        c = self.company
        if c.knobs["fault_casing"] == "lower" and status == 401:
            body = {"fault": {"error": [{"message": message, "detail": detail, "code": code}],
                              "type": "AUTHENTICATION"}}
        else:
            body = {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code,
                                         "element": ""}], "type": ftype}, "time": self._time()}
        self._send(status, body)

    def _injected(self, path_kind):
        """Pops a queued fault for this endpoint kind; True when one was answered."""
        c = self.company
        with c.lock:
            inj = next((j for j in c.injections if j.get("path", "query") == path_kind), None)
            if inj:
                inj["count"] -= 1
                if inj["count"] <= 0:
                    c.injections.remove(inj)
        if not inj:
            return False
        status = int(inj["status"])
        headers = {"Retry-After": str(inj["retry_after"])} if "retry_after" in inj else None
        if status == 429:
            self._send(429, THROTTLE_XML.format(t=self._time()), "application/xml", headers)
        elif status >= 500:
            self._send(status, {"Fault": {"Error": [{"Message": "An application error has occurred",
                                                     "Detail": "injected", "code": "10000"}],
                                          "type": "SystemFault"}, "time": self._time()},
                       headers=headers)
        else:
            self._fault(status, str(inj.get("code", "2310")), inj.get("message", "injected"))
        return True

    # -- routing
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        parts = u.path.strip("/").split("/")
        if u.path == "/_fake/stats":
            with self.company.lock:
                return self._send(200, json.loads(json.dumps(self.company.stats)))
        if u.path == "/connect/oauth2":
            return self.authorize(urllib.parse.parse_qs(u.query))
        if len(parts) == 4 and parts[:2] == ["v3", "company"] and parts[3] == "query":
            return self.api(parts[2], urllib.parse.parse_qs(u.query))
        self._count("other")
        self._send(404, {"error": "not_found"})

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/oauth2/v1/tokens/bearer":
            return self.token()
        if u.path.startswith("/_fake/"):
            return self.control(u.path[len("/_fake/"):])
        parts = u.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["v3", "company"] and parts[3] == "query":
            qs = urllib.parse.parse_qs(u.query)
            qs["query"] = [self._body().decode()]
            return self.api(parts[2], qs)
        self._count("other")
        self._send(404, {"error": "not_found"})

    # -- OAuth
    def authorize(self, qs):
        self._count("authorize")
        c = self.company
        get = lambda k: (qs.get(k) or [""])[0]
        if get("client_id") != c.args.client_id or get("response_type") != "code" \
                or not get("redirect_uri"):
            return self._send(400, {"error": "invalid_request"})
        code = "AB" + secrets.token_urlsafe(24)
        with c.lock:
            c.codes[code] = (get("redirect_uri"), c.now() + 300)
        q = urllib.parse.urlencode({"code": code, "state": get("state"), "realmId": c.args.realm})
        sep = "&" if "?" in get("redirect_uri") else "?"
        self.send_response(302)
        self.send_header("Location", get("redirect_uri") + sep + q)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with c.lock:
            c.stats["status"]["302"] = c.stats["status"].get("302", 0) + 1

    def token(self):
        self._count("token")
        c = self.company
        if self._injected("token"):
            return
        form = urllib.parse.parse_qs(self._body().decode())
        get = lambda k: (form.get(k) or [""])[0]
        cid, secret = get("client_id"), get("client_secret")     # client_secret_post
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                cid = secret = ""
        if cid != c.args.client_id or secret != c.args.client_secret:
            return self._send(401, {"error": "invalid_client"})
        hard = self.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
        with c.lock:
            grant = get("grant_type")
            if grant == "authorization_code":
                entry = c.codes.pop(get("code"), None)    # single use
                if not entry or entry[1] < c.now() or entry[0] != get("redirect_uri"):
                    return self._send(400, {"error": "invalid_grant"})
                body = c.token_response(c._new_refresh(), hard)
            elif grant == "refresh_token":
                rt = get("refresh_token")
                if not c.refresh_ok(rt):
                    return self._send(400, {"error": "invalid_grant",
                                            "error_description": "Incorrect or invalid refresh token"})
                body = c.token_response(c.rotate(rt), hard)
            else:
                return self._send(400, {"error": "unsupported_grant_type"})
        self._send(200, body, headers={"Cache-Control": "no-store"})

    # -- the API
    def api(self, realm, qs):
        self._count("query")
        c = self.company
        with c.lock:
            now = c.now()
            c.in_flight += 1
            c.stats["max_in_flight_seen"] = max(c.stats["max_in_flight_seen"], c.in_flight)
            c.window = [t for t in c.window if t > now - 60] + [now]
            over = (c.knobs["rate_per_min"] and len(c.window) > c.knobs["rate_per_min"]) or \
                   (c.knobs["max_in_flight"] and c.in_flight > c.knobs["max_in_flight"])
            latency = c.knobs["latency_ms"]
        try:
            if latency:
                time.sleep(latency / 1000.0)
            if self._injected("query"):
                return
            if over:
                return self._send(429, THROTTLE_XML.format(t=self._time()), "application/xml")
            auth = self.headers.get("Authorization", "")
            token = auth[7:] if auth.lower().startswith("bearer ") else ""
            with c.lock:
                exp = c.access.get(token)
                valid = exp is not None and exp > c.now()
            if not valid:
                return self._fault(401, "3200", "message=AuthenticationFailed; errorCode=003200; "
                                   "statusCode=401", "Token expired", "AUTHENTICATION")
            if realm != c.args.realm:
                return self._fault(403, "003100", "message=ApplicationAuthorizationFailed; "
                                   "errorCode=003100; statusCode=403", "", "AuthorizationFault")
            if "application/json" not in self.headers.get("Accept", ""):
                return self._send(200, '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"'
                                       ' time="%s"><QueryResponse/></IntuitResponse>' % self._time(),
                                  "application/xml;charset=UTF-8")
            self.query(qs)
        finally:
            with c.lock:
                c.in_flight -= 1

    def query(self, qs):
        c = self.company
        stmt = (qs.get("query") or [""])[0]
        minor = int((qs.get("minorversion") or ["75"])[0] or 75)
        with_link = "invoiceLink" in (qs.get("include") or [""])[0].split(",") and minor >= 36
        try:
            q = parse_query(stmt)
        except QueryError as e:
            return self._fault(400, "4000", "Error parsing query",
                               "QueryParserError: %s" % e)
        ent = q["entity"]
        try:
            with c.lock:
                rows = list(c.rows[ent].values())
            if ent == "Customer" and not any(p.lower() == "active" for p, _, _ in q["where"]):
                rows = [r for r in rows if r.get("Active", True)]   # name lists: active only
            for cond in q["where"]:
                rows = [r for r in rows if matches(r, cond)]
        except QueryError as e:
            return self._fault(400, "4000", "Error parsing query", "QueryParserError: %s" % e)
        if q["count"]:
            return self._send(200, {"QueryResponse": {"totalCount": len(rows)}, "time": self._time()})
        if q["order"]:
            path, desc = q["order"]
            if path.lower() == "metadata.lastupdatedtime":
                key = lambda r: (r["_t"], r["_n"])
            else:
                key = lambda r: (comparable(path, lookup(r, path)) is None,
                                 comparable(path, lookup(r, path)) or 0, r["_n"])
            rows.sort(key=key, reverse=desc)
        else:
            rows.sort(key=lambda r: r["_n"])
        limit = q["max"] if q["max"] is not None else 100          # default page 100 (A3)
        if limit > 1000:
            if c.knobs["maxresults_over_cap"] == "error":
                return self._fault(400, "4000", "Error parsing query",
                                   "QueryValidationError: MAXRESULTS must not exceed 1000")
            limit = 1000
        start = max(q["start"], 1)
        page = rows[start - 1:start - 1 + limit]
        if not page:
            body = '{"QueryResponse":{},"time":"%s"}' % self._time()
        else:
            with c.lock:
                items = ",".join(c.serialized(ent, r, with_link) for r in page)
            body = '{"QueryResponse":{"%s":[%s],"startPosition":%d,"maxResults":%d},"time":"%s"}' % (
                ent, items, start, len(page), self._time())
        self._send(200, body, headers={"QBO-Version": "1995.182", "Service-Time": "total=1, db=1"})

    # -- control API
    def control(self, what):
        c = self.company
        try:
            body = self._json_body()
        except ValueError:
            return self._send(400, {"error": "bad json"})
        if what == "reset":
            with c.lock:
                c.reset()
            return self._send(200, {"ok": True})
        if what == "config":
            with c.lock:
                unknown = [k for k in body if k not in c.knobs]
                if unknown:
                    return self._send(400, {"error": "unknown knobs", "knobs": unknown})
                c.knobs.update(body)
                return self._send(200, dict(c.knobs))
        if what == "inject":
            body.setdefault("count", 1)
            with c.lock:
                c.injections.append(body)
            return self._send(200, {"ok": True})
        if what == "clock":
            with c.lock:
                c.clock_offset += float(body.get("advance", 0))
                return self._send(200, {"now": c.now()})
        if what == "tokens":
            with c.lock:
                rt = c._new_refresh()
                return self._send(200, c.token_response(rt, False))
        ent = {"invoices": "Invoice", "customers": "Customer", "payments": "Payment"}.get(what)
        if ent:
            objs = body if isinstance(body, list) else [body]
            with c.lock:
                out = [c.public(c._put(ent, o)) for o in objs]
            return self._send(200, out)
        self._send(404, {"error": "unknown control %s" % what})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed as PORT n)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--realm", default="9130355678")
    p.add_argument("--client-id", default="fake-client-id")
    p.add_argument("--client-secret", default="fake-client-secret")
    p.add_argument("--refresh-token", default="", help="a refresh token valid from the start")
    p.add_argument("--seed", help="JSON file {customers:[], invoices:[], payments:[]} in QBO shape")
    p.add_argument("--invoices", type=int, default=0, help="generated invoices")
    p.add_argument("--customers", type=int, default=50, help="generated customers")
    p.add_argument("--currencies", default="USD,EUR,JPY,KWD",
                   help="generated customers' currencies, assigned round-robin")
    p.add_argument("--random-seed", type=int, default=1)
    p.add_argument("--latency-ms", type=int, default=0, help="added to every API request")
    p.add_argument("--rate-per-min", type=int, default=500, help="per realm, 0 = off (A7)")
    p.add_argument("--max-in-flight", type=int, default=10, help="per realm, 0 = off (A7)")
    p.add_argument("--access-ttl", type=int, default=3600, help="access token life, s (A1)")
    p.add_argument("--rotation-s", type=int, default=86400, help="refresh token rotation period")
    p.add_argument("--grace-s", type=int, default=0, help="superseded refresh token grace, s")
    p.add_argument("--fault-casing", choices=("upper", "lower"), default="upper",
                   help="casing of 401 Fault bodies (A6)")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)

    Handler.company = Company(args)
    ThreadingHTTPServer.request_queue_size = 128   # the default 5 refuses bursts of clients
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.verbose = args.verbose
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
