/* Unit tests for at_arena: alignment, zeroing, block growth, large
 * allocations, string helpers, reset and the protobuf-c allocator view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "at_arena.h"
#include "pbjson_test.pb-c.h"

#define ALIGN alignof(max_align_t)

static bool s_zeroed(const void *p, size_t len)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < len; i++)
        if (c[i])
            return false;
    return true;
}

static void t_new_destroy(void **state)
{
    (void) state;
    at_arena_destroy(NULL);
    at_arena_t *arena = NULL;
    at_arena_destroy(&arena);
    arena = at_arena_new();
    assert_non_null(arena);
    assert_int_equal(at_arena_used(arena), 0);
    at_arena_destroy(&arena);
    assert_null(arena);
    at_arena_destroy(&arena); /* idempotent */
}

/* Many odd-sized allocations across several blocks: each is aligned, zeroed
 * and keeps its own bytes (no overlap). */
static void t_alignment_and_no_overlap(void **state)
{
    (void) state;
    enum { N = 3000 };
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    at_arena_t *arena = at_arena_new();
    size_t total = 0;
    for (size_t i = 0; i < N; i++) {
        sizes[i] = 1 + (i * 37) % 113;
        ptrs[i] = at_arena_alloc(arena, sizes[i]);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t) ptrs[i] % ALIGN, 0);
        assert_true(s_zeroed(ptrs[i], sizes[i]));
        memset(ptrs[i], (int) (i % 251) + 1, sizes[i]);
        total += sizes[i];
    }
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(ptrs[i][k], (i % 251) + 1);
    assert_int_equal(at_arena_used(arena), total);
    at_arena_destroy(&arena);
}

