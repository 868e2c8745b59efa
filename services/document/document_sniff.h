/* document_sniff: the content type of a file decided from its first bytes
 * (magic numbers), never from what the client claimed. Pure, no I/O.
 *
 * It deliberately knows a short allow-list (PDF, PNG, JPEG, GIF, WebP, ZIP
 * and the Office Open XML / OpenDocument formats inside ZIP, legacy Office
 * compound files, UTF-8 text); everything else is application/octet-stream,
 * so no upload can make the gateway serve text/html or image/svg+xml.
 * libmagic was considered: it answers with whatever its database (which
 * changes between versions) says, including active types, and parses hostile
 * input with a long CVE history; the list above needs none of that.
 */
#ifndef DOCUMENT_SNIFF_H
#define DOCUMENT_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

/* How many leading bytes doc_sniff wants to see. */
#define DOC_SNIFF_BYTES (64 * 1024)

/* Returns the media type (static string) of a file whose first len bytes
 * are buf. truncated says the file goes on past buf (so a UTF-8 sequence cut
 * at the end is not an error). name (may be NULL) only chooses among the
 * legacy Office types that share one container format (.doc/.xls/.ppt);
 * it never makes a type the bytes do not allow. */
const char *doc_sniff(const unsigned char *buf, size_t len, bool truncated, const char *name);

/* True when content_type (as doc_sniff returned it) gets a thumbnail: PNG,
 * JPEG, GIF, WebP and PDF, compared exactly. Everything else (SVG and HTML
 * are never sniffed, text, Office files, octet-stream, NULL) gets none: the
 * preview renderer is only ever given bytes whose magic number one of its
 * five loaders reads. */
bool doc_sniff_previewable(const char *content_type);

#endif
