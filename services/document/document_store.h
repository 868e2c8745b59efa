/* document_store: every SQL statement of the document service. Strings of
 * the rows it returns are copied into the request's arena (ctx->arena);
 * messages it fills are built there too. A PGresult never leaves a function.
 *
 * It does not check permissions (the server compares firm_id/client_id of
 * what it returns with the principal) and does not open transactions: the
 * server brackets the statements that belong together. The statements that
 * lock (FOR UPDATE) only make sense inside such a transaction.
 */
#ifndef DOCUMENT_STORE_H
#define DOCUMENT_STORE_H

#include "at_search.h"
#include "at_service.h"
#include "document.pb-c.h"
#include "document_digest.h"
#include "search.pb-c.h"
#include <stdbool.h>
#include <stdint.h>

typedef Atrium__Document__Document doc_document_t;
typedef Atrium__Document__Folder doc_folder_msg_t;
typedef Atrium__Document__Version doc_version_t;

/* A document with what access checks need beside the message. */
typedef struct {
    doc_document_t *doc; /* in the arena */
    const char *firm_id;
    bool internal; /* in an internal folder: staff only */
    bool deleted;  /* soft-deleted (doc->deleted_at is set) */
} doc_row_t;

typedef struct {
    doc_folder_msg_t *folder; /* in the arena */
    const char *firm_id;
    bool internal;
} doc_folder_row_t;

/* An upload in progress (strings in the arena). */
typedef struct {
    const char *id, *firm_id, *client_id, *folder_id, *document_id, *name, *created_by;
    const char *request_id; /* set: the upload fulfils this document request */
    int64_t declared;       /* -1: not declared */
    int64_t received;
    unsigned char state[DOC_DIGEST_STATE_BYTES];
} doc_upload_t;

/* -- folders -- */

/* The live folder id. AT_OK, AT_NOT_FOUND, or a db status. */
at_status_t doc_store_folder_get(at_ctx_t *ctx, const char *id, doc_folder_row_t *out);

/* Every live folder of client_id in firm_id (internal ones only when staff),
 * ordered by name, appended to out->items. */
at_status_t doc_store_folder_list(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                  bool staff, Atrium__Document__FolderList *out);

/* Creates a folder; visibility "shared"|"internal"; parent_id may be NULL.
 * AT_CONFLICT when the parent has a live folder of that name. *out in arena. */
at_status_t doc_store_folder_create(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                    const char *parent_id, const char *name, const char *visibility,
                                    const char *created_by, doc_folder_msg_t **out);

/* -- documents -- */

/* The live (not deleted) document id with its current version; lock takes a
 * row lock on it (FOR UPDATE). AT_OK, AT_NOT_FOUND or a db status. */
at_status_t doc_store_get(at_ctx_t *ctx, const char *id, bool lock, doc_row_t *out);

/* As doc_store_get, but a soft-deleted document is found too. */
at_status_t doc_store_get_any(at_ctx_t *ctx, const char *id, bool lock, doc_row_t *out);

/* The live document named name (case-insensitively, NFC) in folder_id (NULL:
 * top level) of client_id, locked (FOR UPDATE). AT_NOT_FOUND if none. */
at_status_t doc_store_find_by_name(at_ctx_t *ctx, const char *client_id, const char *folder_id,
                                   const char *name, doc_row_t *out);

/* A page of live documents of client_id, newest first.
 * folder: NULL every folder, "" the top level, else that folder id.
 * tsquery: NULL, or at_search_tsquery text the name or text must match. staff: include internal
 * folders. after_key/after_id: the keyset cursor position or NULL.
 * Fills out->items and out->next_cursor. */
at_status_t doc_store_list(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                           const char *folder, const char *tsquery, bool staff, int limit,
                           const char *after_key, const char *after_id,
                           Atrium__Document__DocumentList *out);

/* Inserts a new live document at version 1 (NFC-normalising its name, and
 * storing the folded name's search vector) unless
 * the folder has a live document of that name: then AT_CONFLICT, and nothing
 * was written (ON CONFLICT DO NOTHING, so the transaction goes on).
 * folder_id may be NULL. *id in the arena. */
at_status_t doc_store_insert(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                             const char *folder_id, const char *name, const char *created_by,
                             const char **id);

/* Advances the document's current_version by one; *version is the new one. */
at_status_t doc_store_bump_version(at_ctx_t *ctx, const char *id, int32_t *version);

