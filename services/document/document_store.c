/* document_store: the document schema's SQL (libpq through at_db). Only this
 * file of the service knows SQL; each function has one exit that clears its
 * result. */
#include "document_store.h"
#include "at_cursor.h"
#include "at_search.h"
#include "document_sniff.h"
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The document columns s_doc_row reads, in this order. */
#define DOC_COLS                                                                           \
    "d.id, d.firm_id, d.client_id, d.folder_id, d.name, v.size, v.sha256, v.content_type," \
    " d.current_version, d.created_by, " TS("d.created_at") ", " TS(                       \
        "d.updated_at") ", f.visibility, d.created_at::text, " TS("d.deleted_at")
#define DOC_FROM                                                \
    " FROM documents d JOIN versions v ON v.document_id = d.id" \
    " AND v.version = d.current_version LEFT JOIN folders f ON f.id = d.folder_id"

#define FOLDER_COLS \
    "id, firm_id, client_id, parent_id, name, visibility, created_by, " TS("created_at")

static char *s_val(at_ctx_t *ctx, PGresult *res, int r, int c)
{
    return at_str(ctx, at_db_value(res, r, c));
}

static int64_t s_i64(PGresult *res, int r, int c)
{
    const char *v = at_db_value(res, r, c);
    return v ? strtoll(v, NULL, 10) : 0;
}

static void s_doc_row(at_ctx_t *ctx, PGresult *res, int r, doc_row_t *out)
{
    doc_document_t *d = at_msg_new(ctx, &atrium__document__document__descriptor);
    d->id = s_val(ctx, res, r, 0);
    out->firm_id = s_val(ctx, res, r, 1);
    d->client_id = s_val(ctx, res, r, 2);
    d->folder_id = s_val(ctx, res, r, 3);
    d->name = s_val(ctx, res, r, 4);
    d->has_size = 1;
    d->size = s_i64(res, r, 5);
    d->sha256 = s_val(ctx, res, r, 6);
    d->content_type = s_val(ctx, res, r, 7);
    d->has_version = 1;
    d->version = (int32_t) s_i64(res, r, 8);
    d->created_by = s_val(ctx, res, r, 9);
    d->created_at = s_val(ctx, res, r, 10);
    d->updated_at = s_val(ctx, res, r, 11);
    const char *vis = at_db_value(res, r, 12);
    out->internal = vis && strcmp(vis, "internal") == 0;
    d->deleted_at = s_val(ctx, res, r, 14);
    out->deleted = d->deleted_at != NULL;
    out->doc = d;
}

static void s_folder_row(at_ctx_t *ctx, PGresult *res, int r, doc_folder_row_t *out)
{
    doc_folder_msg_t *f = at_msg_new(ctx, &atrium__document__folder__descriptor);
    f->id = s_val(ctx, res, r, 0);
    out->firm_id = s_val(ctx, res, r, 1);
    f->client_id = s_val(ctx, res, r, 2);
    f->parent_id = s_val(ctx, res, r, 3);
    f->name = s_val(ctx, res, r, 4);
    const char *vis = at_db_value(res, r, 5);
    out->internal = vis && strcmp(vis, "internal") == 0;
    f->has_visibility = 1;
    f->visibility = out->internal ? ATRIUM__DOCUMENT__VISIBILITY__INTERNAL
                                  : ATRIUM__DOCUMENT__VISIBILITY__SHARED;
    f->created_by = s_val(ctx, res, r, 6);
    f->created_at = s_val(ctx, res, r, 7);
    out->folder = f;
}

/* -- folders --------------------------------------------------------------- */

