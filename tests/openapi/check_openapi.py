#!/usr/bin/env python3
"""check_openapi: gateway/openapi.yaml lists exactly the routes the gateway serves.

Served routes come from the C sources, read as text:
  - every row `{"METHOD", "/path", ...}` of gateway/routes_*.c (the JSON
    route tables, one per service);
  - the rows of `s_stream_routes` in gateway/gw_routes.c (streaming upload
    and download);
  - the operations endpoints registered in gateway/gw_main.c with
    mg_set_request_handler outside /api/ (GET /livez, /healthz, /readyz,
    /metrics).
Documented routes are every (method, path) under `paths:` in
gateway/openapi.yaml, read line by line (no YAML library): a path is a key at
exactly two spaces of indentation under the top-level `paths:`, an operation
a key at exactly four spaces under it.

Paths are compared with their parameter names removed ({document_id} and
{id} are the same template), as OpenAPI itself does. Two templates of the
document that differ only in parameter names are an error too (OpenAPI
forbids them).

Exit 0 with a one-line summary when both sets are equal; exit 1 listing
every route served but not documented and every route documented but not
served; exit 2 when a source cannot be read or yields nothing.

Usage: check_openapi.py [SOURCE_DIR]   (default: two levels above this file)
"""
import glob
import os
import re
import sys

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# {"GET", "/api/v1/...", ...}  (a row of a gw_route_t table)
ROW_RE = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"(/[^"]*)"')
# mg_set_request_handler(ctx, "/livez$", handler, ...)
HANDLER_RE = re.compile(r'mg_set_request_handler\s*\(\s*\w+\s*,\s*"([^"]+)"')
PARAM_RE = re.compile(r"\{[^}/]*\}")


class Failure(Exception):
    pass


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise Failure(f"cannot read {path}: {e.strerror}")


