/* document_signatures: signature and approval requests (see header). */
#include "document_signatures.h"
#include "at_cursor.h"
#include "at_log.h"
#include "at_time.h"
#include "audit.pb-c.h"
#include "auth.pb-c.h"
#include "document_names.h"
#include "document_requests.h"
#include "document_signatures_logic.h"
#include "document_signatures_pdf.h"
#include "document_signatures_store.h"
#include "document_store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A certificate's PDF travels in one bus reply: well under the 8 MiB cap. */
#define S_PDF_MAX (1024 * 1024)
#define S_CLAIM_BATCH 20

typedef Atrium__Document__CreateSignatureRequestRequest create_rq_t;

static bool s_set(const char *s)
{
    return s && *s;
}

static at_status_t s_begin(at_ctx_t *ctx)
{
    return at_db_begin(ctx->db) == 0 ? AT_OK
                                     : at_fail(ctx, AT_UNAVAILABLE, NULL, "database unavailable");
}

static at_status_t s_commit(at_ctx_t *ctx)
{
    return at_db_commit(ctx->db) == 0 ? AT_OK
                                      : at_fail(ctx, AT_UNAVAILABLE, NULL, "database unavailable");
}

/* The caller's role on a request's document, or NULL when they may not see
 * it (404): another firm or client, an internal folder or a deleted
 * document for a client user. */
static const char *s_role(at_ctx_t *ctx, const doc_sig_row_t *row)
{
    const char *role = at_can_see_client(ctx, row->firm_id, row->req->client_id);
    if (!role || ((row->doc_internal || row->doc_deleted) && !at_is_staff(ctx)))
        return NULL;
    return role;
}

/* Sets each signer's turn flag. */
static void s_turns(doc_sig_t *q)
{
    const char *st[DOC_SIGN_MAX_SIGNERS];
    size_t n = q->n_signers < DOC_SIGN_MAX_SIGNERS ? q->n_signers : DOC_SIGN_MAX_SIGNERS;
    for (size_t i = 0; i < n; i++)
        st[i] = q->signers[i]->status;
    for (size_t i = 0; i < n; i++) {
        q->signers[i]->has_turn = 1;
        q->signers[i]->turn = doc_sign_turn(q->status, q->ordered, st, n, i);
    }
}

/* Loads request id for the caller (lock: FOR UPDATE in the caller's
 * transaction); 404 alike for a missing one and one they may not see. */
static at_status_t s_load(at_ctx_t *ctx, const char *id, bool lock, doc_sig_row_t *row,
                          const char **role)
{
    if (!doc_is_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "signature request not found");
    at_status_t st = doc_sig_store_get(ctx, id, lock, row);
    if (st == AT_NOT_FOUND || (st == AT_OK && !(*role = s_role(ctx, row))))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "signature request not found");
    if (st == AT_OK)
        s_turns(row->req);
    return st;
}

/* One audit event about a request, with the id kept for its certificate.
 * actor NULL: the principal; subject: the signer it concerns. */
static at_status_t s_audit(at_ctx_t *ctx, const char *action, const char *firm_id,
                           const char *client_id, const char *resource_type,
                           const char *resource_id, const char *request_id, const char *subject,
                           json_t *details, bool staff_only, char event_id[37])
{
    doc_sign_uuid(event_id);
    if (staff_only)
        json_object_set_new(details, "staff_only", json_true());
    bool system = !ctx->principal;
    at_status_t st = at_audit(ctx, &(at_audit_event_t){.action = action,
                                                       .resource_type = resource_type,
                                                       .resource_id = resource_id,
                                                       .client_id = client_id,
                                                       .firm_id = firm_id,
                                                       .actor_name = system ? "Atrium" : NULL,
                                                       .actor_kind = system ? "system" : NULL,
                                                       .details = details,
                                                       .event_id = event_id});
    json_decref(details);
    if (st != AT_OK)
        return st;
    return doc_sig_store_event_add(ctx, event_id, request_id, firm_id, action,
                                   system ? NULL : ctx->principal->user_id, subject);
}

/* Publishes an in-app notification for user_id (gateway/gw_ws.c delivers an
 * event with user_id to that user's sockets only). Best effort, after
 * commit: the request itself is the record. */
static void s_notify(at_ctx_t *ctx, const char *firm_id, const char *client_id, const char *user_id,
                     const char *what, const doc_sig_t *q, const char *when)
{
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}}", "type",
                  "notification", "client_id", client_id, "user_id", user_id, "data", "kind", what,
                  "request_id", q->id, "document_id", q->document_id, "document_name",
                  q->document_name, "signature_kind", q->kind, "due_at", q->due_at, "when", when);
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    char channel[96];
    snprintf(channel, sizeof channel, "atrium:events:%s", firm_id);
    if (!text || !ctx->cache || at_cache_publish(ctx->cache, channel, text, strlen(text)) < 0)
        at_warn("notification %s of request %s to %s was not published", what, q->id, user_id);
    free(text);
}

