/* audit_server: the audit service's method table and thin handlers:
 * audit.ingest (from the outbox relays of every service), audit.list
 * (GET /api/v1/audit) and audit.my_activity (GET /api/v1/me/activity).
 *
 * It holds no SQL (audit_store.c) and no hashing (audit_chain.c).
 */
#include "at_cursor.h"
#include "at_log.h"
#include "at_service.h"
#include "at_time.h"
#include "audit.pb-c.h"
#include "audit_chain.h"
#include "audit_store.h"
#include <stdlib.h>
#include <string.h>

extern const at_embedded_t audit_migrations[];

/* A batch larger than this is refused whole (the relay sends 200). */
#define S_MAX_BATCH 5000

/* ------------------------------------------------------------------ ingest */

/* Normalised copies of one event's fields (audit_chain.h), in the arena. */
static int s_normalize(at_ctx_t *ctx, const Atrium__Audit__Event *in, audit_chain_event_t *out,
                       const char **why)
{
    char uuid[AUDIT_UUID_LEN + 1], at[AUDIT_TIME_LEN + 1];
    *out = (audit_chain_event_t){0};
    if (audit_chain_normalize_uuid(in->firm_id, uuid) != 0)
        return *why = "firm_id is not a uuid", -1;
    out->firm_id = at_str(ctx, uuid);
    if (audit_chain_normalize_uuid(in->event_id, uuid) != 0)
        return *why = "event_id is not a uuid", -1;
    out->event_id = at_str(ctx, uuid);
    if (in->actor_id && *in->actor_id) {
        if (audit_chain_normalize_uuid(in->actor_id, uuid) != 0)
            return *why = "actor_id is not a uuid", -1;
        out->actor_id = at_str(ctx, uuid);
    }
    if (in->client_id && *in->client_id) {
        if (audit_chain_normalize_uuid(in->client_id, uuid) != 0)
            return *why = "client_id is not a uuid", -1;
        out->client_id = at_str(ctx, uuid);
    }
    if (!in->action || !*in->action)
        return *why = "action is empty", -1;
    if (in->at && *in->at) {
        if (audit_chain_normalize_time(in->at, at) != 0)
            return *why = "at is not an RFC 3339 time", -1;
    } else {
        at_time_format_ms(at_time_now_ms(), at, sizeof at);
    }
    out->at = at_str(ctx, at);
    char *details = audit_chain_normalize_details(in->details);
    if (!details) {
        /* Keep the event (an audit trail drops nothing it can store) but
         * not text that is not an object. */
        at_warn("audit: event %s: details is not a JSON object; stored as {}", out->event_id);
        details = audit_chain_normalize_details(NULL);
    }
    out->details = at_str(ctx, details);
    free(details);
    out->action = in->action;
    out->actor_name = in->actor_name;
    out->actor_kind = in->actor_kind;
    out->resource_type = in->resource_type;
    out->resource_id = in->resource_id;
    out->ip = in->ip;
    out->user_agent = in->user_agent;
    out->request_id = in->request_id;
    out->source = in->source;
    return 0;
}

