/* Unit tests for at_pbjson: round trips of every field type, the error path
 * of each kind of bad member, presence rules and set_from_text.
 * Not a fuzzer: inputs are the cases the header promises something about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "at_arena.h"
#include "at_pbjson.h"
#include "pbjson_test.pb-c.h"

static json_t *s_load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!j)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    return j;
}

static char *s_dump(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    return s;
}

/* Decodes text as an All with malloc; the caller frees with free_unpacked. */
static Attest__All *s_decode_all(const char *text)
{
    json_t *j = s_load(text);
    ProtobufCMessage *m = NULL;
    char *err = NULL;
    int rc = at_pbjson_decode(&attest__all__descriptor, j, NULL, &m, &err);
    if (rc != 0)
        fail_msg("decode of %s failed at \"%s\"", text, err ? err : "(null)");
    json_decref(j);
    assert_null(err);
    assert_non_null(m);
    return (Attest__All *) m;
}

static void s_free_all(Attest__All *msg)
{
    protobuf_c_message_free_unpacked(&msg->base, NULL);
}

/* The decode of text fails at path, with malloc and with an arena alike. */
static void s_expect_error(const ProtobufCMessageDescriptor *desc, const char *text,
                           const char *path)
{
    json_t *j = s_load(text);
    at_arena_t *arena = at_arena_new();
    ProtobufCAllocator *allocs[] = {NULL, at_arena_allocator(arena)};
    for (size_t i = 0; i < 2; i++) {
        ProtobufCMessage *m = (ProtobufCMessage *) &m; /* must be reset */
        char *err = NULL;
        int rc = at_pbjson_decode(desc, j, allocs[i], &m, &err);
        if (rc != -1)
            fail_msg("decode of %s should fail at %s", text, path);
        assert_null(m);
        assert_non_null(err);
        if (strcmp(err, path))
            fail_msg("decode of %s failed at \"%s\", expected \"%s\"", text, err, path);
        free(err);
        /* err_field may be NULL: still -1, nothing leaks */
        assert_int_equal(at_pbjson_decode(desc, j, allocs[i], &m, NULL), -1);
        assert_null(m);
    }
    at_arena_destroy(&arena);
    json_decref(j);
}

static const uint8_t s_binary[] = {0x00, 0xff, 0x00, 'a', 0x80};

static void s_fill_all(Attest__All *a)
{
    a->has_i32 = 1, a->i32 = -2147483647 - 1;
    a->has_i64 = 1, a->i64 = INT64_MIN;
    a->has_u32 = 1, a->u32 = 4294967295u;
    a->has_u64 = 1, a->u64 = INT64_MAX;
    a->has_s32 = 1, a->s32 = -5;
    a->has_s64 = 1, a->s64 = -6000000000LL;
    a->has_f32 = 1, a->f32 = 7;
    a->has_f64 = 1, a->f64 = 8000000000ULL;
    a->has_sf32 = 1, a->sf32 = 2147483647;
    a->has_sf64 = 1, a->sf64 = INT64_MAX;
    a->has_fl = 1, a->fl = 1.5f;
    a->has_db = 1, a->db = -0.25;
    a->has_flag = 1, a->flag = 1;
    a->text = "h\xC3\xA9llo \xE2\x82\xAC"; /* "héllo €" */
    a->has_blob = 1, a->blob.data = (uint8_t *) s_binary, a->blob.len = sizeof s_binary;
    a->has_colour = 1, a->colour = ATTEST__COLOUR__DARK_BLUE;
}

static void s_check_all(const Attest__All *a)
{
    assert_true(a->has_i32 && a->i32 == -2147483647 - 1);
    assert_true(a->has_i64 && a->i64 == INT64_MIN);
    assert_true(a->has_u32 && a->u32 == 4294967295u);
    assert_true(a->has_u64 && a->u64 == INT64_MAX);
    assert_true(a->has_s32 && a->s32 == -5);
    assert_true(a->has_s64 && a->s64 == -6000000000LL);
    assert_true(a->has_f32 && a->f32 == 7);
    assert_true(a->has_f64 && a->f64 == 8000000000ULL);
    assert_true(a->has_sf32 && a->sf32 == 2147483647);
    assert_true(a->has_sf64 && a->sf64 == INT64_MAX);
    assert_true(a->has_fl && a->fl == 1.5f);
    assert_true(a->has_db && a->db == -0.25);
    assert_true(a->has_flag && a->flag == 1);
    assert_string_equal(a->text, "h\xC3\xA9llo \xE2\x82\xAC");
    assert_true(a->has_blob);
    assert_int_equal(a->blob.len, sizeof s_binary);
    assert_memory_equal(a->blob.data, s_binary, sizeof s_binary);
    assert_true(a->has_colour && a->colour == ATTEST__COLOUR__DARK_BLUE);
}

