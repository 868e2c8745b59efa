/* at_arena: a bump allocator over a chain of malloc'd blocks, one per request.
 *
 * It does not free single allocations, does not return NULL on out-of-memory
 * (s_xmalloc aborts, per the house rule), and takes no locks.
 */
#include "at_arena.h"

#include <assert.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ALIGN alignof(max_align_t)
#define S_FIRST_BLOCK ((size_t) 8 * 1024)
#define S_MAX_BLOCK ((size_t) 1024 * 1024)

/* data[] is an array of max_align_t so that it starts suitably aligned; all
 * offsets handed out are multiples of S_ALIGN, so every pointer stays so. */
typedef struct s_block_t {
    struct s_block_t *next;
    size_t size; /* capacity of data in bytes */
    size_t used;
    max_align_t data[];
} s_block_t;

struct at_arena_t {
    s_block_t *head;  /* the block we bump in; the chain holds every block */
    s_block_t *first; /* kept across at_arena_reset */
    size_t next_size; /* capacity of the next ordinary block */
    size_t used;      /* bytes requested since creation or reset */
    ProtobufCAllocator allocator;
};

/* The one place the arena meets malloc: out-of-memory is not recoverable here. */
static void *s_xmalloc(size_t size)
{
    void *p = malloc(size);
    if (!p)
        abort();
    return p;
}

static s_block_t *s_block_new(size_t size)
{
    if (size > SIZE_MAX - sizeof(s_block_t))
        abort();
    s_block_t *block = s_xmalloc(sizeof(s_block_t) + size);
    block->next = NULL;
    block->size = size;
    block->used = 0;
    return block;
}

static void *s_pb_alloc(void *data, size_t size)
{
    return at_arena_alloc(data, size);
}

/* Arena memory is released all at once, so protobuf-c's frees are no-ops. */
static void s_pb_free(void *data, void *ptr)
{
    (void) data;
    (void) ptr;
}

at_arena_t *at_arena_new(void)
{
    at_arena_t *self = s_xmalloc(sizeof *self);
    self->first = s_block_new(S_FIRST_BLOCK);
    self->head = self->first;
    self->next_size = S_FIRST_BLOCK * 2;
    self->used = 0;
    self->allocator.alloc = s_pb_alloc;
    self->allocator.free = s_pb_free;
    self->allocator.allocator_data = self;
    return self;
}

static void s_free_blocks_but_first(at_arena_t *self)
{
    s_block_t *block = self->head;
    while (block) {
        s_block_t *next = block->next;
        if (block != self->first)
            free(block);
        block = next;
    }
}

void at_arena_destroy(at_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    at_arena_t *self = *self_p;
    s_free_blocks_but_first(self);
    free(self->first);
    free(self);
    *self_p = NULL;
}

void at_arena_reset(at_arena_t *self)
{
    assert(self);
    s_free_blocks_but_first(self);
    self->head = self->first;
    self->first->next = NULL;
    self->first->used = 0;
    self->next_size = S_FIRST_BLOCK * 2;
    self->used = 0;
}

void *at_arena_alloc(at_arena_t *self, size_t size)
{
    assert(self);
    /* Zero-size requests still get a distinct pointer, as malloc's may. */
    size_t need = size ? size : 1;
    if (need > SIZE_MAX - (S_ALIGN - 1))
        abort();
    need = (need + S_ALIGN - 1) & ~(S_ALIGN - 1);

    s_block_t *block = self->head;
    if (need > block->size - block->used) {
        if (need > self->next_size / 2) {
            /* A large allocation gets a block of its own behind the head,
             * so the space left in the head block is not wasted. */
            block = s_block_new(need);
            block->next = self->head->next;
            self->head->next = block;
        } else {
            block = s_block_new(self->next_size);
            block->next = self->head;
            self->head = block;
            if (self->next_size < S_MAX_BLOCK)
                self->next_size *= 2;
        }
    }
    void *ptr = (char *) block->data + block->used;
    block->used += need;
    self->used += size;
    memset(ptr, 0, need);
    return ptr;
}

char *at_arena_strdup(at_arena_t *self, const char *s)
{
    if (!s)
        return NULL;
    return at_arena_strndup(self, s, strlen(s));
}

char *at_arena_strndup(at_arena_t *self, const char *s, size_t len)
{
    if (!s)
        return NULL;
    if (len == SIZE_MAX)
        abort();
    char *copy = at_arena_alloc(self, len + 1);
    memcpy(copy, s, len);
    return copy; /* already NUL-terminated: arena memory is zeroed */
}

char *at_arena_printf(at_arena_t *self, const char *fmt, ...)
{
    va_list args, again;
    va_start(args, fmt);
    va_copy(again, args);
    int len = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (len < 0) {
        va_end(again);
        return NULL;
    }
    char *s = at_arena_alloc(self, (size_t) len + 1);
    vsnprintf(s, (size_t) len + 1, fmt, again);
    va_end(again);
    return s;
}

ProtobufCAllocator *at_arena_allocator(at_arena_t *self)
{
    assert(self);
    return &self->allocator;
}

size_t at_arena_used(const at_arena_t *self)
{
    assert(self);
    return self->used;
}