at_status_t doc_store_folder_get(at_ctx_t *ctx, const char *id, doc_folder_row_t *out)
{
    const char *p[] = {id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "SELECT " FOLDER_COLS " FROM folders"
                               " WHERE id = $1 AND deleted_at IS NULL",
                               1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    s_folder_row(ctx, res, 0, out);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_folder_list(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                  bool staff, Atrium__Document__FolderList *out)
{
    const char *p[] = {firm_id, client_id, staff ? "true" : "false"};
    PGresult *res = at_db_query(ctx->db,
                                "SELECT " FOLDER_COLS " FROM folders"
                                " WHERE firm_id = $1 AND client_id = $2 AND deleted_at IS NULL"
                                " AND ($3::bool OR visibility = 'shared')"
                                " ORDER BY lower(name), id LIMIT 10000",
                                3, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->n_items = (size_t) n;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        doc_folder_row_t row;
        s_folder_row(ctx, res, i, &row);
        out->items[i] = row.folder;
    }
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_folder_create(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                    const char *parent_id, const char *name, const char *visibility,
                                    const char *created_by, doc_folder_msg_t **out)
{
    const char *p[] = {firm_id, client_id, parent_id, name, visibility, created_by};
    PGresult *res = at_db_query(ctx->db,
                                "INSERT INTO folders (firm_id, client_id, parent_id, name,"
                                " visibility, created_by)"
                                " VALUES ($1, $2, $3, normalize($4, NFC), $5, $6)"
                                " RETURNING " FOLDER_COLS,
                                6, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    doc_folder_row_t row;
    s_folder_row(ctx, res, 0, &row);
    *out = row.folder;
cleanup:
    PQclear(res);
    return st;
}

/* -- documents ------------------------------------------------------------- */

static at_status_t s_get(at_ctx_t *ctx, const char *id, bool lock, bool any, doc_row_t *out)
{
    const char *p[] = {id};
    const char *sql;
    if (any)
        sql = lock ? "SELECT " DOC_COLS DOC_FROM
                     " WHERE d.id = $1 AND d.purged_at IS NULL FOR UPDATE OF d"
                   : "SELECT " DOC_COLS DOC_FROM " WHERE d.id = $1 AND d.purged_at IS NULL";
    else
        sql = lock ? "SELECT " DOC_COLS DOC_FROM
                     " WHERE d.id = $1 AND d.deleted_at IS NULL FOR UPDATE OF d"
                   : "SELECT " DOC_COLS DOC_FROM " WHERE d.id = $1 AND d.deleted_at IS NULL";
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db, sql, 1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    s_doc_row(ctx, res, 0, out);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_get(at_ctx_t *ctx, const char *id, bool lock, doc_row_t *out)
{
    return s_get(ctx, id, lock, false, out);
}

at_status_t doc_store_get_any(at_ctx_t *ctx, const char *id, bool lock, doc_row_t *out)
{
    return s_get(ctx, id, lock, true, out);
}

at_status_t doc_store_find_by_name(at_ctx_t *ctx, const char *client_id, const char *folder_id,
                                   const char *name, doc_row_t *out)
{
    const char *p[] = {client_id, folder_id, name};
    PGresult *res =
        at_db_query(ctx->db,
                    "SELECT " DOC_COLS DOC_FROM " WHERE d.client_id = $1 AND d.deleted_at IS NULL"
                    " AND coalesce(d.folder_id, '00000000-0000-0000-0000-000000000000'::uuid)"
                    "   = coalesce($2::uuid, '00000000-0000-0000-0000-000000000000'::uuid)"
                    " AND lower(normalize(d.name, NFC)) = lower(normalize($3, NFC))"
                    " FOR UPDATE OF d",
                    3, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_NOT_FOUND;
        goto cleanup;
    }
    s_doc_row(ctx, res, 0, out);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_list(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                           const char *folder, const char *tsquery, bool staff, int limit,
                           const char *after_key, const char *after_id,
                           Atrium__Document__DocumentList *out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id,   client_id, folder, staff ? "true" : "false",
                       after_key, after_id,  lim,    tsquery};
    /* Two statements, not "($8 IS NULL OR tsv @@ ...)": under a prepared
     * statement's generic plan that OR keeps the search from the GIN index,
     * and a rare word was matched row by row down the client's whole list
     * (0.9 s at 100,000 documents). The search's matches are gathered first
     * (MATERIALIZED: through the GIN index), for the same reason: with
     * ORDER BY ... LIMIT the planner otherwise walks the date index hoping
     * to meet 50 matches soon. */
#define LIST_WHERE                                                                           \
    " WHERE d.firm_id = $1 AND d.client_id = $2 AND d.deleted_at IS NULL"                    \
    " AND ($3::text IS NULL OR ($3 = '' AND d.folder_id IS NULL) OR d.folder_id::text = $3)" \
    " AND ($4::bool OR f.visibility IS DISTINCT FROM 'internal')"                            \
    " AND ($5::text IS NULL OR (d.created_at, d.id) < ($5::timestamptz, $6::uuid))"
    PGresult *res = tsquery ? at_db_query(ctx->db,
                                          "WITH m AS MATERIALIZED (SELECT id FROM documents"
                                          "  WHERE client_id = $2 AND deleted_at IS NULL"
                                          "  AND search_tsv @@ to_tsquery('simple', $8))"
                                          " SELECT " DOC_COLS DOC_FROM LIST_WHERE
                                          " AND d.id IN (SELECT id FROM m)"
                                          " ORDER BY d.created_at DESC, d.id DESC LIMIT $7",
                                          8, p)
                            : at_db_query(ctx->db,
                                          "SELECT " DOC_COLS DOC_FROM LIST_WHERE
                                          " ORDER BY d.created_at DESC, d.id DESC LIMIT $7",
                                          7, p);
#undef LIST_WHERE
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    bool more = n > limit;
    if (more)
        n = limit;
    out->n_items = (size_t) n;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        doc_row_t row;
        s_doc_row(ctx, res, i, &row);
        out->items[i] = row.doc;
    }
    if (more && n > 0)
        out->next_cursor =
            at_cursor_encode(ctx->arena, at_db_value(res, n - 1, 13), at_db_value(res, n - 1, 0));
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_insert(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                             const char *folder_id, const char *name, const char *created_by,
                             const char **id)
{
    char *folded = at_search_fold_str(name);
    const char *p[] = {firm_id, client_id, folder_id, name, created_by, folded};
    PGresult *res =
        at_db_query(ctx->db,
                    "INSERT INTO documents (firm_id, client_id, folder_id, name, created_by,"
                    " name_tsv) VALUES ($1, $2, $3, normalize($4, NFC), $5,"
                    " to_tsvector('simple', $6))"
                    " ON CONFLICT (client_id,"
                    "   coalesce(folder_id, '00000000-0000-0000-0000-000000000000'::uuid),"
                    "   lower(normalize(name, NFC))) WHERE deleted_at IS NULL DO NOTHING"
                    " RETURNING id",
                    6, p);
    free(folded);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_CONFLICT;
        goto cleanup;
    }
    *id = s_val(ctx, res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_bump_version(at_ctx_t *ctx, const char *id, int32_t *version)
{
    const char *p[] = {id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "UPDATE documents SET current_version = current_version + 1,"
                               " updated_at = now() WHERE id = $1 AND deleted_at IS NULL"
                               " RETURNING current_version",
                               1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *version = (int32_t) s_i64(res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_version_insert(at_ctx_t *ctx, const char *firm_id, const char *document_id,
                                     int32_t version, const char *sha256, int64_t size,
                                     const char *content_type, const char *created_by)
{
    char ver[16], sz[24];
    snprintf(ver, sizeof ver, "%" PRId32, version);
    snprintf(sz, sizeof sz, "%" PRId64, size);
    const char *p[] = {document_id, ver, firm_id, sha256, sz, content_type, created_by};
    /* every stored version (upload, new version, restore, tus) queues its
     * text extraction in the same statement, so in the same transaction */
    PGresult *res = at_db_query(ctx->db,
                                "WITH v AS (INSERT INTO versions (document_id, version, firm_id,"
                                " sha256, size, content_type, created_by)"
                                " VALUES ($1, $2, $3, $4, $5, $6, $7)"
                                " RETURNING document_id, version, firm_id)"
                                " INSERT INTO text_jobs (document_id, version, firm_id)"
                                " SELECT document_id, version, firm_id FROM v",
                                7, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    if (st == AT_OK)
        st = doc_store_preview_enqueue(ctx, sha256, content_type);
    return st;
}

static doc_version_t *s_version_row(at_ctx_t *ctx, PGresult *res, int r)
{
    doc_version_t *v = at_msg_new(ctx, &atrium__document__version__descriptor);
    v->has_version = 1;
    v->version = (int32_t) s_i64(res, r, 0);
    v->has_size = 1;
    v->size = s_i64(res, r, 1);
    v->sha256 = s_val(ctx, res, r, 2);
    v->content_type = s_val(ctx, res, r, 3);
    v->created_by = s_val(ctx, res, r, 4);
    v->created_at = s_val(ctx, res, r, 5);
    return v;
}

#define VERSION_COLS "version, size, sha256, content_type, created_by, " TS("created_at")

at_status_t doc_store_version_get(at_ctx_t *ctx, const char *document_id, int32_t version,
                                  doc_version_t **out)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%" PRId32, version);
    const char *p[] = {document_id, version > 0 ? ver : NULL};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "SELECT " VERSION_COLS " FROM versions WHERE document_id = $1"
                               " AND version = coalesce($2::int,"
                               "   (SELECT current_version FROM documents WHERE id = $1))",
                               2, p, &res);
    if (st != AT_OK)
        goto cleanup;
    *out = s_version_row(ctx, res, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_version_list(at_ctx_t *ctx, const char *document_id,
                                   Atrium__Document__VersionList *out)
{
    const char *p[] = {document_id};
    PGresult *res = at_db_query(ctx->db,
                                "SELECT " VERSION_COLS " FROM versions WHERE document_id = $1"
                                " ORDER BY version DESC",
                                1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->n_items = (size_t) n;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++)
        out->items[i] = s_version_row(ctx, res, i);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_update(at_ctx_t *ctx, const char *id, const char *name, const char *folder_id)
{
    char *folded = name ? at_search_fold_str(name) : NULL;
    const char *p[] = {id, name, folder_id, folded};
    /* NULLIF rather than CASE: a custom plan may fold ''::uuid and fail */
    PGresult *res = at_db_query(
        ctx->db,
        "UPDATE documents SET name = coalesce(normalize($2, NFC), name),"
        " name_tsv = CASE WHEN $4::text IS NULL THEN name_tsv"
        " ELSE to_tsvector('simple', $4) END,"
        " folder_id = CASE WHEN $3::text IS NULL THEN folder_id ELSE NULLIF($3, '')::uuid END,"
        " updated_at = now()"
        " WHERE id = $1 AND deleted_at IS NULL",
        4, p);
    free(folded);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t doc_store_delete(at_ctx_t *ctx, const char *id, const char *deleted_by)
{
    const char *p[] = {id, deleted_by};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE documents SET deleted_at = now(), deleted_by = $2,"
                                " updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
                                2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t doc_store_restore(at_ctx_t *ctx, const char *id)
{
    const char *p[] = {id};
    /* the live-name index refuses it (23505: AT_CONFLICT) when the folder
     * has a live document of the name by now */
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE documents SET deleted_at = NULL, deleted_by = NULL,"
                                " updated_at = now() WHERE id = $1 AND deleted_at IS NOT NULL"
                                " AND purged_at IS NULL",
                                1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

/* -- activity -------------------------------------------------------------- */

at_status_t doc_store_activity_add(at_ctx_t *ctx, const char *document_id, const char *firm_id,
                                   const char *client_id, const char *action, int32_t version)
{
    const Atrium__Principal *pr = ctx->principal;
    char ver[16];
    snprintf(ver, sizeof ver, "%" PRId32, version);
    const char *p[] = {document_id,
                       firm_id,
                       client_id,
                       pr ? pr->user_id : NULL,
                       pr ? pr->name : NULL,
                       pr ? pr->kind : NULL,
                       action,
                       version > 0 ? ver : NULL};
    PGresult *res = at_db_query(ctx->db,
                                "INSERT INTO activity (document_id, firm_id, client_id, actor_id,"
                                " actor_name, actor_kind, action, version)"
                                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                8, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_activity_list(at_ctx_t *ctx, const char *document_id, bool staff,
                                    const char *self_id, int limit, const char *after_key,
                                    const char *after_id, Atrium__Document__ActivityList *out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {document_id, staff ? "true" : "false", self_id, after_key, after_id, lim};
    PGresult *res =
        at_db_query(ctx->db,
                    "SELECT id, actor_id, actor_name, actor_kind, action, " TS(
                        "at") ", version, at::text"
                              " FROM activity WHERE document_id = $1"
                              " AND ($2::bool OR actor_kind = 'client' OR actor_id = $3::uuid)"
                              " AND ($4::text IS NULL OR (at, id) < ($4::timestamptz, $5::uuid))"
                              " ORDER BY at DESC, id DESC LIMIT $6",
                    6, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    bool more = n > limit;
    if (more)
        n = limit;
    out->n_items = (size_t) n;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        Atrium__Document__Activity *a = at_msg_new(ctx, &atrium__document__activity__descriptor);
        Atrium__Document__Actor *who = at_msg_new(ctx, &atrium__document__actor__descriptor);
        who->id = s_val(ctx, res, i, 1);
        who->name = s_val(ctx, res, i, 2);
        who->kind = s_val(ctx, res, i, 3);
        a->actor = who;
        a->action = s_val(ctx, res, i, 4);
        a->at = s_val(ctx, res, i, 5);
        if (at_db_value(res, i, 6)) {
            a->has_version = 1;
            a->version = (int32_t) s_i64(res, i, 6);
        }
        out->items[i] = a;
    }
    if (more && n > 0)
        out->next_cursor =
            at_cursor_encode(ctx->arena, at_db_value(res, n - 1, 7), at_db_value(res, n - 1, 0));
cleanup:
    PQclear(res);
    return st;
}

/* -- quota ----------------------------------------------------------------- */

at_status_t doc_store_firm_usage(at_ctx_t *ctx, const char *firm_id, int64_t *bytes)
{
    const char *p[] = {firm_id};
    PGresult *res = at_db_query(ctx->db,
                                "SELECT coalesce(sum(size), 0)::bigint FROM"
                                " (SELECT DISTINCT sha256, size FROM versions"
                                "  WHERE firm_id = $1 AND purged_at IS NULL) b",
                                1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK)
        *bytes = s_i64(res, 0, 0);
    PQclear(res);
    return st;
}

/* -- document requests ----------------------------------------------------- */

#define REQ_COLS                                                                          \
    "id, firm_id, client_id, title, description, " TS(                                    \
        "due_at") ", folder_id, status,"                                                  \
                  " reason, document_id, version, created_by, " TS("created_at") ", " TS( \
                      "updated_at") ", submitted_by, " TS("submitted_at") ", created_at::text"

static void s_request_row(at_ctx_t *ctx, PGresult *res, int r, doc_request_row_t *out)
{
    doc_request_t *q = at_msg_new(ctx, &atrium__document__document_request__descriptor);
    q->id = s_val(ctx, res, r, 0);
    out->firm_id = s_val(ctx, res, r, 1);
    q->client_id = s_val(ctx, res, r, 2);
    q->title = s_val(ctx, res, r, 3);
    q->description = s_val(ctx, res, r, 4);
    q->due_at = s_val(ctx, res, r, 5);
    q->folder_id = s_val(ctx, res, r, 6);
    q->status = s_val(ctx, res, r, 7);
    q->reason = s_val(ctx, res, r, 8);
    q->document_id = s_val(ctx, res, r, 9);
    if (at_db_value(res, r, 10)) {
        q->has_version = 1;
        q->version = (int32_t) s_i64(res, r, 10);
    }
    q->created_by = s_val(ctx, res, r, 11);
    q->created_at = s_val(ctx, res, r, 12);
    q->updated_at = s_val(ctx, res, r, 13);
    q->submitted_by = s_val(ctx, res, r, 14);
    q->submitted_at = s_val(ctx, res, r, 15);
    out->req = q;
}

at_status_t doc_store_request_create(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                     const char *title, const char *description, const char *due_at,
                                     const char *folder_id, const char *created_by,
                                     doc_request_t **out)
{
    const char *p[] = {firm_id, client_id, title, description, due_at, folder_id, created_by};
    PGresult *res = at_db_query(ctx->db,
                                "INSERT INTO requests (firm_id, client_id, title, description,"
                                " due_at, folder_id, created_by)"
                                " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " REQ_COLS,
                                7, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK) {
        doc_request_row_t row;
        s_request_row(ctx, res, 0, &row);
        *out = row.req;
    }
    PQclear(res);
    return st;
}

at_status_t doc_store_request_get(at_ctx_t *ctx, const char *id, bool lock, doc_request_row_t *out)
{
    const char *p[] = {id};
    PGresult *res = at_db_query(ctx->db,
                                lock ? "SELECT " REQ_COLS " FROM requests WHERE id = $1 FOR UPDATE"
                                     : "SELECT " REQ_COLS " FROM requests WHERE id = $1",
                                1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && PQntuples(res) != 1)
        st = AT_NOT_FOUND;
    if (st == AT_OK)
        s_request_row(ctx, res, 0, out);
    PQclear(res);
    return st;
}

at_status_t doc_store_request_list(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                   const char *status, int limit, const char *after_key,
                                   const char *after_id, Atrium__Document__DocumentRequestList *out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit + 1);
    const char *p[] = {firm_id, client_id, status, after_key, after_id, lim};
    PGresult *res =
        at_db_query(ctx->db,
                    "SELECT " REQ_COLS " FROM requests WHERE firm_id = $1 AND client_id = $2"
                    " AND ($3::text IS NULL OR status = $3)"
                    " AND ($4::text IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))"
                    " ORDER BY created_at DESC, id DESC LIMIT $6",
                    6, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    bool more = n > limit;
    if (more)
        n = limit;
    out->n_items = (size_t) n;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        doc_request_row_t row;
        s_request_row(ctx, res, i, &row);
        out->items[i] = row.req;
    }
    if (more && n > 0)
        out->next_cursor =
            at_cursor_encode(ctx->arena, at_db_value(res, n - 1, 16), at_db_value(res, n - 1, 0));
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_request_submit(at_ctx_t *ctx, const char *id, const char *document_id,
                                     int32_t version, const char *user_id)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%" PRId32, version);
    const char *p[] = {id, document_id, ver, user_id};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE requests SET status = 'submitted', document_id = $2,"
                                " version = $3, submitted_by = $4, submitted_at = now(),"
                                " updated_at = now() WHERE id = $1",
                                4, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t doc_store_request_decide(at_ctx_t *ctx, const char *id, const char *status,
                                     const char *reason, const char *user_id)
{
    const char *p[] = {id, status, reason, user_id};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE requests SET status = $2, reason = coalesce($3, reason),"
                                " decided_by = $4, decided_at = now(), updated_at = now()"
                                " WHERE id = $1",
                                4, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

/* -- blobs in use, purge ----------------------------------------------------- */

/* The advisory lock of one blob: class 'ATB1', the digest's first 32 bits.
 * Two digests sharing them only share a lock, which is harmless. */
#define BLOB_LOCK_ARGS "1096040497, ('x' || substr($1, 1, 8))::bit(32)::int"

at_status_t doc_store_blob_lock(at_ctx_t *ctx, const char *sha256, bool exclusive)
{
    const char *p[] = {sha256};
    PGresult *res =
        at_db_query(ctx->db,
                    exclusive ? "SELECT pg_advisory_xact_lock(" BLOB_LOCK_ARGS ")"
                              : "SELECT pg_advisory_xact_lock_shared(" BLOB_LOCK_ARGS ")",
                    1, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_blob_in_use(at_ctx_t *ctx, const char *sha256, bool *in_use)
{
    const char *p[] = {sha256};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "SELECT EXISTS (SELECT 1 FROM versions"
                               " WHERE sha256 = $1 AND purged_at IS NULL)",
                               1, p, &res);
    if (st == AT_OK)
        *in_use = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return st;
}

at_status_t doc_store_trash_due(at_ctx_t *ctx, int64_t older_s, int max, const char ***ids, int *n)
{
    char age[24], lim[16];
    snprintf(age, sizeof age, "%" PRId64, older_s);
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {age, lim};
    *ids = NULL;
    *n = 0;
    PGresult *res = at_db_query(ctx->db,
                                "SELECT id FROM documents WHERE deleted_at IS NOT NULL"
                                " AND purged_at IS NULL"
                                " AND deleted_at < now() - make_interval(secs => $1::bigint)"
                                " ORDER BY deleted_at LIMIT $2::int",
                                2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK) {
        *n = PQntuples(res);
        *ids = at_arena_alloc(ctx->arena, sizeof **ids * (size_t) (*n ? *n : 1));
        for (int i = 0; i < *n; i++)
            (*ids)[i] = at_str(ctx, PQgetvalue(res, i, 0));
    }
    PQclear(res);
    return st;
}

at_status_t doc_store_purge(at_ctx_t *ctx, const char *id, int64_t older_s, const char ***shas,
                            size_t *n)
{
    char age[24];
    snprintf(age, sizeof age, "%" PRId64, older_s < 0 ? 0 : older_s);
    const char *p[] = {id, age};
    *shas = NULL;
    *n = 0;
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE documents SET purged_at = now() WHERE id = $1"
                                " AND deleted_at IS NOT NULL AND purged_at IS NULL"
                                " AND deleted_at <= now() - make_interval(secs => $2::bigint)",
                                2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    if (st != AT_OK)
        return st;
    /* the extracted text is the file's content too: it goes with the bytes */
    res = at_db_query(ctx->db,
                      "WITH t AS (DELETE FROM texts WHERE document_id = $1),"
                      " j AS (DELETE FROM text_jobs WHERE document_id = $1)"
                      " UPDATE documents SET text_tsv = NULL WHERE id = $1",
                      1, p);
    st = at_db_status(ctx->db, res);
    PQclear(res);
    if (st != AT_OK)
        return st;
    res = at_db_query(ctx->db,
                      "WITH v AS (UPDATE versions SET purged_at = now()"
                      " WHERE document_id = $1 AND purged_at IS NULL RETURNING sha256)"
                      " SELECT DISTINCT sha256 FROM v",
                      1, p);
    st = at_db_status(ctx->db, res);
    if (st == AT_OK) {
        *n = (size_t) PQntuples(res);
        *shas = at_arena_alloc(ctx->arena, sizeof **shas * (*n ? *n : 1));
        for (size_t i = 0; i < *n; i++)
            (*shas)[i] = at_str(ctx, PQgetvalue(res, (int) i, 0));
    }
    PQclear(res);
    return st;
}

at_status_t doc_store_preview_delete(at_ctx_t *ctx, const char *sha256)
{
    const char *p[] = {sha256};
    PGresult *res = at_db_query(ctx->db, "DELETE FROM previews WHERE sha256 = $1", 1, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

/* -- consistency ----------------------------------------------------------- */

at_status_t doc_store_blob_refs(at_ctx_t *ctx, doc_blob_ref_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    PGresult *res = at_db_exec(ctx->db, "SELECT sha256, size, count(*), min(document_id::text)"
                                        " FROM versions WHERE purged_at IS NULL"
                                        " GROUP BY sha256, size ORDER BY sha256 COLLATE \"C\"");
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    size_t rows = (size_t) PQntuples(res);
    doc_blob_ref_t *refs = calloc(rows ? rows : 1, sizeof *refs);
    if (!refs) {
        st = AT_INTERNAL;
        goto cleanup;
    }
    for (size_t i = 0; i < rows; i++) {
        snprintf(refs[i].sha256, sizeof refs[i].sha256, "%s", PQgetvalue(res, (int) i, 0));
        refs[i].size = s_i64(res, (int) i, 1);
        refs[i].versions = (int32_t) s_i64(res, (int) i, 2);
        snprintf(refs[i].document_id, sizeof refs[i].document_id, "%s",
                 PQgetvalue(res, (int) i, 3));
    }
    *out = refs;
    *n = rows;
cleanup:
    PQclear(res);
    return st;
}

/* -- previews -------------------------------------------------------------- */

at_status_t doc_store_preview_enqueue(at_ctx_t *ctx, const char *sha256, const char *content_type)
{
    if (!doc_sniff_previewable(content_type))
        return AT_OK;
    const char *p[] = {sha256, content_type};
    PGresult *res = at_db_query(ctx->db,
                                "INSERT INTO previews (sha256, content_type) VALUES ($1, $2)"
                                " ON CONFLICT (sha256) DO NOTHING",
                                2, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

#define PREVIEW_COLS                                                                       \
    "sha256, content_type, status, png_sha256, coalesce(png_size, 0), coalesce(width, 0)," \
    " coalesce(height, 0), attempts"

static void s_preview_row(at_ctx_t *ctx, PGresult *res, doc_preview_row_t *out)
{
    out->sha256 = s_val(ctx, res, 0, 0);
    out->content_type = s_val(ctx, res, 0, 1);
    out->status = s_val(ctx, res, 0, 2);
    out->png_sha256 = s_val(ctx, res, 0, 3);
    out->png_size = s_i64(res, 0, 4);
    out->width = (int32_t) s_i64(res, 0, 5);
    out->height = (int32_t) s_i64(res, 0, 6);
    out->attempts = (int32_t) s_i64(res, 0, 7);
}

at_status_t doc_store_preview_get(at_ctx_t *ctx, const char *sha256, doc_preview_row_t *out)
{
    const char *p[] = {sha256};
    PGresult *res = NULL;
    at_status_t st =
        at_db_one(ctx->db, "SELECT " PREVIEW_COLS " FROM previews WHERE sha256 = $1", 1, p, &res);
    if (st == AT_OK)
        s_preview_row(ctx, res, out);
    PQclear(res);
    return st;
}

at_status_t doc_store_preview_claim(at_ctx_t *ctx, int lease_s, doc_preview_row_t *out)
{
    char lease[16];
    snprintf(lease, sizeof lease, "%d", lease_s);
    const char *p[] = {lease};
    PGresult *res =
        at_db_query(ctx->db,
                    "UPDATE previews SET attempts = attempts + 1, updated_at = now(),"
                    " next_at = now() + make_interval(secs => $1::int)"
                    " WHERE sha256 = (SELECT sha256 FROM previews WHERE status = 'pending'"
                    "   AND next_at <= now() ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
                    " RETURNING " PREVIEW_COLS,
                    1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && PQntuples(res) != 1)
        st = AT_NOT_FOUND;
    if (st == AT_OK)
        s_preview_row(ctx, res, out);
    PQclear(res);
    return st;
}

at_status_t doc_store_preview_done(at_ctx_t *ctx, const char *sha256, int32_t attempts,
                                   const char *png_sha256, int64_t png_size, int32_t width,
                                   int32_t height)
{
    char att[16], sz[24], w[16], h[16];
    snprintf(att, sizeof att, "%" PRId32, attempts);
    snprintf(sz, sizeof sz, "%" PRId64, png_size);
    snprintf(w, sizeof w, "%" PRId32, width);
    snprintf(h, sizeof h, "%" PRId32, height);
    const char *p[] = {sha256, att, png_sha256, sz, w, h};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE previews SET status = 'done', png_sha256 = $3,"
                                " png_size = $4, width = $5, height = $6, error = NULL,"
                                " updated_at = now()"
                                " WHERE sha256 = $1 AND attempts = $2 AND status = 'pending'",
                                6, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_preview_failed(at_ctx_t *ctx, const char *sha256, int32_t attempts,
                                     bool final, int retry_s, const char *error)
{
    char att[16], retry[16];
    snprintf(att, sizeof att, "%" PRId32, attempts);
    snprintf(retry, sizeof retry, "%d", retry_s);
    const char *p[] = {sha256, att, final ? "true" : "false", retry, error};
    PGresult *res = at_db_query(
        ctx->db,
        "UPDATE previews SET status = CASE WHEN $3::bool THEN 'failed' ELSE 'pending' END,"
        " next_at = now() + make_interval(secs => $4::int), error = left($5, 500),"
        " updated_at = now()"
        " WHERE sha256 = $1 AND attempts = $2 AND status = 'pending'",
        5, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_preview_requeue(at_ctx_t *ctx, const char *sha256)
{
    const char *p[] = {sha256};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE previews SET status = 'pending', attempts = 0,"
                                " next_at = now(), updated_at = now()"
                                " WHERE sha256 = $1 AND status = 'done'",
                                1, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_preview_refs(at_ctx_t *ctx, doc_blob_ref_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    PGresult *res = at_db_exec(ctx->db, "SELECT sha256, png_size FROM previews"
                                        " WHERE status = 'done' ORDER BY sha256 COLLATE \"C\"");
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    size_t rows = (size_t) PQntuples(res);
    doc_blob_ref_t *refs = calloc(rows ? rows : 1, sizeof *refs);
    if (!refs) {
        st = AT_INTERNAL;
        goto cleanup;
    }
    for (size_t i = 0; i < rows; i++) {
        snprintf(refs[i].sha256, sizeof refs[i].sha256, "%s", PQgetvalue(res, (int) i, 0));
        refs[i].size = s_i64(res, (int) i, 1);
    }
    *out = refs;
    *n = rows;
cleanup:
    PQclear(res);
    return st;
}

/* -- uploads --------------------------------------------------------------- */

/* bytea in text form: "\x" and two hex digits a byte */
static void s_bytea_hex(const unsigned char *b, size_t len, char *out, size_t cap)
{
    out[0] = '\\', out[1] = 'x';
    sodium_bin2hex(out + 2, cap - 2, b, len);
}

at_status_t doc_store_upload_create(at_ctx_t *ctx, const doc_upload_t *up, const char *hint,
                                    const char **id)
{
    char declared[24], state[2 + 2 * DOC_DIGEST_STATE_BYTES + 1];
    snprintf(declared, sizeof declared, "%" PRId64, up->declared);
    s_bytea_hex(up->state, DOC_DIGEST_STATE_BYTES, state, sizeof state);
    const char *p[] = {
        up->firm_id, up->client_id, up->folder_id,  up->document_id,
        up->name,    hint,          up->created_by, up->declared >= 0 ? declared : NULL,
        state,       up->request_id};
    PGresult *res = at_db_query(ctx->db,
                                "INSERT INTO uploads (firm_id, client_id, folder_id, document_id,"
                                " name, content_type_hint, created_by, declared_size, sha_state,"
                                " request_id)"
                                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                                10, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    *id = s_val(ctx, res, 0, 0);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_upload_lock(at_ctx_t *ctx, const char *id, doc_upload_t *out)
{
    const char *p[] = {id};
    PGresult *res = NULL;
    at_status_t st = at_db_one(ctx->db,
                               "SELECT id, firm_id, client_id, folder_id, document_id, name,"
                               " created_by, coalesce(declared_size, -1), received, sha_state,"
                               " request_id FROM uploads WHERE id = $1 FOR UPDATE",
                               1, p, &res);
    if (st != AT_OK)
        goto cleanup;
    out->id = s_val(ctx, res, 0, 0);
    out->firm_id = s_val(ctx, res, 0, 1);
    out->client_id = s_val(ctx, res, 0, 2);
    out->folder_id = s_val(ctx, res, 0, 3);
    out->document_id = s_val(ctx, res, 0, 4);
    out->name = s_val(ctx, res, 0, 5);
    out->created_by = s_val(ctx, res, 0, 6);
    out->declared = s_i64(res, 0, 7);
    out->received = s_i64(res, 0, 8);
    out->request_id = s_val(ctx, res, 0, 10);
    const char *hex = at_db_value(res, 0, 9);
    size_t bin_len = 0;
    if (!hex || strlen(hex) != 2 + 2 * DOC_DIGEST_STATE_BYTES || hex[0] != '\\' || hex[1] != 'x' ||
        sodium_hex2bin(out->state, sizeof out->state, hex + 2, strlen(hex) - 2, NULL, &bin_len,
                       NULL) != 0 ||
        bin_len != DOC_DIGEST_STATE_BYTES)
        st = AT_INTERNAL;
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_upload_expiry(at_ctx_t *ctx, const char *id, int64_t idle_s,
                                    int64_t *expires_ms)
{
    char idle[24];
    snprintf(idle, sizeof idle, "%" PRId64, idle_s);
    const char *p[] = {id, idle};
    PGresult *res = at_db_query(ctx->db,
                                "SELECT (extract(epoch FROM updated_at) * 1000)::bigint"
                                " + $2::bigint * 1000 FROM uploads WHERE id = $1",
                                2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && PQntuples(res) != 1)
        st = AT_NOT_FOUND;
    if (st == AT_OK)
        *expires_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return st;
}

at_status_t doc_store_upload_advance(at_ctx_t *ctx, const char *id, int64_t received,
                                     const unsigned char state[DOC_DIGEST_STATE_BYTES])
{
    char rec[24], hex[2 + 2 * DOC_DIGEST_STATE_BYTES + 1];
    snprintf(rec, sizeof rec, "%" PRId64, received);
    s_bytea_hex(state, DOC_DIGEST_STATE_BYTES, hex, sizeof hex);
    const char *p[] = {id, rec, hex};
    /* A chunk's progress need not reach the disk before we answer: its bytes
     * are not fsynced either (finish does that), and progress lost in a
     * crash only makes the client resume from an earlier offset (the 409
     * says which), where the stored hash state matches. */
    PGresult *res = at_db_exec(ctx->db, "SET LOCAL synchronous_commit TO off");
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    if (st != AT_OK)
        return st;
    res = at_db_query(ctx->db,
                      "UPDATE uploads SET received = $2, sha_state = $3,"
                      " updated_at = now() WHERE id = $1",
                      3, p);
    st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t doc_store_upload_delete(at_ctx_t *ctx, const char *id)
{
    const char *p[] = {id};
    PGresult *res = at_db_query(ctx->db, "DELETE FROM uploads WHERE id = $1", 1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && strcmp(PQcmdTuples(res), "1") != 0)
        st = AT_NOT_FOUND;
    PQclear(res);
    return st;
}

at_status_t doc_store_upload_reap(at_ctx_t *ctx, int64_t idle_s, int max, const char ***ids, int *n)
{
    char idle[24], lim[16];
    snprintf(idle, sizeof idle, "%" PRId64, idle_s);
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {idle, lim};
    *ids = NULL;
    *n = 0;
    PGresult *res =
        at_db_query(ctx->db,
                    "DELETE FROM uploads WHERE id IN (SELECT id FROM uploads"
                    " WHERE updated_at < now() - make_interval(secs => $1::double precision)"
                    " ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id",
                    2, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    *n = PQntuples(res);
    *ids = at_arena_alloc(ctx->arena, sizeof **ids * (size_t) (*n ? *n : 1));
    for (int i = 0; i < *n; i++)
        (*ids)[i] = s_val(ctx, res, i, 0);
cleanup:
    PQclear(res);
    return st;
}

/* -- search ---------------------------------------------------------------- */

at_status_t doc_store_search(at_ctx_t *ctx, const char *firm_id, const char *clients_json,
                             bool staff, const char *tsquery, const at_search_query_t *q, int limit,
                             Atrium__Search__SearchResult *out)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[] = {firm_id, staff ? "true" : "false", clients_json, tsquery, lim};
    PGresult *res =
        at_db_query(ctx->db,
                    "SELECT d.id, d.client_id, d.name, ts_rank(d.search_tsv, q.q)::float8,"
                    " coalesce(length(d.text_tsv), 0) > 0"
                    " FROM documents d LEFT JOIN folders f ON f.id = d.folder_id,"
                    " to_tsquery('simple', $4) AS q(q)"
                    " WHERE d.firm_id = $1 AND d.deleted_at IS NULL AND d.search_tsv @@ q.q"
                    " AND ($2::bool OR f.visibility IS DISTINCT FROM 'internal')"
                    " AND ($3::text IS NULL OR d.client_id IN"
                    "   (SELECT jsonb_array_elements_text($3::jsonb)::uuid))"
                    " ORDER BY 4 DESC, d.id LIMIT $5::int",
                    5, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int n = PQntuples(res);
    out->n_items = 0;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        Atrium__Search__SearchHit *h = at_msg_new(ctx, &atrium__search__search_hit__descriptor);
        h->type = "document";
        h->id = s_val(ctx, res, i, 0);
        h->client_id = s_val(ctx, res, i, 1);
        h->title = s_val(ctx, res, i, 2);
        h->has_rank = 1;
        h->rank = strtod(PQgetvalue(res, i, 3), NULL);
        h->snippet = "";
        if (strcmp(PQgetvalue(res, i, 4), "t") == 0 &&
            (st = doc_store_text_snippet(ctx, h->id, q, &h->snippet)) != AT_OK)
            goto cleanup;
        out->items[out->n_items++] = h;
    }
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_text_snippet(at_ctx_t *ctx, const char *document_id,
                                   const at_search_query_t *q, char **snippet)
{
    const char *p[] = {document_id};
    PGresult *res = at_db_query(ctx->db, "SELECT content FROM texts WHERE document_id = $1", 1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st == AT_OK && PQntuples(res) == 1) {
        /* straight from the result: the text may be a MiB, the arena keeps
         * only the excerpt */
        char *s = at_search_snippet(PQgetvalue(res, 0, 0), (size_t) PQgetlength(res, 0, 0), q,
                                    DOC_SNIPPET_CHARS);
        *snippet = at_str(ctx, s);
        free(s);
    }
    PQclear(res);
    return st;
}

at_status_t doc_store_text_claim(at_ctx_t *ctx, int lease_s, doc_text_job_t *job)
{
    char lease[16];
    snprintf(lease, sizeof lease, "%d", lease_s);
    const char *p[] = {lease};
    PGresult *res =
        at_db_query(ctx->db,
                    "UPDATE text_jobs j SET attempts = attempts + 1,"
                    " next_at = now() + make_interval(secs => $1::int * (attempts + 1))"
                    " WHERE id = (SELECT id FROM text_jobs WHERE next_at <= now()"
                    "   ORDER BY next_at LIMIT 1 FOR UPDATE SKIP LOCKED)"
                    " RETURNING j.id, j.document_id, j.version, j.firm_id, j.attempts,"
                    " (SELECT current_version FROM documents d WHERE d.id = j.document_id)",
                    1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    if (PQntuples(res) != 1) {
        st = AT_NOT_FOUND;
        goto cleanup;
    }
    job->id = s_val(ctx, res, 0, 0);
    job->document_id = s_val(ctx, res, 0, 1);
    job->version = (int32_t) s_i64(res, 0, 2);
    job->firm_id = s_val(ctx, res, 0, 3);
    job->attempts = (int) s_i64(res, 0, 4);
    job->current_version = (int32_t) s_i64(res, 0, 5);
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_text_save(at_ctx_t *ctx, const doc_text_job_t *job, const char *content,
                                const char *folded)
{
    char ver[16];
    snprintf(ver, sizeof ver, "%" PRId32, job->version);
    const char *p[] = {job->document_id, ver, folded};
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    /* only while the version is still the newest: a job of an older one
     * that finishes late changes nothing */
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE documents SET text_tsv = to_tsvector('simple', $3)"
                                " WHERE id = $1 AND current_version = $2::int",
                                3, p);
    at_status_t st = at_db_status(ctx->db, res);
    bool current = st == AT_OK && strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    if (st == AT_OK && current) {
        const char *q[] = {job->document_id, job->firm_id, ver, content};
        res = at_db_query(ctx->db,
                          "INSERT INTO texts (document_id, firm_id, version, content)"
                          " VALUES ($1, $2, $3::int, $4) ON CONFLICT (document_id) DO UPDATE"
                          " SET version = EXCLUDED.version, content = EXCLUDED.content,"
                          " extracted_at = now()",
                          4, q);
        st = at_db_status(ctx->db, res);
        PQclear(res);
    }
    if (st == AT_OK) {
        const char *d[] = {job->id};
        res = at_db_query(ctx->db, "DELETE FROM text_jobs WHERE id = $1", 1, d);
        st = at_db_status(ctx->db, res);
        PQclear(res);
    }
    if (st != AT_OK) {
        at_db_rollback(ctx->db);
        return st;
    }
    return at_db_commit(ctx->db) == 0 ? AT_OK : AT_UNAVAILABLE;
}

at_status_t doc_store_text_retry(at_ctx_t *ctx, const doc_text_job_t *job, int delay_s,
                                 const char *error)
{
    char delay[16];
    snprintf(delay, sizeof delay, "%d", delay_s);
    const char *p[] = {job->id, delay, error};
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE text_jobs SET last_error = $3,"
                                " next_at = now() + make_interval(secs => $2::int) WHERE id = $1",
                                3, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_text_drop(at_ctx_t *ctx, const char *job_id)
{
    const char *p[] = {job_id};
    PGresult *res = at_db_query(ctx->db, "DELETE FROM text_jobs WHERE id = $1", 1, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_names_unfolded(at_ctx_t *ctx, int max, const char ***ids, const char ***names,
                                     int *n)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", max);
    const char *p[] = {lim};
    *n = 0;
    PGresult *res = at_db_query(
        ctx->db, "SELECT id, name FROM documents WHERE name_tsv IS NULL LIMIT $1::int", 1, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    *n = PQntuples(res);
    *ids = at_arena_alloc(ctx->arena, sizeof **ids * (size_t) (*n ? *n : 1));
    *names = at_arena_alloc(ctx->arena, sizeof **names * (size_t) (*n ? *n : 1));
    for (int i = 0; i < *n; i++) {
        (*ids)[i] = s_val(ctx, res, i, 0);
        (*names)[i] = s_val(ctx, res, i, 1);
    }
cleanup:
    PQclear(res);
    return st;
}

at_status_t doc_store_name_folded(at_ctx_t *ctx, const char *id, const char *name,
                                  const char *folded)
{
    const char *p[] = {id, name, folded};
    /* a rename meanwhile wrote its own vector: the name guards it */
    PGresult *res = at_db_query(ctx->db,
                                "UPDATE documents SET name_tsv = to_tsvector('simple', $3)"
                                " WHERE id = $1 AND name = $2 AND name_tsv IS NULL",
                                3, p);
    at_status_t st = at_db_status(ctx->db, res);
    PQclear(res);
    return st;
}

at_status_t doc_store_dashboard(at_ctx_t *ctx, const char *firm_id, bool all, const char *clients,
                                bool staff, const char *user_id, const char *since,
                                Atrium__Document__NewDocuments *out, int32_t *pending_signatures)
{
    const char *p[] = {firm_id, all ? "true" : "false", clients, staff ? "true" : "false", user_id,
                       since};
    /* One statement: the signature requests waiting on the caller now (a
     * pending signer whose turn it is, on a live document), and the new
     * documents' count (count(*) OVER (), taken before LIMIT) with the newest
     * five; the LEFT JOIN keeps the row of counts when there are none. */
    PGresult *res = at_db_query(
        ctx->db,
        "WITH sig AS (SELECT count(*) AS n FROM signature_requests r"
        "  JOIN documents sd ON sd.id = r.document_id AND sd.deleted_at IS NULL"
        "  JOIN signature_signers s ON s.request_id = r.id AND s.user_id = $5::uuid"
        "  WHERE r.firm_id = $1 AND r.status = 'pending' AND s.status = 'pending'"
        "  AND (NOT r.ordered OR NOT EXISTS (SELECT 1 FROM signature_signers e"
        "   WHERE e.request_id = r.id AND e.position < s.position AND e.status <> 'signed'))),"
        " nd AS (SELECT d.id, d.name, d.client_id, d.folder_id, " TS(
            "d.created_at") " AS created, d.created_at, count(*) OVER () AS total"
                            " FROM documents d LEFT JOIN folders f ON f.id = d.folder_id"
                            " WHERE d.firm_id = $1 AND d.deleted_at IS NULL"
                            " AND ($2::bool OR d.client_id = ANY (ARRAY(SELECT "
                            "json_array_elements_text($3::json)::uuid)))"
                            " AND ($4::bool OR f.visibility IS DISTINCT FROM 'internal')"
                            " AND d.created_by <> $5::uuid"
                            " AND ($6::timestamptz IS NULL OR d.created_at > $6::timestamptz)"
                            " ORDER BY d.created_at DESC, d.id DESC LIMIT 5)"
                            " SELECT nd.id, nd.name, nd.client_id, nd.folder_id, nd.created,"
                            " coalesce(nd.total, 0), sig.n FROM sig LEFT JOIN nd ON true"
                            " ORDER BY nd.created_at DESC, nd.id DESC",
        6, p);
    at_status_t st = at_db_status(ctx->db, res);
    if (st != AT_OK)
        goto cleanup;
    int rows = PQntuples(res);
    int n = rows > 0 && !PQgetisnull(res, 0, 0) ? rows : 0;
    *pending_signatures = rows ? (int32_t) strtol(PQgetvalue(res, 0, 6), NULL, 10) : 0;
    out->has_count = 1;
    out->count = rows ? (int32_t) strtol(PQgetvalue(res, 0, 5), NULL, 10) : 0;
    out->n_items = (size_t) n;
    out->items = at_arena_alloc(ctx->arena, sizeof *out->items * (size_t) (n ? n : 1));
    for (int i = 0; i < n; i++) {
        Atrium__Document__DashboardDocument *d =
            at_msg_new(ctx, &atrium__document__dashboard_document__descriptor);
        d->id = s_val(ctx, res, i, 0);
        d->name = s_val(ctx, res, i, 1);
        d->client_id = s_val(ctx, res, i, 2);
        d->folder_id = s_val(ctx, res, i, 3);
        d->created_at = s_val(ctx, res, i, 4);
        out->items[i] = d;
    }
cleanup:
    PQclear(res);
    return st;
}
