/* document_names: the rules for document and folder names, and the LIKE
 * pattern a name search uses. Pure functions, no I/O.
 *
 * It does not normalise Unicode (the store stores names NFC-normalised by
 * PostgreSQL's normalize()) and never turns a name into a path: files on
 * disk are named by upload id and SHA-256 only.
 */
#ifndef DOCUMENT_NAMES_H
#define DOCUMENT_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* Longest name in bytes (UTF-8), as most file systems allow. */
#define DOC_NAME_MAX 255

/* Checks name against the naming rules: present, 1..DOC_NAME_MAX bytes,
 * valid UTF-8 (RFC 3629: no overlongs, surrogates or values past U+10FFFF),
 * no "/", no C0 or C1 control character or DEL (NUL included), and not "."
 * or "..". Returns true when acceptable; otherwise false with *why (may be
 * NULL) set to a static lower-case message for the 400 answer. */
bool doc_name_valid(const char *name, const char **why);

/* True when s is valid UTF-8 (RFC 3629) of len bytes. */
bool doc_utf8_valid(const unsigned char *s, size_t len);

/* Writes into out (cap bytes) the ILIKE pattern matching names containing q
 * as a substring: "%" + q with \, % and _ escaped by a backslash + "%" (use
 * with ESCAPE '\'). Returns the pattern length, or -1 when it does not fit
 * (out is then ""). */
int doc_like_pattern(const char *q, char *out, size_t cap);

/* True when s has the textual form of a UUID (8-4-4-4-12 hex digits), the
 * only ids this service hands out; anything else names nothing. */
bool doc_is_uuid(const char *s);

#endif
