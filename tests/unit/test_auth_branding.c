/* Unit tests for auth_branding: colours, logo addresses (no javascript:,
 * data: or http:), label text (trimmed, NFC, length in code points) and
 * the dashboard sections' choice and order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "at_arena.h"
#include "auth_branding.h"

static void t_color(void **state)
{
    (void) state;
    assert_true(auth_branding_color_ok("#2f5d8a"));
    assert_true(auth_branding_color_ok("#ABCDEF"));
    assert_false(auth_branding_color_ok("2f5d8a"));
    assert_false(auth_branding_color_ok("#2f5d8"));
    assert_false(auth_branding_color_ok("#2f5d8a0"));
    assert_false(auth_branding_color_ok("#2f5d8g"));
    assert_false(auth_branding_color_ok("red"));
    assert_false(auth_branding_color_ok(NULL));
}

static void t_logo(void **state)
{
    (void) state;
    assert_true(auth_branding_logo_ok("https://cdn.example.test/logo.svg"));
    assert_true(auth_branding_logo_ok("https://example.test"));
    assert_true(auth_branding_logo_ok("/static/logo.png"));
    assert_false(auth_branding_logo_ok("javascript:alert(1)"));
    assert_false(auth_branding_logo_ok("JAVASCRIPT:alert(1)"));
    assert_false(auth_branding_logo_ok("data:image/png;base64,AAAA"));
    assert_false(auth_branding_logo_ok("http://example.test/logo.png"));
    assert_false(auth_branding_logo_ok("//evil.test/logo.png"));
    assert_false(auth_branding_logo_ok("https://"));
    assert_false(auth_branding_logo_ok("https:///path"));
    assert_false(auth_branding_logo_ok("https://@evil.test/"));
    assert_false(auth_branding_logo_ok("https://x.test/a b"));
    assert_false(auth_branding_logo_ok("https://x.test/\"onload"));
    assert_false(auth_branding_logo_ok("https://x.test/<script>"));
    assert_false(auth_branding_logo_ok("/\\evil.test"));
    assert_false(auth_branding_logo_ok("logo.png"));
    assert_false(auth_branding_logo_ok(""));
    assert_false(auth_branding_logo_ok(NULL));
    char long_url[AUTH_BRANDING_URL_MAX + 2];
    memset(long_url, 'a', sizeof long_url - 1);
    long_url[sizeof long_url - 1] = 0;
    memcpy(long_url, "https://x.test/", 15);
    assert_false(auth_branding_logo_ok(long_url));
    long_url[AUTH_BRANDING_URL_MAX] = 0;
    assert_true(auth_branding_logo_ok(long_url));
}

static void t_text(void **state)
{
    (void) state;
    at_arena_t *a = at_arena_new();
    assert_string_equal(auth_branding_text(a, "  Matter \t", 40), "Matter");
    /* e + combining acute becomes U+00E9 */
    assert_string_equal(auth_branding_text(a, "Cafe\xcc\x81", 40), "Caf\xc3\xa9");
    /* four code points after NFC fit a limit of 4 */
    assert_non_null(auth_branding_text(a, "Cafe\xcc\x81", 4));
    assert_null(auth_branding_text(a, "abcde", 4));
    assert_null(auth_branding_text(a, "   ", 40));
    assert_null(auth_branding_text(a,
                                   "a\x07"
                                   "b",
                                   40));
    assert_null(auth_branding_text(a, "\xff\xfe", 40));
    assert_null(auth_branding_text(a, NULL, 40));
    at_arena_destroy(&a);
}

static void t_sections(void **state)
{
    (void) state;
    const char *all[] = {"recent_activity",    "tasks_due",     "unread_threads",
                         "pending_signatures", "open_invoices", "new_since_last_login"};
    assert_int_equal(auth_branding_sections_bad(all, 6), -1);
    assert_int_equal(auth_branding_sections_bad(all, 2), -1);
    assert_int_equal(auth_branding_sections_bad(NULL, 0), -1);
    const char *dup[] = {"tasks_due", "open_invoices", "tasks_due"};
    assert_int_equal(auth_branding_sections_bad(dup, 3), 2);
    const char *unknown[] = {"tasks_due", "weather"};
    assert_int_equal(auth_branding_sections_bad(unknown, 2), 1);
    const char *null_one[] = {NULL};
    assert_int_equal(auth_branding_sections_bad(null_one, 1), 0);
}

static void t_labels(void **state)
{
    (void) state;
    assert_string_equal(auth_branding_label_default("client"), "Client");
    assert_string_equal(auth_branding_label_default("invoices"), "Invoices");
    assert_null(auth_branding_label_default("weather"));
    assert_null(auth_branding_label_default(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_color),    cmocka_unit_test(t_logo),   cmocka_unit_test(t_text),
        cmocka_unit_test(t_sections), cmocka_unit_test(t_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
