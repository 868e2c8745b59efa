/* gw_ops: the operations endpoints outside /api: liveness, readiness (the
 * bus, every service with its database, and Redis), and Prometheus metrics.
 * It does not expose anything about tenants. */
#include "gw.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_time.h"
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const s_services[] = {"auth",         "document", "tasks", "messaging",
                                         "billing-sync", "audit",    NULL};

/* Histogram upper bounds, seconds (Prometheus `le`), in microseconds. */
static const int64_t s_bounds_us[GW_NBUCKETS] = {500,   1000,   2500,   5000,   10000,   25000,
                                                 50000, 100000, 250000, 500000, 1000000, 5000000};
static const int s_statuses[GW_NSTATUS] = {200, 201, 202, 204, 206, 302, 304, 400, 401, 403, 404,
                                           405, 409, 410, 412, 413, 415, 416, 429, 500, 503, 504};

void gw_metrics_record(gw_compiled_route_t *route, int status, int64_t micros)
{
    for (int i = 0; i < GW_NSTATUS; i++)
        if (s_statuses[i] == status) {
            atomic_fetch_add(&route->count[i], 1);
            break;
        }
    for (int i = 0; i < GW_NBUCKETS; i++)
        if (micros <= s_bounds_us[i]) {
            atomic_fetch_add(&route->bucket[i], 1);
            break;
        }
    atomic_fetch_add(&route->sum_us, (uint64_t) micros);
    atomic_fetch_add(&route->total, 1);
}

/* The operations endpoints answer GET (and HEAD) only. */
static bool s_method_ok(gw_req_t *r)
{
    const char *m = r->info->request_method;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
        return true;
    gw_send_error_headers(r, 405, "bad_request", "this method is not allowed on this resource",
                          NULL, "Allow: GET, HEAD\r\n");
    at_log_set_request_id(NULL);
    return false;
}

int gw_livez_handler(struct mg_connection *conn, void *cbdata)
{
    gw_req_t r;
    gw_req_begin(&r, cbdata, conn);
    if (!s_method_ok(&r))
        return r.status;
    json_t *body = json_pack("{s:s}", "status", "ok");
    gw_send_json(&r, 200, body, NULL);
    json_decref(body);
    at_log_set_request_id(NULL);
    return 200;
}

int gw_readyz_handler(struct mg_connection *conn, void *cbdata)
{
    gw_req_t r;
    gw_req_begin(&r, cbdata, conn);
    if (!s_method_ok(&r))
        return r.status;
    r.deadline_ms = at_time_now_ms() + 2000;
    json_t *checks = json_object();
    bool ok = true;
    /* the bus: its MMI answers */
    zframe_t *frame = NULL;
    at_bus_rc_t rc =
        at_bus_client_call(r.thread->bus, "mmi.service", 0, r.deadline_ms, "auth", 4, &frame);
    zframe_destroy(&frame);
    json_object_set_new(checks, "bus", json_string(rc == AT_BUS_OK ? "ok" : "down"));
    ok &= rc == AT_BUS_OK;
    /* each service: an instance is registered (MMI), and it answers its
     * ping, which queries its PostgreSQL */
    bool pg_ok = true, pg_seen = false;
    for (size_t i = 0; s_services[i]; i++) {
        const char *state = "down";
        frame = NULL;
        if (rc == AT_BUS_OK &&
            at_bus_client_call(r.thread->bus, "mmi.service", 0, r.deadline_ms, s_services[i],
                               strlen(s_services[i]), &frame) == AT_BUS_OK &&
            zframe_streq(frame, "200")) {
            char rpc[64];
            snprintf(rpc, sizeof rpc, "%s.ping", s_services[i]);
            Atrium__Reply *rep = NULL;
            at_status_t st = gw_call(&r, rpc, true, NULL, &rep);
            state = st == AT_OK ? "ok" : rep ? "database down" : "not answering";
            if (rep && st != AT_OK)
                pg_ok = false;
            pg_seen |= st == AT_OK;
        } else {
            state = "no instance running";
        }
        zframe_destroy(&frame);
        json_object_set_new(checks, s_services[i], json_string(state));
        ok &= strcmp(state, "ok") == 0;
    }
    json_object_set_new(checks, "postgresql",
                        json_string(!pg_ok    ? "down"
                                    : pg_seen ? "ok"
                                              : "unknown"));
    bool redis = at_cache_ping(r.thread->cache) == 0;
    json_object_set_new(checks, "redis", json_string(redis ? "ok" : "down"));
    ok &= redis;
    json_t *body = json_pack("{s:s, s:o}", "status", ok ? "ready" : "not ready", "checks", checks);
    gw_send_json(&r, ok ? 200 : 503, body, ok ? NULL : "Retry-After: 1\r\n");
    json_decref(body);
    at_log_set_request_id(NULL);
    return r.status;
}

/* Appends formatted text to a growing malloc'd buffer. */
typedef struct {
    char *buf;
    size_t len, cap;
} s_text_t;

static void s_put(s_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_put(s_text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (t->len + (size_t) n + 1 > t->cap) {
        t->cap = (t->len + (size_t) n + 1) * 2;
        t->buf = realloc(t->buf, t->cap);
        if (!t->buf)
            abort();
    }
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t) n;
}

int gw_metrics_handler(struct mg_connection *conn, void *cbdata)
{
    gw_t *gw = cbdata;
    gw_req_t r;
    gw_req_begin(&r, gw, conn);
    if (!s_method_ok(&r))
        return r.status;
    s_text_t t = {0};
    s_put(&t, "# HELP atrium_http_requests_total HTTP requests answered, by route and status.\n"
              "# TYPE atrium_http_requests_total counter\n");
    for (size_t i = 0; i < gw->nroutes; i++)
        for (int s = 0; s < GW_NSTATUS; s++) {
            uint64_t c = atomic_load(&gw->routes[i].count[s]);
            if (c)
                s_put(&t, "atrium_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                      gw->routes[i].label, s_statuses[s], c);
        }
    s_put(&t, "# HELP atrium_http_request_duration_seconds Time to answer, by route.\n"
              "# TYPE atrium_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < gw->nroutes; i++) {
        gw_compiled_route_t *c = &gw->routes[i];
        uint64_t total = atomic_load(&c->total);
        if (!total)
            continue;
        uint64_t cum = 0;
        for (int b = 0; b < GW_NBUCKETS; b++) {
            cum += atomic_load(&c->bucket[b]);
            s_put(&t,
                  "atrium_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %" PRIu64
                  "\n",
                  c->label, (double) s_bounds_us[b] / 1e6, cum);
        }
        s_put(&t,
              "atrium_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
              c->label, total);
        s_put(&t, "atrium_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", c->label,
              (double) atomic_load(&c->sum_us) / 1e6);
        s_put(&t, "atrium_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
              c->label, total);
    }
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nX-Request-Id: %s\r\n"
              "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Cache-Control: no-store\r\nContent-Length: %zu\r\n\r\n",
              r.request_id, t.len);
    mg_write(conn, t.buf ? t.buf : "", t.len);
    free(t.buf);
    at_log_set_request_id(NULL);
    return 200;
}