static void t_scalars_round_trip(void **state)
{
    (void) state;
    Attest__All all = ATTEST__ALL__INIT;
    s_fill_all(&all);
    json_t *j = at_pbjson_encode(&all.base, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "i32")), -2147483647 - 1);
    assert_int_equal(json_integer_value(json_object_get(j, "i64")), INT64_MIN);
    assert_int_equal(json_integer_value(json_object_get(j, "u32")), 4294967295LL);
    assert_int_equal(json_integer_value(json_object_get(j, "s64")), -6000000000LL);
    assert_int_equal(json_integer_value(json_object_get(j, "f64")), 8000000000LL);
    assert_true(json_is_real(json_object_get(j, "fl")));
    assert_true(json_real_value(json_object_get(j, "fl")) == 1.5);
    assert_true(json_real_value(json_object_get(j, "db")) == -0.25);
    assert_true(json_is_true(json_object_get(j, "flag")));
    assert_string_equal(json_string_value(json_object_get(j, "text")), all.text);
    assert_string_equal(json_string_value(json_object_get(j, "blob")), "AP8AYYA=");
    assert_string_equal(json_string_value(json_object_get(j, "colour")), "dark_blue");

    /* through text and back, with malloc and with an arena */
    char *text = s_dump(j);
    Attest__All *back = s_decode_all(text);
    s_check_all(back);
    s_free_all(back);

    at_arena_t *arena = at_arena_new();
    ProtobufCMessage *m = NULL;
    assert_int_equal(
        at_pbjson_decode(&attest__all__descriptor, j, at_arena_allocator(arena), &m, NULL), 0);
    s_check_all((Attest__All *) m);
    json_t *again = at_pbjson_encode(m, NULL);
    assert_true(json_equal(j, again));
    json_decref(again);
    at_arena_destroy(&arena);

    free(text);
    json_decref(j);
}

static void t_field_order_and_compact_text(void **state)
{
    (void) state;
    Attest__Inner inner = ATTEST__INNER__INIT;
    inner.name = "a";
    inner.has_n = 1, inner.n = 3;
    json_t *j = at_pbjson_encode(&inner.base, NULL);
    char *s = s_dump(j);
    assert_string_equal(s, "{\"name\":\"a\",\"n\":3}");
    free(s);
    json_decref(j);
    assert_null(at_pbjson_encode(NULL, NULL));
}

static void t_repeated_and_nested_round_trip(void **state)
{
    (void) state;
    const char *text = "{\"labels\":[\"x\",\"\",\"z\"],\"nums\":[1,-2,3],"
                       "\"colours\":[\"red\",\"colour_unspecified\"],"
                       "\"blobs\":[\"\",\"AA==\",\"YWJj\"],"
                       "\"items\":[{\"name\":\"one\"},{\"n\":2,\"child\":{\"colour\":\"red\"}}],"
                       "\"inner\":{\"name\":\"in\"}}";
    Attest__All *a = s_decode_all(text);
    assert_int_equal(a->n_labels, 3);
    assert_string_equal(a->labels[0], "x");
    assert_string_equal(a->labels[1], "");
    assert_string_equal(a->labels[2], "z");
    assert_int_equal(a->n_nums, 3);
    assert_int_equal(a->nums[1], -2);
    assert_int_equal(a->n_colours, 2);
    assert_int_equal(a->colours[0], ATTEST__COLOUR__RED);
    assert_int_equal(a->colours[1], ATTEST__COLOUR__COLOUR_UNSPECIFIED);
    assert_int_equal(a->n_blobs, 3);
    assert_int_equal(a->blobs[0].len, 0);
    assert_int_equal(a->blobs[1].len, 1);
    assert_int_equal(a->blobs[1].data[0], 0);
    assert_int_equal(a->blobs[2].len, 3);
    assert_memory_equal(a->blobs[2].data, "abc", 3);
    assert_int_equal(a->n_items, 2);
    assert_string_equal(a->items[0]->name, "one");
    assert_false(a->items[0]->has_n);
    assert_null(a->items[0]->child);
    assert_true(a->items[1]->has_n && a->items[1]->n == 2);
    assert_true(a->items[1]->child->has_colour);
    assert_int_equal(a->items[1]->child->colour, ATTEST__COLOUR__RED);
    assert_string_equal(a->inner->name, "in");

    json_t *j = at_pbjson_encode(&a->base, NULL);
    json_t *want = s_load(text);
    /* encode writes every repeated field; all of them are in text */
    assert_true(json_equal(j, want));
    json_decref(want);
    json_decref(j);
    s_free_all(a);
}