static void t_zero_size(void **state)
{
    (void) state;
    at_arena_t *arena = at_arena_new();
    void *a = at_arena_alloc(arena, 0);
    void *b = at_arena_alloc(arena, 0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_int_equal(at_arena_used(arena), 0);
    at_arena_destroy(&arena);
}

static void t_large_allocations(void **state)
{
    (void) state;
    at_arena_t *arena = at_arena_new();
    char *small1 = at_arena_alloc(arena, 10);
    memcpy(small1, "before", 7);

    size_t big = 3 * 1024 * 1024 + 5;
    unsigned char *p = at_arena_alloc(arena, big);
    assert_int_equal((uintptr_t) p % ALIGN, 0);
    assert_true(s_zeroed(p, big));
    memset(p, 0xAB, big);

    /* the block in use before the big one keeps being used */
    char *small2 = at_arena_alloc(arena, 10);
    assert_true(small2 > small1 && small2 < small1 + 8 * 1024);
    memcpy(small2, "after", 6);

    /* bigger than the whole first block */
    unsigned char *mid = at_arena_alloc(arena, 9000);
    assert_int_equal((uintptr_t) mid % ALIGN, 0);
    assert_true(s_zeroed(mid, 9000));
    memset(mid, 0xCD, 9000);

    assert_string_equal(small1, "before");
    assert_string_equal(small2, "after");
    assert_int_equal(p[0], 0xAB);
    assert_int_equal(p[big - 1], 0xAB);
    assert_int_equal(mid[8999], 0xCD);
    assert_int_equal(at_arena_used(arena), 10 + big + 10 + 9000);
    at_arena_destroy(&arena);
}

static void t_reset(void **state)
{
    (void) state;
    at_arena_t *arena = at_arena_new();
    unsigned char *first = at_arena_alloc(arena, 64);
    memset(first, 0xFF, 64);
    for (int i = 0; i < 100; i++)
        memset(at_arena_alloc(arena, 1000), 0xEE, 1000); /* several blocks */
    at_arena_alloc(arena, 2 * 1024 * 1024);
    at_arena_reset(arena);
    assert_int_equal(at_arena_used(arena), 0);

    /* the first block is reused, and what it hands out is zeroed again */
    unsigned char *again = at_arena_alloc(arena, 64);
    assert_ptr_equal(again, first);
    assert_true(s_zeroed(again, 64));
    for (int i = 0; i < 100; i++)
        assert_true(s_zeroed(at_arena_alloc(arena, 1000), 1000));
    at_arena_reset(arena);
    at_arena_reset(arena);
    at_arena_destroy(&arena);
}

static void t_strings(void **state)
{
    (void) state;
    at_arena_t *arena = at_arena_new();
    assert_null(at_arena_strdup(arena, NULL));
    assert_null(at_arena_strndup(arena, NULL, 3));

    const char *src = "h\xC3\xA9llo";
    char *copy = at_arena_strdup(arena, src);
    assert_string_equal(copy, src);
    assert_ptr_not_equal(copy, src);
    assert_string_equal(at_arena_strdup(arena, ""), "");

    char *part = at_arena_strndup(arena, "abcdef", 3);
    assert_string_equal(part, "abc");
    /* exactly len bytes, NULs included */
    char *withnul = at_arena_strndup(arena, "a\0b", 3);
    assert_memory_equal(withnul, "a\0b\0", 4);

    assert_string_equal(at_arena_printf(arena, "%s-%d-%05.1f", "x", -42, 3.14159), "x--42-003.1");
    assert_string_equal(at_arena_printf(arena, "%s", ""), "");

    /* longer than the first block */
    enum { LONG = 20000 };
    char *big = malloc(LONG + 1);
    memset(big, 'q', LONG);
    big[LONG] = '\0';
    char *out = at_arena_printf(arena, "<%s>", big);
    assert_int_equal(strlen(out), LONG + 2);
    assert_int_equal(out[0], '<');
    assert_int_equal(out[LONG], 'q');
    assert_int_equal(out[LONG + 1], '>');
    free(big);
    at_arena_destroy(&arena);
}

/* protobuf-c unpacks into the arena and free_unpacked through the view is
 * harmless; destroying the arena frees it all (ASan checks). */
static void t_protobuf_allocator(void **state)
{
    (void) state;
    Attest__Inner child = ATTEST__INNER__INIT;
    child.name = "child";
    Attest__Inner *items[] = {&child, &child};
    char *labels[] = {"a", "bb", "ccc"};
    Attest__All all = ATTEST__ALL__INIT;
    all.text = "text";
    all.has_i64 = 1, all.i64 = -77;
    all.n_labels = 3, all.labels = labels;
    all.n_items = 2, all.items = items;
    all.inner = &child;
    size_t len = attest__all__get_packed_size(&all);
    uint8_t *buf = malloc(len);
    attest__all__pack(&all, buf);

    at_arena_t *arena = at_arena_new();
    ProtobufCAllocator *alloc = at_arena_allocator(arena);
    assert_ptr_equal(alloc, at_arena_allocator(arena));
    Attest__All *back = attest__all__unpack(alloc, len, buf);
    assert_non_null(back);
    assert_string_equal(back->text, "text");
    assert_true(back->i64 == -77);
    assert_int_equal(back->n_labels, 3);
    assert_string_equal(back->labels[2], "ccc");
    assert_string_equal(back->items[1]->name, "child");
    assert_string_equal(back->inner->name, "child");
    assert_int_equal((uintptr_t) back % ALIGN, 0);
    assert_true(at_arena_used(arena) > 0);
    attest__all__free_unpacked(back, alloc); /* a no-op, not a double free */

    void *p = alloc->alloc(alloc->allocator_data, 24);
    assert_int_equal((uintptr_t) p % ALIGN, 0);
    alloc->free(alloc->allocator_data, p);

    at_arena_destroy(&arena);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_new_destroy),
        cmocka_unit_test(t_alignment_and_no_overlap),
        cmocka_unit_test(t_zero_size),
        cmocka_unit_test(t_large_allocations),
        cmocka_unit_test(t_reset),
        cmocka_unit_test(t_strings),
        cmocka_unit_test(t_protobuf_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
