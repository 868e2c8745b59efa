/* Unit tests for document_text: the text of a PDF (through poppler-glib)
 * and of UTF-8 text files, the 1 MiB cap that never cuts a UTF-8 sequence,
 * and bad files (broken PDF, not UTF-8, NUL bytes, missing) that give no
 * text or a retryable failure, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "at_text.h"
#include "document_text.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char s_dir[] = "/tmp/atrium-doctext-XXXXXX";

static const char *s_write(const char *name, const void *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* A one-page PDF showing "Herr M\374ller zahlt" (WinAnsi ü); the xref
 * offsets are not exact, which poppler repairs. */
static const char s_pdf[] = "%PDF-1.4\n"
                            "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                            "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
                            "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
                            " /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n"
                            "4 0 obj << /Length 52 >> stream\n"
                            "BT /F1 18 Tf 72 700 Td (Herr M\\374ller zahlt) Tj ET\n"
                            "endstream endobj\n"
                            "5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
                            " /Encoding /WinAnsiEncoding >> endobj\n"
                            "trailer << /Root 1 0 R >>\n%%EOF\n";

static void t_pdf(void **state)
{
    (void) state;
    char *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    const char *p = s_write("a.pdf", s_pdf, sizeof s_pdf - 1);
    assert_int_equal(doc_text_extract(p, "application/pdf", &text, &len, &why), 0);
    assert_non_null(strstr(text, "Herr Müller zahlt"));
    assert_int_equal(len, strlen(text));
    free(text);

    /* not a PDF poppler can open: no text, and no retry */
    p = s_write("b.pdf", "%PDF-1.4\ngarbage\x01\x02", 19);
    assert_int_equal(doc_text_extract(p, "application/pdf", &text, &len, &why), 0);
    assert_string_equal(text, "");
    free(text);
}

static void t_plain(void **state)
{
    (void) state;
    char *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    const char *p = s_write("a.txt",
                            "\xEF\xBB\xBFGr\xC3\xBC\xC3\x9F"
                            "e\n",
                            11);
    assert_int_equal(doc_text_extract(p, "text/plain; charset=utf-8", &text, &len, &why), 0);
    assert_string_equal(text, "Grüße\n"); /* without the BOM */
    free(text);
    p = s_write("a.csv", "a,b\n1,2\n", 8);
    assert_int_equal(doc_text_extract(p, "text/csv", &text, &len, &why), 0);
    assert_string_equal(text, "a,b\n1,2\n");
    free(text);

    /* not UTF-8, or NUL bytes: no text */
    p = s_write("b.txt", "caf\xE9\n", 5);
    assert_int_equal(doc_text_extract(p, "text/plain", &text, &len, &why), 0);
    assert_string_equal(text, "");
    free(text);
    p = s_write("c.txt", "a\0b", 3);
    assert_int_equal(doc_text_extract(p, "text/plain", &text, &len, &why), 0);
    assert_string_equal(text, "");
    free(text);

    /* other types have no text */
    assert_int_equal(doc_text_extract(p, "image/png", &text, &len, &why), 0);
    assert_string_equal(text, "");
    free(text);

    /* a missing file is worth another try */
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none", s_dir);
    assert_int_equal(doc_text_extract(missing, "text/plain", &text, &len, &why), -1);
    assert_non_null(why);
    assert_int_equal(doc_text_extract(missing, "application/pdf", &text, &len, &why), -1);
}

static void t_cap(void **state)
{
    (void) state;
    /* 1 MiB + 2 bytes of "é" (2 bytes each) shifted by one byte: the cap
     * falls inside a sequence, which is dropped whole */
    size_t n = DOC_TEXT_MAX_BYTES + 2;
    char *big = malloc(n);
    big[0] = 'x';
    for (size_t i = 1; i + 1 < n; i += 2)
        big[i] = '\xC3', big[i + 1] = '\xA9';
    big[n - 1] = 'y';
    const char *p = s_write("big.txt", big, n);
    char *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    assert_int_equal(doc_text_extract(p, "text/plain", &text, &len, &why), 0);
    assert_true(len <= DOC_TEXT_MAX_BYTES);
    assert_true(len >= DOC_TEXT_MAX_BYTES - 1);
    assert_true(at_text_utf8_length(text) > 0);
    free(text);
    free(big);
}

static int s_setup(void **state)
{
    (void) state;
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    const char *names[] = {"a.pdf", "b.pdf", "a.txt", "a.csv", "b.txt", "c.txt", "big.txt"};
    char path[300];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", s_dir, names[i]);
        unlink(path);
    }
    return rmdir(s_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_pdf),
        cmocka_unit_test(t_plain),
        cmocka_unit_test(t_cap),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