static void t_absent_fields_omitted(void **state)
{
    (void) state;
    Attest__All all = ATTEST__ALL__INIT;
    json_t *j = at_pbjson_encode(&all.base, NULL);
    char *s = s_dump(j);
    /* only the repeated fields, as empty arrays; the default "hello" and 20
     * were never set, so they are absent as on the wire */
    assert_string_equal(s, "{\"labels\":[],\"items\":[],\"nums\":[],\"blobs\":[],\"colours\":[]}");
    free(s);
    json_decref(j);

    /* has_x false hides a non-zero value; a set default-valued field shows */
    all.i32 = 5;
    all.has_limit = 1;
    j = at_pbjson_encode(&all.base, NULL);
    assert_null(json_object_get(j, "i32"));
    assert_int_equal(json_integer_value(json_object_get(j, "limit")), 20);
    json_decref(j);
}

static void t_null_fields(void **state)
{
    (void) state;
    const char *const nulls[] = {"next_cursor", NULL};
    Attest__Inner inner = ATTEST__INNER__INIT;
    Attest__All all = ATTEST__ALL__INIT;
    all.inner = &inner;
    json_t *j = at_pbjson_encode(&all.base, nulls);
    assert_true(json_is_null(json_object_get(j, "next_cursor")));
    /* at any depth */
    assert_true(json_is_null(json_object_get(json_object_get(j, "inner"), "next_cursor")));
    /* only the listed ones */
    assert_null(json_object_get(j, "text"));
    assert_null(json_object_get(json_object_get(j, "inner"), "name"));
    json_decref(j);

    all.next_cursor = "c2";
    j = at_pbjson_encode(&all.base, nulls);
    assert_string_equal(json_string_value(json_object_get(j, "next_cursor")), "c2");
    json_decref(j);

    /* without the list an absent field is simply missing */
    j = at_pbjson_encode(&inner.base, NULL);
    assert_int_equal(json_object_size(j), 0);
    json_decref(j);
}

static void t_unknown_members_ignored(void **state)
{
    (void) state;
    Attest__All *a = s_decode_all("{\"bogus\":1,\"text\":\"x\",\"deep\":{\"a\":[1,{}]},"
                                  "\"inner\":{\"nope\":true,\"n\":4}}");
    assert_string_equal(a->text, "x");
    assert_true(a->inner->has_n && a->inner->n == 4);
    assert_false(a->has_i32);
    s_free_all(a);
}

static void t_null_leaves_absent(void **state)
{
    (void) state;
    Attest__All *a = s_decode_all("{\"i32\":null,\"text\":null,\"inner\":null,\"labels\":null,"
                                  "\"blob\":null,\"colour\":null,\"greeting\":null,"
                                  "\"limit\":null,\"pick_num\":null}");
    assert_false(a->has_i32);
    assert_null(a->text);
    assert_null(a->inner);
    assert_int_equal(a->n_labels, 0);
    assert_null(a->labels);
    assert_false(a->has_blob);
    assert_false(a->has_colour);
    assert_int_equal(a->pick_case, ATTEST__ALL__PICK__NOT_SET);
    /* defaults from the descriptor stay */
    assert_string_equal(a->greeting, "hello");
    assert_false(a->has_limit);
    assert_int_equal(a->limit, 20);
    s_free_all(a);
}

