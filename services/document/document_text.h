/* document_text: the text of a stored file, for search: PDF through
 * poppler-glib (the first DOC_TEXT_MAX_PAGES pages), text/plain and text/csv
 * as UTF-8; at most DOC_TEXT_MAX_BYTES of it.
 *
 * It does not read other formats (office files, images: no text), touch
 * the database or fold the text (document_search and at_search do).
 */
#ifndef DOCUMENT_TEXT_H
#define DOCUMENT_TEXT_H

#include <stddef.h>

#define DOC_TEXT_MAX_BYTES (1024 * 1024) /* text kept per document */
#define DOC_TEXT_MAX_PAGES 200           /* PDF pages read */

/* The text of the file at path (the blob) of content_type, at most
 * DOC_TEXT_MAX_BYTES of well-formed UTF-8 without NUL: *text malloc'd (the
 * caller frees it), *len its bytes. "" when the type has no text we read, a
 * PDF poppler cannot open (broken, encrypted) or a text file that is not
 * UTF-8: trying again would not help. Returns 0, or -1 with *why (static
 * text) when the file cannot be read (worth another try). */
int doc_text_extract(const char *path, const char *content_type, char **text, size_t *len,
                     const char **why);

#endif
