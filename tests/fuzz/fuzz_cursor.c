/* fuzz_cursor: list cursors come from clients; decoding any string must
 * fail cleanly or give back a key and an id. */
#include "at_arena.h"
#include "at_cursor.h"
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    at_arena_t *arena = at_arena_new();
    char *text = at_arena_strndup(arena, (const char *) data, size);
    char *key = NULL, *id = NULL;
    if (at_cursor_decode(arena, text, &key, &id) == 0) {
        /* what decodes must encode back to a cursor that decodes the same */
        char *again = at_cursor_encode(arena, key, id);
        char *k2 = NULL, *i2 = NULL;
        if (at_cursor_decode(arena, again, &k2, &i2) != 0 || strcmp(k2, key) || strcmp(i2, id))
            __builtin_trap();
    }
    at_arena_destroy(&arena);
    return 0;
}
