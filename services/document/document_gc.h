/* document_gc: the end of a file's life. A soft-deleted document is purged
 * (by an owner/admin, or by the trash after ATRIUM_DOCUMENT_TRASH_DAYS): its
 * rows stay as tombstones marked purged_at, and every blob that no unpurged
 * version of any firm uses any more is removed from the blob folder.
 *
 * Removal never races a writer: an upload finishing with the same bytes
 * takes the blob's advisory lock shared before it moves its file into place
 * and holds it until its version row commits; the collector takes it
 * exclusive, looks for users, and removes the file only when there are none.
 */
#ifndef DOCUMENT_GC_H
#define DOCUMENT_GC_H

#include "at_service.h"
#include <stdbool.h>
#include <stdint.h>

/* Purges soft-deleted document id in the caller's open transaction if it was
 * deleted at least older_s seconds ago (<= 0: any time), and records
 * `document.purged` (the principal as actor, or the system when there is
 * none) with name and client as the audit details; staff_only marks an
 * internal-folder document's event. *shas (arena) and *n: the blobs its
 * versions used, for doc_gc_blob after commit. AT_NOT_FOUND when it is not
 * a purgeable document. */
at_status_t doc_gc_purge(at_ctx_t *ctx, const char *id, int64_t older_s, const char *firm_id,
                         const char *client_id, const char *name, bool staff_only,
                         const char ***shas, size_t *n);

/* Removes blob sha256 from blob_dir if no unpurged version uses it, in its
 * own transaction (none may be open) under the blob's exclusive lock. Sets
 * *removed (may be NULL) when the file went. Returns AT_OK, a database
 * status, or AT_INTERNAL when the file cannot be removed (logged). */
at_status_t doc_gc_blob(at_ctx_t *ctx, const char *blob_dir, const char *sha256, bool *removed);

/* One pass of the trash: purges up to max documents soft-deleted more than
 * trash_s seconds ago, each in its own transaction, and collects their
 * blobs. Returns how many it purged, or -1 after a database fault (logged;
 * the next pass goes on where this one stopped). */
int doc_gc_trash_pass(at_ctx_t *ctx, const char *blob_dir, int64_t trash_s, int max);

#endif
