/* document_previews: PNG thumbnails of images (PNG, JPEG, GIF, WebP) and of
 * a PDF's first page, made by libvips in the document service's background
 * thread, never while a request waits. A version's store queues its blob's
 * job (doc_store_version_insert); document_previews_tick claims one due job
 * of any firm (FOR UPDATE SKIP LOCKED, so any number of instances share the
 * queue and each job is done once), renders, stores the PNG under
 * <blob dir>/previews/ and marks the job done or failed.
 *
 * Hostile files are expected. It only renders what the sniffer
 * (document_sniff) called one of the five types, each with its own loader
 * called by name (libvips never guesses a loader from the bytes), every
 * other loader blocked; reads the header first and refuses a source past
 * the pixel limit before decoding any pixel; renders one page or frame,
 * sequentially, on one vips thread, with a time limit; strips metadata. A
 * failure is retried with back-off a bounded number of times, then the job
 * is failed for good; an attempt that crashes the process counts too, so a
 * file that kills the renderer is given up on, not retried for ever.
 *
 * It does not serve thumbnails (document_server's document.preview reads
 * the row and the file) and knows no SQL (document_store).
 */
#ifndef DOCUMENT_PREVIEWS_H
#define DOCUMENT_PREVIEWS_H

#include "at_service.h"
#include <stddef.h>
#include <stdint.h>

/* The renderer's limits (from ATRIUM_PREVIEW_MAX_EDGE and
 * ATRIUM_PREVIEW_MAX_PIXELS). */
typedef struct {
    int max_edge;       /* longest side of a thumbnail, in pixels */
    int64_t max_pixels; /* an image of more pixels (width x height) is refused */
    int timeout_ms;     /* a render running longer is stopped (and fails) */
} doc_preview_limits_t;

/* Sets up libvips once for the process (VIPS_INIT; one worker thread, a small
 * operation cache, untrusted and all but the five loaders blocked, its
 * warnings to the debug log) and keeps blob_dir (copied) and limits for
 * document_previews_tick. Call before any thread renders. Returns 0, or -1
 * when libvips cannot start. */
int document_previews_init(const char *blob_dir, const doc_preview_limits_t *limits);

/* Shuts libvips down and forgets the configuration; safe without init. */
void document_previews_fini(void);

/* One step of the background loop, on its own connection (tenant "*"):
 * claims one due job, renders it and records the outcome. Returns 1 when it
 * handled a job (call again at once), 0 when none was due, -1 when the
 * database could not be asked (wait, then call again). */
int document_previews_tick(at_ctx_t *ctx);

typedef enum {
    DOC_PREVIEW_OK = 0,
    DOC_PREVIEW_REFUSED, /* never: a type, a size or a result we will not render */
    DOC_PREVIEW_FAILED,  /* this time: unreadable, undecodable, too slow; may be retried */
} doc_preview_rc_t;

/* A rendered thumbnail. */
typedef struct {
    unsigned char *png; /* malloc'd; the caller frees it */
    size_t len;
    int width, height;
} doc_preview_png_t;

/* Renders the file at path, sniffed as content_type, into a PNG thumbnail
 * whose longest side is at most limits->max_edge, aspect kept, metadata
 * stripped, 8 bits per sample, at most AT_BUS_CHUNK bytes. On anything but
 * DOC_PREVIEW_OK, out is empty and why (cap bytes) says what went wrong,
 * for the log. Needs document_previews_init; one thread at a time. */
doc_preview_rc_t doc_preview_render(const char *path, const char *content_type,
                                    const doc_preview_limits_t *limits, doc_preview_png_t *out,
                                    char *why, size_t cap);

/* The JPEG loader's shrink-on-load factor (1, 2, 4 or 8) for a width x
 * height source: the largest that still leaves the longest side at least
 * max_edge pixels. Pure. */
int doc_preview_jpeg_shrink(int width, int height, int max_edge);

/* The scale at which a PDF page of width x height points (1/72 in) renders
 * with its longest side max_edge pixels; 0 for a page without area. Pure. */
double doc_preview_pdf_scale(double width, double height, int max_edge);

/* True when a width x height image is past max_pixels (or has no pixels).
 * Pure, without overflow. */
bool doc_preview_too_big(int64_t width, int64_t height, int64_t max_pixels);

#endif
