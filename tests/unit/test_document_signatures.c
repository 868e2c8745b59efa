/* Unit tests for document_signatures_logic (request and signer status
 * moves, turns, typed names, certificate line wrapping) and, once,
 * document_signatures_pdf (the rendering is a PDF that names the SHA-256). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "document_signatures_logic.h"
#include "document_signatures_pdf.h"

static void t_may_act(void **state)
{
    (void) state;
    const char *st[] = {"signed", "pending", "pending"};
    /* not named */
    assert_int_equal(doc_sign_may_act("pending", false, st, 3, -1, DOC_SIGN_SIGN),
                     DOC_SIGN_NOT_SIGNER);
    assert_int_equal(doc_sign_may_act("pending", false, st, 3, 3, DOC_SIGN_SIGN),
                     DOC_SIGN_NOT_SIGNER);
    /* a final request refuses everyone named */
    for (size_t i = 0; i < 3; i++) {
        const char *fin[] = {"completed", "declined", "voided"};
        assert_int_equal(doc_sign_may_act(fin[i], false, st, 3, 1, DOC_SIGN_SIGN), DOC_SIGN_CLOSED);
        assert_int_equal(doc_sign_may_act(fin[i], false, st, 3, 1, DOC_SIGN_DECLINE),
                         DOC_SIGN_CLOSED);
    }
    /* already signed */
    assert_int_equal(doc_sign_may_act("pending", false, st, 3, 0, DOC_SIGN_SIGN), DOC_SIGN_DONE);
    assert_int_equal(doc_sign_may_act("pending", false, st, 3, 0, DOC_SIGN_DECLINE), DOC_SIGN_DONE);
    /* parallel: anyone pending; ordered: only the next */
    assert_int_equal(doc_sign_may_act("pending", false, st, 3, 2, DOC_SIGN_SIGN), DOC_SIGN_OK);
    assert_int_equal(doc_sign_may_act("pending", true, st, 3, 1, DOC_SIGN_SIGN), DOC_SIGN_OK);
    assert_int_equal(doc_sign_may_act("pending", true, st, 3, 2, DOC_SIGN_SIGN), DOC_SIGN_NOT_TURN);
    /* declining is allowed out of turn */
    assert_int_equal(doc_sign_may_act("pending", true, st, 3, 2, DOC_SIGN_DECLINE), DOC_SIGN_OK);
}

static void t_request_status(void **state)
{
    (void) state;
    const char *a[] = {"signed", "signed"};
    const char *b[] = {"signed", "pending"};
    const char *c[] = {"pending", "declined"};
    assert_string_equal(doc_sign_request_status(a, 2), "completed");
    assert_string_equal(doc_sign_request_status(b, 2), "pending");
    assert_string_equal(doc_sign_request_status(c, 2), "declined");
    assert_string_equal(doc_sign_request_status(a, 0), "pending");
}

static void t_turn(void **state)
{
    (void) state;
    const char *st[] = {"signed", "pending", "pending"};
    assert_false(doc_sign_turn("pending", true, st, 3, 0));
    assert_true(doc_sign_turn("pending", true, st, 3, 1));
    assert_false(doc_sign_turn("pending", true, st, 3, 2));
    assert_true(doc_sign_turn("pending", false, st, 3, 2));
    assert_false(doc_sign_turn("voided", false, st, 3, 2));
    assert_false(doc_sign_turn("pending", false, st, 3, 3));
}

static void t_texts(void **state)
{
    (void) state;
    const char *why = NULL;
    assert_true(doc_sign_kind_valid("signature"));
    assert_true(doc_sign_kind_valid("approval"));
    assert_false(doc_sign_kind_valid("Signature"));
    assert_false(doc_sign_kind_valid(NULL));
    assert_true(doc_sign_typed_name_valid("Zoë Müller-Łukasik", &why));
    const char *bad[] = {NULL, "", "   ", "a\nb", "a\x7f", "a\xc2\x85", "\xff", "tab\tname"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        assert_false(doc_sign_typed_name_valid(bad[i], &why));
        assert_non_null(why);
    }
    char long_name[DOC_SIGN_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    assert_false(doc_sign_typed_name_valid(long_name, &why));
    long_name[DOC_SIGN_NAME_MAX] = 0;
    assert_true(doc_sign_typed_name_valid(long_name, &why));
    assert_true(doc_sign_text_valid(NULL));
    assert_true(doc_sign_text_valid("fine"));
    assert_false(doc_sign_text_valid("\xc3("));
}

/* one unit per code point */
static double s_chars(const char *s, size_t len, void *arg)
{
    (void) arg;
    double n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char) s[i] & 0xc0) != 0x80;
    return n;
}