static at_status_t s_ingest(at_ctx_t *ctx, const ProtobufCMessage *request,
                            ProtobufCMessage **reply)
{
    const Atrium__Audit__IngestRequest *req = (const Atrium__Audit__IngestRequest *) request;
    if (!ctx->principal->kind || strcmp(ctx->principal->kind, "system") != 0)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only services may write the audit trail");
    if (req->n_events > S_MAX_BATCH)
        return at_fail(ctx, AT_PAYLOAD_TOO_LARGE, "events", "a batch holds at most %d events",
                       S_MAX_BATCH);
    audit_chain_event_t *events = at_arena_alloc(ctx->arena, sizeof *events * (req->n_events + 1));
    size_t n = 0;
    for (size_t i = 0; i < req->n_events; i++) {
        const Atrium__Audit__Event *e = req->events[i];
        const char *why = NULL;
        /* An event of no firm (a failed login for an unknown email) has no
         * chain to join: acknowledged and dropped, so the relay moves on. */
        if (!e->firm_id || !*e->firm_id) {
            at_info("audit: event %s (%s from %s) has no firm; skipped",
                    e->event_id ? e->event_id : "?", e->action ? e->action : "?",
                    e->source ? e->source : "?");
            continue;
        }
        if (s_normalize(ctx, e, &events[n], &why) != 0) {
            /* Retrying cannot fix it, and refusing would stall the sender's
             * outbox behind it for ever: acknowledge, drop and say so. */
            at_error("audit: event %s (%s from %s) dropped: %s", e->event_id ? e->event_id : "?",
                     e->action ? e->action : "?", e->source ? e->source : "?", why);
            continue;
        }
        n++;
    }
    int accepted = 0;
    at_status_t st = audit_store_ingest(ctx->db, events, n, &accepted);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the batch could not be stored");
    Atrium__Audit__IngestReply *rep = at_msg_new(ctx, &atrium__audit__ingest_reply__descriptor);
    rep->has_accepted = 1;
    rep->accepted = accepted;
    *reply = &rep->base;
    return AT_OK;
}

/* -------------------------------------------------------------------- read */

/* The filters every list takes, validated into f. Returns AT_OK or fails
 * with validation_failed naming the field. */
/* An empty query parameter (?action=) filters nothing, as if absent. */
static const char *s_opt(const char *s)
{
    return s && *s ? s : NULL;
}

