/* document_server: the document service's method table and thin handlers:
 * folders, documents and versions (JSON routes), and the chunked byte
 * transfer with the gateway (upload begin/chunk/finish/abort, content info
 * and read). Every handler validates, checks the principal against the row,
 * calls the store and returns a status.
 *
 * It holds no upload state in memory: an upload is a row in uploads (with
 * the running SHA-256 state) and a file in the blob folder, so each chunk may
 * land on any thread of any instance. It never writes SQL (document_store)
 * and never names a file after a client's file name (document_blob).
 */
#include "at_cursor.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_service.h"
#include "at_tenancy.h"
#include "at_text.h"
#include "at_time.h"
#include "document_blob.h"
#include "document_gc.h"
#include "document_digest.h"
#include "document_names.h"
#include "document_previews.h"
#include "document_requests.h"
#include "document_signatures.h"
#include "document_signatures_pdf.h"
#include "document_search.h"
#include "document_sniff.h"
#include "document_store.h"
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern const at_embedded_t document_migrations[];

typedef struct {
    char *blob_dir;
    int64_t max_upload; /* bytes */
    int64_t idle_s;     /* an upload without a chunk for this long is dropped */
    int64_t quota;      /* bytes a firm's versions may hold; 0: no limit */
    int64_t trash_s;    /* a soft-deleted document is purged after this; 0: never */
} doc_state_t;

static const at_config_key_t s_config[] = {
    {"ATRIUM_BLOB_DIR", "${ATRIUM_DATA_DIR}/blobs", AT_CFG_STRING, 0, 0, true, false,
     "folder of stored files (shared by every document instance)"},
    {"ATRIUM_MAX_UPLOAD_BYTES", "10737418240", AT_CFG_INT, 1, INT64_MAX, true, false,
     "largest file an upload may store, in bytes (default 10 GiB)"},
    {"ATRIUM_UPLOAD_IDLE_S", "86400", AT_CFG_INT, 60, 30 * 86400, true, false,
     "an upload that received nothing for this many seconds is dropped with its bytes"},
    {"ATRIUM_FIRM_QUOTA_BYTES", "0", AT_CFG_INT, 0, INT64_MAX, true, false,
     "bytes a firm's stored files may take in all (distinct blobs of its versions); 0: no "
     "limit"},
    {"ATRIUM_DOCUMENT_TRASH_DAYS", "30", AT_CFG_INT, 0, 36500, true, false,
     "days a soft-deleted document stays restorable before its bytes are purged; 0: keep "
     "forever"},
    {"ATRIUM_DOCUMENT_TRASH_S", "0", AT_CFG_INT, 0, INT64_MAX, true, false,
     "the same period in seconds, used instead of days when set (tests)"},
    {"ATRIUM_SIGNATURE_REMINDER_S", "86400", AT_CFG_INT, 0, 365 * 86400, true, false,
     "seconds before a signature request's due_at that its signers are reminded (a second "
     "reminder goes at due_at)"},
    {"ATRIUM_PREVIEW_MAX_EDGE", "512", AT_CFG_INT, 16, 4096, true, false,
     "longest side of a document preview (PNG thumbnail), in pixels"},
    {"ATRIUM_PREVIEW_MAX_PIXELS", "50000000", AT_CFG_INT, 1, 1000000000, true, false,
     "an image of more pixels (width x height) gets no preview (decompression bombs)"},
    {NULL, NULL, 0, 0, 0, false, false, NULL},
};

typedef Atrium__Document__UploadBeginRequest begin_rq_t;
typedef Atrium__Document__UploadChunkRequest chunk_rq_t;
typedef Atrium__Document__UploadFinishRequest finish_rq_t;
typedef Atrium__Document__UploadAbortRequest abort_rq_t;
typedef Atrium__Document__ContentInfoRequest info_rq_t;
typedef Atrium__Document__ReadRequest read_rq_t;

static const doc_state_t *s_state(const at_ctx_t *ctx)
{
    return ctx->state;
}

static bool s_set(const char *s)
{
    return s && *s;
}

/* A folder reference that names a folder: "" and "root" mean the top level
 * everywhere a folder is taken (list filter, PATCH, upload, parent). */
static bool s_folder_given(const char *s)
{
    return s_set(s) && strcmp(s, "root") != 0;
}

/* The caller's role on something of client_id in firm_id, or NULL when they
 * may not see it (then it answers 404 as if it did not exist): another firm,
 * a client they are not a member of, or an internal folder for a client
 * user. */
static const char *s_role(at_ctx_t *ctx, const char *firm_id, const char *client_id, bool internal)
{
    const char *role = at_can_see_client(ctx, firm_id, client_id);
    if (!role || (internal && !at_is_staff(ctx)))
        return NULL;
    return role;
}

/* The caller's role on client_id of their own firm, for requests that name a
 * client rather than a row of ours; NULL with a 404 status in *st when it is
 * not theirs (at_client_visible asks auth about clients the principal does
 * not list). */
static const char *s_client_role(at_ctx_t *ctx, const char *client_id, at_status_t *st)
{
    const char *role = NULL;
    *st = at_client_visible(ctx, client_id, &role);
    return *st == AT_OK ? role : NULL;
}

static bool s_viewer(const char *role)
{
    return role && strcmp(role, "viewer") == 0;
}

/* Loads the live document id that the caller may see (lock: FOR UPDATE,
 * inside the caller's transaction). A missing one and someone else's answer
 * alike. */