/* Calls method of another service as the system acting for firm_id (auth
 * and audit refuse their internal methods to users). */
static at_status_t s_call_system(at_ctx_t *ctx, const char *firm_id, const char *method,
                                 const ProtobufCMessage *req,
                                 const ProtobufCMessageDescriptor *desc, ProtobufCMessage **reply)
{
    const Atrium__Principal *saved = ctx->principal;
    Atrium__Principal sys = ATRIUM__PRINCIPAL__INIT;
    sys.user_id = "00000000-0000-0000-0000-000000000000";
    sys.firm_id = (char *) firm_id;
    sys.kind = "system";
    sys.name = "document";
    ctx->principal = &sys;
    at_status_t st = at_call(ctx, method, req, desc, reply);
    ctx->principal = saved;
    return st;
}

/* text cut to at most max bytes at a code point boundary (arena). */
static char *s_cut(at_ctx_t *ctx, const char *text, size_t max)
{
    size_t n = strlen(text);
    if (n <= max)
        return at_str(ctx, text);
    while (max > 0 && ((unsigned char) text[max] & 0xc0) == 0x80)
        max--;
    return at_arena_strndup(ctx->arena, text, max);
}

/* Queues the reminder mail to user_id through auth; failures are logged
 * (the in-app notification and the audit event stand). */
static void s_mail(at_ctx_t *ctx, const char *firm_id, const char *user_id, const doc_sig_t *q,
                   const char *when)
{
    bool approval = q->kind && strcmp(q->kind, "approval") == 0;
    const char *verb = approval ? "approve" : "sign";
    const char *name = s_cut(ctx, q->document_name ? q->document_name : "a document", 120);
    Atrium__Auth__MailUserRequest m = ATRIUM__AUTH__MAIL_USER_REQUEST__INIT;
    m.user_id = (char *) user_id;
    m.subject = at_arena_printf(ctx->arena, "%s: please %s \"%s\"",
                                strcmp(when, "due") == 0 ? "Due now" : "Reminder", verb, name);
    m.body = at_arena_printf(
        ctx->arena,
        "Hello,\n\n"
        "you are asked to %s the document \"%s\" (version %d).\n"
        "%s%s%s"
        "%s%s%s\n"
        "Open Atrium to review the document and %s it.\n",
        verb, name, q->document_version, q->due_at ? "It is due at " : "",
        q->due_at ? q->due_at : "", q->due_at ? " (UTC).\n" : "", q->message ? "\nMessage: " : "",
        q->message ? s_cut(ctx, q->message, 2000) : "", q->message ? "\n" : "", verb);
    ProtobufCMessage *rep = NULL;
    at_status_t st = s_call_system(ctx, firm_id, "auth.mail_user", &m.base, NULL, &rep);
    if (st != AT_OK)
        at_warn("reminder mail of request %s to %s not queued: %s", q->id, user_id,
                at_status_code(st));
}

/* Reminds the signers request q waits on (audit events in the open
 * transaction); *who gets their ids (arena), *n the count, for the
 * notifications after commit. */
static at_status_t s_remind_audit(at_ctx_t *ctx, const doc_sig_row_t *row, const char *when,
                                  const char ***who, size_t *n)
{
    const doc_sig_t *q = row->req;
    *who = at_arena_alloc(ctx->arena, sizeof **who * (q->n_signers ? q->n_signers : 1));
    *n = 0;
    for (size_t i = 0; i < q->n_signers; i++) {
        if (!q->signers[i]->turn)
            continue;
        char eid[37];
        at_status_t st =
            s_audit(ctx, "signature.reminded", row->firm_id, q->client_id, "signature_request",
                    q->id, q->id, q->signers[i]->user_id,
                    json_pack("{s:s, s:s, s:s, s:s?, s:s}", "document_id", q->document_id, "name",
                              q->document_name, "signer_id", q->signers[i]->user_id, "due_at",
                              q->due_at, "when", when),
                    row->doc_internal, eid);
        if (st != AT_OK)
            return st;
        (*who)[(*n)++] = q->signers[i]->user_id;
    }
    return AT_OK;
}

static void s_remind_send(at_ctx_t *ctx, const doc_sig_row_t *row, const char *when,
                          const char **who, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_notify(ctx, row->firm_id, row->req->client_id, who[i], "signature.reminder", row->req,
                 when);
        s_mail(ctx, row->firm_id, who[i], row->req, when);
    }
}