/* Inserts version row (document_id, version) and, in the same statements,
 * the job that extracts its text (text_jobs) and, when content_type gets a
 * thumbnail (doc_sniff_previewable), the preview job of its blob unless the
 * blob has one (made, failed or queued) already: every path that stores a
 * version queues both in the same transaction. */
at_status_t doc_store_version_insert(at_ctx_t *ctx, const char *firm_id, const char *document_id,
                                     int32_t version, const char *sha256, int64_t size,
                                     const char *content_type, const char *created_by);

/* One version of a document (version 0: the current one). AT_NOT_FOUND if
 * that version does not exist. */
at_status_t doc_store_version_get(at_ctx_t *ctx, const char *document_id, int32_t version,
                                  doc_version_t **out);

/* Every version of a document, newest first, appended to out->items. */
at_status_t doc_store_version_list(at_ctx_t *ctx, const char *document_id,
                                   Atrium__Document__VersionList *out);

/* Renames (name not NULL; its folded search vector too) and/or moves
 * (folder_id not NULL; "" = top level).
 * AT_CONFLICT when the target folder has a live document of the name. */
at_status_t doc_store_update(at_ctx_t *ctx, const char *id, const char *name,
                             const char *folder_id);

/* Soft-deletes the live document id. AT_NOT_FOUND if it is not live. */
at_status_t doc_store_delete(at_ctx_t *ctx, const char *id, const char *deleted_by);

/* Brings the soft-deleted document id back. AT_NOT_FOUND if it is not
 * deleted; AT_CONFLICT when its folder has a live document of its name now
 * (the transaction is then aborted). */
at_status_t doc_store_restore(at_ctx_t *ctx, const char *id);

/* -- activity -- */

/* Records that the principal did action (to version, when > 0) to the
 * document, in the caller's transaction. */
at_status_t doc_store_activity_add(at_ctx_t *ctx, const char *document_id, const char *firm_id,
                                   const char *client_id, const char *action, int32_t version);

/* A page of the document's activity, newest first: all of it for staff,
 * else only what client users did (and what self_id did). */
at_status_t doc_store_activity_list(at_ctx_t *ctx, const char *document_id, bool staff,
                                    const char *self_id, int limit, const char *after_key,
                                    const char *after_id, Atrium__Document__ActivityList *out);

/* -- quota -- */

/* Bytes the firm's versions hold: the sizes of the distinct blobs its
 * versions use (of live and deleted documents alike, since a soft-deleted
 * document keeps its bytes); a blob used by several versions counts once. */
at_status_t doc_store_firm_usage(at_ctx_t *ctx, const char *firm_id, int64_t *bytes);

/* -- document requests -- */

typedef Atrium__Document__DocumentRequest doc_request_t;

typedef struct {
    doc_request_t *req; /* in the arena */
    const char *firm_id;
} doc_request_row_t;

/* Creates an open request; description, due_at (RFC 3339) and folder_id may
 * be NULL. *out in the arena. */
at_status_t doc_store_request_create(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                     const char *title, const char *description, const char *due_at,
                                     const char *folder_id, const char *created_by,
                                     doc_request_t **out);

/* The request id (lock: FOR UPDATE). AT_NOT_FOUND if none. */
at_status_t doc_store_request_get(at_ctx_t *ctx, const char *id, bool lock, doc_request_row_t *out);

/* A page of client_id's requests (status NULL: any), newest first. */
at_status_t doc_store_request_list(at_ctx_t *ctx, const char *firm_id, const char *client_id,
                                   const char *status, int limit, const char *after_key,
                                   const char *after_id,
                                   Atrium__Document__DocumentRequestList *out);

/* Marks the request submitted with document_id at version by user_id. */
at_status_t doc_store_request_submit(at_ctx_t *ctx, const char *id, const char *document_id,
                                     int32_t version, const char *user_id);

/* Sets the request's status after a staff decision; reason not NULL
 * replaces the stored one. */
at_status_t doc_store_request_decide(at_ctx_t *ctx, const char *id, const char *status,
                                     const char *reason, const char *user_id);

/* -- consistency -- */

/* One blob the versions use. */
typedef struct {
    char sha256[65];
    int64_t size;
    int32_t versions;
    char document_id[37];
} doc_blob_ref_t;

/* Every distinct (sha256, size) the versions use, ordered by sha256, in a
 * malloc'd array (*out, *n; free it). */
at_status_t doc_store_blob_refs(at_ctx_t *ctx, doc_blob_ref_t **out, size_t *n);