static at_status_t s_document(at_ctx_t *ctx, const char *id, bool lock, doc_row_t *row,
                              const char **role)
{
    if (!doc_is_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    at_status_t st = doc_store_get(ctx, id, lock, row);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    if (st != AT_OK)
        return st;
    *role = s_role(ctx, row->firm_id, row->doc->client_id, row->internal);
    if (!*role)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    return AT_OK;
}

/* As s_document, but staff also find a soft-deleted document (row->deleted);
 * for anyone else a deleted document does not exist. */
static at_status_t s_document_any(at_ctx_t *ctx, const char *id, bool lock, doc_row_t *row,
                                  const char **role)
{
    if (!at_is_staff(ctx))
        return s_document(ctx, id, lock, row, role);
    if (!doc_is_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    at_status_t st = doc_store_get_any(ctx, id, lock, row);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    if (st != AT_OK)
        return st;
    *role = s_role(ctx, row->firm_id, row->doc->client_id, row->internal);
    if (!*role)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "document not found");
    return AT_OK;
}

/* Loads folder id as a place for things of client_id; field names the
 * request field for the 404. */
static at_status_t s_folder(at_ctx_t *ctx, const char *id, const char *client_id, const char *field,
                            doc_folder_row_t *row)
{
    if (!doc_is_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, field, "folder not found");
    at_status_t st = doc_store_folder_get(ctx, id, row);
    if (st == AT_NOT_FOUND ||
        (st == AT_OK && (strcmp(row->folder->client_id, client_id) != 0 ||
                         !s_role(ctx, row->firm_id, client_id, row->internal))))
        return at_fail(ctx, AT_NOT_FOUND, field, "folder not found");
    return st;
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

/* Records one audit event about a document in the open transaction. */
/* staff_only marks an event about something in an internal folder: the
 * audit service keeps it from client users' view of their client's trail
 * (details.staff_only), as the portal keeps the thing itself from them. */
static at_status_t s_audit(at_ctx_t *ctx, const char *action, const char *firm_id,
                           const char *client_id, const char *resource_type, const char *id,
                           json_t *details, bool staff_only)
{
    if (staff_only) {
        if (!details)
            details = json_object();
        json_object_set_new(details, "staff_only", json_true());
    }
    at_status_t st = at_audit(ctx, &(at_audit_event_t){.action = action,
                                                       .resource_type = resource_type,
                                                       .resource_id = id,
                                                       .client_id = client_id,
                                                       .firm_id = firm_id,
                                                       .details = details});
    json_decref(details);
    return st;
}

/* One event about document doc_id: the audit event (action) and the
 * document's own activity entry (activity, about version when > 0), both in
 * the open transaction. */
static at_status_t s_event(at_ctx_t *ctx, const char *action, const char *activity,
                           const char *firm_id, const char *client_id, const char *doc_id,
                           int32_t version, json_t *details, bool staff_only)
{
    at_status_t st =
        s_audit(ctx, action, firm_id, client_id, "document", doc_id, details, staff_only);
    if (st != AT_OK)
        return st;
    return doc_store_activity_add(ctx, doc_id, firm_id, client_id, activity, version);
}

/* Loads document request id if the caller sees its client (field names the
 * request field for the 404). */
static at_status_t s_request_load(at_ctx_t *ctx, const char *id, bool lock, const char *field,
                                  doc_request_row_t *row)
{
    if (!doc_is_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, field, "document request not found");
    at_status_t st = doc_store_request_get(ctx, id, lock, row);
    if (st == AT_NOT_FOUND ||
        (st == AT_OK && !s_role(ctx, row->firm_id, row->req->client_id, false)))
        return at_fail(ctx, AT_NOT_FOUND, field, "document request not found");
    return st;
}

/* -- folders ---------------------------------------------------------------- */

static at_status_t s_folders_list(at_ctx_t *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply)
{
    const Atrium__Document__ListFoldersRequest *rq = (const void *) req;
    at_status_t st;
    if (!s_client_role(ctx, rq->client_id, &st))
        return st;
    Atrium__Document__FolderList *out = at_msg_new(ctx, &atrium__document__folder_list__descriptor);
    st = doc_store_folder_list(ctx, ctx->principal->firm_id, rq->client_id, at_is_staff(ctx), out);
    if (st != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}

static at_status_t s_folders_create(at_ctx_t *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage **reply)
{
    const Atrium__Document__CreateFolderRequest *rq = (const void *) req;
    const char *firm_id = ctx->principal->firm_id, *why = NULL;
    at_status_t st;
    const char *role = s_client_role(ctx, rq->client_id, &st);
    if (!role)
        return st;
    if (s_viewer(role))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers cannot create folders");
    if (!doc_name_valid(rq->name, &why))
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "%s", why);
    bool internal = rq->has_visibility && rq->visibility == ATRIUM__DOCUMENT__VISIBILITY__INTERNAL;
    if (internal && !at_is_staff(ctx))
        return at_fail(ctx, AT_FORBIDDEN, "visibility", "only staff can create internal folders");
    const char *parent_id = s_folder_given(rq->parent_id) ? rq->parent_id : NULL;
    st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    if (parent_id) {
        doc_folder_row_t parent;
        if ((st = s_folder(ctx, parent_id, rq->client_id, "parent_id", &parent)) != AT_OK)
            return st;
        internal = internal || parent.internal; /* nothing shared inside an internal folder */
    }
    doc_folder_msg_t *folder = NULL;
    st =
        doc_store_folder_create(ctx, firm_id, rq->client_id, parent_id, rq->name,
                                internal ? "internal" : "shared", ctx->principal->user_id, &folder);
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_CONFLICT, "name", "a folder named \"%s\" exists there already",
                       rq->name);
    if (st != AT_OK)
        return st;
    st = s_audit(ctx, "folder.created", firm_id, rq->client_id, "folder", folder->id,
                 json_pack("{s:s, s:s, s:s?}", "name", folder->name, "visibility",
                           internal ? "internal" : "shared", "parent_id", parent_id),
                 internal);
    if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    *reply = &folder->base;
    return AT_CREATED;
}

/* -- documents -------------------------------------------------------------- */

static at_status_t s_documents_list(at_ctx_t *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage **reply)
{
    const Atrium__Document__ListDocumentsRequest *rq = (const void *) req;
    const char *firm_id = ctx->principal->firm_id;
    at_status_t st;
    if (!s_client_role(ctx, rq->client_id, &st))
        return st;
    const char *folder = NULL;
    if (rq->folder_id && (!*rq->folder_id || strcmp(rq->folder_id, "root") == 0)) {
        folder = "";
    } else if (rq->folder_id) {
        doc_folder_row_t f;
        if ((st = s_folder(ctx, rq->folder_id, rq->client_id, "folder_id", &f)) != AT_OK)
            return st;
        folder = f.folder->id;
    }
    /* q: the same full-text search as document.search, over names and
     * text; a q without a letter or digit matches nothing */
    char *tsquery = NULL;
    if (s_set(rq->q) && at_text_has_text(rq->q)) {
        at_search_query_t sq;
        int unused;
        st = at_search_begin(ctx, rq->q, false, 0, &sq, &tsquery, &unused);
        at_search_query_free(&sq);
        if (st != AT_OK)
            return st;
    }
    char *key = NULL, *id = NULL;
    if (s_set(rq->cursor) &&
        (at_cursor_decode(ctx->arena, rq->cursor, &key, &id) != 0 || !doc_is_uuid(id)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not valid");
    Atrium__Document__DocumentList *out =
        at_msg_new(ctx, &atrium__document__document_list__descriptor);
    if (s_set(rq->q) && at_text_has_text(rq->q) && !tsquery) {
        *reply = &out->base;
        return AT_OK;
    }
    st = doc_store_list(ctx, firm_id, rq->client_id, folder, tsquery, at_is_staff(ctx),
                        at_page_limit(rq->has_limit ? rq->limit : 0), key, id, out);
    if (st != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}

static at_status_t s_documents_get(at_ctx_t *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage **reply)
{
    const Atrium__Document__GetDocumentRequest *rq = (const void *) req;
    doc_row_t row;
    const char *role;
    at_status_t st = s_document_any(ctx, rq->id, false, &row, &role);
    if (st != AT_OK || (st = s_begin(ctx)) != AT_OK)
        return st;
    st = s_event(ctx, "document.viewed", "viewed", row.firm_id, row.doc->client_id, row.doc->id,
                 row.doc->version,
                 json_pack("{s:s, s:i}", "name", row.doc->name, "version", row.doc->version),
                 row.internal);
    if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    *reply = &row.doc->base;
    return AT_OK;
}

static at_status_t s_documents_update(at_ctx_t *ctx, const ProtobufCMessage *req,
                                      ProtobufCMessage **reply)
{
    const Atrium__Document__UpdateDocumentRequest *rq = (const void *) req;
    const char *why = NULL;
    if (rq->name && !doc_name_valid(rq->name, &why))
        return at_fail(ctx, AT_VALIDATION_FAILED, "name", "%s", why);
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    doc_row_t row;
    const char *role;
    if ((st = s_document(ctx, rq->id, true, &row, &role)) != AT_OK)
        return st;
    if (s_viewer(role))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers cannot change documents");
    const char *to_folder = NULL; /* NULL: stays; "": top level */
    bool to_internal = false;
    if (rq->folder_id && (!*rq->folder_id || strcmp(rq->folder_id, "root") == 0)) {
        to_folder = "";
    } else if (rq->folder_id) {
        doc_folder_row_t f;
        if ((st = s_folder(ctx, rq->folder_id, row.doc->client_id, "folder_id", &f)) != AT_OK)
            return st;
        to_folder = f.folder->id;
        to_internal = f.internal;
    }
    const char *old_folder = row.doc->folder_id ? row.doc->folder_id : "";
    bool renamed = rq->name && strcmp(rq->name, row.doc->name) != 0;
    bool moved = to_folder && strcmp(to_folder, old_folder) != 0;
    if (!renamed && !moved) {
        at_db_rollback(ctx->db);
        *reply = &row.doc->base;
        return AT_OK;
    }
    st = doc_store_update(ctx, row.doc->id, renamed ? rq->name : NULL, moved ? to_folder : NULL);
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_CONFLICT, "name", "a document named \"%s\" exists there already",
                       renamed ? rq->name : row.doc->name);
    if (st != AT_OK)
        return st;
    if (renamed && (st = s_event(ctx, "document.renamed", "renamed", row.firm_id,
                                 row.doc->client_id, row.doc->id, 0,
                                 json_pack("{s:s, s:s}", "from", row.doc->name, "to", rq->name),
                                 row.internal)) != AT_OK)
        return st;
    if (moved &&
        (st = s_event(ctx, "document.moved", "moved", row.firm_id, row.doc->client_id, row.doc->id,
                      0,
                      json_pack("{s:s, s:s?, s:s?}", "name", renamed ? rq->name : row.doc->name,
                                "from_folder_id", *old_folder ? old_folder : NULL, "to_folder_id",
                                *to_folder ? to_folder : NULL),
                      row.internal || to_internal)) != AT_OK)
        return st;
    doc_row_t now;
    if ((st = doc_store_get(ctx, row.doc->id, false, &now)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    *reply = &now.doc->base;
    return AT_OK;
}

static at_status_t s_documents_delete(at_ctx_t *ctx, const ProtobufCMessage *req,
                                      ProtobufCMessage **reply)
{
    (void) reply;
    const Atrium__Document__DeleteDocumentRequest *rq = (const void *) req;
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    doc_row_t row;
    const char *role;
    if ((st = s_document(ctx, rq->id, true, &row, &role)) != AT_OK)
        return st;
    if (s_viewer(role))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers cannot delete documents");
    if ((st = doc_store_delete(ctx, row.doc->id, ctx->principal->user_id)) != AT_OK)
        return st;
    if ((st = doc_sig_void_document(ctx, row.doc->id, row.firm_id, row.doc->client_id, 0,
                                    row.internal)) != AT_OK)
        return st;
    st = s_event(ctx, "document.deleted", "deleted", row.firm_id, row.doc->client_id, row.doc->id,
                 0, json_pack("{s:s, s:i}", "name", row.doc->name, "version", row.doc->version),
                 row.internal);
    if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    return AT_NO_CONTENT;
}

static at_status_t s_versions_list(at_ctx_t *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage **reply)
{
    const Atrium__Document__ListVersionsRequest *rq = (const void *) req;
    doc_row_t row;
    const char *role;
    at_status_t st = s_document_any(ctx, rq->id, false, &row, &role);
    if (st != AT_OK)
        return st;
    Atrium__Document__VersionList *out =
        at_msg_new(ctx, &atrium__document__version_list__descriptor);
    if ((st = doc_store_version_list(ctx, row.doc->id, out)) != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}

/* -- document requests ------------------------------------------------------ */

static at_status_t s_requests_list(at_ctx_t *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage **reply)
{
    const Atrium__Document__ListDocumentRequestsRequest *rq = (const void *) req;
    at_status_t st;
    if (!s_client_role(ctx, rq->client_id, &st))
        return st;
    const char *status = s_set(rq->status) ? rq->status : NULL;
    if (status && strcmp(status, "open") != 0 && strcmp(status, "submitted") != 0 &&
        strcmp(status, "accepted") != 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "status",
                       "status must be open, submitted or accepted");
    char *key = NULL, *id = NULL;
    if (s_set(rq->cursor) &&
        (at_cursor_decode(ctx->arena, rq->cursor, &key, &id) != 0 || !doc_is_uuid(id)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not valid");
    Atrium__Document__DocumentRequestList *out =
        at_msg_new(ctx, &atrium__document__document_request_list__descriptor);
    st = doc_store_request_list(ctx, ctx->principal->firm_id, rq->client_id, status,
                                at_page_limit(rq->has_limit ? rq->limit : 0), key, id, out);
    if (st != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}

static at_status_t s_requests_create(at_ctx_t *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply)
{
    const Atrium__Document__CreateDocumentRequestRequest *rq = (const void *) req;
    const char *firm_id = ctx->principal->firm_id, *field = NULL, *why = NULL;
    at_status_t st;
    if (!s_client_role(ctx, rq->client_id, &st))
        return st;
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only staff can request documents");
    if (!doc_request_valid(rq->title, rq->description, rq->due_at, &field, &why))
        return at_fail(ctx, AT_VALIDATION_FAILED, field, "%s", why);
    const char *folder_id = NULL;
    if (s_folder_given(rq->folder_id)) {
        doc_folder_row_t f;
        if ((st = s_folder(ctx, rq->folder_id, rq->client_id, "folder_id", &f)) != AT_OK)
            return st;
        if (f.internal)
            return at_fail(ctx, AT_VALIDATION_FAILED, "folder_id",
                           "the client cannot see an internal folder; pick a shared one");
        folder_id = f.folder->id;
    }
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    doc_request_t *out = NULL;
    st = doc_store_request_create(
        ctx, firm_id, rq->client_id, rq->title, s_set(rq->description) ? rq->description : NULL,
        s_set(rq->due_at) ? rq->due_at : NULL, folder_id, ctx->principal->user_id, &out);
    if (st != AT_OK)
        return st;
    st = s_audit(ctx, "document_request.created", firm_id, rq->client_id, "document_request",
                 out->id,
                 json_pack("{s:s, s:s?, s:s?}", "title", out->title, "due_at", out->due_at,
                           "folder_id", folder_id),
                 false);
    if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    *reply = &out->base;
    return AT_CREATED;
}

/* Accept or reject (back to open, reason kept) a submitted request: staff. */
static at_status_t s_requests_decide(at_ctx_t *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply, doc_req_action_t action)
{
    const Atrium__Document__DecideDocumentRequestRequest *rq = (const void *) req;
    const char *reason = s_set(rq->reason) ? rq->reason : NULL;
    if (action == DOC_REQ_REJECT && !reason)
        return at_fail(ctx, AT_VALIDATION_FAILED, "reason", "a rejection needs a reason");
    if (reason && (strlen(reason) > DOC_REQUEST_TEXT_MAX ||
                   !doc_utf8_valid((const unsigned char *) reason, strlen(reason))))
        return at_fail(ctx, AT_VALIDATION_FAILED, "reason",
                       "reason must be valid UTF-8 of at most 10000 bytes");
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    doc_request_row_t dr;
    if ((st = s_request_load(ctx, rq->id, true, NULL, &dr)) != AT_OK)
        return st;
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only staff can accept or reject requests");
    const char *next = doc_request_next(dr.req->status, action);
    if (!next)
        return at_fail(ctx, AT_CONFLICT, "status", "the request is %s", dr.req->status);
    bool reject = action == DOC_REQ_REJECT;
    if ((st = doc_store_request_decide(ctx, dr.req->id, next, reject ? reason : NULL,
                                       ctx->principal->user_id)) != AT_OK)
        return st;
    st = s_audit(ctx, reject ? "document_request.rejected" : "document_request.accepted",
                 dr.firm_id, dr.req->client_id, "document_request", dr.req->id,
                 json_pack("{s:s, s:s?, s:s?, s:i}", "title", dr.req->title, "reason",
                           reject ? reason : NULL, "document_id", dr.req->document_id, "version",
                           dr.req->has_version ? dr.req->version : 0),
                 false);
    doc_request_row_t now;
    if (st != AT_OK || (st = doc_store_request_get(ctx, dr.req->id, false, &now)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    *reply = &now.req->base;
    return AT_OK;
}

static at_status_t s_requests_accept(at_ctx_t *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply)
{
    return s_requests_decide(ctx, req, reply, DOC_REQ_ACCEPT);
}

static at_status_t s_requests_reject(at_ctx_t *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply)
{
    return s_requests_decide(ctx, req, reply, DOC_REQ_REJECT);
}

/* POST /documents/{id}/versions/{version}/restore: that version's blob (no
 * copy) becomes a new, newest version. */
static at_status_t s_restore_version(at_ctx_t *ctx, const ProtobufCMessage *req,
                                     ProtobufCMessage **reply)
{
    const Atrium__Document__RestoreVersionRequest *rq = (const void *) req;
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    doc_row_t row;
    const char *role;
    if ((st = s_document(ctx, rq->id, true, &row, &role)) != AT_OK)
        return st;
    if (s_viewer(role))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers cannot restore versions");
    int32_t from = rq->has_version ? rq->version : 0;
    doc_version_t *v = NULL;
    if (from <= 0 || (st = doc_store_version_get(ctx, row.doc->id, from, &v)) == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, "version", "version %d not found", from);
    if (st != AT_OK)
        return st;
    int32_t version = 0;
    if ((st = doc_store_bump_version(ctx, row.doc->id, &version)) != AT_OK ||
        (st = doc_store_version_insert(ctx, row.firm_id, row.doc->id, version, v->sha256, v->size,
                                       v->content_type, ctx->principal->user_id)) != AT_OK)
        return st;
    if ((st = doc_sig_void_document(ctx, row.doc->id, row.firm_id, row.doc->client_id, version,
                                    row.internal)) != AT_OK)
        return st;
    st = s_event(ctx, "document.version_restored", "version_restored", row.firm_id,
                 row.doc->client_id, row.doc->id, version,
                 json_pack("{s:s, s:i, s:i, s:s, s:I}", "name", row.doc->name, "from_version", from,
                           "version", version, "sha256", v->sha256, "size", (json_int_t) v->size),
                 row.internal);
    doc_row_t now;
    if (st != AT_OK || (st = doc_store_get(ctx, row.doc->id, false, &now)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    now.doc->has_new_version = 1;
    now.doc->new_version = true;
    *reply = &now.doc->base;
    return AT_CREATED;
}

/* POST /documents/{id}/restore: staff bring a soft-deleted document back.
 * Restoring a live one answers it as it is (a retried restore succeeds). */
static at_status_t s_restore_document(at_ctx_t *ctx, const ProtobufCMessage *req,
                                      ProtobufCMessage **reply)
{
    const Atrium__Document__RestoreDocumentRequest *rq = (const void *) req;
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    doc_row_t row;
    const char *role;
    if ((st = s_document_any(ctx, rq->id, true, &row, &role)) != AT_OK)
        return st;
    if (!at_is_staff(ctx))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only staff can restore documents");
    if (!row.deleted) {
        at_db_rollback(ctx->db);
        *reply = &row.doc->base;
        return AT_OK;
    }
    st = doc_store_restore(ctx, row.doc->id);
    if (st == AT_CONFLICT)
        return at_fail(ctx, AT_CONFLICT, "name",
                       "a document named \"%s\" exists in its folder now; rename that one first",
                       row.doc->name);
    if (st != AT_OK)
        return st;
    st = s_event(ctx, "document.restored", "restored", row.firm_id, row.doc->client_id, row.doc->id,
                 row.doc->version,
                 json_pack("{s:s, s:i}", "name", row.doc->name, "version", row.doc->version),
                 row.internal);
    doc_row_t now;
    if (st != AT_OK || (st = doc_store_get(ctx, row.doc->id, false, &now)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    *reply = &now.doc->base;
    return AT_OK;
}

/* POST /documents/{id}/purge: an owner/admin erases a document from the
 * trash now: its bytes go (blobs no other version uses), the rows stay as
 * tombstones and nobody finds the document any more. A live document must
 * be deleted first (409), so one request never loses a file by mistake. */
static at_status_t s_purge_document(at_ctx_t *ctx, const ProtobufCMessage *req,
                                    ProtobufCMessage **reply)
{
    (void) reply;
    const Atrium__Document__PurgeDocumentRequest *rq = (const void *) req;
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    doc_row_t row;
    const char *role;
    if ((st = s_document_any(ctx, rq->id, true, &row, &role)) != AT_OK)
        return st;
    const char *prole = ctx->principal->role;
    if (!prole || (strcmp(prole, "owner") != 0 && strcmp(prole, "admin") != 0))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "only owners and admins can purge documents");
    if (!row.deleted)
        return at_fail(ctx, AT_CONFLICT, NULL, "only a deleted document can be purged");
    const char **shas = NULL;
    size_t n = 0;
    if ((st = doc_gc_purge(ctx, row.doc->id, 0, row.firm_id, row.doc->client_id, row.doc->name,
                           row.internal, &shas, &n)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    for (size_t i = 0; i < n; i++) /* a failure leaves an orphan for fsck-blobs --repair */
        doc_gc_blob(ctx, s_state(ctx)->blob_dir, shas[i], NULL);
    return AT_NO_CONTENT;
}

/* GET /documents/{id}/activity: staff see every entry; a client user sees
 * what client users did (their own included), not what staff did. */
static at_status_t s_activity(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const Atrium__Document__ActivityRequest *rq = (const void *) req;
    doc_row_t row;
    const char *role;
    at_status_t st = s_document_any(ctx, rq->id, false, &row, &role);
    if (st != AT_OK)
        return st;
    char *key = NULL, *id = NULL;
    if (s_set(rq->cursor) &&
        (at_cursor_decode(ctx->arena, rq->cursor, &key, &id) != 0 || !doc_is_uuid(id)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "cursor", "cursor is not valid");
    Atrium__Document__ActivityList *out =
        at_msg_new(ctx, &atrium__document__activity_list__descriptor);
    st = doc_store_activity_list(ctx, row.doc->id, at_is_staff(ctx), ctx->principal->user_id,
                                 at_page_limit(rq->has_limit ? rq->limit : 0), key, id, out);
    if (st != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}

/* -- upload ------------------------------------------------------------------ */

static at_status_t s_too_large(at_ctx_t *ctx)
{
    return at_fail(ctx, AT_PAYLOAD_TOO_LARGE, NULL,
                   "the file is larger than the %" PRId64 " bytes allowed",
                   s_state(ctx)->max_upload);
}

/* 413 when storing bytes more for the firm would pass ATRIUM_FIRM_QUOTA_BYTES:
 * the distinct blobs its versions use already plus this upload's bytes (not
 * knowing the hash yet, an upload of bytes already stored counts too; an
 * empty one never does). Uploads in progress are not counted, so uploads
 * running at the same time can together pass the quota. */
static at_status_t s_quota(at_ctx_t *ctx, const char *firm_id, int64_t bytes)
{
    int64_t quota = s_state(ctx)->quota, used = 0;
    if (quota <= 0)
        return AT_OK;
    at_status_t st = doc_store_firm_usage(ctx, firm_id, &used);
    if (st != AT_OK)
        return st;
    if (bytes > 0 && bytes > quota - used)
        return at_fail(ctx, AT_PAYLOAD_TOO_LARGE, NULL,
                       "the firm's storage quota of %" PRId64 " bytes would be exceeded (%" PRId64
                       " in use)",
                       quota, used);
    return AT_OK;
}

static at_status_t s_upload_begin(at_ctx_t *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply)
{
    const begin_rq_t *rq = (const void *) req;
    const doc_state_t *S = s_state(ctx);
    const Atrium__Principal *p = ctx->principal;
    if (rq->has_declared_size && rq->declared_size < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "declared_size", "declared_size is negative");
    if (rq->has_declared_size && rq->declared_size > S->max_upload)
        return s_too_large(ctx);
    doc_upload_t up = {.firm_id = p->firm_id,
                       .created_by = p->user_id,
                       .declared = rq->has_declared_size ? rq->declared_size : -1};
    const char *role = NULL, *why = NULL;
    at_status_t st;
    doc_request_row_t dr = {0};
    if (s_set(rq->request_id)) {
        /* fulfils a document request: it must be open (or submitted, and
         * this file replaces the submission) */
        if ((st = s_request_load(ctx, rq->request_id, false, "request_id", &dr)) != AT_OK)
            return st;
        if (!doc_request_next(dr.req->status, DOC_REQ_SUBMIT))
            return at_fail(ctx, AT_CONFLICT, "request_id", "the request is %s already",
                           dr.req->status);
        up.request_id = dr.req->id;
    }
    if (s_set(rq->document_id)) {
        /* a new version: where and what name come from the document */
        doc_row_t row;
        if ((st = s_document(ctx, rq->document_id, false, &row, &role)) != AT_OK)
            return st;
        up.firm_id = row.firm_id;
        up.client_id = row.doc->client_id;
        up.folder_id = row.doc->folder_id;
        up.name = row.doc->name;
        up.document_id = row.doc->id;
    } else {
        if (!s_set(rq->client_id))
            return at_fail(ctx, AT_VALIDATION_FAILED, "client_id", "client_id is required");
        if (!(role = s_client_role(ctx, rq->client_id, &st)))
            return st;
        if (!doc_name_valid(rq->name, &why))
            return at_fail(ctx, AT_VALIDATION_FAILED, "name", "%s", why);
        up.client_id = rq->client_id;
        up.name = rq->name;
        /* a request's file goes to the request's folder unless one is named */
        const char *folder_ref = s_folder_given(rq->folder_id) ? rq->folder_id
                                 : dr.req                      ? dr.req->folder_id
                                                               : NULL;
        if (folder_ref) {
            doc_folder_row_t f;
            if ((st = s_folder(ctx, folder_ref, rq->client_id, "folder_id", &f)) != AT_OK)
                return st;
            up.folder_id = f.folder->id;
            if (!(role = s_role(ctx, f.firm_id, rq->client_id, f.internal)))
                return at_fail(ctx, AT_NOT_FOUND, "folder_id", "folder not found");
        }
    }
    if (s_viewer(role))
        return at_fail(ctx, AT_FORBIDDEN, NULL, "viewers cannot upload");
    if (dr.req && strcmp(dr.req->client_id, up.client_id) != 0)
        return at_fail(ctx, AT_NOT_FOUND, "request_id", "document request not found");
    if (up.declared >= 0 && (st = s_quota(ctx, up.firm_id, up.declared)) != AT_OK)
        return st;
    doc_digest_init(up.state);
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    const char *id = NULL;
    if ((st = doc_store_upload_create(ctx, &up, rq->content_type, &id)) != AT_OK)
        return st;
    if (doc_blob_tmp_create(S->blob_dir, id) != 0) {
        at_error("cannot create the temporary file of upload %s: %s", id, strerror(errno));
        return at_fail(ctx, errno == ENOSPC || errno == EDQUOT ? AT_UNAVAILABLE : AT_INTERNAL, NULL,
                       "the upload could not be started");
    }
    if ((st = s_commit(ctx)) != AT_OK) {
        doc_blob_tmp_remove(S->blob_dir, id);
        return st;
    }
    Atrium__Document__UploadBeginReply *out =
        at_msg_new(ctx, &atrium__document__upload_begin_reply__descriptor);
    out->upload_id = (char *) id;
    *reply = &out->base;
    return AT_OK;
}

/* Opens a transaction and locks the caller's upload id. Only its starter
 * may go on with it, and only while they still see its client. */
static at_status_t s_upload_lock(at_ctx_t *ctx, const char *id, doc_upload_t *up)
{
    if (!doc_is_uuid(id))
        return at_fail(ctx, AT_NOT_FOUND, "upload_id", "upload not found");
    at_status_t st = s_begin(ctx);
    if (st != AT_OK)
        return st;
    st = doc_store_upload_lock(ctx, id, up);
    if (st == AT_NOT_FOUND ||
        (st == AT_OK && (strcmp(up->created_by, ctx->principal->user_id) != 0 ||
                         !at_can_see_client(ctx, up->firm_id, up->client_id))))
        return at_fail(ctx, AT_NOT_FOUND, "upload_id", "upload not found");
    return st;
}

static at_status_t s_io_fail(at_ctx_t *ctx, const char *what, const char *id)
{
    int e = errno;
    at_error("%s of upload %s failed: %s", what, id, strerror(e));
    if (e == ENOSPC || e == EDQUOT)
        return at_fail(ctx, AT_UNAVAILABLE, NULL, "no space left to store the file");
    return at_fail(ctx, AT_INTERNAL, NULL, "the file could not be stored");
}

static at_status_t s_upload_chunk(at_ctx_t *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply)
{
    const chunk_rq_t *rq = (const void *) req;
    const doc_state_t *S = s_state(ctx);
    if (!rq->has_offset || rq->offset < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "offset", "offset is required");
    size_t len = rq->has_data ? rq->data.len : 0;
    if (len > AT_BUS_CHUNK)
        return at_fail(ctx, AT_PAYLOAD_TOO_LARGE, "data", "a chunk holds at most %d bytes",
                       AT_BUS_CHUNK);
    doc_upload_t up;
    at_status_t st = s_upload_lock(ctx, rq->upload_id, &up);
    if (st != AT_OK)
        return st;
    /* A chunk's commit need not wait for the WAL flush: if the database
     * loses the last chunks' commits in a crash, the upload's offset and hash
     * state go back together, HEAD answers the older offset, and the client
     * sends those bytes again (pwrite at the offset; finish truncates the
     * file to the size). The finish, which makes the document, waits. */
    PQclear(at_db_exec(ctx->db, "SET LOCAL synchronous_commit TO off"));
    if (rq->offset != up.received)
        return at_fail(ctx, AT_CONFLICT, "offset",
                       "offset %" PRId64 " does not match the %" PRId64 " bytes received",
                       rq->offset, up.received);
    if ((int64_t) len > S->max_upload - up.received)
        return s_too_large(ctx);
    if (len > 0 && (st = s_quota(ctx, up.firm_id, up.received + (int64_t) len)) != AT_OK)
        return st;
    if (up.declared >= 0 && (int64_t) len > up.declared - up.received)
        return at_fail(ctx, AT_BAD_REQUEST, "data", "more bytes than the %" PRId64 " declared",
                       up.declared);
    if (len > 0) {
        if (doc_blob_tmp_write(S->blob_dir, up.id, up.received, rq->data.data, len) != 0) {
            if (errno == ENOENT)
                return at_fail(ctx, AT_NOT_FOUND, "upload_id", "upload not found");
            return s_io_fail(ctx, "write", up.id);
        }
        if (doc_digest_update(up.state, rq->data.data, len) != 0)
            return at_fail(ctx, AT_INTERNAL, NULL, "upload state is unreadable");
    }
    int64_t received = up.received + (int64_t) len;
    if ((st = doc_store_upload_advance(ctx, up.id, received, up.state)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    Atrium__Document__UploadChunkReply *out =
        at_msg_new(ctx, &atrium__document__upload_chunk_reply__descriptor);
    out->has_offset = 1;
    out->offset = received;
    *reply = &out->base;
    return AT_OK;
}

/* Drops a failed upload for good (row and temporary file) and answers st. */
static at_status_t s_upload_drop(at_ctx_t *ctx, const doc_upload_t *up, at_status_t st)
{
    const char *msg = ctx->err_message, *field = ctx->err_field;
    if (!at_db_in_transaction(ctx->db))
        at_db_begin(ctx->db);
    if (doc_store_upload_delete(ctx, up->id) == AT_OK && at_db_commit(ctx->db) == 0)
        doc_blob_tmp_remove(s_state(ctx)->blob_dir, up->id);
    ctx->err_message = msg;
    ctx->err_field = field;
    return st;
}

/* Links a finished upload's document and version to the request it fulfils
 * and marks it submitted, in the finish's transaction. A request accepted
 * meanwhile keeps its accepted file (this one is still stored). */
static at_status_t s_request_submitted(at_ctx_t *ctx, const doc_upload_t *up, const char *doc_id,
                                       int32_t version)
{
    doc_request_row_t dr;
    at_status_t st = doc_store_request_get(ctx, up->request_id, true, &dr);
    if (st != AT_OK)
        return st;
    if (!doc_request_next(dr.req->status, DOC_REQ_SUBMIT)) {
        at_info("upload %s: request %s is %s; not linked", up->id, dr.req->id, dr.req->status);
        return AT_OK;
    }
    if ((st = doc_store_request_submit(ctx, dr.req->id, doc_id, version, up->created_by)) != AT_OK)
        return st;
    st = s_audit(ctx, "document_request.submitted", dr.firm_id, dr.req->client_id,
                 "document_request", dr.req->id,
                 json_pack("{s:s, s:s, s:i}", "title", dr.req->title, "document_id", doc_id,
                           "version", version),
                 false);
    return st;
}

/* The document the finished upload becomes: a new version of up->document_id,
 * else a new document, else (the name is taken in that folder, perhaps by a
 * racing upload that committed first) a new version of the one holding it. */
static at_status_t s_upload_target(at_ctx_t *ctx, const doc_upload_t *up, const char **doc_id,
                                   int32_t *version, bool *new_version)
{
    at_status_t st;
    *new_version = true;
    if (up->document_id) {
        doc_row_t row;
        if ((st = doc_store_get(ctx, up->document_id, true, &row)) != AT_OK)
            return st == AT_NOT_FOUND ? at_fail(ctx, AT_NOT_FOUND, NULL, "document not found") : st;
        *doc_id = row.doc->id;
        return doc_store_bump_version(ctx, *doc_id, version);
    }
    for (int tries = 0; tries < 5; tries++) {
        st = doc_store_insert(ctx, up->firm_id, up->client_id, up->folder_id, up->name,
                              up->created_by, doc_id);
        if (st == AT_OK) {
            *version = 1;
            *new_version = false;
            return AT_OK;
        }
        if (st != AT_CONFLICT)
            return st;
        doc_row_t row;
        st = doc_store_find_by_name(ctx, up->client_id, up->folder_id, up->name, &row);
        if (st == AT_OK) {
            *doc_id = row.doc->id;
            return doc_store_bump_version(ctx, *doc_id, version);
        }
        if (st != AT_NOT_FOUND)
            return st;
        /* renamed or deleted between the two statements: try again */
    }
    return at_fail(ctx, AT_CONFLICT, "name", "the name is in flux; try again");
}

static at_status_t s_upload_finish(at_ctx_t *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage **reply)
{
    const finish_rq_t *rq = (const void *) req;
    const doc_state_t *S = s_state(ctx);
    doc_upload_t up;
    at_status_t st = s_upload_lock(ctx, rq->upload_id, &up);
    if (st != AT_OK)
        return st;
    if (up.declared >= 0 && up.received != up.declared)
        return at_fail(ctx, AT_BAD_REQUEST, NULL,
                       "the upload has %" PRId64 " of %" PRId64 " declared bytes", up.received,
                       up.declared);
    char hex[65];
    if (doc_digest_final(up.state, hex) != 0)
        return at_fail(ctx, AT_INTERNAL, NULL, "upload state is unreadable");
    /* held until the version row commits: the collector cannot remove a blob
     * of these bytes between our dedup check and that commit */
    if ((st = doc_store_blob_lock(ctx, hex, false)) != AT_OK)
        return st;
    bool dedup = false;
    if (doc_blob_commit(S->blob_dir, up.id, up.received, hex, &dedup) != 0) {
        if (errno == ENOENT && doc_blob_exists(S->blob_dir, hex)) {
            /* an earlier finish stored the blob and then failed to commit */
        } else if (errno == ENOENT) {
            at_fail(ctx, AT_GONE, "upload_id", "the upload's bytes are gone");
            return s_upload_drop(ctx, &up, AT_GONE);
        } else {
            st = s_io_fail(ctx, "storing", up.id);
            return s_upload_drop(ctx, &up, st);
        }
    }
    unsigned char *head = at_arena_alloc(ctx->arena, DOC_SNIFF_BYTES);
    ssize_t n = doc_blob_read(S->blob_dir, hex, 0, head, DOC_SNIFF_BYTES);
    if (n < 0)
        return s_io_fail(ctx, "reading back", up.id);
    const char *ctype = doc_sniff(head, (size_t) n, up.received > n, up.name);

    const char *doc_id = NULL;
    int32_t version = 0;
    bool new_version = false;
    if ((st = s_upload_target(ctx, &up, &doc_id, &version, &new_version)) != AT_OK) {
        if (st == AT_NOT_FOUND) /* the document went away meanwhile */
            return s_upload_drop(ctx, &up, st);
        return st;
    }
    if ((st = doc_store_version_insert(ctx, up.firm_id, doc_id, version, hex, up.received, ctype,
                                       up.created_by)) != AT_OK)
        return st;
    doc_row_t row;
    if ((st = doc_store_get(ctx, doc_id, false, &row)) != AT_OK)
        return st;
    st = s_event(ctx, "document.uploaded", new_version ? "versioned" : "uploaded", up.firm_id,
                 up.client_id, doc_id, version,
                 json_pack("{s:s, s:I, s:s, s:i, s:s}", "name", row.doc->name, "size",
                           (json_int_t) up.received, "sha256", hex, "version", version,
                           "content_type", ctype),
                 row.internal);
    if (st == AT_OK && up.request_id)
        st = s_request_submitted(ctx, &up, doc_id, version);
    if (st == AT_OK && new_version) /* a signature binds to the version it was asked on */
        st = doc_sig_void_document(ctx, doc_id, up.firm_id, up.client_id, version, row.internal);
    if (st != AT_OK || (st = doc_store_upload_delete(ctx, up.id)) != AT_OK ||
        (st = s_commit(ctx)) != AT_OK)
        return st;
    at_info("upload %s stored as %s v%d, %" PRId64 " bytes%s", up.id, doc_id, version, up.received,
            dedup ? " (bytes already stored)" : "");
    row.doc->has_new_version = 1;
    row.doc->new_version = new_version;
    *reply = &row.doc->base;
    return AT_CREATED;
}

static at_status_t s_upload_abort(at_ctx_t *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply)
{
    (void) reply;
    const abort_rq_t *rq = (const void *) req;
    doc_upload_t up;
    at_status_t st = s_upload_lock(ctx, rq->upload_id, &up);
    if (st != AT_OK)
        return st;
    if ((st = doc_store_upload_delete(ctx, up.id)) != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    if (doc_blob_tmp_remove(s_state(ctx)->blob_dir, up.id) != 0)
        at_warn("cannot remove the temporary file of upload %s: %s", up.id, strerror(errno));
    return AT_NO_CONTENT;
}

/* tus HEAD: how far an upload has come, for a client resuming it anywhere. */
static at_status_t s_upload_status(at_ctx_t *ctx, const ProtobufCMessage *req,
                                   ProtobufCMessage **reply)
{
    const Atrium__Document__UploadStatusRequest *rq = (const void *) req;
    doc_upload_t up;
    at_status_t st = s_upload_lock(ctx, rq->upload_id, &up);
    if (st != AT_OK)
        return st;
    Atrium__Document__UploadStatus *out =
        at_msg_new(ctx, &atrium__document__upload_status__descriptor);
    out->upload_id = at_str(ctx, up.id);
    out->has_offset = 1;
    out->offset = up.received;
    if (up.declared >= 0) {
        out->has_length = 1;
        out->length = up.declared;
    }
    if ((st = doc_store_upload_expiry(ctx, up.id, s_state(ctx)->idle_s, &out->expires_ms)) != AT_OK)
        return st;
    out->has_expires_ms = 1;
    at_db_rollback(ctx->db); /* read only: release the row lock */
    *reply = &out->base;
    return AT_OK;
}

/* -- download ---------------------------------------------------------------- */

/* The document and version a download names, if the caller may see them. */
static at_status_t s_content(at_ctx_t *ctx, const char *document_id, bool has_version,
                             int32_t version, doc_row_t *row, doc_version_t **v)
{
    const char *role;
    at_status_t st = s_document(ctx, document_id, false, row, &role);
    if (st != AT_OK)
        return st;
    if (has_version && version <= 0)
        return at_fail(ctx, AT_NOT_FOUND, "version", "version %d not found", version);
    st = doc_store_version_get(ctx, row->doc->id, has_version ? version : 0, v);
    if (st == AT_NOT_FOUND)
        return at_fail(ctx, AT_NOT_FOUND, "version", "version %d not found", version);
    return st;
}

static at_status_t s_content_info(at_ctx_t *ctx, const ProtobufCMessage *req,
                                  ProtobufCMessage **reply)
{
    const info_rq_t *rq = (const void *) req;
    doc_row_t row;
    doc_version_t *v = NULL;
    at_status_t st = s_content(ctx, rq->document_id, rq->has_version, rq->version, &row, &v);
    if (st != AT_OK)
        return st;
    if (rq->has_record && rq->record) {
        if ((st = s_begin(ctx)) != AT_OK)
            return st;
        st = s_event(ctx, "document.downloaded", "downloaded", row.firm_id, row.doc->client_id,
                     row.doc->id, v->version,
                     json_pack("{s:s, s:i, s:I, s:s}", "name", row.doc->name, "version", v->version,
                               "size", (json_int_t) v->size, "sha256", v->sha256),
                     row.internal);
        if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
            return st;
    }
    Atrium__Document__ContentInfo *out =
        at_msg_new(ctx, &atrium__document__content_info__descriptor);
    out->document_id = row.doc->id;
    out->has_version = 1;
    out->version = v->version;
    out->name = row.doc->name;
    out->has_size = 1;
    out->size = v->size;
    out->sha256 = v->sha256;
    out->content_type = v->content_type;
    *reply = &out->base;
    return AT_OK;
}

static at_status_t s_read(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const read_rq_t *rq = (const void *) req;
    if (rq->has_offset && rq->offset < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "offset", "offset is negative");
    if (rq->has_length && rq->length < 0)
        return at_fail(ctx, AT_VALIDATION_FAILED, "length", "length is negative");
    doc_row_t row;
    doc_version_t *v = NULL;
    at_status_t st = s_content(ctx, rq->document_id, rq->has_version, rq->version, &row, &v);
    if (st != AT_OK)
        return st;
    int64_t offset = rq->has_offset ? rq->offset : 0;
    if (offset > v->size)
        return at_fail(ctx, AT_RANGE_NOT_SATISFIABLE, "offset",
                       "offset %" PRId64 " is past the %" PRId64 " bytes of the file", offset,
                       v->size);
    int64_t want = rq->has_length ? rq->length : AT_BUS_CHUNK;
    if (want > AT_BUS_CHUNK)
        want = AT_BUS_CHUNK; /* a longer read is answered in part; the caller goes on */
    if (want > v->size - offset)
        want = v->size - offset;
    unsigned char *buf = at_arena_alloc(ctx->arena, (size_t) want);
    ssize_t n =
        want ? doc_blob_read(s_state(ctx)->blob_dir, v->sha256, offset, buf, (size_t) want) : 0;
    if (n != want) {
        at_error("blob %s of document %s: read %zd of %" PRId64 " bytes at %" PRId64 ": %s",
                 v->sha256, row.doc->id, n, want, offset, n < 0 ? strerror(errno) : "short file");
        return at_fail(ctx, AT_INTERNAL, NULL, "the stored file cannot be read");
    }
    Atrium__Document__ReadReply *out = at_msg_new(ctx, &atrium__document__read_reply__descriptor);
    out->has_data = 1;
    out->data.data = buf;
    out->data.len = (size_t) n;
    *reply = &out->base;
    return AT_OK;
}

/* -- preview ------------------------------------------------------------------ */

/* True when an If-None-Match value names the entity tag "<hex>" (or is *). */
static bool s_etag_match(const char *inm, const char *hex)
{
    char tag[80];
    snprintf(tag, sizeof tag, "\"%s\"", hex);
    return strstr(inm, tag) || strcmp(inm, "*") == 0;
}

/* document.preview (GET /documents/{id}/preview): the PNG thumbnail of the
 * version's blob, when the caller may see the document (live, not in an
 * internal folder for a client user) and its sniffed type gets one. Not
 * made yet: 404 with retry_after; never (another type, or it failed): 404.
 * Serving it (not a 304) records a view, as GET /documents/{id} does. */
static at_status_t s_preview(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const Atrium__Document__PreviewRequest *rq = (const void *) req;
    doc_row_t row;
    doc_version_t *v = NULL;
    at_status_t st = s_content(ctx, rq->document_id, rq->has_version, rq->version, &row, &v);
    if (st != AT_OK)
        return st;
    if (!doc_sniff_previewable(v->content_type))
        return at_fail(ctx, AT_NOT_FOUND, NULL, "there is no preview of this type of file");
    doc_preview_row_t p;
    st = doc_store_preview_get(ctx, v->sha256, &p);
    if (st == AT_NOT_FOUND) {
        /* stored before its job could be queued: queue it now */
        if ((st = doc_store_preview_enqueue(ctx, v->sha256, v->content_type)) != AT_OK)
            return st;
        p.status = "pending";
    } else if (st != AT_OK) {
        return st;
    }
    if (strcmp(p.status, "pending") == 0) {
        ctx->retry_after = 2;
        return at_fail(ctx, AT_NOT_FOUND, NULL, "the preview is not ready yet");
    }
    if (strcmp(p.status, "done") != 0 || !p.png_sha256)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "no preview could be made of this file");
    Atrium__Document__Preview *out = at_msg_new(ctx, &atrium__document__preview__descriptor);
    out->etag = (char *) p.png_sha256;
    if (s_set(rq->if_none_match) && s_etag_match(rq->if_none_match, p.png_sha256)) {
        out->has_not_modified = 1;
        out->not_modified = true;
        *reply = &out->base;
        return AT_OK;
    }
    unsigned char *buf = at_arena_alloc(ctx->arena, AT_BUS_CHUNK);
    ssize_t n = doc_blob_preview_read(s_state(ctx)->blob_dir, v->sha256, buf, AT_BUS_CHUNK);
    if (n < 0 && errno == ENOENT) {
        /* made, but the file is gone (restored blob folder, an operator):
         * make it again */
        at_warn("preview of blob %s is missing its file; queued again", v->sha256);
        if ((st = doc_store_preview_requeue(ctx, v->sha256)) != AT_OK)
            return st;
        ctx->retry_after = 2;
        return at_fail(ctx, AT_NOT_FOUND, NULL, "the preview is not ready yet");
    }
    if (n < 0) {
        at_error("preview of blob %s (document %s) cannot be read: %s", v->sha256, row.doc->id,
                 strerror(errno));
        return at_fail(ctx, AT_INTERNAL, NULL, "the preview cannot be read");
    }
    if ((st = s_begin(ctx)) != AT_OK)
        return st;
    st = s_event(
        ctx, "document.viewed", "viewed", row.firm_id, row.doc->client_id, row.doc->id, v->version,
        json_pack("{s:s, s:i, s:b}", "name", row.doc->name, "version", v->version, "preview", 1),
        row.internal);
    if (st != AT_OK || (st = s_commit(ctx)) != AT_OK)
        return st;
    out->has_data = 1;
    out->data.data = buf;
    out->data.len = (size_t) n;
    out->has_width = out->has_height = 1;
    out->width = p.width;
    out->height = p.height;
    *reply = &out->base;
    return AT_OK;
}

/* -- consistency check ------------------------------------------------------ */

typedef struct {
    char hex[65];
    int64_t size;
} s_file_t;

typedef struct {
    s_file_t *v;
    size_t n, cap;
} s_files_t;

static int s_collect(const char *hex, int64_t size, void *arg)
{
    s_files_t *f = arg;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 1024;
        s_file_t *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return ENOMEM;
        f->v = v;
        f->cap = cap;
    }
    snprintf(f->v[f->n].hex, sizeof f->v[0].hex, "%s", hex);
    f->v[f->n++].size = size;
    return 0;
}

static int s_file_cmp(const void *a, const void *b)
{
    return strcmp(((const s_file_t *) a)->hex, ((const s_file_t *) b)->hex);
}

/* Appends a FsckBlob to a capped list (count always goes up). */
static void s_fsck_add(at_ctx_t *ctx, Atrium__Document__FsckBlob ***list, size_t *n, int64_t *count,
                       size_t limit, const char *hex, int64_t size, int64_t file_size,
                       const doc_blob_ref_t *ref)
{
    (*count)++;
    if (*n >= limit)
        return;
    Atrium__Document__FsckBlob *b = at_msg_new(ctx, &atrium__document__fsck_blob__descriptor);
    b->sha256 = at_str(ctx, hex);
    b->has_size = 1;
    b->size = size;
    if (file_size >= 0) {
        b->has_file_size = 1;
        b->file_size = file_size;
    }
    if (ref && ref->versions > 0) {
        b->has_versions = 1;
        b->versions = ref->versions;
        b->document_id = at_str(ctx, ref->document_id);
    }
    (*list)[(*n)++] = b;
}

/* True when blob hex was last written more than grace_s seconds ago: an
 * orphan younger than that may belong to an upload whose finish is being
 * retried. */
static bool s_orphan_old(at_ctx_t *ctx, const char *hex, int64_t grace_s)
{
    char p[DOC_PATH_MAX];
    struct stat st;
    return doc_blob_path(p, sizeof p, s_state(ctx)->blob_dir, hex) == 0 && lstat(p, &st) == 0 &&
           st.st_mtime <= time(NULL) - (time_t) grace_s;
}

/* Where one comparison (blobs, or thumbnails) writes in the report. */
typedef struct {
    Atrium__Document__FsckBlob ***missing, ***orphans, ***mismatched;
    size_t *n_missing, *n_orphans, *n_mismatched;
    int64_t *missing_count, *orphan_count, *mismatch_count, *referenced;
    int64_t *removed; /* set (blobs, with repair): orphans older than grace_s are removed */
    int64_t grace_s;
} s_fsck_lists_t;

/* Merges the rows (refs, sorted by digest) with the files found (sorted):
 * rows without a file, files without a row, and size mismatches. */
static void s_fsck_merge(at_ctx_t *ctx, const doc_blob_ref_t *refs, size_t nrefs,
                         const s_files_t *files, size_t limit, const s_fsck_lists_t *o)
{
    size_t cap = limit < nrefs + files->n ? limit : nrefs + files->n;
    *o->missing = at_arena_alloc(ctx->arena, sizeof **o->missing * (cap ? cap : 1));
    *o->orphans = at_arena_alloc(ctx->arena, sizeof **o->orphans * (cap ? cap : 1));
    *o->mismatched = at_arena_alloc(ctx->arena, sizeof **o->mismatched * (cap ? cap : 1));
    size_t i = 0, j = 0;
    while (i < nrefs || j < files->n) {
        int c = i == nrefs ? 1 : j == files->n ? -1 : strcmp(refs[i].sha256, files->v[j].hex);
        if (c > 0) {
            s_fsck_add(ctx, o->orphans, o->n_orphans, o->orphan_count, limit, files->v[j].hex,
                       files->v[j].size, -1, NULL);
            bool removed = false;
            if (o->removed && s_orphan_old(ctx, files->v[j].hex, o->grace_s) &&
                doc_gc_blob(ctx, s_state(ctx)->blob_dir, files->v[j].hex, &removed) == AT_OK &&
                removed)
                (*o->removed)++;
            j++;
            continue;
        }
        /* one blob: every row of this digest (two sizes of one digest is a
         * mismatch too) */
        size_t k = i;
        bool size_differs = false;
        for (; k < nrefs && strcmp(refs[k].sha256, refs[i].sha256) == 0; k++)
            if (c == 0 && refs[k].size != files->v[j].size)
                size_differs = true;
        (*o->referenced)++;
        if (c < 0)
            s_fsck_add(ctx, o->missing, o->n_missing, o->missing_count, limit, refs[i].sha256,
                       refs[i].size, -1, &refs[i]);
        else if (size_differs)
            s_fsck_add(ctx, o->mismatched, o->n_mismatched, o->mismatch_count, limit,
                       refs[i].sha256, refs[i].size, files->v[j].size, &refs[i]);
        if (c == 0)
            j++;
        i = k;
    }
}

/* document.fsck_blobs (atriumctl fsck-blobs, over the bus only): compares
 * the blobs the versions use with the files under the blob folder, and the
 * thumbnails the previews table says were made with the files under
 * previews/, and reports rows without a file, files without a row and size
 * mismatches. Without repair it changes nothing; a blob whose upload (or a
 * thumbnail whose job) is finishing at that moment can show as an orphan
 * once. With repair it removes orphan blobs older than grace_s, each under
 * its lock after checking again that no version uses it (document_gc.h).
 * Rows without a file are never "repaired": they are reported for an
 * operator to restore from backup. Refused to any principal: no user reaches
 * it, the gateway has no route to it. */
static at_status_t s_fsck_blobs(at_ctx_t *ctx, const ProtobufCMessage *req,
                                ProtobufCMessage **reply)
{
    const Atrium__Document__FsckRequest *rq = (const void *) req;
    if (ctx->principal)
        return at_fail(ctx, AT_FORBIDDEN, NULL, "an operator command only");
    size_t limit = rq->has_limit && rq->limit > 0 ? (size_t) rq->limit : 1000;
    int64_t grace_s = rq->has_grace_s && rq->grace_s >= 0 ? rq->grace_s : 3600;
    if (limit > 100000)
        limit = 100000;
    const char *dir = s_state(ctx)->blob_dir;
    doc_blob_ref_t *refs = NULL, *prefs = NULL;
    size_t nrefs = 0, nprefs = 0;
    s_files_t files = {0}, pfiles = {0};
    int64_t strays = 0, pstrays = 0;
    at_status_t st = doc_store_blob_refs(ctx, &refs, &nrefs);
    if (st == AT_OK)
        st = doc_store_preview_refs(ctx, &prefs, &nprefs);
    if (st != AT_OK)
        goto done;
    int rc = doc_blob_walk(dir, s_collect, &files, &strays);
    if (rc == 0)
        rc = doc_blob_preview_walk(dir, s_collect, &pfiles, &pstrays);
    if (rc != 0) {
        at_error("fsck: cannot read the blob folder: %s", strerror(rc > 0 ? rc : errno));
        st = at_fail(ctx, AT_INTERNAL, NULL, "the blob folder cannot be read");
        goto done;
    }
    if (files.n)
        qsort(files.v, files.n, sizeof *files.v, s_file_cmp);
    if (pfiles.n)
        qsort(pfiles.v, pfiles.n, sizeof *pfiles.v, s_file_cmp);
    Atrium__Document__FsckReport *out = at_msg_new(ctx, &atrium__document__fsck_report__descriptor);
    out->has_missing_count = out->has_orphan_count = out->has_mismatch_count = 1;
    out->has_removed_count = 1;
    out->has_referenced = out->has_files = out->has_strays = 1;
    s_fsck_merge(ctx, refs, nrefs, &files, limit,
                 &(s_fsck_lists_t){&out->missing, &out->orphans, &out->mismatched, &out->n_missing,
                                   &out->n_orphans, &out->n_mismatched, &out->missing_count,
                                   &out->orphan_count, &out->mismatch_count, &out->referenced,
                                   rq->has_repair && rq->repair ? &out->removed_count : NULL,
                                   grace_s});
    out->files = (int64_t) files.n;
    out->strays = strays;
    out->has_preview_missing_count = out->has_preview_orphan_count = 1;
    out->has_preview_mismatch_count = out->has_preview_referenced = 1;
    out->has_preview_files = out->has_preview_strays = 1;
    s_fsck_merge(ctx, prefs, nprefs, &pfiles, limit,
                 &(s_fsck_lists_t){
                     &out->preview_missing, &out->preview_orphans, &out->preview_mismatched,
                     &out->n_preview_missing, &out->n_preview_orphans, &out->n_preview_mismatched,
                     &out->preview_missing_count, &out->preview_orphan_count,
                     &out->preview_mismatch_count, &out->preview_referenced, NULL, 0});
    out->preview_files = (int64_t) pfiles.n;
    out->preview_strays = pstrays;
    *reply = &out->base;
done:
    free(refs);
    free(prefs);
    free(files.v);
    free(pfiles.v);
    return st;
}

/* -- process ----------------------------------------------------------------- */

/* Drops uploads idle past ATRIUM_UPLOAD_IDLE_S with their files, and
 * temporary files that no upload owns any more (a crash between creating the
 * file and committing the row) once they are older than that too. */
static void s_reap(at_ctx_t *ctx)
{
    const doc_state_t *S = s_state(ctx);
    int total = 0;
    for (;;) {
        at_arena_reset(ctx->arena);
        const char **ids = NULL;
        int n = 0;
        if (doc_store_upload_reap(ctx, S->idle_s, 100, &ids, &n) != AT_OK)
            return;
        for (int i = 0; i < n; i++)
            doc_blob_tmp_remove(S->blob_dir, ids[i]);
        total += n;
        if (n < 100)
            break;
    }
    char path[DOC_PATH_MAX];
    snprintf(path, sizeof path, "%s/tmp", S->blob_dir);
    DIR *d = opendir(path);
    if (d) {
        time_t cutoff = time(NULL) - (time_t) S->idle_s - 3600;
        struct dirent *e;
        while ((e = readdir(d))) {
            struct stat st;
            if (!doc_is_uuid(e->d_name) ||
                fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                st.st_mtime >= cutoff)
                continue;
            if (unlinkat(dirfd(d), e->d_name, 0) == 0)
                total++;
        }
        closedir(d);
    }
    if (total)
        at_info("dropped %d stale uploads", total);
}

const char *document_blob_dir(const at_ctx_t *ctx)
{
    return s_state(ctx)->blob_dir;
}

/* Each 0.5 s step is stoppable; the reaper runs every minute, signature
 * reminders every second step, the trash every tenth (5 s); text extraction
 * and thumbnails every step (a thumbnail made: the next step comes at once). */
static void s_background(at_ctx_t *ctx, volatile int *stop)
{
    const doc_state_t *S = s_state(ctx);
    for (unsigned step = 0; !*stop; step++) {
        if (step % 120 == 0)
            s_reap(ctx);
        document_text_tick(ctx);
        if (step % 2 == 0)
            document_signatures_tick(ctx);
        if (step % 10 == 0 && S->trash_s > 0) /* one indexed query when the trash is empty */
            while (!*stop && doc_gc_trash_pass(ctx, S->blob_dir, S->trash_s, 100) == 100)
                at_arena_reset(ctx->arena);
        at_arena_reset(ctx->arena);
        if (document_previews_tick(ctx) <= 0)
            usleep(500 * 1000);
    }
}

static int s_init(const at_config_t *config, at_db_t *db, void **state)
{
    (void) db;
    doc_state_t *S = calloc(1, sizeof *S);
    if (!S)
        abort();
    S->blob_dir = strdup(at_config_get(config, "ATRIUM_BLOB_DIR"));
    if (!S->blob_dir)
        abort();
    S->max_upload = at_config_int(config, "ATRIUM_MAX_UPLOAD_BYTES");
    S->idle_s = at_config_int(config, "ATRIUM_UPLOAD_IDLE_S");
    S->quota = at_config_int(config, "ATRIUM_FIRM_QUOTA_BYTES");
    S->trash_s = at_config_int(config, "ATRIUM_DOCUMENT_TRASH_S");
    if (S->trash_s == 0)
        S->trash_s = at_config_int(config, "ATRIUM_DOCUMENT_TRASH_DAYS") * 86400;
    if (strlen(S->blob_dir) > 3000 || doc_blob_init(S->blob_dir) != 0) {
        at_error("cannot use ATRIUM_BLOB_DIR %s: %s", S->blob_dir, strerror(errno));
        free(S->blob_dir);
        free(S);
        return -1;
    }
    doc_preview_limits_t limits = {
        .max_edge = (int) at_config_int(config, "ATRIUM_PREVIEW_MAX_EDGE"),
        .max_pixels = at_config_int(config, "ATRIUM_PREVIEW_MAX_PIXELS"),
        .timeout_ms = 60 * 1000,
    };
    if (document_previews_init(S->blob_dir, &limits) != 0) {
        free(S->blob_dir);
        free(S);
        return -1;
    }
    *state = S;
    return 0;
}

static void s_fini(void *state)
{
    doc_sign_pdf_shutdown(); /* every thread has stopped */
    document_previews_fini();
    doc_state_t *S = state;
    if (S)
        free(S->blob_dir);
    free(S);
}

/* -- dashboard ----------------------------------------------------------- */

/* document.dashboard {since}: what the caller may see that others added
 * since their last login (GET /dashboard's new_since_last_login), and the
 * documents awaiting their signature. */
static at_status_t s_dashboard(at_ctx_t *ctx, const ProtobufCMessage *in, ProtobufCMessage **out)
{
    const Atrium__Document__DashboardRequest *rq = (const void *) in;
    const char *since = rq->since && *rq->since ? rq->since : NULL;
    if (since && (strlen(since) > 40 || strspn(since, "0123456789-:.TZ+") != strlen(since)))
        return at_fail(ctx, AT_VALIDATION_FAILED, "since", "since is not an RFC 3339 time");
    bool all = false;
    const char *clients = at_client_scope(ctx, &all);
    Atrium__Document__DashboardReply *rep =
        at_msg_new(ctx, &atrium__document__dashboard_reply__descriptor);
    rep->new_documents = at_msg_new(ctx, &atrium__document__new_documents__descriptor);
    rep->new_documents->since = (char *) since;
    int32_t pending = 0;
    at_status_t st =
        doc_store_dashboard(ctx, ctx->principal->firm_id, all, clients, at_is_staff(ctx),
                            ctx->principal->user_id, since, rep->new_documents, &pending);
    if (st == AT_NOT_FOUND) /* a time PostgreSQL does not read */
        return at_fail(ctx, AT_VALIDATION_FAILED, "since", "since is not an RFC 3339 time");
    if (st != AT_OK)
        return at_fail(ctx, st, NULL, "the documents cannot be counted");
    rep->has_pending_signatures = 1;
    rep->pending_signatures = pending;
    *out = &rep->base;
    return AT_OK;
}

#define M(name, fn, rq, rp)                \
    {                                      \
        name, fn, &rq##__descriptor, rp, 0 \
    }
static const at_method_t s_methods[] = {
    M("document.dashboard", s_dashboard, atrium__document__dashboard_request,
      &atrium__document__dashboard_reply__descriptor),
    M("document.folders_list", s_folders_list, atrium__document__list_folders_request,
      &atrium__document__folder_list__descriptor),
    M("document.folders_create", s_folders_create, atrium__document__create_folder_request,
      &atrium__document__folder__descriptor),
    M("document.list", s_documents_list, atrium__document__list_documents_request,
      &atrium__document__document_list__descriptor),
    M("document.get", s_documents_get, atrium__document__get_document_request,
      &atrium__document__document__descriptor),
    M("document.update", s_documents_update, atrium__document__update_document_request,
      &atrium__document__document__descriptor),
    M("document.delete", s_documents_delete, atrium__document__delete_document_request, NULL),
    M("document.versions", s_versions_list, atrium__document__list_versions_request,
      &atrium__document__version_list__descriptor),
    M("document.restore_version", s_restore_version, atrium__document__restore_version_request,
      &atrium__document__document__descriptor),
    M("document.restore", s_restore_document, atrium__document__restore_document_request,
      &atrium__document__document__descriptor),
    M("document.purge", s_purge_document, atrium__document__purge_document_request, NULL),
    M("document.activity", s_activity, atrium__document__activity_request,
      &atrium__document__activity_list__descriptor),
    M("document.requests_list", s_requests_list, atrium__document__list_document_requests_request,
      &atrium__document__document_request_list__descriptor),
    M("document.requests_create", s_requests_create,
      atrium__document__create_document_request_request,
      &atrium__document__document_request__descriptor),
    M("document.requests_accept", s_requests_accept,
      atrium__document__decide_document_request_request,
      &atrium__document__document_request__descriptor),
    M("document.requests_reject", s_requests_reject,
      atrium__document__decide_document_request_request,
      &atrium__document__document_request__descriptor),
    M("document.upload_begin", s_upload_begin, atrium__document__upload_begin_request,
      &atrium__document__upload_begin_reply__descriptor),
    M("document.upload_chunk", s_upload_chunk, atrium__document__upload_chunk_request,
      &atrium__document__upload_chunk_reply__descriptor),
    M("document.upload_finish", s_upload_finish, atrium__document__upload_finish_request,
      &atrium__document__document__descriptor),
    M("document.upload_abort", s_upload_abort, atrium__document__upload_abort_request, NULL),
    M("document.upload_status", s_upload_status, atrium__document__upload_status_request,
      &atrium__document__upload_status__descriptor),
    M("document.content_info", s_content_info, atrium__document__content_info_request,
      &atrium__document__content_info__descriptor),
    M("document.read", s_read, atrium__document__read_request,
      &atrium__document__read_reply__descriptor),
    M("document.signature_create", doc_sig_create,
      atrium__document__create_signature_request_request,
      &atrium__document__signature_request__descriptor),
    M("document.signature_list", doc_sig_list, atrium__document__list_signature_requests_request,
      &atrium__document__signature_request_list__descriptor),
    M("document.signature_document_list", doc_sig_document_list,
      atrium__document__list_signature_requests_request,
      &atrium__document__signature_request_list__descriptor),
    M("document.signature_get", doc_sig_get, atrium__document__get_signature_request_request,
      &atrium__document__signature_request__descriptor),
    M("document.signature_sign", doc_sig_sign, atrium__document__sign_request,
      &atrium__document__signature_request__descriptor),
    M("document.signature_decline", doc_sig_decline, atrium__document__decline_request,
      &atrium__document__signature_request__descriptor),
    M("document.signature_remind", doc_sig_remind, atrium__document__remind_request,
      &atrium__document__signature_request__descriptor),
    M("document.signature_certificate", doc_sig_certificate, atrium__document__certificate_request,
      &atrium__document__certificate__descriptor),
    M("document.search", document_search, atrium__search__search_request,
      &atrium__search__search_result__descriptor),
    M("document.preview", s_preview, atrium__document__preview_request,
      &atrium__document__preview__descriptor),
    {"document.fsck_blobs", s_fsck_blobs, &atrium__document__fsck_request__descriptor,
     &atrium__document__fsck_report__descriptor, AT_METHOD_PUBLIC},
    {NULL, NULL, NULL, NULL, 0},
};

const at_service_def_t document_service = {
    .name = "document",
    .schema = "document",
    .methods = s_methods,
    .migrations = document_migrations,
    .config = s_config,
    .init = s_init,
    .fini = s_fini,
    .background = s_background,
};
