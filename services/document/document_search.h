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
 * It does not extract other formats (office files, images: no text) and
 * keeps at most DOC_TEXT_MAX_BYTES of text from at most DOC_TEXT_MAX_PAGES.
 */
#ifndef DOCUMENT_SEARCH_H
#define DOCUMENT_SEARCH_H

#include "at_service.h"
#include <stddef.h>

#define DOC_TEXT_MAX_BYTES (1024 * 1024) /* text kept per document */
#define DOC_TEXT_MAX_PAGES 200           /* PDF pages read */
#define DOC_TEXT_ATTEMPTS 3              /* tries of one job before it is given up */

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

/* The text of the file at path (the blob) of content_type, at most
 * DOC_TEXT_MAX_BYTES of well-formed UTF-8 without NUL: *text malloc'd (the
 * caller frees it), *len its bytes. "" when the type has no text we read, a
 * PDF poppler cannot open (broken, encrypted) or a text file that is not
 * UTF-8: trying again would not help. Returns 0, or -1 with *why (static
 * text) when the file cannot be read (worth another try). */
int doc_text_extract(const char *path, const char *content_type, char **text, size_t *len,
                     const char **why);

#endif
