/* gw_export: GET /api/v1/audit/export, streamed. The audit service formats
 * (CSV or JSON Lines, services/audit/audit_export.h) a page of at most 500
 * events per audit.export_page call; the gateway writes each page as one
 * HTTP chunk and frees it before asking for the next, so a million events
 * pass in the memory of one page.
 *
 * It does not format, filter or check permissions: the service does, the
 * first page answering 400/404 before any byte of the body is sent.
 */
#include "gw.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_time.h"
#include "audit.pb-c.h"
#include <inttypes.h>
#include <string.h>

/* One page: the unpacked ExportPage (malloc'd, the caller frees it with
 * atrium__audit__export_page__free_unpacked) or NULL with the status and,
 * for a service's refusal, its Reply in *rep (malloc'd, the caller frees). */
static at_status_t s_page(gw_req_t *r, const Atrium__Audit__ExportRequest *req, bool idempotent,
                          Atrium__Audit__ExportPage **page, Atrium__Reply **rep)
{
    *page = NULL;
    *rep = NULL;
    r->deadline_ms = at_time_now_ms() + r->gw->timeout_ms;
    zframe_t *frame = NULL;
    at_status_t st = gw_call_frame(r, "audit.export_page", idempotent, &req->base, &frame);
    if (st != AT_OK)
        return st;
    Atrium__Reply *env = atrium__reply__unpack(NULL, zframe_size(frame), zframe_data(frame));
    zframe_destroy(&frame);
    if (!env)
        return AT_INTERNAL;
    st = env->has_status ? env->status : AT_INTERNAL;
    if (!at_status_is_success(st)) {
        *rep = env;
        return st;
    }
    if (env->has_body)
        *page = atrium__audit__export_page__unpack(NULL, env->body.len, env->body.data);
    atrium__reply__free_unpacked(env, NULL);
    return *page ? AT_OK : AT_INTERNAL;
}

void gw_audit_export(gw_req_t *r)
{
    ProtobufCAllocator *alloc = at_arena_allocator(r->arena);
    Atrium__Audit__ExportRequest *req =
        at_arena_alloc(r->arena, sizeof(Atrium__Audit__ExportRequest));
    atrium__audit__export_request__init(req);
    /* the query parameters fill the fields of the same names, as for every
     * GET; paging fields are the gateway's own */
    if (r->info->query_string) {
        char *copy = at_arena_strdup(r->arena, r->info->query_string);
        struct mg_header q[32];
        int nq = mg_split_form_urlencoded(copy, q, 32);
        for (int i = 0; i < nq; i++) {
            if (!q[i].name || !q[i].value || strcmp(q[i].name, "after_seq") == 0 ||
                strcmp(q[i].name, "max_seq") == 0)
                continue;
            if (at_pbjson_set_from_text(&req->base, q[i].name, q[i].value, alloc) < 0) {
                char msg[160];
                snprintf(msg, sizeof msg, "query parameter %s has the wrong type", q[i].name);
                return gw_send_error(r, 400, "validation_failed", msg, q[i].name, 0);
            }
        }
    }
    if (!req->format)
        req->format = "csv";
    bool csv = strcmp(req->format, "csv") == 0;

    Atrium__Audit__ExportPage *page = NULL;
    Atrium__Reply *rep = NULL;
    /* The first page records the export (audit.exported): not retried on
     * another instance, so it is recorded once. */
    at_status_t st = s_page(r, req, false, &page, &rep);
    if (st != AT_OK) {
        const char *msg = rep && rep->message ? rep->message
                          : st == AT_TIMEOUT  ? "the service did not answer in time"
                                              : "the service cannot be reached";
        gw_send_status(r, st, msg, rep ? rep->field : NULL,
                       rep && rep->has_retry_after ? rep->retry_after : 0);
        atrium__reply__free_unpacked(rep, NULL);
        return;
    }
    char day[40] = "";
    at_time_format_ms(at_time_now_ms(), day, sizeof day);
    day[10] = 0;
    char head[2048];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 200 OK\r\n"
                      "X-Request-Id: %s\r\n"
                      "Cache-Control: no-store\r\n"
                      "%s"
                      "Content-Type: %s\r\n"
                      "Content-Disposition: attachment; filename=\"audit-%s.%s\"\r\n"
                      "Transfer-Encoding: chunked\r\n"
                      "\r\n",
                      r->request_id, gw_security_headers(r->gw),
                      csv ? "text/csv; charset=utf-8; header=present" : "application/jsonl", day,
                      csv ? "csv" : "jsonl");
    if (hl < 0 || (size_t) hl >= sizeof head) {
        atrium__audit__export_page__free_unpacked(page, NULL);
        return gw_send_error(r, 500, "internal", "response headers too long", NULL, 0);
    }
    mg_write(r->conn, head, (size_t) hl);
    r->status = 200;
    int64_t rows = 0;
    bool client_gone = false;
    req->has_max_seq = 1;
    req->max_seq = page->max_seq;
    while (page) {
        if (page->has_data && page->data.len &&
            mg_send_chunk(r->conn, (const char *) page->data.data, (unsigned) page->data.len) < 0)
            client_gone = true;
        rows += page->rows;
        bool more = page->more && !client_gone;
        req->has_after_seq = 1;
        req->after_seq = page->last_seq;
        atrium__audit__export_page__free_unpacked(page, NULL);
        page = NULL;
        if (!more)
            break;
        st = s_page(r, req, true, &page, &rep);
        atrium__reply__free_unpacked(rep, NULL);
        rep = NULL;
        if (st != AT_OK) {
            /* Headers are gone. The body must never look whole: no last
             * chunk, and (civetweb 1.15 has no public way to close a
             * server connection) a line that is not a chunk size, which
             * every HTTP/1.1 client rejects at once instead of waiting
             * for the keep-alive timeout. */
            at_warn("audit export stopped after seq %" PRId64 ": %s", req->after_seq,
                    at_status_code(st));
            r->status = 500;
            static const char broken[] = "export-aborted\r\n";
            mg_write(r->conn, broken, sizeof broken - 1);
            return;
        }
    }
    if (!client_gone)
        mg_send_chunk(r->conn, "", 0); /* the last chunk: the export is whole */
    at_info("audit export: %" PRId64 " events as %s", rows, csv ? "csv" : "jsonl");
}
