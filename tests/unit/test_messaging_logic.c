/* Unit tests for messaging_logic: body, subject, about and mention checks,
 * cursor keys and permissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messaging_logic.h"

#define U1 "0b7e3c1a-1f2d-4c5b-9a8e-7d6c5b4a3f21"
#define U2 "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"

static void t_body(void **state)
{
    (void) state;
    assert_int_equal(messaging_body_check("Grüße — 東京 — مرحبا 👋"), MESSAGING_BODY_OK);
    assert_int_equal(messaging_body_check("x"), MESSAGING_BODY_OK);
    assert_int_equal(messaging_body_check("  line one\n\tline two  "), MESSAGING_BODY_OK);
    assert_int_equal(messaging_body_check(NULL), MESSAGING_BODY_EMPTY);
    assert_int_equal(messaging_body_check(""), MESSAGING_BODY_EMPTY);
    assert_int_equal(messaging_body_check(" \r\n\t "), MESSAGING_BODY_EMPTY);
    assert_int_equal(messaging_body_check("bad \xFF byte"), MESSAGING_BODY_NOT_UTF8);
    assert_int_equal(messaging_body_check("\xED\xA0\x80"), MESSAGING_BODY_NOT_UTF8);

    /* the limit is in bytes: 20000 one-byte characters pass, one more fails */
    char *big = malloc(MESSAGING_BODY_MAX + 8);
    memset(big, 'a', MESSAGING_BODY_MAX);
    big[MESSAGING_BODY_MAX] = 0;
    assert_int_equal(messaging_body_check(big), MESSAGING_BODY_OK);
    big[MESSAGING_BODY_MAX] = 'a';
    big[MESSAGING_BODY_MAX + 1] = 0;
    assert_int_equal(messaging_body_check(big), MESSAGING_BODY_TOO_LONG);
    /* 6667 three-byte characters are 20001 bytes */
    for (int i = 0; i < 6667; i++)
        memcpy(big + 3 * i, "\xE6\x9D\xB1", 3);
    big[20001] = 0;
    assert_int_equal(messaging_body_check(big), MESSAGING_BODY_TOO_LONG);
    big[19998] = 0;
    assert_int_equal(messaging_body_check(big), MESSAGING_BODY_OK);
    free(big);

    assert_null(messaging_body_error(MESSAGING_BODY_OK));
    assert_string_equal(messaging_body_error(MESSAGING_BODY_EMPTY), "body must not be empty");
    assert_non_null(messaging_body_error(MESSAGING_BODY_TOO_LONG));
    assert_non_null(messaging_body_error(MESSAGING_BODY_NOT_UTF8));
}

static void t_subject(void **state)
{
    (void) state;
    assert_null(messaging_subject_error("Q4 documents"));
    assert_non_null(messaging_subject_error(NULL));
    assert_non_null(messaging_subject_error("   "));
    assert_non_null(messaging_subject_error("\xC0\xAF"));
    char s[700];
    for (int i = 0; i < 300; i++)
        memcpy(s + 2 * i, "\xC3\xBC", 2);
    s[600] = 0;
    assert_null(messaging_subject_error(s)); /* 300 characters, 600 bytes */
    memcpy(s + 600, "x", 2);
    assert_non_null(messaging_subject_error(s));
}

static void t_about(void **state)
{
    (void) state;
    const char *field = NULL;
    assert_null(messaging_about_error(NULL, NULL, &field));
    assert_null(messaging_about_error("task", U1, &field));
    assert_null(messaging_about_error("document", U1, &field));
    assert_non_null(messaging_about_error("invoice", U1, &field));
    assert_string_equal(field, "about.type");
    assert_non_null(messaging_about_error(NULL, U1, &field));
    assert_string_equal(field, "about.type");
    assert_non_null(messaging_about_error("task", NULL, &field));
    assert_string_equal(field, "about.id");
    assert_non_null(messaging_about_error("task", "17", &field));
    assert_string_equal(field, "about.id");
}

static void t_mentions(void **state)
{
    (void) state;
    char upper[] = "0B7E3C1A-1F2D-4C5B-9A8E-7D6C5B4A3F21";
    char *ids[] = {U1, U2, upper, U1};
    size_t n = 4;
    assert_null(messaging_mentions_check(ids, &n));
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], U1);
    assert_string_equal(ids[1], U2);
    char *bad[] = {U1, "me"};
    n = 2;
    assert_non_null(messaging_mentions_check(bad, &n));
    n = 0;
    assert_null(messaging_mentions_check(NULL, &n));
    /* 51 distinct ids are too many; 51 copies of one are one */
    char store[51][37];
    char *many[51];
    for (int i = 0; i < 51; i++) {
        snprintf(store[i], sizeof store[i], "0b7e3c1a-1f2d-4c5b-9a8e-7d6c5b4a%04d", i);
        many[i] = store[i];
    }
    n = 51;
    assert_non_null(messaging_mentions_check(many, &n));
    for (int i = 0; i < 51; i++)
        many[i] = U2;
    n = 51;
    assert_null(messaging_mentions_check(many, &n));
    assert_int_equal(n, 1);
}

static void t_seq_key(void **state)
{
    (void) state;
    assert_true(messaging_seq_key_valid("1"));
    assert_true(messaging_seq_key_valid("123456789012345678"));
    assert_false(messaging_seq_key_valid("1234567890123456789"));
    assert_false(messaging_seq_key_valid("0"));
    assert_false(messaging_seq_key_valid("012"));
    assert_false(messaging_seq_key_valid("-1"));
    assert_false(messaging_seq_key_valid("12a"));
    assert_false(messaging_seq_key_valid(""));
    assert_false(messaging_seq_key_valid(NULL));
}

static void t_may(void **state)
{
    (void) state;
    assert_false(messaging_may(MESSAGING_OP_READ, NULL, true, true));
    assert_true(messaging_may(MESSAGING_OP_READ, "viewer", false, false));
    assert_false(messaging_may(MESSAGING_OP_WRITE, "viewer", false, false));
    assert_false(messaging_may(MESSAGING_OP_EDIT, "viewer", false, true));
    assert_true(messaging_may(MESSAGING_OP_WRITE, "member", false, false));
    assert_true(messaging_may(MESSAGING_OP_WRITE, "admin", false, false));
    assert_true(messaging_may(MESSAGING_OP_WRITE, "staff", true, false));
    assert_true(messaging_may(MESSAGING_OP_EDIT, "member", false, true));
    assert_false(messaging_may(MESSAGING_OP_EDIT, "member", false, false));
    /* staff edit only their own messages too */
    assert_false(messaging_may(MESSAGING_OP_EDIT, "staff", true, false));
    assert_true(messaging_may(MESSAGING_OP_EDIT, "staff", true, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_body),     cmocka_unit_test(t_subject), cmocka_unit_test(t_about),
        cmocka_unit_test(t_mentions), cmocka_unit_test(t_seq_key), cmocka_unit_test(t_may),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
