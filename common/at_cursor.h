/* at_cursor: opaque keyset cursors for list endpoints (api.md "Lists").
 * A cursor carries the sort key of the last item served, (time text, id),
 * so the next page starts strictly after it: an item inserted meanwhile never
 * makes another appear twice or vanish. Encoded as unpadded base64url
 * (libsodium) so clients treat it as opaque.
 */
#ifndef AT_CURSOR_H
#define AT_CURSOR_H

#include "at_arena.h"

/* Encodes (key, id) into a cursor string allocated in arena. key is the
 * sort value as text (e.g. a timestamptz with microseconds), id the tiebreak. */
char *at_cursor_encode(at_arena_t *arena, const char *key, const char *id);

/* Decodes cursor into *key and *id (allocated in arena). Returns 0, or -1
 * for a cursor this module did not make (answer 400 validation_failed,
 * field "cursor"). */
int at_cursor_decode(at_arena_t *arena, const char *cursor, char **key, char **id);

/* Clamps a requested page size: 0 or absent -> 50, above 200 -> 200. */
int at_page_limit(int requested);

#endif
