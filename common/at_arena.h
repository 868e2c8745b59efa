/* at_arena: a bump allocator that lives for one request. protobuf-c unpacks
 * requests into it and handlers build replies in it; freeing the arena frees
 * everything at once, so no handler frees a field by hand.
 *
 * It does not shrink or free single allocations, and is not thread-safe: one
 * arena belongs to one request on one thread.
 */
#ifndef AT_ARENA_H
#define AT_ARENA_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

typedef struct at_arena_t at_arena_t;

/* Makes an empty arena. Aborts on out-of-memory (never returns NULL). */
at_arena_t *at_arena_new(void);

/* Frees the arena and everything allocated from it; accepts NULL and a
 * pointer to NULL, and sets *self_p to NULL. */
void at_arena_destroy(at_arena_t **self_p);

/* Frees everything allocated so far but keeps the first block for reuse. */
void at_arena_reset(at_arena_t *self);

/* Returns size bytes aligned for any type (max_align_t), zeroed, owned by the
 * arena; never NULL (size 0 gives a distinct pointer). Aborts on
 * out-of-memory. */
void *at_arena_alloc(at_arena_t *self, size_t size);

/* Copies the NUL-terminated string s into the arena; NULL gives NULL. */
char *at_arena_strdup(at_arena_t *self, const char *s);

/* Copies exactly len bytes of s (NULs included) into the arena and adds a
 * NUL; NULL gives NULL. */
char *at_arena_strndup(at_arena_t *self, const char *s, size_t len);

/* printf into the arena; the result is owned by the arena. Returns NULL only
 * if vsnprintf reports an encoding error. */
char *at_arena_printf(at_arena_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A ProtobufCAllocator view of the arena (its free is a no-op). The returned
 * pointer is borrowed from the arena and valid as long as it is. */
ProtobufCAllocator *at_arena_allocator(at_arena_t *self);

/* Bytes requested (before alignment padding) since creation or the last
 * reset. */
size_t at_arena_used(const at_arena_t *self);

#endif
