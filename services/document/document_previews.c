/* document_previews: the thumbnail queue's worker and the libvips renderer. */
#include "document_previews.h"
#include "at_log.h"
#include "at_mdp.h"
#include "at_time.h"
#include "document_blob.h"
#include "document_sniff.h"
#include "document_store.h"
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

/* An attempt that has not reported back after this long is taken for dead
 * (its process crashed or hung) and the job is due again. */
#define S_LEASE_S 300
/* Attempts before a job is failed for good (a crash counts as one). */
#define S_MAX_ATTEMPTS 3
/* Back-off after the first failed attempt; x4 each time after. */
#define S_RETRY_S 5

/* Set once by document_previews_init, before the threads start, and only
 * read afterwards. */
static struct {
    bool ready;
    char *blob_dir;
    doc_preview_limits_t limits;
} s_cfg;

/* The five loaders we use, by class name; everything else is blocked. */
static const char *const s_loaders[] = {"VipsForeignLoadPngFile", "VipsForeignLoadJpegFile",
                                        "VipsForeignLoadNsgifFile", "VipsForeignLoadWebpFile",
                                        "VipsForeignLoadPdfFile"};

/* libvips (GLib) warnings would land on stderr, outside the JSON log. */
static void s_glog(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
    (void) level;
    (void) user;
    at_debug("%s: %s", domain ? domain : "glib", message ? message : "");
}

int document_previews_init(const char *blob_dir, const doc_preview_limits_t *limits)
{
    if (s_cfg.ready)
        return 0;
    if (VIPS_INIT("atrium-document") != 0) {
        at_error("libvips cannot start: %s", vips_error_buffer());
        vips_error_clear();
        return -1;
    }
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, s_glog,
                      NULL);
    vips_concurrency_set(1);
    vips_cache_set_max(8);
    vips_cache_set_max_mem(16 * 1024 * 1024);
    vips_cache_set_max_files(4);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    /* pdfload (poppler) is marked untrusted; PDFs are in scope and are
     * rendered one page at a small scale under the time limit */
    for (size_t i = 0; i < sizeof s_loaders / sizeof s_loaders[0]; i++)
        vips_operation_block_set(s_loaders[i], FALSE);
    s_cfg.blob_dir = strdup(blob_dir);
    if (!s_cfg.blob_dir)
        abort();
    s_cfg.limits = *limits;
    s_cfg.ready = true;
    return 0;
}

void document_previews_fini(void)
{
    if (!s_cfg.ready)
        return;
    vips_shutdown();
    free(s_cfg.blob_dir);
    memset(&s_cfg, 0, sizeof s_cfg);
}

/* -- pure helpers ------------------------------------------------------------ */

int doc_preview_jpeg_shrink(int width, int height, int max_edge)
{
    int longest = width > height ? width : height;
    int shrink = 1;
    while (shrink < 8 && max_edge > 0 && longest / (shrink * 2) >= max_edge)
        shrink *= 2;
    return shrink;
}

double doc_preview_pdf_scale(double width, double height, int max_edge)
{
    if (!(width > 0) || !(height > 0) || max_edge <= 0)
        return 0;
    return (double) max_edge / (width > height ? width : height);
}

bool doc_preview_too_big(int64_t width, int64_t height, int64_t max_pixels)
{
    if (width <= 0 || height <= 0)
        return true;
    return width > max_pixels / height;
}

/* -- rendering --------------------------------------------------------------- */

