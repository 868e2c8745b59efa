/* document_gc: purge and blob collection (see document_gc.h). */
#include "document_gc.h"
#include "at_log.h"
#include "document_blob.h"
#include "document_store.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

at_status_t doc_gc_purge(at_ctx_t *ctx, const char *id, int64_t older_s, const char *firm_id,
                         const char *client_id, const char *name, bool staff_only,
                         const char ***shas, size_t *n)
{
    at_status_t st = doc_store_purge(ctx, id, older_s, shas, n);
    if (st != AT_OK)
        return st;
    json_t *details = json_pack("{s:s, s:I}", "name", name, "blobs", (json_int_t) *n);
    if (staff_only)
        json_object_set_new(details, "staff_only", json_true());
    at_audit_event_t ev = {.action = "document.purged",
                           .resource_type = "document",
                           .resource_id = id,
                           .client_id = client_id,
                           .firm_id = firm_id,
                           .details = details};
    if (!ctx->principal) {
        ev.actor_kind = "system";
        ev.actor_name = "Atrium (trash)";
    }
    st = at_audit(ctx, &ev);
    json_decref(details);
    return st;
}

at_status_t doc_gc_blob(at_ctx_t *ctx, const char *blob_dir, const char *sha256, bool *removed)
{
    if (removed)
        *removed = false;
    if (at_db_begin(ctx->db) != 0)
        return AT_UNAVAILABLE;
    bool in_use = true;
    at_status_t st = doc_store_blob_lock(ctx, sha256, true);
    if (st == AT_OK)
        st = doc_store_blob_in_use(ctx, sha256, &in_use);
    if (st == AT_OK && !in_use) {
        /* its thumbnail is the file's content too: row and file go with it */
        char png[DOC_PATH_MAX];
        st = doc_store_preview_delete(ctx, sha256);
        if (st == AT_OK && doc_blob_preview_path(png, sizeof png, blob_dir, sha256) == 0 &&
            unlink(png) != 0 && errno != ENOENT)
            at_warn("cannot remove the thumbnail of blob %s: %s", sha256, strerror(errno));
    }
    if (st == AT_OK && !in_use) {
        /* under the lock: no writer can start using it until we commit */
        if (doc_blob_remove(blob_dir, sha256) != 0) {
            at_error("cannot remove blob %s: %s", sha256, strerror(errno));
            st = AT_INTERNAL;
        } else if (removed) {
            *removed = true;
        }
    }
    if (st == AT_OK)
        st = at_db_commit(ctx->db) == 0 ? AT_OK : AT_UNAVAILABLE;
    else
        at_db_rollback(ctx->db);
    return st;
}

int doc_gc_trash_pass(at_ctx_t *ctx, const char *blob_dir, int64_t trash_s, int max)
{
    const char **ids = NULL;
    int n = 0;
    if (doc_store_trash_due(ctx, trash_s, max, &ids, &n) != AT_OK)
        return -1;
    int purged = 0;
    for (int i = 0; i < n; i++) {
        if (at_db_begin(ctx->db) != 0)
            return -1;
        doc_row_t row;
        const char **shas = NULL;
        size_t nshas = 0;
        at_status_t st = doc_store_get_any(ctx, ids[i], true, &row);
        if (st == AT_OK)
            st = doc_gc_purge(ctx, row.doc->id, trash_s, row.firm_id, row.doc->client_id,
                              row.doc->name, row.internal, &shas, &nshas);
        if (st == AT_NOT_FOUND) { /* restored, or purged by someone else, meanwhile */
            at_db_rollback(ctx->db);
            continue;
        }
        if (st != AT_OK || at_db_commit(ctx->db) != 0) {
            at_db_rollback(ctx->db);
            return -1;
        }
        purged++;
        for (size_t k = 0; k < nshas; k++)
            if (doc_gc_blob(ctx, blob_dir, shas[k], NULL) == AT_UNAVAILABLE)
                return -1; /* the blob stays an orphan; fsck-blobs --repair takes it */
    }
    if (purged)
        at_info("trash: purged %d documents deleted more than %lld s ago", purged,
                (long long) trash_s);
    return purged;
}
