/* Unit tests for document_sniff: magic numbers, the ZIP walk that tells
 * Office and OpenDocument files from plain archives, UTF-8 text and the
 * octet-stream default. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "document_sniff.h"

#define S(lit) ((const unsigned char *) (lit)), (sizeof(lit) - 1)

static const char *s_sniff(const void *b, size_t len)
{
    return doc_sniff(b, len, false, NULL);
}

static void t_magic(void **state)
{
    (void) state;
    assert_string_equal(doc_sniff(S("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), false, NULL),
                        "application/pdf");
    assert_string_equal(doc_sniff(S("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), false, NULL), "image/png");
    assert_string_equal(doc_sniff(S("\xff\xd8\xff\xe0\0\x10JFIF"), false, NULL), "image/jpeg");
    assert_string_equal(doc_sniff(S("GIF89a\x01\0\x01\0"), false, NULL), "image/gif");
    assert_string_equal(doc_sniff(S("GIF87a\x01\0\x01\0"), false, NULL), "image/gif");
    assert_string_equal(doc_sniff(S("RIFF\x24\0\0\0WEBPVP8 "), false, NULL), "image/webp");
    assert_string_equal(doc_sniff(S("RIFF\x24\0\0\0WAVEfmt "), false, NULL),
                        "application/octet-stream");
    assert_string_equal(doc_sniff(S("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), false, NULL),
                        "application/zip");
    /* a magic number cut short is not that type */
    assert_string_equal(doc_sniff(S("\x89PNG"), false, NULL), "application/octet-stream");
}

/* Appends a stored ZIP local file header + data to buf at *off. */
static void s_entry(unsigned char *buf, size_t *off, const char *name, const char *data,
                    unsigned flags)
{
    unsigned char *h = buf + *off;
    size_t nlen = strlen(name), dlen = data ? strlen(data) : 0;
    memset(h, 0, 30);
    memcpy(h, "PK\x03\x04", 4);
    h[4] = 20;
    h[6] = (unsigned char) flags;
    h[18] = (unsigned char) dlen, h[19] = (unsigned char) (dlen >> 8);
    h[22] = (unsigned char) dlen, h[23] = (unsigned char) (dlen >> 8);
    h[26] = (unsigned char) nlen;
    memcpy(h + 30, name, nlen);
    if (dlen)
        memcpy(h + 30 + nlen, data, dlen);
    *off += 30 + nlen + dlen;
}

