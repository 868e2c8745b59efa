/* document_signatures_pdf: a certificate as PDF through cairo (see header).
 * Uses cairo's toy font API with DejaVu Sans (fonts-dejavu-core, found by
 * fontconfig); no images, no links, nothing interactive. */
#include "document_signatures_pdf.h"
#include "document_signatures_logic.h"
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PAGE_W 595.28 /* A4 in points */
#define S_PAGE_H 841.89
#define S_MARGIN 56.0
#define S_LABEL_W 110.0
#define S_SIZE 8.5
#define S_LEAD 12.0
#define S_MAX_LINES 64 /* of one value; the rest is cut with an ellipsis */

typedef struct {
    unsigned char *buf;
    size_t len, cap, max;
    int too_big;
} s_sink_t;

static cairo_status_t s_write(void *closure, const unsigned char *data, unsigned int length)
{
    s_sink_t *k = closure;
    if (k->len + length > k->max) {
        k->too_big = 1;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    if (k->len + length > k->cap) {
        size_t cap = k->cap ? k->cap : 65536;
        while (cap < k->len + length)
            cap *= 2;
        unsigned char *b = realloc(k->buf, cap);
        if (!b)
            abort();
        k->buf = b;
        k->cap = cap;
    }
    memcpy(k->buf + k->len, data, length);
    k->len += length;
    return CAIRO_STATUS_SUCCESS;
}

typedef struct {
    cairo_t *cr;
    double y;
} s_pen_t;

static double s_measure(const char *s, size_t len, void *arg)
{
    cairo_t *cr = arg;
    char buf[1024];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    cairo_text_extents_t ext;
    cairo_text_extents(cr, buf, &ext);
    return ext.x_advance;
}

static void s_font(cairo_t *cr, bool bold, double size)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static void s_room(s_pen_t *p, double need)
{
    if (p->y + need <= S_PAGE_H - S_MARGIN)
        return;
    cairo_show_page(p->cr);
    p->y = S_MARGIN;
}

static void s_show(cairo_t *cr, double x, double y, const char *s, size_t len)
{
    char buf[1024];
    if (len >= sizeof buf)
        len = sizeof buf - 1;
    memcpy(buf, s, len);
    buf[len] = 0;
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, buf);
}

/* One "label  value" row; the value wrapped within the right column. */
static void s_row(s_pen_t *p, const char *label, const char *value)
{
    if (!value)
        value = "-";
    cairo_t *cr = p->cr;
    s_font(cr, false, S_SIZE);
    doc_sign_span_t spans[S_MAX_LINES];
    double x = S_MARGIN + S_LABEL_W, width = S_PAGE_W - S_MARGIN - x;
    size_t n = doc_sign_wrap(value, width, s_measure, cr, spans, S_MAX_LINES);
    size_t shown = n < S_MAX_LINES ? n : S_MAX_LINES;
    if (shown == 0)
        shown = 1, spans[0] = (doc_sign_span_t){0, 0};
    s_room(p, S_LEAD);
    s_font(cr, true, S_SIZE);
    s_show(cr, S_MARGIN, p->y, label, strlen(label));
    s_font(cr, false, S_SIZE);
    for (size_t i = 0; i < shown; i++) {
        if (i)
            s_room(p, S_LEAD);
        s_show(cr, x, p->y, value + spans[i].off, spans[i].len);
        if (i + 1 == shown && n > shown)
            cairo_show_text(cr, " ...");
        p->y += S_LEAD;
    }
}

static void s_heading(s_pen_t *p, const char *text, double size)
{
    s_room(p, size * 2.2);
    p->y += size * 0.6;
    s_font(p->cr, true, size);
    s_show(p->cr, S_MARGIN, p->y, text, strlen(text));
    p->y += size * 1.2;
}

static const char *s_i64(char *buf, size_t n, bool has, int64_t v)
{
    if (!has)
        return NULL;
    snprintf(buf, n, "%" PRId64, v);
    return buf;
}

static void s_body(s_pen_t *p, const Atrium__Document__Certificate *c)
{
    char num[32], title[160];
    bool approval = c->kind && strcmp(c->kind, "approval") == 0;
    s_heading(p, approval ? "Certificate of approval" : "Certificate of signature", 16);
    s_heading(p, "Document", 11);
    s_row(p, "Name", c->document_name);
    s_row(p, "Document id", c->document_id);
    s_row(p, "Version", s_i64(num, sizeof num, c->has_document_version, c->document_version));
    s_row(p, "SHA-256", c->document_sha256);
    s_heading(p, "Request", 11);
    s_row(p, "Request id", c->request_id);
    s_row(p, "Kind", c->kind);
    s_row(p, "Status", c->status);
    s_row(p, "Message", c->message);
    s_row(p, "Requested by", c->created_by);
    s_row(p, "Requested at", c->created_at);
    s_row(p, "Completed at", c->completed_at);
    for (size_t i = 0; i < c->n_signers; i++) {
        const Atrium__Document__CertificateSigner *s = c->signers[i];
        snprintf(title, sizeof title, "Signer %zu", i + 1);
        s_heading(p, title, 11);
        s_row(p, "Name", s->name);
        s_row(p, "User id", s->user_id);
        s_row(p, "Status", s->status);
        s_row(p, "Typed name", s->typed_name);
        s_row(p, "Time", s->signed_at);
        s_row(p, "IP address", s->ip);
        s_row(p, "User agent", s->user_agent);
        if (s->reason)
            s_row(p, "Reason", s->reason);
        s_row(p, "Audit event", s->audit_event_id);
        s_row(p, "Audit seq",
              s->has_audit_seq    ? s_i64(num, sizeof num, true, s->audit_seq)
              : s->audit_event_id ? "pending (not in the trail yet)"
                                  : NULL);
        s_row(p, "Audit hash", s->audit_hash);
    }
    s_heading(p, "Audit events", 11);
    for (size_t i = 0; i < c->n_events; i++) {
        const Atrium__Document__CertificateEvent *e = c->events[i];
        char *line = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&line, &size);
        if (!f)
            abort();
        fprintf(f, "%s  %s  seq %s  hash %s", e->at ? e->at : "-", e->event_id ? e->event_id : "-",
                e->has_audit_seq ? s_i64(num, sizeof num, true, e->audit_seq) : "pending",
                e->audit_hash ? e->audit_hash : "pending");
        fclose(f);
        s_row(p, e->action ? e->action : "-", line);
        free(line);
    }
    s_heading(p, "", 4);
    s_row(p, "Generated at", c->generated_at);
}

int doc_sign_pdf(const Atrium__Document__Certificate *cert, size_t max, unsigned char **out,
                 size_t *len)
{
    *out = NULL;
    *len = 0;
    s_sink_t sink = {.max = max};
    cairo_surface_t *surface =
        cairo_pdf_surface_create_for_stream(s_write, &sink, S_PAGE_W, S_PAGE_H);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE,
                                   "Atrium signature certificate");
    char subject[128];
    snprintf(subject, sizeof subject, "sha256 %s",
             cert->document_sha256 ? cert->document_sha256 : "-");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, subject);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Atrium");
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 0, 0, 0);
    s_pen_t pen = {cr, S_MARGIN};
    s_body(&pen, cert);
    cairo_show_page(cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (st != CAIRO_STATUS_SUCCESS || sink.too_big) {
        free(sink.buf);
        return -1;
    }
    *out = sink.buf;
    *len = sink.len;
    return 0;
}

void doc_sign_pdf_shutdown(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
