/* document_signatures_store: the SQL of signature requests (see header).
 * Only this file and document_store.c know SQL; each function has one exit
 * that clears its result. */
#include "document_signatures_store.h"
#include "at_cursor.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The request columns s_req_row reads, in this order. */
#define SIG_COLS                                                                                   \
    "r.id, r.firm_id, r.client_id, r.document_id, r.document_name, r.document_version,"            \
    " r.document_sha256, r.kind, r.message, " TS(                                                  \
        "r.due_at") ", r.ordered, r.status,"                                                       \
                    " r.created_by, " TS("r.created_at") ", " TS("r.updated_at") ", " TS(          \
                        "r.completed_at") ", " TS("r.voided_at") ", r.void_reason, f.visibility, " \
                                                                 "d.deleted_at IS NOT NULL,"       \
                                                                 " r.created_at::text"
#define SIG_FROM                                                          \
    " FROM signature_requests r JOIN documents d ON d.id = r.document_id" \
    " LEFT JOIN folders f ON f.id = d.folder_id"

#define SIGNER_COLS                                                 \
    "request_id, user_id, name, position, status, typed_name, " TS( \
        "acted_at") ", ip,"                                         \
                    " user_agent, reason, audit_event_id"

static char *s_val(at_ctx_t *ctx, PGresult *res, int r, int c)
{
    return at_str(ctx, at_db_value(res, r, c));
}

static int64_t s_i64(PGresult *res, int r, int c)
{
    const char *v = at_db_value(res, r, c);
    return v ? strtoll(v, NULL, 10) : 0;
}

static bool s_bool(PGresult *res, int r, int c)
{
    const char *v = at_db_value(res, r, c);
    return v && v[0] == 't';
}

static void s_req_row(at_ctx_t *ctx, PGresult *res, int r, doc_sig_row_t *out)
{
    doc_sig_t *q = at_msg_new(ctx, &atrium__document__signature_request__descriptor);
    q->id = s_val(ctx, res, r, 0);
    out->firm_id = s_val(ctx, res, r, 1);
    q->client_id = s_val(ctx, res, r, 2);
    q->document_id = s_val(ctx, res, r, 3);
    q->document_name = s_val(ctx, res, r, 4);
    q->has_document_version = 1;
    q->document_version = (int32_t) s_i64(res, r, 5);
    q->document_sha256 = s_val(ctx, res, r, 6);
    q->kind = s_val(ctx, res, r, 7);
    q->message = s_val(ctx, res, r, 8);
    q->due_at = s_val(ctx, res, r, 9);
    q->has_ordered = 1;
    q->ordered = s_bool(res, r, 10);
    q->status = s_val(ctx, res, r, 11);
    q->created_by = s_val(ctx, res, r, 12);
    q->created_at = s_val(ctx, res, r, 13);
    q->updated_at = s_val(ctx, res, r, 14);
    q->completed_at = s_val(ctx, res, r, 15);
    q->voided_at = s_val(ctx, res, r, 16);
    q->void_reason = s_val(ctx, res, r, 17);
    const char *vis = at_db_value(res, r, 18);
    out->doc_internal = vis && strcmp(vis, "internal") == 0;
    out->doc_deleted = s_bool(res, r, 19);
    out->req = q;
    out->signer_events = NULL;
}

