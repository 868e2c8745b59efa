/* Unit tests for document_names: the name rules, UTF-8 validation, the
 * escaped ILIKE pattern and the UUID shape check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "document_names.h"

static void t_valid_names(void **state)
{
    (void) state;
    const char *ok[] = {"a",
                        "report.pdf",
                        "Q3 report (final).xlsx",
                        "...",
                        ".hidden",
                        "a..b",
                        "naïve café.txt",
                        "日本語.doc",
                        "emoji 😀.png",
                        "back\\slash",
                        " spaced "};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *why = "unset";
        assert_true(doc_name_valid(ok[i], &why));
    }
    char max[DOC_NAME_MAX + 1];
    memset(max, 'x', DOC_NAME_MAX);
    max[DOC_NAME_MAX] = 0;
    assert_true(doc_name_valid(max, NULL));
}

static void t_invalid_names(void **state)
{
    (void) state;
    struct {
        const char *name, *why;
    } bad[] = {
        {NULL, "empty"},
        {"", "empty"},
        {".", "\".\""},
        {"..", "\".\""},
        {"a/b", "\"/\""},
        {"/", "\"/\""},
        {"tab\there", "control"},
        {"line\nbreak", "control"},
        {"del\x7f", "control"},
        {"c1\xc2\x85", "control"},
        {"bad\xff", "utf-8"},
        {"overlong\xc0\xaf", "utf-8"},
        {"surrogate\xed\xa0\x80", "utf-8"},
        {"cut\xe2\x82", "utf-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        assert_false(doc_name_valid(bad[i].name, &why));
        assert_non_null(why);
        assert_non_null(strstr(why, bad[i].why));
    }
    char over[DOC_NAME_MAX + 2];
    memset(over, 'x', DOC_NAME_MAX + 1);
    over[DOC_NAME_MAX + 1] = 0;
    const char *why = NULL;
    assert_false(doc_name_valid(over, &why));
    assert_non_null(strstr(why, "255"));
    /* 255 bytes is measured in bytes, not characters: 128 two-byte letters */
    char wide[257];
    for (int i = 0; i < 128; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2);
    wide[256] = 0;
    assert_false(doc_name_valid(wide, NULL));
    assert_false(doc_name_valid(NULL, NULL)); /* why may be NULL */
}

static void t_utf8(void **state)
{
    (void) state;
    assert_true(doc_utf8_valid((const unsigned char *) "", 0));
    assert_true(doc_utf8_valid((const unsigned char *) "\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
    assert_false(doc_utf8_valid((const unsigned char *) "\xf4\x90\x80\x80", 4));
    assert_false(doc_utf8_valid((const unsigned char *) "\xe0\x80\x80", 3)); /* overlong */
    assert_false(doc_utf8_valid((const unsigned char *) "\x80", 1));
    assert_true(
        doc_utf8_valid((const unsigned char *) "a\0b", 3)); /* NUL is UTF-8; names refuse it */
}

static void t_like_pattern(void **state)
{
    (void) state;
    char out[64];
    assert_int_equal(doc_like_pattern("abc", out, sizeof out), 5);
    assert_string_equal(out, "%abc%");
    doc_like_pattern("50%_off\\", out, sizeof out);
    assert_string_equal(out, "%50\\%\\_off\\\\%");
    doc_like_pattern("", out, sizeof out);
    assert_string_equal(out, "%%");
    doc_like_pattern(NULL, out, sizeof out);
    assert_string_equal(out, "%%");
    /* exactly fitting and one byte short */
    char small[6];
    assert_int_equal(doc_like_pattern("abc", small, sizeof small), 5);
    assert_int_equal(doc_like_pattern("abcd", small, sizeof small), -1);
    assert_string_equal(small, "");
    char esc[5];
    assert_int_equal(doc_like_pattern("%", esc, sizeof esc), 4);
    assert_int_equal(doc_like_pattern("%%", esc, sizeof esc), -1);
    assert_int_equal(doc_like_pattern("a", out, 0), -1);
}

static void t_uuid(void **state)
{
    (void) state;
    assert_true(doc_is_uuid("0b7e2a3c-4d5e-4f60-8a9b-0c1d2e3f4a5b"));
    assert_true(doc_is_uuid("0B7E2A3C-4D5E-4F60-8A9B-0C1D2E3F4A5B"));
    assert_false(doc_is_uuid(NULL));
    assert_false(doc_is_uuid(""));
    assert_false(doc_is_uuid("../../etc/passwd"));
    assert_false(doc_is_uuid("0b7e2a3c-4d5e-4f60-8a9b-0c1d2e3f4a5"));
    assert_false(doc_is_uuid("0b7e2a3c-4d5e-4f60-8a9b-0c1d2e3f4a5bb"));
    assert_false(doc_is_uuid("0b7e2a3c04d5e-4f60-8a9b-0c1d2e3f4a5b"));
    assert_false(doc_is_uuid("0b7e2a3c-4d5e-4f60-8a9b-0c1d2e3f4a/b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_valid_names), cmocka_unit_test(t_invalid_names),
        cmocka_unit_test(t_utf8),        cmocka_unit_test(t_like_pattern),
        cmocka_unit_test(t_uuid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