/* -- blobs in use, purge -- */

/* Takes the transaction-scoped advisory lock of blob sha256: shared by a
 * writer about to make a version use it (upload finish), exclusive by the
 * collector about to remove it. Needs an open transaction. */
at_status_t doc_store_blob_lock(at_ctx_t *ctx, const char *sha256, bool exclusive);

/* Sets *in_use when any unpurged version, of any firm, uses blob sha256. */
at_status_t doc_store_blob_in_use(at_ctx_t *ctx, const char *sha256, bool *in_use);

/* Up to max ids (*ids in the arena, *n of them) of documents soft-deleted
 * more than older_s seconds ago and not yet purged, oldest first. */
at_status_t doc_store_trash_due(at_ctx_t *ctx, int64_t older_s, int max, const char ***ids, int *n);

/* Marks soft-deleted document id and its versions purged, in the open
 * transaction, if it was deleted at least older_s seconds ago (<= 0: any
 * time); *shas (arena) lists the distinct blobs those versions used, for the
 * caller to collect after commit. AT_NOT_FOUND if id is not such a
 * soft-deleted, unpurged document. */
at_status_t doc_store_purge(at_ctx_t *ctx, const char *id, int64_t older_s, const char ***shas,
                            size_t *n);

/* -- previews (thumbnails; see sql/004_previews.sql) -- */

/* One row of previews (strings in the arena). */
typedef struct {
    const char *sha256; /* the source blob's */
    const char *content_type;
    const char *status; /* "pending" | "done" | "failed" */
    const char *png_sha256;
    int64_t png_size;
    int32_t width, height;
    int32_t attempts;
} doc_preview_row_t;

/* Queues the thumbnail of blob sha256 (sniffed as content_type) unless it
 * has a row already; does nothing for a type that gets no thumbnail. */
at_status_t doc_store_preview_enqueue(at_ctx_t *ctx, const char *sha256, const char *content_type);

/* The preview row of blob sha256. AT_OK, AT_NOT_FOUND or a db status. */
at_status_t doc_store_preview_get(at_ctx_t *ctx, const char *sha256, doc_preview_row_t *out);

/* Claims the pending job due longest (FOR UPDATE SKIP LOCKED, one
 * statement, committed): counts an attempt and moves next_at lease_s
 * seconds ahead, so no other instance takes it unless this one dies. *out
 * has the attempts counted so far, this one included. AT_NOT_FOUND: no job
 * is due. */
at_status_t doc_store_preview_claim(at_ctx_t *ctx, int lease_s, doc_preview_row_t *out);

/* Marks the claimed job (sha256 at attempts: a job claimed again since is
 * left alone) done with its PNG's digest, size and pixel size. */
at_status_t doc_store_preview_done(at_ctx_t *ctx, const char *sha256, int32_t attempts,
                                   const char *png_sha256, int64_t png_size, int32_t width,
                                   int32_t height);

/* Records the claimed job's failure (error: for operators): final marks it
 * failed for good, else it is due again in retry_s seconds. */
at_status_t doc_store_preview_failed(at_ctx_t *ctx, const char *sha256, int32_t attempts,
                                     bool final, int retry_s, const char *error);

/* Puts the made thumbnail of blob sha256 back in the queue, its attempts
 * reset (its file was found missing). */
at_status_t doc_store_preview_requeue(at_ctx_t *ctx, const char *sha256);

/* Forgets the thumbnail of blob sha256 (its row; the caller removes the
 * file), when the blob itself goes (document_gc.c). */
at_status_t doc_store_preview_delete(at_ctx_t *ctx, const char *sha256);

/* Every made thumbnail: (source sha256, png_size), ordered by sha256, in a
 * malloc'd array (*out, *n; free it); versions and document_id are unset. */
at_status_t doc_store_preview_refs(at_ctx_t *ctx, doc_blob_ref_t **out, size_t *n);

/* -- uploads -- */

/* Records a new upload (declared -1: unknown) with the empty hash state.
 * *id in the arena. */
at_status_t doc_store_upload_create(at_ctx_t *ctx, const doc_upload_t *up, const char *hint,
                                    const char **id);

/* The upload id, locked FOR UPDATE (so chunks of one upload never run at
 * once, on whatever instance). AT_NOT_FOUND if it does not exist; AT_INTERNAL
 * if its stored hash state is unreadable. */
at_status_t doc_store_upload_lock(at_ctx_t *ctx, const char *id, doc_upload_t *out);

