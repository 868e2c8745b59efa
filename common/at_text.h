/* at_text: checks on text that arrives from outside, shared by services:
 * UUID text, UTF-8 well-formedness and length in code points, blankness.
 *
 * It does not normalise, trim or transform: callers store text byte for
 * byte as it came (api.md "Conventions") and only decide whether to take it.
 */
#ifndef AT_TEXT_H
#define AT_TEXT_H

#include <stdbool.h>

/* True when s is a UUID in its 8-4-4-4-12 hex text form (RFC 9562 §4, any
 * case), the form PostgreSQL's uuid type reads. NULL is not. */
bool at_text_uuid(const char *s);

/* The number of code points of s, or -1 when s is NULL or not well-formed
 * UTF-8 (RFC 3629 §3: no overlong forms, surrogates or values above
 * U+10FFFF). */
long at_text_utf8_length(const char *s);

/* True when s holds a character other than space, tab, CR and LF. */
bool at_text_has_text(const char *s);

#endif
