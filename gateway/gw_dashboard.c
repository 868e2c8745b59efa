/* gw_dashboard: GET /api/v1/dashboard, the one endpoint that merges several
 * services' answers. Each service answers `<svc>.dashboard` with one
 * aggregate statement over what the caller may see (the services decide
 * scope, as everywhere); the gateway asks auth for the caller's previous
 * login, then the five others, and writes one JSON object.
 *
 * A service that cannot answer does not fail the page: its sections are
 * null and `partial` is true (openapi.yaml). It computes nothing itself.
 */
#include "gw.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_time.h"
#include "audit.pb-c.h"
#include "auth.pb-c.h"
#include "billing.pb-c.h"
#include "document.pb-c.h"
#include "messaging.pb-c.h"
#include "tasks.pb-c.h"
#include <string.h>

/* One service's call: what to ask and, after s_call_all, its answer. */
typedef struct {
    const char *rpc;
    const ProtobufCMessage *request;
    const ProtobufCMessageDescriptor *reply_desc;
    ProtobufCMessage *reply; /* arena; NULL when status is not a success */
    at_status_t status;
} s_call_t;

/* A hung service must not take the whole request's budget from the others:
 * each call gets at most this share of ATRIUM_REQUEST_TIMEOUT_MS. */
#define S_CALL_SHARE 4

/* Runs calls[0..n) and records each one's status and reply. The calls are
 * independent of each other (none reads another's answer), so this one
 * function is where they may be made concurrent; today they run in turn,
 * each with its own slice of the request's deadline. */
static void s_call_all(gw_req_t *r, s_call_t *calls, size_t n)
{
    int64_t deadline = r->deadline_ms;
    for (size_t i = 0; i < n; i++) {
        int64_t slice = at_time_now_ms() + r->gw->timeout_ms / S_CALL_SHARE;
        r->deadline_ms = slice < deadline ? slice : deadline;
        Atrium__Reply *rep = NULL;
        calls[i].reply = NULL;
        calls[i].status = gw_call_msg(r, calls[i].rpc, true, calls[i].request, calls[i].reply_desc,
                                      &calls[i].reply, &rep);
        if (!at_status_is_success(calls[i].status)) {
            calls[i].reply = NULL;
            at_warn("dashboard: %s answered %s", calls[i].rpc, at_status_code(calls[i].status));
        }
    }
    r->deadline_ms = deadline;
}

/* The JSON of a section from a call's reply (a new reference), or JSON null
 * with *partial set when the service did not answer. */
static json_t *s_section(const ProtobufCMessage *msg, bool ok, const char *const *nulls,
                         bool *partial)
{
    if (!ok || !msg) {
        *partial = true;
        return json_null();
    }
    return at_pbjson_encode(msg, nulls);
}

void gw_dashboard(gw_req_t *r)
{
    /* fields that are null rather than left out (openapi.yaml) */
    static const char *const s_doc_nulls[] = {"since", "folder_id", NULL};
    static const char *const s_audit_nulls[] = {"client_id", NULL};
    static const char *const s_none[] = {NULL};
    bool partial = false;
    json_t *unavailable = json_array();

    /* 1. auth: the login before this session (what "new" counts from) */
    Atrium__Auth__Empty empty = ATRIUM__AUTH__EMPTY__INIT;
    s_call_t login = {"auth.dashboard", &empty.base, &atrium__auth__dashboard_reply__descriptor,
                      NULL, AT_OK};
    s_call_all(r, &login, 1);
    const Atrium__Auth__DashboardReply *who = (const void *) login.reply;
    bool have_since = at_status_is_success(login.status) && who;

    /* 2. the five sections' services, none depending on another */
    Atrium__Document__DashboardRequest doc_req = ATRIUM__DOCUMENT__DASHBOARD_REQUEST__INIT;
    doc_req.since = have_since ? who->last_login_at : NULL;
    Atrium__Tasks__DashboardRequest tasks_req = ATRIUM__TASKS__DASHBOARD_REQUEST__INIT;
    Atrium__Messaging__DashboardRequest msg_req = ATRIUM__MESSAGING__DASHBOARD_REQUEST__INIT;
    Atrium__Billing__DashboardRequest bill_req = ATRIUM__BILLING__DASHBOARD_REQUEST__INIT;
    Atrium__Audit__DashboardRequest audit_req = ATRIUM__AUDIT__DASHBOARD_REQUEST__INIT;
    enum { C_DOC, C_TASKS, C_MSG, C_BILL, C_AUDIT, C_N };
    s_call_t calls[C_N] = {
        [C_DOC] = {"document.dashboard", &doc_req.base,
                   &atrium__document__dashboard_reply__descriptor, NULL, AT_OK},
        [C_TASKS] = {"tasks.dashboard", &tasks_req.base,
                     &atrium__tasks__dashboard_reply__descriptor, NULL, AT_OK},
        [C_MSG] = {"messaging.dashboard", &msg_req.base,
                   &atrium__messaging__dashboard_reply__descriptor, NULL, AT_OK},
        [C_BILL] = {"billing-sync.dashboard", &bill_req.base,
                    &atrium__billing__dashboard_reply__descriptor, NULL, AT_OK},
        [C_AUDIT] = {"audit.dashboard", &audit_req.base,
                     &atrium__audit__dashboard_reply__descriptor, NULL, AT_OK},
    };
    s_call_all(r, calls, C_N);

    if (!have_since)
        json_array_append_new(unavailable, json_string("auth"));
    for (size_t i = 0; i < C_N; i++)
        if (!calls[i].reply) {
            char svc[32];
            size_t len = strcspn(calls[i].rpc, ".");
            snprintf(svc, sizeof svc, "%.*s", (int) len, calls[i].rpc);
            json_array_append_new(unavailable, json_string(svc));
        }

    const Atrium__Document__DashboardReply *doc = (const void *) calls[C_DOC].reply;
    json_t *out = json_object();
    json_object_set_new(out, "last_login_at",
                        have_since && who->last_login_at ? json_string(who->last_login_at)
                                                         : json_null());
    /* "new" needs both the previous login and the documents */
    json_object_set_new(out, "new_since_last_login",
                        s_section(doc ? &doc->new_documents->base : NULL,
                                  have_since && doc && doc->new_documents, s_doc_nulls, &partial));
    json_object_set_new(out, "tasks_due", s_section(calls[C_TASKS].reply, true, s_none, &partial));
    json_object_set_new(out, "unread_threads",
                        s_section(calls[C_MSG].reply, true, s_none, &partial));
    json_object_set_new(out, "pending_signatures",
                        doc ? json_pack("{s:i}", "count", (int) doc->pending_signatures)
                            : json_null());
    json_object_set_new(out, "open_invoices",
                        s_section(calls[C_BILL].reply, true, s_none, &partial));
    json_object_set_new(out, "recent_activity",
                        s_section(calls[C_AUDIT].reply, true, s_audit_nulls, &partial));
    json_object_set_new(out, "partial", json_boolean(partial));
    json_object_set_new(out, "unavailable", unavailable);
    gw_send_json(r, 200, out, NULL);
    json_decref(out);
}
