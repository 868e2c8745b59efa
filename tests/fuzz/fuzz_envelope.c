/* fuzz_envelope: a bus frame as a service receives it: the atrium.Request
 * envelope unpacked into a request arena, then a typed body. */
#include "at_arena.h"
#include "bus.pb-c.h"
#include "tasks.pb-c.h"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    at_arena_t *arena = at_arena_new();
    ProtobufCAllocator *alloc = at_arena_allocator(arena);
    Atrium__Request *req = atrium__request__unpack(alloc, size, data);
    if (req && req->has_body)
        protobuf_c_message_unpack(&atrium__tasks__create_task_request__descriptor, alloc,
                                  req->body.len, req->body.data);
    at_arena_destroy(&arena);
    return 0;
}