static void t_type_errors_name_the_field(void **state)
{
    (void) state;
    static const struct {
        const char *json, *path;
    } cases[] = {
        {"{\"i32\":\"1\"}", "i32"},
        {"{\"i32\":1.0}", "i32"},
        {"{\"i64\":1.5}", "i64"},
        {"{\"u32\":true}", "u32"},
        {"{\"u64\":\"7\"}", "u64"},
        {"{\"s32\":[]}", "s32"},
        {"{\"s64\":{}}", "s64"},
        {"{\"f32\":\"x\"}", "f32"},
        {"{\"f64\":false}", "f64"},
        {"{\"sf32\":\"x\"}", "sf32"},
        {"{\"sf64\":\"x\"}", "sf64"},
        {"{\"fl\":true}", "fl"},
        {"{\"db\":\"1.0\"}", "db"},
        {"{\"flag\":1}", "flag"},
        {"{\"flag\":\"true\"}", "flag"},
        {"{\"text\":5}", "text"},
        {"{\"text\":\"a\\u0000b\"}", "text"},
        {"{\"blob\":7}", "blob"},
        {"{\"colour\":1}", "colour"},
        {"{\"inner\":[1]}", "inner"},
        {"{\"inner\":\"x\"}", "inner"},
        {"{\"inner\":{\"n\":\"x\"}}", "inner.n"},
        {"{\"inner\":{\"child\":{\"child\":{\"name\":[]}}}}", "inner.child.child.name"},
        {"{\"labels\":\"a\"}", "labels"},
        {"{\"labels\":{\"0\":\"a\"}}", "labels"},
        {"{\"labels\":[\"a\",\"b\",3]}", "labels[2]"},
        {"{\"labels\":[null]}", "labels[0]"},
        {"{\"nums\":[1,2,2147483648]}", "nums[2]"},
        {"{\"colours\":[\"red\",\"RED\"]}", "colours[1]"},
        {"{\"blobs\":[\"AA==\",\"A\"]}", "blobs[1]"},
        {"{\"items\":[{},{\"name\":1}]}", "items[1].name"},
        {"{\"items\":[{},{},5]}", "items[2]"},
        {"{\"items\":[{\"child\":{\"colour\":\"green\"}}]}", "items[0].child.colour"},
        /* two members of one oneof: the second is at fault */
        {"{\"pick_text\":\"a\",\"pick_num\":1}", "pick_num"},
        {"{\"pick_text\":7}", "pick_text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_expect_error(&attest__all__descriptor, cases[i].json, cases[i].path);
}

/* A failure after strings, arrays and sub-messages were built frees them
 * (ASan's leak check holds this test to it). */
static void t_error_after_allocations_frees(void **state)
{
    (void) state;
    s_expect_error(&attest__all__descriptor,
                   "{\"text\":\"t\",\"blob\":\"YWJj\",\"inner\":{\"name\":\"n\",\"child\":{}},"
                   "\"labels\":[\"a\",\"b\"],\"items\":[{\"name\":\"x\"},{\"name\":\"y\","
                   "\"child\":{\"name\":\"z\",\"n\":\"bad\"}}],\"pick_text\":\"p\"}",
                   "items[1].child.n");
    s_expect_error(&attest__all__descriptor, "{\"pick_text\":\"p\",\"blobs\":[\"YQ==\",\"YQ\"]}",
                   "blobs[1]");
}

static void t_integer_ranges(void **state)
{
    (void) state;
    Attest__All *a = s_decode_all("{\"i32\":2147483647,\"s32\":-2147483648,\"sf32\":-1,"
                                  "\"u32\":4294967295,\"f32\":0,"
                                  "\"i64\":-9223372036854775808,\"u64\":9223372036854775807,"
                                  "\"f64\":0,\"sf64\":9223372036854775807,\"s64\":-1}");
    assert_int_equal(a->i32, INT32_MAX);
    assert_int_equal(a->s32, INT32_MIN);
    assert_int_equal(a->sf32, -1);
    assert_int_equal(a->u32, UINT32_MAX);
    assert_true(a->i64 == INT64_MIN);
    assert_true(a->u64 == (uint64_t) INT64_MAX);
    assert_true(a->sf64 == INT64_MAX);
    s_free_all(a);

    s_expect_error(&attest__all__descriptor, "{\"i32\":2147483648}", "i32");
    s_expect_error(&attest__all__descriptor, "{\"i32\":-2147483649}", "i32");
    s_expect_error(&attest__all__descriptor, "{\"s32\":9223372036854775807}", "s32");
    s_expect_error(&attest__all__descriptor, "{\"sf32\":2147483648}", "sf32");
    s_expect_error(&attest__all__descriptor, "{\"u32\":4294967296}", "u32");
    s_expect_error(&attest__all__descriptor, "{\"u32\":-1}", "u32");
    s_expect_error(&attest__all__descriptor, "{\"f32\":-1}", "f32");
    s_expect_error(&attest__all__descriptor, "{\"u64\":-1}", "u64");
    s_expect_error(&attest__all__descriptor, "{\"f64\":-9223372036854775808}", "f64");
    s_expect_error(&attest__all__descriptor, "{\"fl\":1e39}", "fl");
}

static void t_uint64_clamped_and_non_finite(void **state)
{
    (void) state;
    Attest__All all = ATTEST__ALL__INIT;
    all.has_u64 = 1, all.u64 = UINT64_MAX;
    all.has_f64 = 1, all.f64 = (uint64_t) INT64_MAX + 1;
    all.has_db = 1, all.db = NAN;
    all.has_fl = 1, all.fl = INFINITY;
    json_t *j = at_pbjson_encode(&all.base, NULL);
    assert_true(json_integer_value(json_object_get(j, "u64")) == INT64_MAX);
    assert_true(json_integer_value(json_object_get(j, "f64")) == INT64_MAX);
    assert_true(json_is_null(json_object_get(j, "db")));
    assert_true(json_is_null(json_object_get(j, "fl")));
    json_decref(j);

    /* floats take integers too */
    Attest__All *a = s_decode_all("{\"fl\":2,\"db\":-3}");
    assert_true(a->fl == 2.0f && a->db == -3.0);
    s_free_all(a);
}

static void t_bytes_base64(void **state)
{
    (void) state;
    static const struct {
        const char *b64;
        const char *raw;
        size_t len;
    } good[] = {
        {"", "", 0},
        {"YQ==", "a", 1},
        {"YWI=", "ab", 2},
        {"YWJj", "abc", 3},
        {"AAAA", "\0\0\0", 3},
        {"AP8AYYA=",
         "\x00\xff\x00"
         "a\x80",
         5},
        {"+/+/", "\xfb\xff\xbf", 3},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        /* decode */
        json_t *obj = json_pack("{ss}", "blob", good[i].b64);
        ProtobufCMessage *m = NULL;
        assert_int_equal(at_pbjson_decode(&attest__all__descriptor, obj, NULL, &m, NULL), 0);
        Attest__All *a = (Attest__All *) m;
        assert_true(a->has_blob);
        assert_int_equal(a->blob.len, good[i].len);
        if (good[i].len)
            assert_memory_equal(a->blob.data, good[i].raw, good[i].len);
        /* and encode gives the same text back */
        json_t *j = at_pbjson_encode(m, NULL);
        assert_string_equal(json_string_value(json_object_get(j, "blob")), good[i].b64);
        json_decref(j);
        s_free_all(a);
        json_decref(obj);
    }

    /* all 256 byte values survive */
    uint8_t every[256];
    for (size_t i = 0; i < 256; i++)
        every[i] = (uint8_t) i;
    Attest__All all = ATTEST__ALL__INIT;
    all.has_blob = 1, all.blob.data = every, all.blob.len = sizeof every;
    json_t *j = at_pbjson_encode(&all.base, NULL);
    ProtobufCMessage *m = NULL;
    assert_int_equal(at_pbjson_decode(&attest__all__descriptor, j, NULL, &m, NULL), 0);
    assert_int_equal(((Attest__All *) m)->blob.len, 256);
    assert_memory_equal(((Attest__All *) m)->blob.data, every, 256);
    protobuf_c_message_free_unpacked(m, NULL);
    json_decref(j);

    static const char *const bad[] = {
        "YQ=",      "YQ",   "Y",    "Y Q==", " YQ==", "YQ==\n",
        "YQ==YQ==", "=YQ=", "Y===", "====",  "YQ-_",  "YWJj*A==",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *obj = json_pack("{ss}", "blob", bad[i]);
        char *text = s_dump(obj);
        s_expect_error(&attest__all__descriptor, text, "blob");
        free(text);
        json_decref(obj);
    }
}

static void t_enums(void **state)
{
    (void) state;
    Attest__All *a = s_decode_all("{\"colour\":\"red\",\"inner\":{\"colour\":\"dark_blue\"}}");
    assert_true(a->has_colour && a->colour == ATTEST__COLOUR__RED);
    assert_int_equal(a->inner->colour, ATTEST__COLOUR__DARK_BLUE);
    s_free_all(a);

    s_expect_error(&attest__all__descriptor, "{\"colour\":\"RED\"}", "colour");
    s_expect_error(&attest__all__descriptor, "{\"colour\":\"Red\"}", "colour");
    s_expect_error(&attest__all__descriptor, "{\"colour\":\"green\"}", "colour");
    s_expect_error(&attest__all__descriptor, "{\"colour\":\"re\"}", "colour");
    s_expect_error(&attest__all__descriptor, "{\"colour\":\"redd\"}", "colour");
    s_expect_error(&attest__all__descriptor, "{\"colour\":\"red\\u0000\"}", "colour");
    s_expect_error(&attest__all__descriptor, "{\"colour\":\"\"}", "colour");

    /* a value the descriptor does not know stays a number */
    Attest__All all = ATTEST__ALL__INIT;
    all.has_colour = 1, all.colour = 99;
    json_t *j = at_pbjson_encode(&all.base, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "colour")), 99);
    json_decref(j);
}

