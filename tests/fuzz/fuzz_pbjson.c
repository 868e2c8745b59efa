/* fuzz_pbjson: untrusted JSON bodies through the generic mapping, as the
 * gateway decodes every request: parse, decode into a message with nested,
 * repeated, enum and bytes fields, set a text parameter, encode back. */
#include "at_arena.h"
#include "at_pbjson.h"
#include "pbjson_test.pb-c.h"
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    at_arena_t *arena = at_arena_new();
    ProtobufCMessage *m = NULL;
    char *field = NULL;
    const ProtobufCMessageDescriptor *d = &attest__all__descriptor;
    if (at_pbjson_decode(d, j, at_arena_allocator(arena), &m, &field) == 0) {
        at_pbjson_set_from_text(m, "text", "text", at_arena_allocator(arena));
        at_pbjson_set_from_text(m, "i32", "-12", at_arena_allocator(arena));
        json_t *back = at_pbjson_encode(m, (const char *const[]){"text", NULL});
        json_decref(back);
    }
    free(field);
    json_decref(j);
    at_arena_destroy(&arena);
    return 0;
}