static void s_expect(const char *text, double width, const char *const *want, size_t nwant)
{
    doc_sign_span_t spans[16];
    size_t n = doc_sign_wrap(text, width, s_chars, NULL, spans, 16);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n && i < 16; i++) {
        char line[128];
        memcpy(line, text + spans[i].off, spans[i].len);
        line[spans[i].len] = 0;
        assert_string_equal(line, want[i]);
    }
}

static void t_wrap(void **state)
{
    (void) state;
    s_expect("short", 10, (const char *[]){"short"}, 1);
    s_expect("the quick brown fox", 10, (const char *[]){"the quick", "brown fox"}, 2);
    /* a word wider than the line is cut */
    s_expect("0123456789abcdef", 6, (const char *[]){"012345", "6789ab", "cdef"}, 3);
    /* blanks at a break vanish; a newline always breaks */
    s_expect("ab   cd\n\nef", 4, (const char *[]){"ab", "cd", "", "ef"}, 4);
    /* a break exactly at a blank keeps the whole word before it */
    s_expect("abcd efgh", 4, (const char *[]){"abcd", "efgh"}, 2);
    /* UTF-8 is cut between code points, never inside one */
    s_expect("ééééé", 2, (const char *[]){"éé", "éé", "é"}, 3);
    /* too narrow: one code point a line, still ends */
    s_expect("abc", 0, (const char *[]){"a", "b", "c"}, 3);
    s_expect("", 5, NULL, 0);
    /* more lines than spans: counted, not written past max */
    doc_sign_span_t one[1];
    assert_int_equal(doc_sign_wrap("a b c d", 1, s_chars, NULL, one, 1), 4);
}

static void t_uuid(void **state)
{
    (void) state;
    char a[37], b[37];
    doc_sign_uuid(a);
    doc_sign_uuid(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
    assert_string_not_equal(a, b);
}

static void t_pdf(void **state)
{
    (void) state;
    Atrium__Document__Certificate c = ATRIUM__DOCUMENT__CERTIFICATE__INIT;
    Atrium__Document__CertificateSigner s = ATRIUM__DOCUMENT__CERTIFICATE_SIGNER__INIT;
    Atrium__Document__CertificateSigner *signers[] = {&s};
    c.document_name = "contract.pdf";
    c.document_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    c.has_document_version = 1;
    c.document_version = 3;
    c.kind = "signature";
    s.typed_name = "Jane Doe";
    s.user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/120.0.0.0 Safari/537.36 and a great deal more text to wrap over lines";
    c.signers = signers;
    c.n_signers = 1;
    unsigned char *pdf = NULL;
    size_t len = 0;
    assert_int_equal(doc_sign_pdf(&c, 1024 * 1024, &pdf, &len), 0);
    assert_true(len > 100);
    assert_memory_equal(pdf, "%PDF-", 5);
    assert_non_null(memmem(pdf, len, c.document_sha256, strlen(c.document_sha256)));
    free(pdf);
    /* past the cap: refused, nothing returned */
    assert_int_equal(doc_sign_pdf(&c, 200, &pdf, &len), -1);
    assert_null(pdf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_may_act), cmocka_unit_test(t_request_status), cmocka_unit_test(t_turn),
        cmocka_unit_test(t_texts),   cmocka_unit_test(t_wrap),           cmocka_unit_test(t_uuid),
        cmocka_unit_test(t_pdf),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    doc_sign_pdf_shutdown();
    return failed;
}