static void t_strings(void **state)
{
    (void) state;
    /* jansson checks UTF-8 when parsing; a json_t built without the check
     * must still not get through */
    json_t *obj = json_object();
    json_object_set_new(obj, "text",
                        json_stringn_nocheck("a\xff"
                                             "b",
                                             3));
    ProtobufCMessage *m = &(ProtobufCMessage){0};
    char *err = NULL;
    assert_int_equal(at_pbjson_decode(&attest__all__descriptor, obj, NULL, &m, &err), -1);
    assert_null(m);
    assert_string_equal(err, "text");
    free(err);
    json_object_set_new(obj, "text", json_stringn_nocheck("\xed\xa0\x80", 3)); /* surrogate */
    assert_int_equal(at_pbjson_decode(&attest__all__descriptor, obj, NULL, &m, NULL), -1);
    json_object_set_new(obj, "text", json_stringn_nocheck("\xc0\xaf", 2)); /* overlong */
    assert_int_equal(at_pbjson_decode(&attest__all__descriptor, obj, NULL, &m, NULL), -1);
    json_decref(obj);

    /* a stored string that is not UTF-8 still encodes */
    Attest__All all = ATTEST__ALL__INIT;
    all.text = "a\xff"
               "b\xe2\x82";
    json_t *j = at_pbjson_encode(&all.base, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "text")), "a\xEF\xBF\xBD"
                                                                       "b\xEF\xBF\xBD\xEF\xBF\xBD");
    json_decref(j);

    /* 4-byte sequences are fine */
    Attest__All *a = s_decode_all("{\"text\":\"\\ud83d\\ude00 ok\"}");
    assert_string_equal(a->text, "\xF0\x9F\x98\x80 ok");
    s_free_all(a);
}