/* When the upload (locked by the caller) is dropped if nothing more arrives:
 * its last activity plus idle_s, in epoch milliseconds. */
at_status_t doc_store_upload_expiry(at_ctx_t *ctx, const char *id, int64_t idle_s,
                                    int64_t *expires_ms);

/* Stores the upload's new received count and hash state. */
at_status_t doc_store_upload_advance(at_ctx_t *ctx, const char *id, int64_t received,
                                     const unsigned char state[DOC_DIGEST_STATE_BYTES]);

/* Deletes the upload row. AT_NOT_FOUND if there was none. */
at_status_t doc_store_upload_delete(at_ctx_t *ctx, const char *id);

/* Deletes up to max uploads idle for more than idle_s seconds and returns
 * their ids (arena) in *ids, count in *n, so their files can go too. */
at_status_t doc_store_upload_reap(at_ctx_t *ctx, int64_t idle_s, int max, const char ***ids,
                                  int *n);

/* -- search -- */

/* Excerpt length of a document's text in search hits, in code points. */
#define DOC_SNIPPET_CHARS 160

/* Up to limit live documents of firm_id matching tsquery (at_search_tsquery
 * text of q) in name or text, best first (ts_rank), as search hits in out
 * (arena): title the name, snippet an excerpt of the text around the first
 * match of q ("" without text). clients_json: a JSON array of the client
 * ids the caller may see, or NULL for every client of the firm. staff:
 * internal folders included. */
at_status_t doc_store_search(at_ctx_t *ctx, const char *firm_id, const char *clients_json,
                             bool staff, const char *tsquery, const at_search_query_t *q, int limit,
                             Atrium__Search__SearchResult *out);

/* The excerpt of document_id's stored text around q's first match (*snippet
 * in the arena; left as it was when there is no text). */
at_status_t doc_store_text_snippet(at_ctx_t *ctx, const char *document_id,
                                   const at_search_query_t *q, char **snippet);

/* A text extraction job (strings in the arena). */
typedef struct {
    const char *id, *document_id, *firm_id;
    int32_t version;         /* the version whose text it extracts */
    int32_t current_version; /* the document's newest version now */
    int attempts;            /* including this one */
} doc_text_job_t;

/* Claims one due job (FOR UPDATE SKIP LOCKED, so any number of instances
 * share the queue): counts the attempt and pushes its next try lease_s x
 * attempts seconds away before anything is tried, so a crash mid-way costs
 * one attempt. AT_NOT_FOUND when nothing is due. */
at_status_t doc_store_text_claim(at_ctx_t *ctx, int lease_s, doc_text_job_t *job);

/* In one transaction: when job's version is still the document's newest,
 * stores content and the search vector of folded (text_tsv) as its text;
 * then deletes the job. A tsvector over PostgreSQL's limit fails (the
 * caller retries with less). */
at_status_t doc_store_text_save(at_ctx_t *ctx, const doc_text_job_t *job, const char *content,
                                const char *folded);

/* Records a failed attempt (error: a short reason) and the next try in
 * delay_s seconds. */
at_status_t doc_store_text_retry(at_ctx_t *ctx, const doc_text_job_t *job, int delay_s,
                                 const char *error);

/* Deletes job job_id (a newer version has its own job). */
at_status_t doc_store_text_drop(at_ctx_t *ctx, const char *job_id);

/* Up to max documents whose name has no search vector yet (stored before
 * search existed): ids and names in the arena, count in *n. */
at_status_t doc_store_names_unfolded(at_ctx_t *ctx, int max, const char ***ids, const char ***names,
                                     int *n);

/* Stores the search vector of folded as document id's name vector, unless
 * the name changed meanwhile. */
at_status_t doc_store_name_folded(at_ctx_t *ctx, const char *id, const char *name,
                                  const char *folded);

/* -- dashboard -- */

/* The documents of firm_id the caller may see (every client when all, else
 * those in the JSON array text clients; internal folders only for staff)
 * that someone other than user_id added after since (RFC 3339; NULL: ever):
 * their count and the newest 5, into *out (arena); and into
 * *pending_signatures the signature requests waiting on user_id now (their
 * turn, on a live document). One statement. */
at_status_t doc_store_dashboard(at_ctx_t *ctx, const char *firm_id, bool all, const char *clients,
                                bool staff, const char *user_id, const char *since,
                                Atrium__Document__NewDocuments *out, int32_t *pending_signatures);

#endif