static void t_zip_family(void **state)
{
    (void) state;
    unsigned char buf[4096];
    size_t n = 0;
    s_entry(buf, &n, "[Content_Types].xml", "<Types/>", 0);
    s_entry(buf, &n, "_rels/.rels", "<Relationships/>", 0);
    s_entry(buf, &n, "word/document.xml", "<w:document/>", 0);
    assert_string_equal(s_sniff(buf, n),
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    n = 0;
    s_entry(buf, &n, "[Content_Types].xml", "<Types/>", 0);
    s_entry(buf, &n, "xl/workbook.xml", "<workbook/>", 0);
    assert_string_equal(s_sniff(buf, n),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    n = 0;
    s_entry(buf, &n, "ppt/presentation.xml", "<p/>", 0);
    s_entry(buf, &n, "[Content_Types].xml", "<Types/>", 0);
    assert_string_equal(
        s_sniff(buf, n),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation");
    /* word/ without [Content_Types].xml is just an archive */
    n = 0;
    s_entry(buf, &n, "word/notes.txt", "hello", 0);
    assert_string_equal(s_sniff(buf, n), "application/zip");
    /* OpenDocument: first entry "mimetype", stored */
    n = 0;
    s_entry(buf, &n, "mimetype", "application/vnd.oasis.opendocument.text", 0);
    s_entry(buf, &n, "content.xml", "<office/>", 0);
    assert_string_equal(s_sniff(buf, n), "application/vnd.oasis.opendocument.text");
    n = 0;
    s_entry(buf, &n, "mimetype", "application/vnd.oasis.opendocument.spreadsheet", 0);
    assert_string_equal(s_sniff(buf, n), "application/vnd.oasis.opendocument.spreadsheet");
    /* an unknown mimetype stays a zip */
    n = 0;
    s_entry(buf, &n, "mimetype", "application/epub+zip", 0);
    assert_string_equal(s_sniff(buf, n), "application/zip");
    /* a data descriptor hides the size: the walk stops, still a zip */
    n = 0;
    s_entry(buf, &n, "a.bin", NULL, 0x08);
    memcpy(buf + n, "garbage", 7);
    assert_string_equal(s_sniff(buf, n + 7), "application/zip");
    /* a header whose name runs past the sample does not read past it */
    n = 0;
    s_entry(buf, &n, "[Content_Types].xml", "<Types/>", 0);
    s_entry(buf, &n, "word/document.xml", "<w/>", 0);
    assert_string_equal(s_sniff(buf, 30 + 19 + 8 + 30 + 3), "application/zip");
}

static void t_legacy_office(void **state)
{
    (void) state;
    static const unsigned char cfb[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0";
    assert_string_equal(doc_sniff(cfb, sizeof cfb - 1, true, "budget.XLS"),
                        "application/vnd.ms-excel");
    assert_string_equal(doc_sniff(cfb, sizeof cfb - 1, true, "letter.doc"), "application/msword");
    assert_string_equal(doc_sniff(cfb, sizeof cfb - 1, true, "deck.ppt"),
                        "application/vnd.ms-powerpoint");
    assert_string_equal(doc_sniff(cfb, sizeof cfb - 1, true, "x.msi"), "application/octet-stream");
    assert_string_equal(doc_sniff(cfb, sizeof cfb - 1, true, NULL), "application/octet-stream");
    /* a name never makes a type the bytes do not allow */
    assert_string_equal(doc_sniff(S("plain words"), false, "a.pdf"), "text/plain; charset=utf-8");
    assert_string_equal(doc_sniff(S("\x01\x02\x03"), false, "a.doc"), "application/octet-stream");
}

static void t_text(void **state)
{
    (void) state;
    const char *text = "text/plain; charset=utf-8";
    assert_string_equal(doc_sniff(S("hello, world\r\n\tindented\f"), false, NULL), text);
    assert_string_equal(doc_sniff(S("\xef\xbb\xbfwith a BOM"), false, NULL), text);
    assert_string_equal(doc_sniff(S("Grüße, 日本"), false, NULL), text);
    assert_string_equal(doc_sniff(S("nul\0inside"), false, NULL), "application/octet-stream");
    assert_string_equal(doc_sniff(S("esc\x1b[0m"), false, NULL), "application/octet-stream");
    assert_string_equal(doc_sniff(S("latin1 \xe9t\xe9"), false, NULL), "application/octet-stream");
    /* a sequence cut by the end of the sample is fine only when the file goes on */
    assert_string_equal(doc_sniff(S("caf\xc3"), true, NULL), text);
    assert_string_equal(doc_sniff(S("euro \xe2\x82"), true, NULL), text);
    assert_string_equal(doc_sniff(S("caf\xc3"), false, NULL), "application/octet-stream");
    assert_string_equal(doc_sniff(S("bad \xff in the middle"), true, NULL),
                        "application/octet-stream");
    /* HTML is text, never text/html */
    assert_string_equal(doc_sniff(S("<html><script>alert(1)</script>"), false, NULL), text);
    assert_string_equal(doc_sniff(S("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), false, NULL),
                        text);
    assert_string_equal(doc_sniff(NULL, 0, false, NULL), "application/octet-stream");
    assert_string_equal(doc_sniff(S(""), false, NULL), "application/octet-stream");
}

/* Only the five sniffed image/PDF types get a thumbnail; SVG and HTML are
 * sniffed as text and so never reach the renderer. */
static void t_previewable(void **state)
{
    (void) state;
    const char *yes[] = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(doc_sniff_previewable(yes[i]));
    const char *no[] = {"image/svg+xml",
                        "text/html",
                        "text/plain; charset=utf-8",
                        "application/octet-stream",
                        "application/zip",
                        "image/PNG",
                        "image/png; x=1",
                        "application/pdf ",
                        "",
                        "image/tiff",
                        "application/msword"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(doc_sniff_previewable(no[i]));
    assert_false(doc_sniff_previewable(NULL));
    /* what the sniffer says of an SVG and an HTML file is not previewable */
    assert_false(doc_sniff_previewable(
        doc_sniff(S("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), false, "x.svg")));
    assert_false(doc_sniff_previewable(doc_sniff(S("<!doctype html><p>hi"), false, "x.html")));
    assert_true(doc_sniff_previewable(doc_sniff(S("%PDF-1.4\n"), false, "x.txt")));
    assert_true(doc_sniff_previewable(doc_sniff(S("\x89PNG\r\n\x1a\n"), true, "x.svg")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_magic),         cmocka_unit_test(t_zip_family),
        cmocka_unit_test(t_legacy_office), cmocka_unit_test(t_text),
        cmocka_unit_test(t_previewable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
