/* Unit tests for at_text: UUID text, UTF-8 well-formedness and length,
 * blankness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "at_text.h"

#define U1 "0b7e3c1a-1f2d-4c5b-9a8e-7d6c5b4a3f21"

static void t_uuid(void **state)
{
    (void) state;
    assert_true(at_text_uuid(U1));
    assert_true(at_text_uuid("0B7E3C1A-1F2D-4C5B-9A8E-7D6C5B4A3F21"));
    assert_false(at_text_uuid(NULL));
    assert_false(at_text_uuid(""));
    assert_false(at_text_uuid("0b7e3c1a1f2d4c5b9a8e7d6c5b4a3f21"));
    assert_false(at_text_uuid("0b7e3c1a-1f2d-4c5b-9a8e-7d6c5b4a3f2g"));
    assert_false(at_text_uuid(U1 "0"));
}

static void t_utf8(void **state)
{
    (void) state;
    assert_int_equal(at_text_utf8_length(""), 0);
    assert_int_equal(at_text_utf8_length("abc"), 3);
    assert_int_equal(at_text_utf8_length("Grüße — 東京 — مرحبا 👋"), 20);
    assert_int_equal(at_text_utf8_length(NULL), -1);
    assert_int_equal(at_text_utf8_length("\xC0\xAF"), -1);         /* overlong '/' */
    assert_int_equal(at_text_utf8_length("\xED\xA0\x80"), -1);     /* surrogate */
    assert_int_equal(at_text_utf8_length("\xF4\x90\x80\x80"), -1); /* > U+10FFFF */
    assert_int_equal(at_text_utf8_length("a\xE6\x9D"), -1);        /* truncated */
    assert_int_equal(at_text_utf8_length("\x80"), -1);
    assert_true(at_text_has_text(" x "));
    assert_false(at_text_has_text(" \t\r\n"));
    assert_false(at_text_has_text(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_uuid),
        cmocka_unit_test(t_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