/* -- create -------------------------------------------------------------------- */

/* May the user `p` (their current principal, from auth) see a document of
 * client_id in firm_id (internal: in an internal folder)? */
static bool s_signer_sees(const Atrium__Principal *p, const char *firm_id, const char *client_id,
                          bool internal)
{
    if (!p || !p->firm_id || strcasecmp(p->firm_id, firm_id) != 0 || !p->kind)
        return false;
    bool staff = strcmp(p->kind, "staff") == 0;
    if (!staff && (internal || strcmp(p->kind, "client") != 0))
        return false;
    if (staff && p->has_all_clients && p->all_clients)
        return true;
    for (size_t i = 0; i < p->n_clients; i++)
        if (p->clients[i]->client_id && strcasecmp(p->clients[i]->client_id, client_id) == 0)
            return true;
    return false;
}

at_status_t doc_sig_create(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const create_rq_t *rq = (const void *) req;
    if (!doc_is_uuid(rq->id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    doc_row_t doc;
    at_status_t st = doc_store_get(ctx, rq->id, false, &doc);
    if (st == AT_NOT_FOUND ||
        (st == AT_OK && (!at_can_see_client(ctx, doc.firm_id, doc.doc->client_id) ||
                         (doc.internal && !at_is_staff(ctx)))))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    if (st != AT_OK)
        return st;
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only staff can request signatures");
    const char *kind = s_set(rq->kind) ? rq->kind : "signature";
    if (!doc_sign_kind_valid(kind))
        return at_fail(ctx, AT_VALIDATION_FAILED, "kind", "kind must be signature or approval");
    if (!doc_sign_text_valid(rq->message))
        return at_fail(ctx, AT_VALIDATION_FAILED, "message",
                       "message must be valid UTF-8 of at most %d bytes", DOC_SIGN_TEXT_MAX);
    if (s_set(rq->due_at) && !doc_time_valid(rq->due_at))
        return at_fail(ctx, AT_VALIDATION_FAILED, "due_at",
                       "due_at must be an RFC 3339 time such as 2026-11-29T20:30:00Z");
    if (rq->n_signer_ids == 0 || rq->n_signer_ids > DOC_SIGN_MAX_SIGNERS)
        return at_fail(ctx, AT_VALIDATION_FAILED, "signer_ids", "name 1 to %d signers",
                       DOC_SIGN_MAX_SIGNERS);
    const char **names = at_arena_alloc(ctx->arena, sizeof *names * rq->n_signer_ids);
    const char **kinds = at_arena_alloc(ctx->arena, sizeof *kinds * rq->n_signer_ids);
    for (size_t i = 0; i < rq->n_signer_ids; i++) {
        const char *u = rq->signer_ids[i];
        if (!doc_is_uuid(u))
            return at_fail(ctx, AT_VALIDATION_FAILED, "signer_ids", "signer_ids must be user ids");
        for (size_t k = 0; k < i; k++)
            if (strcasecmp(rq->signer_ids[k], u) == 0)
                return at_fail(ctx, AT_VALIDATION_FAILED, "signer_ids", "signer %s is named twice",
                               u);
        /* the signer's current principal: their firm, kind and clients */
        Atrium__Auth__PrincipalRequest pr = ATRIUM__AUTH__PRINCIPAL_REQUEST__INIT;
        pr.user_id = (char *) u;
        ProtobufCMessage *out = NULL;
        st = at_call(ctx, "auth.principal", &pr.base, &atrium__principal__descriptor, &out);
        if (st == AT_UNAVAILABLE || st == AT_TIMEOUT)
            return at_fail(ctx, st, NULL, "signers cannot be checked now");
        const Atrium__Principal *p = (const void *) out;
        if (st != AT_OK || !s_signer_sees(p, doc.firm_id, doc.doc->client_id, doc.internal))
            return at_fail(ctx, AT_VALIDATION_FAILED, "signer_ids",
                           "signer %s is not a user who can see the document", u);
        names[i] = p->name;
        kinds[i] = p->kind;
    }
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    /* lock the document: the version the request binds to stays the newest
     * until this commits (a new version voids it afterwards) */
    if ((st = doc_store_get(ctx, rq->id, true, &doc)) != AT_OK)
        return st == AT_NOT_FOUND ? at_fail(ctx, AT_NOT_FOUND, NULL, "document not found") : st;
    const char *id = NULL;
    doc_sig_new_t in = {.firm_id = doc.firm_id,
                        .client_id = doc.doc->client_id,
                        .document_id = doc.doc->id,
                        .document_name = doc.doc->name,
                        .document_sha256 = doc.doc->sha256,
                        .document_version = doc.doc->version,
                        .kind = kind,
                        .message = s_set(rq->message) ? rq->message : NULL,
                        .due_at = s_set(rq->due_at) ? rq->due_at : NULL,
                        .ordered = rq->has_ordered && rq->ordered,
                        .created_by = ctx->principal->user_id,
                        .created_by_name = ctx->principal->name};
    if ((st = doc_sig_store_create(ctx, &in, &id)) != AT_OK)
        return st;
    json_t *signers = json_array();
    for (size_t i = 0; i < rq->n_signer_ids; i++) {
        st = doc_sig_store_signer_add(ctx, id, doc.firm_id, (int) i + 1, rq->signer_ids[i],
                                      names[i], kinds[i]);
        if (st != AT_OK) {
            json_decref(signers);
            return st;
        }
        json_array_append_new(signers, json_string(rq->signer_ids[i]));
    }
    char eid[37];
    st = s_audit(ctx, "signature.requested", doc.firm_id, doc.doc->client_id, "signature_request",
                 id, id, NULL,
                 json_pack("{s:s, s:s, s:i, s:s, s:s, s:o, s:b, s:s?}", "document_id", doc.doc->id,
                           "name", doc.doc->name, "version", doc.doc->version, "sha256",
                           doc.doc->sha256, "kind", kind, "signer_ids", signers, "ordered",
                           in.ordered, "due_at", in.due_at),
                 doc.internal, eid);
    if (st != AT_OK ||
        (st = doc_store_activity_add(ctx, doc.doc->id, doc.firm_id, doc.doc->client_id,
                                     "signature_requested", doc.doc->version)) != AT_OK)
        return st;
    doc_sig_row_t row;
    if ((st = doc_sig_store_get(ctx, id, false, &row)) != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    s_turns(row.req);
    for (size_t i = 0; i < row.req->n_signers; i++)
        if (row.req->signers[i]->turn)
            s_notify(ctx, row.firm_id, row.req->client_id, row.req->signers[i]->user_id,
                     "signature.requested", row.req, "requested");
    *reply = &row.req->base;
    return AT_CREATED;
}

/* -- read ------------------------------------------------------------------------ */

at_status_t doc_sig_get(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const Atrium__Document__GetSignatureRequestRequest *rq = (const void *) req;
    doc_sig_row_t row;
    const char *role = NULL;
    at_status_t st = s_load(ctx, rq->id, false, &row, &role);
    if (st != AT_OK)
        return st;
    *reply = &row.req->base;
    return AT_OK;
}

static bool s_status_ok(const char *s)
{
    return !s || !strcmp(s, "pending") || !strcmp(s, "completed") || !strcmp(s, "declined") ||
           !strcmp(s, "voided");
}

/* The caller's clients as a PostgreSQL array literal of uuids. */
static const char *s_clients(at_ctx_t *ctx)
{
    const Atrium__Principal *p = ctx->principal;
    char *out = at_arena_alloc(ctx->arena, 3 + p->n_clients * 37), *w = out;
    *w++ = '{';
    size_t k = 0;
    for (size_t i = 0; i < p->n_clients; i++)
        if (doc_is_uuid(p->clients[i]->client_id))
            w += sprintf(w, "%s%s", k++ ? "," : "", p->clients[i]->client_id);
    *w++ = '}';
    *w = 0;
    return out;
}

static at_status_t s_list(at_ctx_t *ctx, const Atrium__Document__ListSignatureRequestsRequest *rq,
                          const char *document_id, ProtobufCMessage **reply)
{
    const char *status = s_set(rq->status) ? rq->status : NULL;
    if (!s_status_ok(status))
        return at_fail(ctx, AT_VALIDATION_FAILED, "status",
                       "status must be pending, completed, declined or voided");
    char *key = NULL, *id = NULL;
    if (s_set(rq->cursor) &&
        (at_cursor_decode(ctx->arena, rq->cursor, &key, &id) != 0 || !doc_is_uuid(id)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not valid");
    const Atrium__Principal *p = ctx->principal;
    doc_sig_filter_t f = {.firm_id = p->firm_id,
                          .document_id = document_id,
                          .user_id = p->user_id,
                          .status = status,
                          .awaiting_me = rq->has_awaiting_me && rq->awaiting_me,
                          .staff = at_is_staff(ctx),
                          .all_clients = at_is_staff(ctx) && p->has_all_clients && p->all_clients,
                          .clients = s_clients(ctx),
                          .limit = at_page_limit(rq->has_limit ? rq->limit : 0),
                          .after_key = key,
                          .after_id = id};
    Atrium__Document__SignatureRequestList *out =
        at_msg_new(ctx, &atrium__document__signature_request_list__descriptor);
    at_status_t st = doc_sig_store_list(ctx, &f, out);
    if (st != AT_OK)
        return st;
    for (size_t i = 0; i < out->n_items; i++)
        s_turns(out->items[i]);
    *reply = &out->base;
    return AT_OK;
}

at_status_t doc_sig_list(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    return s_list(ctx, (const void *) req, NULL, reply);
}

at_status_t doc_sig_document_list(at_ctx_t *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply)
{
    const Atrium__Document__ListSignatureRequestsRequest *rq = (const void *) req;
    if (!doc_is_uuid(rq->id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    doc_row_t doc;
    at_status_t st = at_is_staff(ctx) ? doc_store_get_any(ctx, rq->id, false, &doc)
                                      : doc_store_get(ctx, rq->id, false, &doc);
    if (st == AT_NOT_FOUND ||
        (st == AT_OK && (!at_can_see_client(ctx, doc.firm_id, doc.doc->client_id) ||
                         (doc.internal && !at_is_staff(ctx)))))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    if (st != AT_OK)
        return st;
    return s_list(ctx, rq, doc.doc->id, reply);
}

/* -- acts ------------------------------------------------------------------------ */

/* The index of the caller among the request's signers, or -1. */
static long s_me(const at_ctx_t *ctx, const doc_sig_t *q)
{
    for (size_t i = 0; i < q->n_signers; i++)
        if (strcasecmp(q->signers[i]->user_id, ctx->principal->user_id) == 0)
            return (long) i;
    return -1;
}

static at_status_t s_verdict(at_ctx_t *ctx, const doc_sig_t *q, doc_sign_action_t action)
{
    const char *st[DOC_SIGN_MAX_SIGNERS];
    size_t n = q->n_signers < DOC_SIGN_MAX_SIGNERS ? q->n_signers : DOC_SIGN_MAX_SIGNERS;
    for (size_t i = 0; i < n; i++)
        st[i] = q->signers[i]->status;
    switch (doc_sign_may_act(q->status, q->ordered, st, n, s_me(ctx, q), action)) {
    case DOC_SIGN_OK: return AT_OK;
    case DOC_SIGN_NOT_SIGNER:
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only a named signer can do this");
    case DOC_SIGN_CLOSED:
        return at_fail(ctx, AT_CONFLICT, "status", "the request is %s", q->status);
    case DOC_SIGN_DONE:
        return at_fail(ctx, AT_CONFLICT, NULL, "you have already %s",
                       strcmp(q->signers[s_me(ctx, q)]->status, "signed") == 0 ? "signed"
                                                                               : "declined");
    case DOC_SIGN_NOT_TURN:
        return at_fail(ctx, AT_CONFLICT, NULL, "an earlier signer has not signed yet");
    }
    return AT_INTERNAL;
}

/* After a signer's act: the request's new status, recorded (with a
 * signature.completed event when all signed). */
static at_status_t s_settle(at_ctx_t *ctx, const doc_sig_row_t *row, const char *signer_status)
{
    const doc_sig_t *q = row->req;
    const char *st[DOC_SIGN_MAX_SIGNERS];
    size_t n = q->n_signers < DOC_SIGN_MAX_SIGNERS ? q->n_signers : DOC_SIGN_MAX_SIGNERS;
    long me = s_me(ctx, q);
    for (size_t i = 0; i < n; i++)
        st[i] = (long) i == me ? signer_status : q->signers[i]->status;
    const char *next = doc_sign_request_status(st, n);
    at_status_t rc = doc_sig_store_set_status(ctx, q->id, next);
    if (rc != AT_OK || strcmp(next, "completed") != 0)
        return rc;
    char eid[37];
    return s_audit(ctx, "signature.completed", row->firm_id, q->client_id, "signature_request",
                   q->id, q->id, NULL,
                   json_pack("{s:s, s:s, s:i, s:s, s:s}", "document_id", q->document_id, "name",
                             q->document_name, "version", q->document_version, "sha256",
                             q->document_sha256, "kind", q->kind),
                   row->doc_internal, eid);
}

/* Opens a transaction and loads request id locked, for an act. */
static at_status_t s_act_begin(at_ctx_t *ctx, const char *id, doc_sig_row_t *row)
{
    const char *role = NULL;
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    return s_load(ctx, id, true, row, &role);
}

/* Answers the request as it is now (after commit). */
static at_status_t s_reply_now(at_ctx_t *ctx, const char *id, ProtobufCMessage **reply)
{
    doc_sig_row_t now;
    at_status_t st = doc_sig_store_get(ctx, id, false, &now);
    if (st != AT_OK)
        return st;
    s_turns(now.req);
    *reply = &now.req->base;
    return AT_OK;
}

at_status_t doc_sig_sign(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const Atrium__Document__SignRequest *rq = (const void *) req;
    doc_sig_row_t row;
    at_status_t st = s_act_begin(ctx, rq->id, &row);
    if (st != AT_OK)
        return st;
    const doc_sig_t *q = row.req;
    if (s_me(ctx, q) < 0)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only a named signer can sign");
    if (!rq->has_consent || !rq->consent)
        return at_fail(ctx, AT_VALIDATION_FAILED, "consent",
                       "consent must be true: you agree to sign electronically");
    const char *why = NULL;
    if (!doc_sign_typed_name_valid(rq->typed_name, &why))
        return at_fail(ctx, AT_VALIDATION_FAILED, "typed_name", "%s", why);
    if ((st = s_verdict(ctx, q, DOC_SIGN_SIGN)) != AT_OK)
        return st;
    /* the signature binds to the bytes asked about: the document must still
     * be at that version (a new version voided the request in its own
     * transaction; this is the belt to those braces) */
    doc_row_t doc;
    if ((st = doc_store_get(ctx, q->document_id, false, &doc)) == AT_NOT_FOUND)
        return at_fail(ctx, AT_CONFLICT, NULL, "the document was deleted");
    if (st != AT_OK)
        return st;
    if (doc.doc->version != q->document_version || strcmp(doc.doc->sha256, q->document_sha256))
        return at_fail(ctx, AT_CONFLICT, NULL, "the document has changed since the request");
    const Atrium__Request *env = ctx->request;
    char eid[37];
    st = s_audit(ctx, "document.signed", row.firm_id, q->client_id, "document", q->document_id,
                 q->id, ctx->principal->user_id,
                 json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "name", q->document_name, "request_id",
                           q->id, "kind", q->kind, "version", q->document_version, "sha256",
                           q->document_sha256, "typed_name", rq->typed_name),
                 row.doc_internal, eid);
    if (st != AT_OK)
        return st;
    st = doc_sig_store_signer_act(ctx, q->id, ctx->principal->user_id, "signed", rq->typed_name,
                                  NULL, env ? env->ip : NULL, env ? env->user_agent : NULL, eid);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_CONFLICT, NULL, "you have already signed");
    if (st != AT_OK ||
        (st = doc_store_activity_add(ctx, q->document_id, row.firm_id, q->client_id, "signed",
                                     q->document_version)) != AT_OK ||
        (st = s_settle(ctx, &row, "signed")) != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    /* ordered: the next signer is told it is their turn */
    if ((st = s_reply_now(ctx, q->id, reply)) != AT_OK)
        return st;
    const doc_sig_t *now = (const void *) *reply;
    for (size_t i = 0; now->ordered && i < now->n_signers; i++)
        if (now->signers[i]->turn)
            s_notify(ctx, row.firm_id, now->client_id, now->signers[i]->user_id,
                     "signature.requested", now, "your_turn");
    return AT_OK;
}

at_status_t doc_sig_decline(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const Atrium__Document__DeclineRequest *rq = (const void *) req;
    doc_sig_row_t row;
    at_status_t st = s_act_begin(ctx, rq->id, &row);
    if (st != AT_OK)
        return st;
    const doc_sig_t *q = row.req;
    if (s_me(ctx, q) < 0)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only a named signer can decline");
    if (!s_set(rq->reason) || !doc_sign_text_valid(rq->reason))
        return at_fail(ctx, AT_VALIDATION_FAILED, "reason",
                       "reason is required: valid UTF-8 of at most %d bytes", DOC_SIGN_TEXT_MAX);
    if ((st = s_verdict(ctx, q, DOC_SIGN_DECLINE)) != AT_OK)
        return st;
    const Atrium__Request *env = ctx->request;
    char eid[37];
    st = s_audit(ctx, "signature.declined", row.firm_id, q->client_id, "signature_request", q->id,
                 q->id, ctx->principal->user_id,
                 json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "document_id", q->document_id, "name",
                           q->document_name, "kind", q->kind, "version", q->document_version,
                           "sha256", q->document_sha256, "reason", rq->reason),
                 row.doc_internal, eid);
    if (st != AT_OK)
        return st;
    st = doc_sig_store_signer_act(ctx, q->id, ctx->principal->user_id, "declined", NULL, rq->reason,
                                  env ? env->ip : NULL, env ? env->user_agent : NULL, eid);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_CONFLICT, NULL, "you have already acted on this request");
    if (st != AT_OK ||
        (st = doc_store_activity_add(ctx, q->document_id, row.firm_id, q->client_id, "declined",
                                     q->document_version)) != AT_OK ||
        (st = s_settle(ctx, &row, "declined")) != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    return s_reply_now(ctx, q->id, reply);
}

at_status_t doc_sig_remind(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const Atrium__Document__RemindRequest *rq = (const void *) req;
    doc_sig_row_t row;
    at_status_t st = s_act_begin(ctx, rq->id, &row);
    if (st != AT_OK)
        return st;
    if (strcasecmp(row.req->created_by, ctx->principal->user_id) != 0)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only the request's creator can remind");
    if (strcmp(row.req->status, "pending") != 0)
        return at_fail(ctx, AT_CONFLICT, "status", "the request is %s", row.req->status);
    const char **who = NULL;
    size_t n = 0;
    if ((st = s_remind_audit(ctx, &row, "manual", &who, &n)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    s_remind_send(ctx, &row, "manual", who, n);
    *reply = &row.req->base;
    return AT_OK;
}

/* -- evidence -------------------------------------------------------------------- */

/* Fills the audit seq and hash of events (and signers) from the audit
 * service's answer for the caller's firm. */
static at_status_t s_hashes(at_ctx_t *ctx, Atrium__Document__Certificate *c)
{
    if (c->n_events == 0)
        return AT_OK;
    Atrium__Audit__EventHashesRequest hq = ATRIUM__AUDIT__EVENT_HASHES_REQUEST__INIT;
    hq.n_event_ids = c->n_events < 200 ? c->n_events : 200;
    hq.event_ids = at_arena_alloc(ctx->arena, sizeof *hq.event_ids * hq.n_event_ids);
    for (size_t i = 0; i < hq.n_event_ids; i++)
        hq.event_ids[i] = c->events[i]->event_id;
    ProtobufCMessage *out = NULL;
    at_status_t st = at_call(ctx, "audit.event_hashes", &hq.base,
                             &atrium__audit__event_hashes_reply__descriptor, &out);
    if (st != AT_OK)
        return at_fail(ctx, st == AT_TIMEOUT ? AT_TIMEOUT : AT_UNAVAILABLE, NULL,
                       "the audit trail cannot be reached");
    const Atrium__Audit__EventHashesReply *rep = (const void *) out;
    for (size_t i = 0; i < c->n_events; i++) {
        Atrium__Document__CertificateEvent *e = c->events[i];
        e->has_audit_pending = 1;
        e->audit_pending = true;
        for (size_t k = 0; rep && k < rep->n_items; k++)
            if (rep->items[k]->event_id && strcasecmp(rep->items[k]->event_id, e->event_id) == 0) {
                e->has_audit_seq = 1;
                e->audit_seq = rep->items[k]->seq;
                e->audit_hash = rep->items[k]->hash;
                e->audit_pending = false;
            }
    }
    for (size_t i = 0; i < c->n_signers; i++) {
        Atrium__Document__CertificateSigner *s = c->signers[i];
        s->has_audit_pending = 1;
        s->audit_pending = s->audit_event_id != NULL;
        for (size_t k = 0; s->audit_event_id && k < c->n_events; k++)
            if (strcasecmp(c->events[k]->event_id, s->audit_event_id) == 0 &&
                c->events[k]->has_audit_seq) {
                s->has_audit_seq = 1;
                s->audit_seq = c->events[k]->audit_seq;
                s->audit_hash = c->events[k]->audit_hash;
                s->audit_pending = false;
            }
    }
    return AT_OK;
}

at_status_t doc_sig_certificate(at_ctx_t *ctx, const ProtobufCMessage *req,
                                ProtobufCMessage **reply)
{
    const Atrium__Document__CertificateRequest *rq = (const void *) req;
    bool pdf = s_set(rq->format) && strcmp(rq->format, "pdf") == 0;
    if (s_set(rq->format) && !pdf && strcmp(rq->format, "json") != 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "format", "format must be json or pdf");
    doc_sig_row_t row;
    const char *role = NULL;
    at_status_t st = s_load(ctx, rq->id, false, &row, &role);
    if (st != AT_OK)
        return st;
    const doc_sig_t *q = row.req;
    Atrium__Document__Certificate *c = at_msg_new(ctx, &atrium__document__certificate__descriptor);
    c->request_id = q->id;
    c->document_id = q->document_id;
    c->document_name = q->document_name;
    c->document_sha256 = q->document_sha256;
    c->has_document_version = 1;
    c->document_version = q->document_version;
    c->kind = q->kind;
    c->status = q->status;
    c->message = q->message;
    c->created_by = q->created_by;
    c->created_at = q->created_at;
    c->completed_at = q->completed_at;
    c->firm_id = (char *) row.firm_id;
    c->client_id = q->client_id;
    char now[40];
    at_time_format_ms(at_time_now_ms(), now, sizeof now);
    c->generated_at = at_str(ctx, now);
    c->n_signers = q->n_signers;
    c->signers = at_arena_alloc(ctx->arena, sizeof *c->signers * (q->n_signers ? q->n_signers : 1));
    for (size_t i = 0; i < q->n_signers; i++) {
        const Atrium__Document__SignatureSigner *s = q->signers[i];
        Atrium__Document__CertificateSigner *o =
            at_msg_new(ctx, &atrium__document__certificate_signer__descriptor);
        o->user_id = s->user_id;
        o->name = s->name;
        o->has_position = 1;
        o->position = s->position;
        o->status = s->status;
        o->typed_name = s->typed_name;
        o->signed_at = s->acted_at;
        o->ip = s->ip;
        o->user_agent = s->user_agent;
        o->reason = s->reason;
        o->audit_event_id = (char *) row.signer_events[i];
        c->signers[i] = o;
    }
    if ((st = doc_sig_store_events(ctx, q->id, &c->events, &c->n_events)) != AT_OK ||
        (st = s_hashes(ctx, c)) != AT_OK)
        return st;
    if (pdf) {
        unsigned char *bytes = NULL;
        size_t len = 0;
        if (doc_sign_pdf(c, S_PDF_MAX, &bytes, &len) != 0)
            return at_fail(ctx, AT_INTERNAL, NULL, "the certificate could not be rendered");
        c->has_pdf = 1;
        c->pdf.data = at_arena_alloc(ctx->arena, len ? len : 1);
        memcpy(c->pdf.data, bytes, len);
        c->pdf.len = len;
        free(bytes);
    }
    *reply = &c->base;
    return AT_OK;
}

/* -- versions and reminders --------------------------------------------------------- */

at_status_t doc_sig_void_document(at_ctx_t *ctx, const char *document_id, const char *firm_id,
                                  const char *client_id, int32_t version, bool internal)
{
    /* version 0: the document was deleted (nothing is left to sign) */
    const char *reason =
        version > 0 ? "the document has a new version" : "the document was deleted";
    doc_sig_brief_t *voided = NULL;
    int n = 0;
    at_status_t st = doc_sig_store_void_document(ctx, document_id, reason, &voided, &n);
    for (int i = 0; st == AT_OK && i < n; i++) {
        char eid[37];
        json_t *details = json_pack("{s:s, s:s, s:i, s:s}", "document_id", document_id, "name",
                                    voided[i].document_name, "version", voided[i].document_version,
                                    "reason", reason);
        if (version > 0)
            json_object_set_new(details, "new_version", json_integer(version));
        st = s_audit(ctx, "signature.voided", firm_id, client_id, "signature_request", voided[i].id,
                     voided[i].id, NULL, details, internal, eid);
    }
    return st;
}

void document_signatures_tick(at_ctx_t *ctx)
{
    int64_t lead = at_config_int(ctx->config, "ATRIUM_SIGNATURE_REMINDER_S");
    for (int due = 0; due < 2; due++) {
        const char *when = due ? "due" : "before";
        at_arena_reset(ctx->arena);
        if (at_db_begin(ctx->db) != 0)
            return;
        doc_sig_brief_t *claimed = NULL;
        int n = 0;
        if (doc_sig_store_claim_reminders(ctx, due, lead, S_CLAIM_BATCH, &claimed, &n) != AT_OK) {
            at_db_rollback(ctx->db);
            return;
        }
        doc_sig_row_t *rows = at_arena_alloc(ctx->arena, sizeof *rows * (size_t) (n ? n : 1));
        const char ***who = at_arena_alloc(ctx->arena, sizeof *who * (size_t) (n ? n : 1));
        size_t *counts = at_arena_alloc(ctx->arena, sizeof *counts * (size_t) (n ? n : 1));
        at_status_t st = AT_OK;
        for (int i = 0; st == AT_OK && i < n; i++) {
            counts[i] = 0;
            /* the "before" reminder of a request already due is not sent:
             * the due one follows at once */
            if (!due && claimed[i].past_due)
                continue;
            if ((st = doc_sig_store_get(ctx, claimed[i].id, false, &rows[i])) != AT_OK)
                break;
            s_turns(rows[i].req);
            st = s_remind_audit(ctx, &rows[i], when, &who[i], &counts[i]);
        }
        if (st != AT_OK || at_db_commit(ctx->db) != 0) {
            at_db_rollback(ctx->db);
            at_warn("signature reminders (%s) not recorded: %s", when, at_status_code(st));
            return;
        }
        for (int i = 0; i < n; i++)
            if (counts[i])
                s_remind_send(ctx, &rows[i], when, who[i], counts[i]);
        if (n)
            at_info("signature reminders (%s): %d requests", when, n);
    }
}
