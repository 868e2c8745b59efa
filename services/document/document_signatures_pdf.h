/* document_signatures_pdf: the PDF rendering of a signature certificate
 * (cairo's PDF surface, text only, A4). It renders what it is given: the
 * certificate's evidence comes from document_signatures.c; this file does
 * no I/O besides cairo writing into memory.
 */
#ifndef DOCUMENT_SIGNATURES_PDF_H
#define DOCUMENT_SIGNATURES_PDF_H

#include "document.pb-c.h"
#include <stddef.h>

/* Renders cert (borrowed) as a PDF: a heading, the document (name, id,
 * version, SHA-256), the request, each signer (typed name, time, IP, user
 * agent, audit seq and hash) and each audit event, long values wrapped to
 * the page width, as many pages as it takes. The SHA-256 is also the PDF's
 * Subject metadata. On success returns 0 and *out (malloc'd, the caller
 * frees) and *len; -1 when cairo fails or the PDF would pass max bytes. */
int doc_sign_pdf(const Atrium__Document__Certificate *cert, size_t max, unsigned char **out,
                 size_t *len);

/* Releases the font caches cairo and fontconfig keep for the process (so
 * a leak checker sees nothing left). Call once at exit, after every thread
 * that renders has stopped; doc_sign_pdf must not run afterwards. */
void doc_sign_pdf_shutdown(void);

#endif