static void t_non_object_refused(void **state)
{
    (void) state;
    s_expect_error(&attest__all__descriptor, "[]", "");
    s_expect_error(&attest__all__descriptor, "[{\"text\":\"a\"}]", "");
    s_expect_error(&attest__all__descriptor, "\"text\"", "");
    s_expect_error(&attest__all__descriptor, "3", "");
    s_expect_error(&attest__all__descriptor, "null", "");

    ProtobufCMessage *m = &(ProtobufCMessage){0};
    char *err = NULL;
    assert_int_equal(at_pbjson_decode(&attest__all__descriptor, NULL, NULL, &m, &err), -1);
    assert_null(m);
    assert_string_equal(err, "");
    free(err);
}

static void t_oneof(void **state)
{
    (void) state;
    Attest__All *a = s_decode_all("{\"pick_text\":\"p\"}");
    assert_int_equal(a->pick_case, ATTEST__ALL__PICK_PICK_TEXT);
    assert_string_equal(a->pick_text, "p");
    json_t *j = at_pbjson_encode(&a->base, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "pick_text")), "p");
    assert_null(json_object_get(j, "pick_num"));
    json_decref(j);
    s_free_all(a);

    a = s_decode_all("{\"pick_num\":0,\"pick_text\":null}");
    assert_int_equal(a->pick_case, ATTEST__ALL__PICK_PICK_NUM);
    assert_int_equal(a->pick_num, 0);
    j = at_pbjson_encode(&a->base, NULL);
    assert_int_equal(json_integer_value(json_object_get(j, "pick_num")), 0);
    assert_null(json_object_get(j, "pick_text"));
    json_decref(j);
    s_free_all(a);
}