static at_status_t s_filters(at_ctx_t *ctx, audit_filter_t *f, const char *client_id,
                             const char *resource_type, const char *resource_id,
                             const char *action, const char *since, const char *until,
                             bool has_limit, int limit, const char *cursor)
{
    char buf[AUDIT_TIME_LEN + 1];
    char uuid[AUDIT_UUID_LEN + 1];
    client_id = s_opt(client_id);
    since = s_opt(since);
    until = s_opt(until);
    cursor = s_opt(cursor);
    if (client_id) {
        if (audit_chain_normalize_uuid(client_id, uuid) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "client_id", "client_id is not an id");
        f->client_id = at_str(ctx, uuid);
    }
    f->resource_type = s_opt(resource_type);
    f->resource_id = s_opt(resource_id);
    f->action = s_opt(action);
    if (since) {
        if (audit_chain_normalize_time(since, buf) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "since", "since is not an RFC 3339 time");
        f->since = at_str(ctx, buf);
    }
    if (until) {
        if (audit_chain_normalize_time(until, buf) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "until", "until is not an RFC 3339 time");
        f->until = at_str(ctx, buf);
    }
    if (has_limit && limit < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "limit", "limit must be positive");
    f->limit = at_page_limit(has_limit ? limit : 0);
    if (cursor) {
        char *key = NULL, *id = NULL, *end = NULL;
        if (at_cursor_decode(ctx->arena, cursor, &key, &id) != 0 || strcmp(id, "seq") != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one of ours");
        f->before_seq = strtoll(key, &end, 10);
        if (*end || f->before_seq < 1)
            return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not one of ours");
    }
    return AT_OK;
}

static at_status_t s_page(at_ctx_t *ctx, const audit_filter_t *f, ProtobufCMessage **reply)
{
    Atrium__Audit__ListReply *rep = at_msg_new(ctx, &atrium__audit__list_reply__descriptor);
    bool more = false;
    at_status_t st = audit_store_list(ctx->db, ctx->arena, f, &rep->items, &rep->n_items, &more);
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the audit trail cannot be read");
    if (more && rep->n_items > 0) {
        char *key = at_arena_printf(ctx->arena, "%lld",
                                    (long long) rep->items[rep->n_items - 1]->seq);
        rep->next_cursor = at_cursor_encode(ctx->arena, key, "seq");
    }
    *reply = &rep->base;
    return AT_OK;
}

static bool s_is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

static at_status_t s_list(at_ctx_t *ctx, const ProtobufCMessage *request, ProtobufCMessage **reply)
{
    const Atrium__Audit__ListRequest *req = (const Atrium__Audit__ListRequest *) request;
    const Atrium__Principal *p = ctx->principal;
    char uuid[AUDIT_UUID_LEN + 1];
    if (audit_chain_normalize_uuid(p->firm_id, uuid) != 0)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no audit trail here");
    audit_filter_t f = {.firm_id = at_str(ctx, uuid)};
    at_status_t st = s_filters(ctx, &f, req->client_id, req->resource_type, req->resource_id,
                               req->action, req->since, req->until, req->has_limit, req->limit,
                               req->cursor);
    if (st != AT_OK)
        return st;
    if (s_opt(req->actor_id)) {
        if (audit_chain_normalize_uuid(req->actor_id, uuid) != 0)
            return at_fail(ctx, AT_VALIDATION_FAILED, "actor_id", "actor_id is not an id");
        f.actor_id = at_str(ctx, uuid);
    }

    /* Who sees what (api.md "Audit"): owners and admins the firm's whole
     * trail; a client admin the events of the clients it administers;
     * anyone else nothing, as if the trail did not exist. */
    if (at_is_staff(ctx) && (s_is(p->role, "owner") || s_is(p->role, "admin")))
        return s_page(ctx, &f, reply);
    const char **mine = at_arena_alloc(ctx->arena, sizeof *mine * (p->n_clients + 1));
    size_t nmine = 0;
    for (size_t i = 0; i < p->n_clients; i++)
        if (s_is(p->clients[i]->role, "admin") &&
            audit_chain_normalize_uuid(p->clients[i]->client_id, uuid) == 0)
            mine[nmine++] = at_str(ctx, uuid);
    if (nmine == 0)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no audit trail here");
    if (f.client_id) {
        bool ok = false;
        for (size_t i = 0; i < nmine && !ok; i++)
            ok = strcmp(mine[i], f.client_id) == 0;
        if (!ok)
            return at_fail(ctx, AT_NOT_FOUND, "client_id", "client does not exist");
    } else if (nmine == 1) {
        f.client_id = mine[0]; /* the common case, as an index range */
    } else {
        f.only_clients = mine;
        f.n_only_clients = nmine;
    }
    return s_page(ctx, &f, reply);
}

static at_status_t s_my_activity(at_ctx_t *ctx, const ProtobufCMessage *request,
                                 ProtobufCMessage **reply)
{
    const Atrium__Audit__ActivityRequest *req = (const Atrium__Audit__ActivityRequest *) request;
    char firm[AUDIT_UUID_LEN + 1], user[AUDIT_UUID_LEN + 1];
    if (audit_chain_normalize_uuid(ctx->principal->firm_id, firm) != 0 ||
        audit_chain_normalize_uuid(ctx->principal->user_id, user) != 0)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no activity here");
    audit_filter_t f = {.firm_id = at_str(ctx, firm), .actor_id = at_str(ctx, user)};
    at_status_t st = s_filters(ctx, &f, req->client_id, req->resource_type, req->resource_id,
                               req->action, req->since, req->until, req->has_limit, req->limit,
                               req->cursor);
    if (st != AT_OK)
        return st;
    return s_page(ctx, &f, reply);
}

static const at_method_t s_methods[] = {
    {"audit.ingest", s_ingest, &atrium__audit__ingest_request__descriptor,
     &atrium__audit__ingest_reply__descriptor, 0},
    {"audit.list", s_list, &atrium__audit__list_request__descriptor,
     &atrium__audit__list_reply__descriptor, 0},
    {"audit.my_activity", s_my_activity, &atrium__audit__activity_request__descriptor,
     &atrium__audit__list_reply__descriptor, 0},
    {NULL, NULL, NULL, NULL, 0},
};

const at_service_def_t audit_service = {
    .name = "audit",
    .schema = "audit",
    .methods = s_methods,
    .migrations = audit_migrations,
};
