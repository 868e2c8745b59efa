/* document_search: full-text search of documents (document.search) and the
 * background extraction of their text.
 *
 * Extraction never runs in a request: storing a version queues a job in the
 * same transaction (document_store), and document_text_tick, called by the
 * service's background thread, claims due jobs with FOR UPDATE SKIP LOCKED
 * (any number of instances share them), reads the blob, extracts the text
 * (PDF through poppler-glib, text/plain and text/csv as UTF-8), folds it
 * (at_search) and stores it as the text of the document's newest version.
 * Each attempt is counted before it starts, so a file that makes the
 * extractor fail, hang or crash is given up after DOC_TEXT_ATTEMPTS.
 *
 * The extraction itself is document_text's.
 */
#ifndef DOCUMENT_SEARCH_H
#define DOCUMENT_SEARCH_H

#include "at_service.h"
#include <stddef.h>

#define DOC_TEXT_ATTEMPTS 3 /* tries of one job before it is given up */

/* The blob folder of the running service (document_server.c), borrowed. */
const char *document_blob_dir(const at_ctx_t *ctx);

/* One round of background work: extracts the text of due jobs (a few, or
 * about two seconds' worth, whichever ends first) and gives names stored
 * before search existed their search vector. Never fails: problems are
 * logged and retried later. ctx is the background thread's (tenant "*"). */
void document_text_tick(at_ctx_t *ctx);

/* document.search: atrium.search.SearchRequest -> SearchResult; the live
 * documents of the caller's firm and visible clients (internal folders for
 * staff only) whose name or text matches q. */
at_status_t document_search(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply);

#endif