static void t_required_fields(void **state)
{
    (void) state;
    /* always written when scalar; a NULL required string cannot be */
    Attest__Strict st = ATTEST__STRICT__INIT;
    json_t *j = at_pbjson_encode(&st.base, NULL);
    char *s = s_dump(j);
    assert_string_equal(s, "{\"version\":0}");
    free(s);
    json_decref(j);

    /* decode leaves presence of required fields to protobuf_c_message_check */
    json_t *obj = s_load("{\"note\":\"n\"}");
    ProtobufCMessage *m = NULL;
    assert_int_equal(at_pbjson_decode(&attest__strict__descriptor, obj, NULL, &m, NULL), 0);
    assert_false(protobuf_c_message_check(m));
    assert_int_equal(at_pbjson_set_from_text(m, "id", "d-1", NULL), 0);
    assert_true(protobuf_c_message_check(m));
    assert_string_equal(((Attest__Strict *) m)->id, "d-1");
    protobuf_c_message_free_unpacked(m, NULL);
    json_decref(obj);

    obj = s_load("{\"id\":\"x\",\"version\":3}");
    assert_int_equal(at_pbjson_decode(&attest__strict__descriptor, obj, NULL, &m, NULL), 0);
    assert_true(protobuf_c_message_check(m));
    assert_int_equal(((Attest__Strict *) m)->version, 3);
    protobuf_c_message_free_unpacked(m, NULL);
    json_decref(obj);

    s_expect_error(&attest__strict__descriptor, "{\"id\":\"x\",\"version\":\"3\"}", "version");
}

/* set_from_text against one message with a given allocator. */
static void s_set_from_text_cases(Attest__All *a, ProtobufCAllocator *alloc)
{
    ProtobufCMessage *m = &a->base;
#define SET(name, text) at_pbjson_set_from_text(m, name, text, alloc)
    assert_int_equal(SET("i32", "42"), 0);
    assert_true(a->has_i32 && a->i32 == 42);
    assert_int_equal(SET("i32", "-2147483648"), 0);
    assert_int_equal(a->i32, INT32_MIN);
    static const char *const bad_ints[] = {
        "2147483648", "-2147483649", "12a", "", " 1", "1 ", "+1", "-", "0x10", "1.0", "1e3",
    };
    for (size_t i = 0; i < sizeof bad_ints / sizeof bad_ints[0]; i++)
        assert_int_equal(SET("i32", bad_ints[i]), -1);
    assert_int_equal(a->i32, INT32_MIN); /* unchanged by the failures */

    assert_int_equal(SET("s32", "-9"), 0);
    assert_int_equal(a->s32, -9);
    assert_int_equal(SET("sf32", "7"), 0);
    assert_int_equal(a->sf32, 7);
    assert_int_equal(SET("u32", "4294967295"), 0);
    assert_int_equal(a->u32, UINT32_MAX);
    assert_int_equal(SET("u32", "4294967296"), -1);
    assert_int_equal(SET("u32", "-1"), -1);
    assert_int_equal(SET("f32", "5"), 0);
    assert_int_equal(a->f32, 5);
    assert_int_equal(SET("i64", "-9223372036854775808"), 0);
    assert_true(a->has_i64 && a->i64 == INT64_MIN);
    assert_int_equal(SET("i64", "9223372036854775808"), -1);
    assert_int_equal(SET("s64", "123456789012"), 0);
    assert_true(a->s64 == 123456789012LL);
    assert_int_equal(SET("sf64", "-1"), 0);
    assert_true(a->sf64 == -1);
    assert_int_equal(SET("u64", "18446744073709551615"), 0);
    assert_true(a->has_u64 && a->u64 == UINT64_MAX);
    assert_int_equal(SET("u64", "18446744073709551616"), -1);
    assert_int_equal(SET("u64", "-1"), -1);
    assert_int_equal(SET("f64", "8"), 0);
    assert_true(a->f64 == 8);

    assert_int_equal(SET("flag", "true"), 0);
    assert_true(a->has_flag && a->flag);
    assert_int_equal(SET("flag", "0"), 0);
    assert_false(a->flag);
    assert_int_equal(SET("flag", "1"), 0);
    assert_true(a->flag);
    assert_int_equal(SET("flag", "false"), 0);
    assert_false(a->flag);
    assert_int_equal(SET("flag", "yes"), -1);
    assert_int_equal(SET("flag", "TRUE"), -1);

    assert_int_equal(SET("fl", "1.5"), 0);
    assert_true(a->has_fl && a->fl == 1.5f);
    assert_int_equal(SET("fl", "1e39"), -1);
    assert_int_equal(SET("db", "-2.25"), 0);
    assert_true(a->has_db && a->db == -2.25);
    assert_int_equal(SET("db", "nan"), -1);
    assert_int_equal(SET("db", "inf"), -1);
    assert_int_equal(SET("db", "1e999"), -1);
    assert_int_equal(SET("db", "2x"), -1);
    assert_int_equal(SET("db", "0x10"), -1);
    assert_int_equal(SET("db", "-inf"), -1);
    assert_int_equal(SET("db", " 1"), -1);
    assert_int_equal(SET("db", ""), -1);

    assert_int_equal(SET("text", "first"), 0);
    assert_string_equal(a->text, "first");
    assert_int_equal(SET("text", "second"), 0); /* the first is freed */
    assert_string_equal(a->text, "second");
    assert_int_equal(SET("text", "bad \xff"), -1);
    assert_string_equal(a->text, "second");
    assert_int_equal(SET("greeting", "hi"), 0); /* replaces the static default */
    assert_string_equal(a->greeting, "hi");

    assert_int_equal(SET("colour", "dark_blue"), 0);
    assert_true(a->has_colour && a->colour == ATTEST__COLOUR__DARK_BLUE);
    assert_int_equal(SET("colour", "DARK_BLUE"), -1);
    assert_int_equal(SET("colour", "blue"), -1);

    assert_int_equal(SET("blob", "AP8="), 0);
    assert_true(a->has_blob && a->blob.len == 2);
    assert_memory_equal(a->blob.data, "\x00\xff", 2);
    assert_int_equal(SET("blob", "YWJj"), 0);
    assert_memory_equal(a->blob.data, "abc", 3);
    assert_int_equal(SET("blob", "YWJ"), -1);

    assert_int_equal(SET("labels", "a"), 0);
    assert_int_equal(SET("labels", "b"), 0);
    assert_int_equal(a->n_labels, 2);
    assert_string_equal(a->labels[0], "a");
    assert_string_equal(a->labels[1], "b");
    assert_int_equal(SET("nums", "1"), 0);
    assert_int_equal(SET("nums", "x"), -1);
    assert_int_equal(SET("nums", "2"), 0);
    assert_int_equal(a->n_nums, 2);
    assert_int_equal(a->nums[0], 1);
    assert_int_equal(a->nums[1], 2);
    assert_int_equal(SET("colours", "red"), 0);
    assert_int_equal(a->colours[0], ATTEST__COLOUR__RED);
    assert_int_equal(SET("blobs", "YQ=="), 0);
    assert_int_equal(a->blobs[0].len, 1);

    assert_int_equal(SET("pick_text", "p"), 0);
    assert_int_equal(a->pick_case, ATTEST__ALL__PICK_PICK_TEXT);
    assert_int_equal(SET("pick_text", "q"), 0);
    assert_string_equal(a->pick_text, "q");
    assert_int_equal(SET("pick_num", "3"), -1); /* the oneof is taken */

    assert_int_equal(SET("inner", "x"), -1); /* messages have no text form */
    assert_int_equal(SET("items", "x"), -1);
    assert_int_equal(SET("nope", "1"), 1);
    assert_int_equal(SET("i32", NULL), -1);
#undef SET
}

