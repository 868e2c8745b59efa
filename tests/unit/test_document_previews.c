/* Unit tests for document_previews (the renderer with libvips, its pure
 * helpers) and the thumbnail files of document_blob, on a private folder
 * under /tmp. Sources are made here: PNG and JPEG with libvips, a PDF by
 * hand, a PNG whose header claims more pixels than it has, a broken PNG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vips/vips.h>

#include "at_mdp.h"
#include "document_blob.h"
#include "document_previews.h"

static char s_dir[64];
static const doc_preview_limits_t LIMITS = {
    .max_edge = 512, .max_pixels = 50000000, .timeout_ms = 60000};
static const char *HEX = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/atrium-preview-test-%d", (int) getpid());
    if (doc_blob_init(s_dir) != 0)
        return -1;
    return document_previews_init(s_dir, &LIMITS);
}

static int s_teardown(void **state)
{
    (void) state;
    document_previews_fini();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *s_path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", s_dir, name);
    return p;
}

static void s_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* A width x height RGB gradient saved by libvips as path (".png"/".jpg"). */
static void s_make_image(const char *path, int width, int height)
{
    VipsImage *xy = NULL, *x = NULL, *rgb = NULL, *u8 = NULL;
    assert_int_equal(vips_xyz(&xy, width, height, NULL), 0);
    assert_int_equal(vips_extract_band(xy, &x, 0, NULL), 0); /* x of each pixel */
    VipsImage *bands[3] = {x, x, x};
    assert_int_equal(vips_bandjoin(bands, &rgb, 3, NULL), 0);
    assert_int_equal(vips_cast_uchar(rgb, &u8, NULL), 0);
    vips_image_set_int(u8, "interpretation", VIPS_INTERPRETATION_sRGB);
    assert_int_equal(vips_image_write_to_file(u8, path, NULL), 0);
    g_object_unref(u8);
    g_object_unref(rgb);
    g_object_unref(x);
    g_object_unref(xy);
}

