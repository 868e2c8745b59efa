/* at_cursor: keyset cursor codec; no SQL here (stores write the WHERE). */
#include "at_cursor.h"
#include <sodium.h>
#include <string.h>

#define S_MAGIC "c1|"

char *at_cursor_encode(at_arena_t *arena, const char *key, const char *id)
{
    char *plain = at_arena_printf(arena, S_MAGIC "%s|%s", key ? key : "", id ? id : "");
    size_t len = strlen(plain);
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = at_arena_alloc(arena, cap);
    sodium_bin2base64(out, cap, (const unsigned char *) plain, len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

int at_cursor_decode(at_arena_t *arena, const char *cursor, char **key, char **id)
{
    *key = *id = NULL;
    if (!cursor)
        return -1;
    size_t clen = strlen(cursor);
    if (clen == 0 || clen > 512)
        return -1;
    unsigned char *bin = at_arena_alloc(arena, clen + 1);
    size_t blen = 0;
    if (sodium_base642bin(bin, clen, cursor, clen, NULL, &blen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return -1;
    bin[blen] = 0;
    if (blen < 3 || memcmp(bin, S_MAGIC, 3) != 0 || memchr(bin, 0, blen))
        return -1;
    char *rest = (char *) bin + 3;
    char *bar = strchr(rest, '|');
    if (!bar || bar == rest || !bar[1])
        return -1;
    *key = at_arena_strndup(arena, rest, (size_t) (bar - rest));
    *id = at_arena_strdup(arena, bar + 1);
    return 0;
}

int at_page_limit(int requested)
{
    if (requested <= 0)
        return 50;
    return requested > 200 ? 200 : requested;
}