def strip_c_comments(text):
    """C text without /* */ and // comments (string literals kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def norm(path):
    return PARAM_RE.sub("{}", path)


def served_routes(root):
    """{(METHOD, normalised path): (path as written, where)}"""
    routes = {}

    def add(method, path, where):
        key = (method.upper(), norm(path))
        if key in routes:
            raise Failure(f"{where}: {method} {path} is served twice (also {routes[key][1]})")
        routes[key] = (path, where)

    tables = sorted(glob.glob(os.path.join(root, "gateway", "routes_*.c")))
    if not tables:
        raise Failure(f"no gateway/routes_*.c under {root}")
    for t in tables:
        rows = ROW_RE.findall(strip_c_comments(read(t)))
        if not rows:
            raise Failure(f"{t}: no route rows found")
        for method, path in rows:
            add(method, path, os.path.relpath(t, root))

    gw_routes = os.path.join(root, "gateway", "gw_routes.c")
    text = strip_c_comments(read(gw_routes))
    m = re.search(r"s_stream_routes\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\}\s*;", text, re.S)
    if not m:
        raise Failure(f"{gw_routes}: s_stream_routes not found")
    rows = ROW_RE.findall(m.group(1))
    if not rows:
        raise Failure(f"{gw_routes}: s_stream_routes has no rows")
    for method, path in rows:
        add(method, path, "gateway/gw_routes.c s_stream_routes")

    gw_main = os.path.join(root, "gateway", "gw_main.c")
    ops = 0
    for pattern in HANDLER_RE.findall(strip_c_comments(read(gw_main))):
        if pattern.startswith("/api/"):
            continue  # the route tables above
        # civetweb patterns: "/livez$" is exactly /livez; "/reset/" (a
        # prefix) serves /reset/<one segment>, documented as /reset/{param}
        path = pattern[:-1] if pattern.endswith("$") else pattern
        if path.endswith("/") and len(path) > 1:
            path += "{param}"
        if not re.fullmatch(r"/[A-Za-z0-9_./-]*(\{param\})?", path):
            raise Failure(f"{gw_main}: handler pattern {pattern!r} is not a plain path; "
                          "teach this check what it serves")
        add("GET", path, "gateway/gw_main.c")
        ops += 1
    if ops == 0:
        raise Failure(f"{gw_main}: no operations endpoints found")

    # WebSocket endpoints: mg_set_websocket_handler(ctx, "/api/v1/events$", ...)
    ws_re = re.compile(r'mg_set_websocket_handler\s*\(\s*\w+\s*,\s*"([^"]+)"')
    gw_dir = os.path.join(root, "gateway")
    for name in sorted(os.listdir(gw_dir)):
        if name.endswith(".c"):
            for pattern in ws_re.findall(strip_c_comments(read(os.path.join(gw_dir, name)))):
                add("GET", pattern[:-1] if pattern.endswith("$") else pattern, "gateway/" + name)
    return routes


def unquote(key):
    key = key.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key


def documented_routes(yaml_path):
    """{(METHOD, normalised path): (path as written, line)} from `paths:`."""
    lines = read(yaml_path).splitlines()
    routes, templates = {}, {}
    in_paths = seen_paths = False
    path = None
    block_indent = None  # inside a block scalar (| or >) deeper than this
    for no, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise Failure(f"{yaml_path}:{no}: tab in indentation")
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if block_indent is not None:
            if not stripped or indent > block_indent:
                continue
            block_indent = None
        if not stripped or stripped.startswith("#"):
            continue
        if re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", stripped):
            block_indent = indent
        if indent == 0:
            if in_paths:
                in_paths = False
            if re.match(r"paths\s*:\s*(#.*)?$", stripped):
                if seen_paths:
                    raise Failure(f"{yaml_path}:{no}: a second `paths:`")
                in_paths = seen_paths = True
                path = None
            continue
        if not in_paths:
            continue
        key_m = re.match(r"((?:'[^']*'|\"[^\"]*\"|[^:#'\"\s][^:#]*?))\s*:(\s|$)", stripped)
        if indent == 2:
            if not key_m:
                raise Failure(f"{yaml_path}:{no}: expected a path key at two spaces")
            path = unquote(key_m.group(1))
            if not path.startswith("/"):
                raise Failure(f"{yaml_path}:{no}: path {path!r} does not start with /")
            n = norm(path)
            if n in templates and templates[n][0] != path:
                raise Failure(f"{yaml_path}:{no}: {path} and {templates[n][0]} (line "
                              f"{templates[n][1]}) differ only in parameter names")
            if n in templates:
                raise Failure(f"{yaml_path}:{no}: path {path} listed twice")
            templates[n] = (path, no)
        elif indent == 4 and path is not None and key_m:
            key = unquote(key_m.group(1))
            if key.lower() in METHODS:
                if key != key.lower():
                    raise Failure(f"{yaml_path}:{no}: method keys are lower case: {key}")
                rk = (key.upper(), norm(path))
                if rk in routes:
                    raise Failure(f"{yaml_path}:{no}: {key.upper()} {path} listed twice")
                routes[rk] = (path, no)
        elif indent in (1, 3):
            raise Failure(f"{yaml_path}:{no}: unexpected indentation {indent} under paths:")
    if not seen_paths:
        raise Failure(f"{yaml_path}: no top-level `paths:`")
    if not routes:
        raise Failure(f"{yaml_path}: `paths:` lists no operations")
    return routes


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(argv[1] if len(argv) > 1 else os.path.join(here, "..", ".."))
    yaml_path = os.path.join(root, "gateway", "openapi.yaml")
    try:
        served = served_routes(root)
        documented = documented_routes(yaml_path)
    except Failure as e:
        print(f"check_openapi: {e}", file=sys.stderr)
        return 2
    missing = sorted(set(served) - set(documented), key=lambda k: (k[1], k[0]))
    extra = sorted(set(documented) - set(served), key=lambda k: (k[1], k[0]))
    if missing or extra:
        for k in missing:
            path, where = served[k]
            print(f"served but not in gateway/openapi.yaml: {k[0]} {path}  ({where})")
        for k in extra:
            path, no = documented[k]
            print(f"in gateway/openapi.yaml (line {no}) but not served: {k[0]} {path}")
        print(f"check_openapi: FAIL: {len(missing)} undocumented, {len(extra)} not served "
              f"({len(served)} served, {len(documented)} documented)")
        return 1
    print(f"check_openapi: ok: all {len(served)} served routes are documented in "
          f"gateway/openapi.yaml, and nothing else")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