static void s_assert_png(const doc_preview_png_t *p, int w, int h)
{
    assert_non_null(p->png);
    assert_true(p->len > 8 && p->len <= AT_BUS_CHUNK);
    assert_memory_equal(p->png, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(p->width, w);
    assert_int_equal(p->height, h);
    /* what the PNG itself says */
    s_write(s_path("back.png"), p->png, p->len);
    VipsImage *back = NULL;
    assert_int_equal(vips_pngload(s_path("back.png"), &back, NULL), 0);
    assert_int_equal(vips_image_get_width(back), w);
    assert_int_equal(vips_image_get_height(back), h);
    assert_int_equal(vips_image_get_format(back), VIPS_FORMAT_UCHAR);
    g_object_unref(back);
}

static void t_pure(void **state)
{
    (void) state;
    assert_int_equal(doc_preview_jpeg_shrink(4000, 3000, 512), 4);
    assert_int_equal(doc_preview_jpeg_shrink(5000, 100, 512), 8);
    assert_int_equal(doc_preview_jpeg_shrink(1023, 1023, 512), 1);
    assert_int_equal(doc_preview_jpeg_shrink(1024, 10, 512), 2);
    assert_int_equal(doc_preview_jpeg_shrink(100, 100, 512), 1);
    assert_true(doc_preview_pdf_scale(612, 792, 512) > 0.646 &&
                doc_preview_pdf_scale(612, 792, 512) < 0.647);
    assert_true(doc_preview_pdf_scale(0, 792, 512) == 0);
    assert_true(doc_preview_pdf_scale(-1, 792, 512) == 0);
    assert_false(doc_preview_too_big(10000, 5000, 50000000));
    assert_true(doc_preview_too_big(10000, 5001, 50000000));
    assert_true(doc_preview_too_big(0, 5, 50000000));
    assert_true(doc_preview_too_big(INT64_MAX / 2, INT64_MAX / 2, 50000000)); /* no overflow */
}

static void t_png_and_jpeg(void **state)
{
    (void) state;
    char why[400];
    doc_preview_png_t p;
    s_make_image(s_path("wide.png"), 1200, 300);
    assert_int_equal(
        doc_preview_render(s_path("wide.png"), "image/png", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_OK);
    s_assert_png(&p, 512, 128);
    free(p.png);
    s_make_image(s_path("tall.jpg"), 600, 2400);
    assert_int_equal(
        doc_preview_render(s_path("tall.jpg"), "image/jpeg", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_OK);
    s_assert_png(&p, 128, 512);
    free(p.png);
    /* GIF and WebP: the first frame */
    s_make_image(s_path("anim.gif"), 1024, 768);
    assert_int_equal(
        doc_preview_render(s_path("anim.gif"), "image/gif", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_OK);
    s_assert_png(&p, 512, 384);
    free(p.png);
    s_make_image(s_path("pic.webp"), 300, 900);
    assert_int_equal(
        doc_preview_render(s_path("pic.webp"), "image/webp", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_OK);
    s_assert_png(&p, 171, 512);
    free(p.png);
    /* smaller than the edge: kept as it is, never enlarged */
    s_make_image(s_path("small.png"), 40, 30);
    assert_int_equal(
        doc_preview_render(s_path("small.png"), "image/png", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_OK);
    s_assert_png(&p, 40, 30);
    free(p.png);
}

static void t_pdf(void **state)
{
    (void) state;
    /* one US Letter page with a filled square; poppler repairs the missing
     * cross-reference table */
    static const char pdf[] = "%PDF-1.4\n"
                              "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
                              "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
                              "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
                              " /Contents 4 0 R >> endobj\n"
                              "4 0 obj << /Length 30 >> stream\n"
                              "0 0 1 rg 100 100 200 200 re f\n"
                              "endstream endobj\n"
                              "trailer << /Root 1 0 R >>\n"
                              "%%EOF\n";
    s_write(s_path("letter.pdf"), pdf, sizeof pdf - 1);
    char why[400];
    doc_preview_png_t p;
    assert_int_equal(
        doc_preview_render(s_path("letter.pdf"), "application/pdf", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_OK);
    assert_int_equal(p.height, 512);
    assert_true(p.width >= 395 && p.width <= 397); /* 612/792 of 512 */
    s_assert_png(&p, p.width, 512);
    free(p.png);
}

/* CRC-32 (ISO 3309, as PNG chunks use it) of len bytes. */
static uint32_t s_crc(const unsigned char *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xffffffffu;
}

/* Appends a PNG chunk (length, type, data, CRC) at b + *n. */
static void s_chunk(unsigned char *b, size_t *n, const char *type, const void *data, uint32_t len)
{
    unsigned char *c = b + *n;
    c[0] = (unsigned char) (len >> 24), c[1] = (unsigned char) (len >> 16);
    c[2] = (unsigned char) (len >> 8), c[3] = (unsigned char) len;
    memcpy(c + 4, type, 4);
    if (len)
        memcpy(c + 8, data, len);
    uint32_t crc = s_crc(c + 4, 4 + len);
    c[8 + len] = (unsigned char) (crc >> 24), c[9 + len] = (unsigned char) (crc >> 16);
    c[10 + len] = (unsigned char) (crc >> 8), c[11 + len] = (unsigned char) crc;
    *n += 12 + len;
}

/* A PNG whose header claims 100000 x 100000 RGB pixels and whose data is
 * a few bytes: refused from the header, before any decoding. */
static void t_bomb_and_broken(void **state)
{
    (void) state;
    static const unsigned char ihdr[13] = {0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0};
    /* zlib: one stored block holding one zero byte, then its Adler-32 */
    static const unsigned char idat[] = {0x78, 0x01, 0x01, 0x01, 0x00, 0xfe,
                                         0xff, 0x00, 0x00, 0x01, 0x00, 0x01};
    unsigned char b[128];
    size_t len = 0;
    memcpy(b, "\x89PNG\r\n\x1a\n", 8);
    len = 8;
    s_chunk(b, &len, "IHDR", ihdr, sizeof ihdr);
    s_chunk(b, &len, "IDAT", idat, sizeof idat);
    s_chunk(b, &len, "IEND", NULL, 0);
    s_write(s_path("bomb.png"), b, len);
    char why[400];
    doc_preview_png_t p;
    doc_preview_rc_t rc =
        doc_preview_render(s_path("bomb.png"), "image/png", &LIMITS, &p, why, sizeof why);
    assert_int_equal(rc, DOC_PREVIEW_REFUSED);
    assert_non_null(strstr(why, "100000 x 100000"));
    assert_null(p.png);

    /* a PNG signature and garbage: fails (and may be retried), no crash */
    static const char broken[] = "\x89PNG\r\n\x1a\nthis is not a png at all, not at all";
    s_write(s_path("broken.png"), broken, sizeof broken - 1);
    assert_int_equal(
        doc_preview_render(s_path("broken.png"), "image/png", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_FAILED);
    assert_null(p.png);
    /* a file that is gone */
    assert_int_equal(
        doc_preview_render(s_path("nothing.png"), "image/png", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_FAILED);
    /* a lower limit refuses an ordinary image */
    doc_preview_limits_t small = LIMITS;
    small.max_pixels = 1000;
    s_make_image(s_path("mid.png"), 100, 100);
    assert_int_equal(
        doc_preview_render(s_path("mid.png"), "image/png", &small, &p, why, sizeof why),
        DOC_PREVIEW_REFUSED);
}

/* A render past its deadline is stopped (the pipeline killed), not waited
 * for: a deadline already passed stops it at its first batch of pixels. */
static void t_deadline(void **state)
{
    (void) state;
    s_make_image(s_path("big.png"), 4000, 4000);
    doc_preview_limits_t late = LIMITS;
    late.timeout_ms = -1;
    char why[400];
    doc_preview_png_t p;
    assert_int_equal(doc_preview_render(s_path("big.png"), "image/png", &late, &p, why, sizeof why),
                     DOC_PREVIEW_FAILED);
    assert_non_null(strstr(why, "stopped after"));
    assert_null(p.png);
    /* the same file in time */
    assert_int_equal(
        doc_preview_render(s_path("big.png"), "image/png", &LIMITS, &p, why, sizeof why),
        DOC_PREVIEW_OK);
    s_assert_png(&p, 512, 512);
    free(p.png);
}

/* Types outside the allow-list never reach libvips, whatever the bytes. */
static void t_types(void **state)
{
    (void) state;
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
                              "height=\"10\"><rect width=\"10\" height=\"10\"/></svg>";
    s_write(s_path("x.svg"), svg, sizeof svg - 1);
    char why[400];
    doc_preview_png_t p;
    const char *types[] = {"image/svg+xml", "text/html", "text/plain; charset=utf-8",
                           "application/octet-stream", NULL};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(
            doc_preview_render(s_path("x.svg"), types[i], &LIMITS, &p, why, sizeof why),
            DOC_PREVIEW_REFUSED);
    /* an SVG called a PNG: the PNG loader reads it and fails */
    assert_int_equal(doc_preview_render(s_path("x.svg"), "image/png", &LIMITS, &p, why, sizeof why),
                     DOC_PREVIEW_FAILED);
    /* and the SVG loader is blocked even when asked for by name */
    VipsImage *img = NULL;
    assert_int_not_equal(vips_svgload(s_path("x.svg"), &img, NULL), 0);
    assert_null(img);
    vips_error_clear();
}

static void t_blob_files(void **state)
{
    (void) state;
    char p[DOC_PATH_MAX];
    assert_int_equal(doc_blob_preview_path(p, sizeof p, "/b", HEX), 0);
    assert_string_equal(p, "/b/previews/ba/78/"
                           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.png");
    assert_int_equal(doc_blob_preview_path(p, sizeof p, "/b", "../../etc"), -1);
    unsigned char buf[64];
    errno = 0;
    assert_int_equal(doc_blob_preview_read(s_dir, HEX, buf, sizeof buf), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(doc_blob_preview_store(s_dir, HEX, "first", 5), 0);
    assert_int_equal(doc_blob_preview_read(s_dir, HEX, buf, sizeof buf), 5);
    assert_memory_equal(buf, "first", 5);
    /* made again: replaced */
    assert_int_equal(doc_blob_preview_store(s_dir, HEX, "second!", 7), 0);
    assert_int_equal(doc_blob_preview_read(s_dir, HEX, buf, sizeof buf), 7);
    errno = 0;
    assert_int_equal(doc_blob_preview_read(s_dir, HEX, buf, 3), -1);
    assert_int_equal(errno, EFBIG);
    /* no temporary file is left behind */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s/tmp)\"", s_dir);
    assert_int_equal(system(cmd), 0);
}

static int s_count(const char *hex, int64_t size, void *arg)
{
    (void) hex;
    (void) size;
    (*(int *) arg)++;
    return 0;
}

static void t_walk(void **state)
{
    (void) state;
    assert_int_equal(doc_blob_preview_store(s_dir, HEX, "x", 1), 0);
    /* a stray name in the right folder, and a blob name without .png */
    char stray[DOC_PATH_MAX];
    snprintf(stray, sizeof stray, "%s/previews/ba/78/%s", s_dir, HEX);
    s_write(stray, "y", 1);
    int n = 0;
    int64_t strays = 0;
    assert_int_equal(doc_blob_preview_walk(s_dir, s_count, &n, &strays), 0);
    assert_int_equal(n, 1);
    assert_int_equal(strays, 1);
    /* the blob walk does not see thumbnails */
    n = 0;
    assert_int_equal(doc_blob_walk(s_dir, s_count, &n, &strays), 0);
    assert_int_equal(n, 0);
    unlink(stray);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_pure),       cmocka_unit_test(t_png_and_jpeg),
        cmocka_unit_test(t_pdf),        cmocka_unit_test(t_bomb_and_broken),
        cmocka_unit_test(t_deadline),   cmocka_unit_test(t_types),
        cmocka_unit_test(t_blob_files), cmocka_unit_test(t_walk),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