static doc_preview_rc_t s_why(char *why, size_t cap, doc_preview_rc_t rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static doc_preview_rc_t s_why(char *why, size_t cap, doc_preview_rc_t rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return rc;
}

/* The libvips error of the failed call, cleared. */
static doc_preview_rc_t s_vips_fail(char *why, size_t cap, const char *what)
{
    const char *e = vips_error_buffer();
    size_t n = strcspn(e, "\n");
    s_why(why, cap, DOC_PREVIEW_FAILED, "%s: %.*s", what, (int) (n > 300 ? 300 : n), e);
    vips_error_clear();
    return DOC_PREVIEW_FAILED;
}

/* Stops a pipeline that runs past its deadline (libvips' "eval" signal
 * fires as pixels are computed). */
static void s_eval(VipsImage *image, VipsProgress *progress, void *user)
{
    (void) progress;
    const int64_t *deadline = user;
    if (at_time_mono_ms() > *deadline)
        vips_image_set_kill(image, TRUE);
}

/* Loads page 0 / frame 0 of path with the loader of content_type, lazily
 * (only the header is read until pixels are asked for). shrink and scale
 * are the JPEG and PDF loaders' reductions (1 and 1.0: none). */
static int s_load(const char *path, const char *ct, int shrink, double scale, VipsImage **out)
{
    if (strcmp(ct, "image/png") == 0)
        return vips_pngload(path, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                            VIPS_FAIL_ON_ERROR, NULL);
    if (strcmp(ct, "image/jpeg") == 0)
        return vips_jpegload(path, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                             VIPS_FAIL_ON_ERROR, "shrink", shrink, "autorotate", TRUE, NULL);
    if (strcmp(ct, "image/gif") == 0)
        return vips_gifload(path, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                            VIPS_FAIL_ON_ERROR, "page", 0, "n", 1, NULL);
    if (strcmp(ct, "image/webp") == 0)
        return vips_webpload(path, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                             VIPS_FAIL_ON_ERROR, "page", 0, "n", 1, NULL);
    if (strcmp(ct, "application/pdf") == 0)
        return vips_pdfload(path, out, "access", VIPS_ACCESS_SEQUENTIAL, "fail_on",
                            VIPS_FAIL_ON_ERROR, "page", 0, "n", 1, "scale", scale, NULL);
    vips_error("atrium", "no loader for %s", ct);
    return -1;
}

doc_preview_rc_t doc_preview_render(const char *path, const char *content_type,
                                    const doc_preview_limits_t *limits, doc_preview_png_t *out,
                                    char *why, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (!doc_sniff_previewable(content_type))
        return s_why(why, cap, DOC_PREVIEW_REFUSED, "no thumbnails of %s",
                     content_type ? content_type : "an unknown type");
    if (!s_cfg.ready)
        return s_why(why, cap, DOC_PREVIEW_FAILED, "libvips is not initialised");
    bool pdf = strcmp(content_type, "application/pdf") == 0;
    bool jpeg = strcmp(content_type, "image/jpeg") == 0;
    VipsImage *head = NULL, *img = NULL, *thumb = NULL, *colour = NULL;
    void *buf = NULL;
    size_t len = 0;
    doc_preview_rc_t rc = DOC_PREVIEW_FAILED;

    /* 1. the header only: how big is it? */
    if (s_load(path, content_type, 1, 1.0, &head) != 0) {
        rc = s_vips_fail(why, cap, "header");
        goto done;
    }
    int w = vips_image_get_width(head), h = vips_image_get_height(head);
    int shrink = 1;
    double scale = 1.0;
    if (pdf) {
        /* a page is points at scale 1; render it at thumbnail size, so its
         * pixels are bounded by max_edge whatever the page claims */
        scale = doc_preview_pdf_scale(w, h, limits->max_edge);
        if (scale <= 0) {
            rc = s_why(why, cap, DOC_PREVIEW_REFUSED, "the first page has no area");
            goto done;
        }
    } else if (doc_preview_too_big(w, h, limits->max_pixels)) {
        rc = s_why(why, cap, DOC_PREVIEW_REFUSED, "%d x %d pixels is past the limit of %" PRId64, w,
                   h, limits->max_pixels);
        goto done;
    } else if (jpeg) {
        shrink = doc_preview_jpeg_shrink(w, h, limits->max_edge);
    }

    /* 2. the pixels, reduced as early as the loader can */
    if (pdf || shrink > 1) {
        if (s_load(path, content_type, shrink, scale, &img) != 0) {
            rc = s_vips_fail(why, cap, "load");
            goto done;
        }
    } else {
        img = head;
        g_object_ref(img);
    }
    if (vips_thumbnail_image(img, &thumb, limits->max_edge, "height", limits->max_edge, "size",
                             VIPS_SIZE_DOWN, NULL) != 0) {
        rc = s_vips_fail(why, cap, "thumbnail");
        goto done;
    }
    /* 8-bit sRGB (or grey) whatever came in: 16-bit, CMYK, Lab */
    VipsInterpretation want =
        vips_image_get_bands(thumb) <= 2 ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
    if (vips_colourspace(thumb, &colour, want, NULL) != 0) {
        rc = s_vips_fail(why, cap, "colour");
        goto done;
    }
    if (vips_image_get_format(colour) != VIPS_FORMAT_UCHAR) {
        VipsImage *c8 = NULL;
        if (vips_cast_uchar(colour, &c8, NULL) != 0) {
            rc = s_vips_fail(why, cap, "cast");
            goto done;
        }
        g_object_unref(colour);
        colour = c8;
    }

    /* 3. encode, under the time limit */
    int64_t deadline = at_time_mono_ms() + limits->timeout_ms;
    vips_image_set_progress(colour, TRUE);
    g_signal_connect(colour, "eval", G_CALLBACK(s_eval), &deadline);
    if (vips_pngsave_buffer(colour, &buf, &len, "strip", TRUE, "compression", 6, NULL) != 0) {
        rc = at_time_mono_ms() > deadline
                 ? s_why(why, cap, DOC_PREVIEW_FAILED, "stopped after %d ms", limits->timeout_ms)
                 : s_vips_fail(why, cap, "encode");
        vips_error_clear();
        goto done;
    }
    if (len > AT_BUS_CHUNK) {
        rc = s_why(why, cap, DOC_PREVIEW_REFUSED, "the thumbnail takes %zu bytes", len);
        goto done;
    }
    out->png = malloc(len);
    if (!out->png)
        abort();
    memcpy(out->png, buf, len);
    out->len = len;
    out->width = vips_image_get_width(colour);
    out->height = vips_image_get_height(colour);
    rc = DOC_PREVIEW_OK;
    why[0] = 0;
done:
    g_free(buf);
    if (colour)
        g_object_unref(colour);
    if (thumb)
        g_object_unref(thumb);
    if (img)
        g_object_unref(img);
    if (head)
        g_object_unref(head);
    return rc;
}

/* -- the queue --------------------------------------------------------------- */

static void s_fail(at_ctx_t *ctx, const doc_preview_row_t *job, bool final, const char *why)
{
    int retry = S_RETRY_S;
    for (int i = 1; i < job->attempts && retry < 3600; i++)
        retry *= 4;
    final = final || job->attempts >= S_MAX_ATTEMPTS;
    if (doc_store_preview_failed(ctx, job->sha256, job->attempts, final, retry, why) != AT_OK)
        return; /* the lease runs out and the job is tried again */
    at_warn("preview of blob %s (%s), attempt %d: %s%s", job->sha256, job->content_type,
            job->attempts, why, final ? "; given up" : "");
}

int document_previews_tick(at_ctx_t *ctx)
{
    at_arena_reset(ctx->arena);
    if (!s_cfg.ready)
        return 0;
    doc_preview_row_t job;
    at_status_t st = doc_store_preview_claim(ctx, S_LEASE_S, &job);
    if (st == AT_NOT_FOUND)
        return 0;
    if (st != AT_OK)
        return -1;
    if (job.attempts > S_MAX_ATTEMPTS) {
        /* the earlier attempts never reported back: the renderer died on it */
        s_fail(ctx, &job, true, "earlier attempts ended without an answer");
        return 1;
    }
    char path[DOC_PATH_MAX], why[400] = "";
    if (doc_blob_path(path, sizeof path, s_cfg.blob_dir, job.sha256) != 0) {
        s_fail(ctx, &job, true, "not a blob digest");
        return 1;
    }
    int64_t started = at_time_mono_ms();
    doc_preview_png_t png;
    doc_preview_rc_t rc =
        doc_preview_render(path, job.content_type, &s_cfg.limits, &png, why, sizeof why);
    if (rc != DOC_PREVIEW_OK) {
        s_fail(ctx, &job, rc == DOC_PREVIEW_REFUSED, why);
        return 1;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[65];
    crypto_hash_sha256(digest, png.png, png.len);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    if (doc_blob_preview_store(s_cfg.blob_dir, job.sha256, png.png, png.len) != 0) {
        snprintf(why, sizeof why, "cannot store the thumbnail: %s", strerror(errno));
        free(png.png);
        s_fail(ctx, &job, false, why);
        return 1;
    }
    free(png.png);
    if (doc_store_preview_done(ctx, job.sha256, job.attempts, hex, (int64_t) png.len, png.width,
                               png.height) != AT_OK)
        return 1; /* the file is in place; the lease runs out and the job is redone */
    at_info("preview of blob %s (%s): %d x %d, %zu bytes in %lld ms", job.sha256, job.content_type,
            png.width, png.height, png.len, (long long) (at_time_mono_ms() - started));
    return 1;
}