static void t_set_from_text(void **state)
{
    (void) state;
    /* malloc: free_unpacked must free every string, array and blob */
    Attest__All *a = s_decode_all("{}");
    s_set_from_text_cases(a, NULL);
    s_free_all(a);

    /* a message unpacked by protobuf-c itself */
    a = attest__all__unpack(NULL, 0, NULL);
    assert_non_null(a);
    s_set_from_text_cases(a, NULL);
    s_free_all(a);

    at_arena_t *arena = at_arena_new();
    ProtobufCMessage *m = NULL;
    json_t *empty = json_object();
    assert_int_equal(
        at_pbjson_decode(&attest__all__descriptor, empty, at_arena_allocator(arena), &m, NULL), 0);
    s_set_from_text_cases((Attest__All *) m, at_arena_allocator(arena));
    json_decref(empty);
    at_arena_destroy(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_scalars_round_trip),
        cmocka_unit_test(t_field_order_and_compact_text),
        cmocka_unit_test(t_repeated_and_nested_round_trip),
        cmocka_unit_test(t_absent_fields_omitted),
        cmocka_unit_test(t_null_fields),
        cmocka_unit_test(t_unknown_members_ignored),
        cmocka_unit_test(t_null_leaves_absent),
        cmocka_unit_test(t_type_errors_name_the_field),
        cmocka_unit_test(t_error_after_allocations_frees),
        cmocka_unit_test(t_integer_ranges),
        cmocka_unit_test(t_uint64_clamped_and_non_finite),
        cmocka_unit_test(t_bytes_base64),
        cmocka_unit_test(t_enums),
        cmocka_unit_test(t_strings),
        cmocka_unit_test(t_non_object_refused),
        cmocka_unit_test(t_oneof),
        cmocka_unit_test(t_required_fields),
        cmocka_unit_test(t_set_from_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