/* Loads the signers of rows[0..n) (one query), in position order. */
static at_status_t s_signers(at_ctx_t *ctx, doc_sig_row_t *rows, int n)
{
    if (n == 0)
        return AT_OK;
    size_t cap = 3 + (size_t) n * 37;
    char *ids = at_arena_alloc(ctx->arena, cap), *w = ids;
    *w++ = '{';
    for (int i = 0; i < n; i++)
        w += sprintf(w, "%s%s", i ? "," : "", rows[i].req->id);
    *w++ = '}';
    *w = 0;
    const char *p[] = {ids};
    PGresult *res = at_db_query(ctx->db,
                                "SELECT " SIGNER_COLS " FROM signature_signers"
                                " WHERE request_id = ANY($1::uuid[]) ORDER BY request_id, position",
                                1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int total = PQntuples(res);
    for (int i = 0; i < n; i++) {
        doc_sig_t *q = rows[i].req;
        int count = 0;
        for (int k = 0; k < total; k++)
            count += strcmp(PQgetvalue(res, k, 0), q->id) == 0;
        q->signers = at_arena_alloc(ctx->arena, sizeof *q->signers * (size_t) (count ? count : 1));
        rows[i].signer_events = at_arena_alloc(ctx->arena, sizeof *rows[i].signer_events *
                                                               (size_t) (count ? count : 1));
        q->n_signers = 0;
        for (int k = 0; k < total; k++) {
            if (strcmp(PQgetvalue(res, k, 0), q->id) != 0)
                continue;
            Atrium__Document__SignatureSigner *s =
                at_msg_new(ctx, &atrium__document__signature_signer__descriptor);
            s->user_id = s_val(ctx, res, k, 1);
            s->name = s_val(ctx, res, k, 2);
            s->has_position = 1;
            s->position = (int32_t) s_i64(res, k, 3);
            s->status = s_val(ctx, res, k, 4);
            s->typed_name = s_val(ctx, res, k, 5);
            s->acted_at = s_val(ctx, res, k, 6);
            s->ip = s_val(ctx, res, k, 7);
            s->user_agent = s_val(ctx, res, k, 8);
            s->reason = s_val(ctx, res, k, 9);
            rows[i].signer_events[q->n_signers] = s_val(ctx, res, k, 10);
            q->signers[q->n_signers++] = s;
        }
    }
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_create(at_ctx_t *ctx, const doc_sig_new_t *in, const char **id)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%" PRId32, in->document_version);
    const char *p[] = {in->firm_id,
                       in->client_id,
                       in->document_id,
                       in->document_name,
                       ver,
                       in->document_sha256,
                       in->kind,
                       in->message,
                       in->due_at,
                       in->ordered ? "true" : "false",
                       in->created_by,
                       in->created_by_name};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "INSERT INTO signature_requests (firm_id, client_id, document_id,"
                               " document_name, document_version, document_sha256, kind, message,"
                               " due_at, ordered, created_by, created_by_name)"
                               " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                               " RETURNING id",
                               12, p, &res);
    if (st == AT_OK)
        *id = s_val(ctx, res, 0, 0);
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_signer_add(at_ctx_t *ctx, const char *request_id, const char *firm_id,
                                     int position, const char *user_id, const char *name,
                                     const char *kind)
{
    char pos[16];
    snprintf(pos, sizeof pos, "%d", position);
    const char *p[] = {request_id, firm_id, pos, user_id, name, kind};
    PGresult *res = at_db_query(ctx->db,
                                "INSERT INTO signature_signers (request_id, firm_id, position,"
                                " user_id, name, user_kind) VALUES ($1, $2, $3, $4, $5, $6)",
                                6, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_event_add(at_ctx_t *ctx, const char *event_id, const char *request_id,
                                    const char *firm_id, const char *action, const char *user_id,
                                    const char *subject_id)
{
    const char *p[] = {event_id, request_id, firm_id, action, user_id, subject_id};
    PGresult *res = at_db_query(ctx->db,
                                "INSERT INTO signature_events (event_id, request_id, firm_id,"
                                " action, user_id, subject_id) VALUES ($1, $2, $3, $4, $5, $6)",
                                6, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_get(at_ctx_t *ctx, const char *id, bool lock, doc_sig_row_t *out)
{
    const char *p[] = {id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               lock ? "SELECT " SIG_COLS SIG_FROM " WHERE r.id = $1 FOR UPDATE OF r"
                                    : "SELECT " SIG_COLS SIG_FROM " WHERE r.id = $1",
                               1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    s_req_row(ctx, res, 0, out);
    st = s_signers(ctx, out, 1);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_list(at_ctx_t *ctx, const doc_sig_filter_t *f,
                               Atrium__Document__SignatureRequestList *out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", f->limit + 1);
    const char *p[] = {f->firm_id,
                       f->document_id,
                       f->user_id,
                       f->status,
                       f->awaiting_me ? "true" : "false",
                       f->staff ? "true" : "false",
                       f->all_clients ? "true" : "false",
                       f->clients ? f->clients : "{}",
                       f->after_key,
                       f->after_id,
                       lim};
    PGresult *res = at_db_query(
        ctx->db,
        "SELECT " SIG_COLS SIG_FROM " WHERE r.firm_id = $1"
        " AND ($2::uuid IS NULL OR r.document_id = $2::uuid)"
        " AND ($6::bool OR (d.deleted_at IS NULL AND f.visibility IS DISTINCT FROM 'internal'))"
        " AND ($7::bool OR r.client_id = ANY($8::uuid[]))"
        /* the caller's list: signer or maker; "pending" there: still to act */
        " AND ($2::uuid IS NOT NULL OR r.created_by = $3::uuid OR EXISTS (SELECT 1"
        "   FROM signature_signers s WHERE s.request_id = r.id AND s.user_id = $3::uuid"
        "   AND ($4::text IS DISTINCT FROM 'pending' OR s.status = 'pending')))"
        " AND ($4::text IS NULL OR r.status = $4)"
        " AND (NOT $5::bool OR (r.status = 'pending' AND EXISTS (SELECT 1"
        "   FROM signature_signers s WHERE s.request_id = r.id AND s.user_id = $3::uuid"
        "   AND s.status = 'pending' AND (NOT r.ordered OR NOT EXISTS (SELECT 1"
        "     FROM signature_signers e WHERE e.request_id = r.id AND e.position < s.position"
        "     AND e.status <> 'signed')))))"
        " AND ($9::text IS NULL OR (r.created_at, r.id) < ($9::timestamptz, $10::uuid))"
        " ORDER BY r.created_at DESC, r.id DESC LIMIT $11",
        11, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    bool more = n > f->limit;
    if (more)
        n = f->limit;
    doc_sig_row_t *rows = at_arena_alloc(ctx->arena, sizeof *rows * (size_t) (n ? n : 1));
    out->n_items = (size_t) n;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        s_req_row(ctx, res, i, &rows[i]);
        out->items[i] = rows[i].req;
    }
    if ((st = s_signers(ctx, rows, n)) != AT_OK)
        goto cleanup;
    if (more && n > 0)
        out->next_cursor =
            at_cursor_encode(ctx->arena, at_db_value(res, n - 1, 20), at_db_value(res, n - 1, 0));
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_signer_act(at_ctx_t *ctx, const char *request_id, const char *user_id,
                                     const char *status, const char *typed_name, const char *reason,
                                     const char *ip, const char *user_agent, const char *event_id)
{
    const char *p[] = {request_id, user_id, status, typed_name, reason, ip, user_agent, event_id};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE signature_signers SET status = $3, typed_name = $4,"
                                " reason = $5, acted_at = clock_timestamp(), ip = $6,"
                                " user_agent = $7, audit_event_id = $8"
                                " WHERE request_id = $1 AND user_id = $2 AND status = 'pending'",
                                8, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_set_status(at_ctx_t *ctx, const char *id, const char *status)
{
    const char *p[] = {id, status};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE signature_requests SET status = $2,"
                                " updated_at = clock_timestamp(),"
                                " completed_at = CASE WHEN $2 = 'completed'"
                                "   THEN clock_timestamp() ELSE completed_at END"
                                " WHERE id = $1",
                                2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

#define BRIEF_COLS                                                   \
    "id, firm_id, client_id, document_id, document_name, kind, " TS( \
        "due_at") ", message,"                                       \
                  " document_version, due_at <= now()"

static at_status_t s_briefs(at_ctx_t *ctx, PGresult *res, doc_sig_brief_t **out, int *n)
{
    at_status_t st = at_db_status(ctx->db, res);
    *out = NULL;
    *n = 0;
    if (st != AT_OK)
        return st;
    *n = PQntuples(res);
    *out = at_arena_alloc(ctx->arena, sizeof **out * (size_t) (*n ? *n : 1));
    for (int i = 0; i < *n; i++) {
        doc_sig_brief_t *b = &(*out)[i];
        b->id = s_val(ctx, res, i, 0);
        b->firm_id = s_val(ctx, res, i, 1);
        b->client_id = s_val(ctx, res, i, 2);
        b->document_id = s_val(ctx, res, i, 3);
        b->document_name = s_val(ctx, res, i, 4);
        b->kind = s_val(ctx, res, i, 5);
        b->due_at = s_val(ctx, res, i, 6);
        b->message = s_val(ctx, res, i, 7);
        b->document_version = (int32_t) s_i64(res, i, 8);
        b->past_due = s_bool(res, i, 9);
    }
    return AT_OK;
}

at_status_t doc_sig_store_void_document(at_ctx_t *ctx, const char *document_id, const char *reason,
                                        doc_sig_brief_t **out, int *n)
{
    const char *p[] = {document_id, reason};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE signature_requests SET status = 'voided',"
                                " voided_at = clock_timestamp(), void_reason = $2,"
                                " updated_at = clock_timestamp()"
                                " WHERE document_id = $1 AND status = 'pending'"
                                " RETURNING " BRIEF_COLS,
                                2, p);
    at_status_t st = s_briefs(ctx, res, out, n);
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_claim_reminders(at_ctx_t *ctx, bool due, int64_t lead_s, int max,
                                          doc_sig_brief_t **out, int *n)
{
    char lead[24], lim[16];
    snprintf(lead, sizeof lead, "%" PRId64, due ? (int64_t) 0 : lead_s);
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {lead, lim};
    /* two statements rather than a parameter for the column: each is
     * prepared once */
    PGresult *res =
        due ? at_db_query(ctx->db,
                          "UPDATE signature_requests SET reminded_due_at = clock_timestamp()"
                          " WHERE id IN (SELECT id FROM signature_requests"
                          "   WHERE status = 'pending' AND due_at IS NOT NULL"
                          "   AND reminded_due_at IS NULL"
                          "   AND due_at - make_interval(secs => $1::double precision) <= now()"
                          "   ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
                          " RETURNING " BRIEF_COLS,
                          2, p)
            : at_db_query(ctx->db,
                          "UPDATE signature_requests SET reminded_before_at = clock_timestamp()"
                          " WHERE id IN (SELECT id FROM signature_requests"
                          "   WHERE status = 'pending' AND due_at IS NOT NULL"
                          "   AND reminded_before_at IS NULL"
                          "   AND due_at - make_interval(secs => $1::double precision) <= now()"
                          "   ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
                          " RETURNING " BRIEF_COLS,
                          2, p);
    at_status_t st = s_briefs(ctx, res, out, n);
    PQclear(res);
    return st;
}

at_status_t doc_sig_store_events(at_ctx_t *ctx, const char *request_id,
                                 Atrium__Document__CertificateEvent ***out, size_t *n)
{
    const char *p[] = {request_id};
    PGresult *res = at_db_query(
        ctx->db,
        "SELECT event_id, action, " TS("at") ", user_id, subject_id"
                                             " FROM signature_events WHERE request_id = $1"
                                             " ORDER BY at, event_id",
        1, p);
    at_status_t st = at_db_status(ctx->db, res);
    *out = NULL;
    *n = 0;
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    *out = at_arena_alloc(ctx->arena, sizeof **out * (size_t) (rows ? rows : 1));
    for (int i = 0; i < rows; i++) {
        Atrium__Document__CertificateEvent *e =
            at_msg_new(ctx, &atrium__document__certificate_event__descriptor);
        e->event_id = s_val(ctx, res, i, 0);
        e->action = s_val(ctx, res, i, 1);
        e->at = s_val(ctx, res, i, 2);
        e->actor_id = s_val(ctx, res, i, 3);
        e->subject_id = s_val(ctx, res, i, 4);
        (*out)[i] = e;
    }
    *n = (size_t) rows;
cleanup:
    PQclear(res);
    return st;
}
