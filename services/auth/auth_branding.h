/* auth_branding: the rules of a firm's branding (GET /api/v1/branding, PUT
 * /api/v1/settings/branding) as pure functions: which colours, logo
 * addresses, labels and dashboard sections are accepted, and the defaults.
 *
 * It does no I/O and knows no storage: auth_server validates with it,
 * auth_store keeps what passed.
 */
#ifndef AUTH_BRANDING_H
#define AUTH_BRANDING_H

#include "at_arena.h"
#include <stdbool.h>
#include <stddef.h>

#define AUTH_BRANDING_NAME_MAX 60  /* portal_name, code points after NFC */
#define AUTH_BRANDING_LABEL_MAX 40 /* each label, code points after NFC */
#define AUTH_BRANDING_URL_MAX 2048 /* logo_url, bytes */

/* The defaults a firm without branding shows. */
#define AUTH_BRANDING_DEFAULT_NAME "Atrium"
#define AUTH_BRANDING_DEFAULT_COLOR "#2f5d8a"

/* The dashboard's sections in their default order (GET /api/v1/dashboard's
 * keys), NULL-ended. */
extern const char *const auth_branding_sections[];

/* The default label of term key ("client" -> "Client"), or NULL when key is
 * not a term the portal lets a firm rename. */
const char *auth_branding_label_default(const char *key);

/* True when s is "#rrggbb" (hex digits, either case). */
bool auth_branding_color_ok(const char *s);

/* True when s may be a logo's address: "https://" and a host, or a path on
 * the portal's own origin ("/..." but not "//..."); at most
 * AUTH_BRANDING_URL_MAX bytes, without blanks, control characters, quotes,
 * angle brackets or backslashes. Every other scheme (javascript:, data:,
 * http:) is refused. */
bool auth_branding_logo_ok(const char *s);

/* s trimmed of white space and put in Unicode NFC (UAX #15), in arena, or
 * NULL when that is empty, over max_chars code points, not UTF-8, or holds
 * a control character. */
char *auth_branding_text(at_arena_t *arena, const char *s, size_t max_chars);

/* Index of the first section of list (n names) that is unknown or repeated,
 * or -1 when list is a valid choice and order of sections. */
int auth_branding_sections_bad(const char *const *list, size_t n);

#endif
