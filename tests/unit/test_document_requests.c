/* Unit tests for document_requests: RFC 3339 times, a new request's fields
 * and the status moves (submit, accept, reject reopens). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "document_requests.h"

static void t_times(void **state)
{
    (void) state;
    const char *ok[] = {"2026-11-29T20:30:00Z", "2026-11-29t20:30:00z",
                        "2024-02-29T00:00:00.123456Z", "2026-01-01T23:59:59+05:30",
                        "2026-12-31T00:00:00-08:00"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(doc_time_valid(ok[i]));
    const char *bad[] = {NULL,
                         "",
                         "2026-11-29",
                         "2026-11-29 20:30:00Z",
                         "2026-13-01T00:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2026-04-31T00:00:00Z",
                         "2026-11-29T24:00:00Z",
                         "2026-11-29T20:60:00Z",
                         "2026-11-29T20:30:00",
                         "2026-11-29T20:30:00.Z",
                         "2026-11-29T20:30:00+0530",
                         "2026-11-29T20:30:00Zjunk",
                         "2026-11-29T20:30:00'; DROP TABLE x;--",
                         "0000-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(doc_time_valid(bad[i]));
}

static void t_fields(void **state)
{
    (void) state;
    const char *field, *why;
    assert_true(doc_request_valid("Bank statements 2025", NULL, NULL, &field, &why));
    assert_true(doc_request_valid("W-2", "for the return", "2026-12-01T00:00:00Z", &field, &why));
    assert_true(doc_request_valid("x", "", "", &field, &why)); /* "" due_at: none */
    assert_false(doc_request_valid(NULL, NULL, NULL, &field, &why));
    assert_string_equal(field, "title");
    assert_false(doc_request_valid("", NULL, NULL, &field, &why));
    assert_string_equal(field, "title");
    char big[DOC_REQUEST_TITLE_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_false(doc_request_valid(big, NULL, NULL, &field, &why));
    assert_string_equal(field, "title");
    assert_false(doc_request_valid("t", "bad \xff utf-8", NULL, &field, &why));
    assert_string_equal(field, "description");
    assert_false(doc_request_valid("t", NULL, "tomorrow", &field, &why));
    assert_string_equal(field, "due_at");
    assert_non_null(why);
}

static void t_moves(void **state)
{
    (void) state;
    assert_string_equal(doc_request_next("open", DOC_REQ_SUBMIT), "submitted");
    assert_string_equal(doc_request_next("submitted", DOC_REQ_SUBMIT), "submitted");
    assert_null(doc_request_next("accepted", DOC_REQ_SUBMIT));
    assert_string_equal(doc_request_next("submitted", DOC_REQ_ACCEPT), "accepted");
    assert_null(doc_request_next("open", DOC_REQ_ACCEPT));
    assert_null(doc_request_next("accepted", DOC_REQ_ACCEPT));
    /* a rejection reopens */
    assert_string_equal(doc_request_next("submitted", DOC_REQ_REJECT), "open");
    assert_null(doc_request_next("open", DOC_REQ_REJECT));
    assert_null(doc_request_next("accepted", DOC_REQ_REJECT));
    assert_null(doc_request_next(NULL, DOC_REQ_SUBMIT));
    assert_null(doc_request_next("bogus", DOC_REQ_ACCEPT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_times),
        cmocka_unit_test(t_fields),
        cmocka_unit_test(t_moves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
