/* document_search: document.search and the background text extraction (see
 * document_search.h). */
#include "document_search.h"
#include "at_log.h"
#include "at_search.h"
#include "at_text.h"
#include "at_time.h"
#include "document_blob.h"
#include "document_store.h"
#include <errno.h>
#include <fcntl.h>
#include <poppler.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_LEASE_S 60      /* a claimed job is tried again this long x attempts after a crash */
#define S_RETRY_S 30      /* a failed attempt is retried this long x attempts later */
#define S_TICK_US 2000000 /* one tick's extraction budget */

typedef struct {
    char *text;
    size_t len, cap;
} s_text_t;

/* The length of the longest prefix of s (len bytes) that does not end in
 * the middle of a UTF-8 sequence. */
static size_t s_utf8_cut(const char *s, size_t len)
{
    size_t i = len;
    while (i > 0 && len - i < 4 && ((unsigned char) s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return 0;
    unsigned char lead = (unsigned char) s[i - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return len - (i - 1) >= need ? len : i - 1;
}

/* Appends up to DOC_TEXT_MAX_BYTES in all; false once full. */
static bool s_append(s_text_t *t, const char *s, size_t n)
{
    if (t->len + n > DOC_TEXT_MAX_BYTES)
        n = s_utf8_cut(s, DOC_TEXT_MAX_BYTES - t->len);
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->text = realloc(t->text, cap);
        if (!t->text)
            abort();
        t->cap = cap;
    }
    memcpy(t->text + t->len, s, n);
    t->len += n;
    t->text[t->len] = 0;
    return t->len < DOC_TEXT_MAX_BYTES;
}

/* The text of the first DOC_TEXT_MAX_PAGES pages. 1: not a PDF poppler
 * can open (broken, encrypted): no text, for good. */
static int s_pdf(const char *path, s_text_t *out, const char **why)
{
    GError *err = NULL;
    char *uri = g_filename_to_uri(path, NULL, &err);
    if (!uri) {
        g_clear_error(&err);
        *why = "the blob path is not a file name";
        return -1;
    }
    PopplerDocument *doc = poppler_document_new_from_file(uri, NULL, &err);
    g_free(uri);
    if (!doc) {
        bool missing = err && err->domain == POPPLER_ERROR && err->code == POPPLER_ERROR_OPEN_FILE;
        g_clear_error(&err);
        *why = missing ? "the blob cannot be read" : "poppler cannot open the PDF";
        return missing ? -1 : 1;
    }
    int pages = poppler_document_get_n_pages(doc);
    bool room = true;
    for (int i = 0; i < pages && i < DOC_TEXT_MAX_PAGES && room; i++) {
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (!page)
            continue;
        char *t = poppler_page_get_text(page);
        if (t) {
            if (!g_utf8_validate(t, -1, NULL)) {
                char *valid = g_utf8_make_valid(t, -1);
                g_free(t);
                t = valid;
            }
            room = s_append(out, t, strlen(t)) && s_append(out, "\n", 1);
            g_free(t);
        }
        g_object_unref(page);
    }
    g_object_unref(doc);
    return 0;
}

/* A UTF-8 text file's first DOC_TEXT_MAX_BYTES. 1: not UTF-8 text. */
static int s_plain(const char *path, s_text_t *out, const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *why = "the blob cannot be opened";
        return -1;
    }
    size_t cap = DOC_TEXT_MAX_BYTES, len = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        abort();
    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            free(buf);
            *why = "the blob cannot be read";
            return -1;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    char probe;
    bool more = read(fd, &probe, 1) == 1;
    close(fd);
    if (more)
        len = s_utf8_cut(buf, len);
    buf[len] = 0;
    size_t start = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* BOM */
    if (memchr(buf, 0, len) || at_text_utf8_length(buf + start) < 0) {
        free(buf);
        *why = "not UTF-8 text";
        return 1;
    }
    s_append(out, buf + start, len - start);
    free(buf);
    return 0;
}

int doc_text_extract(const char *path, const char *content_type, char **text, size_t *len,
                     const char **why)
{
    s_text_t t = {0};
    s_append(&t, "", 0);
    int rc = 0;
    const char *ct = content_type ? content_type : "";
    if (strncmp(ct, "application/pdf", 15) == 0)
        rc = s_pdf(path, &t, why);
    else if (strncmp(ct, "text/plain", 10) == 0 || strncmp(ct, "text/csv", 8) == 0)
        rc = s_plain(path, &t, why);
    if (rc < 0) {
        free(t.text);
        return -1;
    }
    if (rc > 0)
        t.len = 0, t.text[0] = 0;
    *text = t.text;
    *len = t.len;
    return 0;
}

/* Stores text as the job's version's text; a search vector PostgreSQL
 * finds too long (random tokens) is built from less of the text. */
static at_status_t s_save(at_ctx_t *ctx, const doc_text_job_t *job, const char *text)
{
    at_fold_t f;
    at_search_fold(text, strlen(text), false, &f);
    at_status_t st = AT_INTERNAL;
    for (int i = 0; i < 6 && st == AT_INTERNAL; i++) {
        st = doc_store_text_save(ctx, job, text, f.text);
        if (st == AT_INTERNAL) { /* halve it at a word */
            size_t cut = f.len / 2;
            while (cut > 0 && f.text[cut] != ' ')
                cut--;
            f.text[cut] = 0;
            f.len = cut;
        }
    }
    at_fold_free(&f);
    return st;
}

static void s_job(at_ctx_t *ctx, const doc_text_job_t *job)
{
    if (job->version != job->current_version) { /* a newer version has its own job */
        doc_store_text_drop(ctx, job->id);
        return;
    }
    if (job->attempts > DOC_TEXT_ATTEMPTS) {
        at_warn("document %s v%d: text extraction given up after %d attempts", job->document_id,
                job->version, DOC_TEXT_ATTEMPTS);
        s_save(ctx, job, ""); /* no stale text of an older version stays */
        return;
    }
    doc_version_t *v = NULL;
    at_status_t st = doc_store_version_get(ctx, job->document_id, job->version, &v);
    if (st == AT_NOT_FOUND) {
        doc_store_text_drop(ctx, job->id);
        return;
    }
    if (st != AT_OK)
        return; /* the lease brings it back */
    char path[DOC_PATH_MAX];
    if (doc_blob_path(path, sizeof path, document_blob_dir(ctx), v->sha256) != 0) {
        doc_store_text_retry(ctx, job, S_RETRY_S * job->attempts, "blob path too long");
        return;
    }
    char *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    int64_t started = at_time_mono_us();
    if (doc_text_extract(path, v->content_type, &text, &len, &why) != 0) {
        at_warn("document %s v%d: text extraction failed (attempt %d): %s", job->document_id,
                job->version, job->attempts, why);
        doc_store_text_retry(ctx, job, S_RETRY_S * job->attempts, why);
        return;
    }
    st = s_save(ctx, job, text);
    if (st == AT_OK)
        at_debug("document %s v%d: %zu bytes of text in %lld us", job->document_id, job->version,
                 len, (long long) (at_time_mono_us() - started));
    free(text);
}

/* Names stored before search existed get their vector, a batch a tick. */
static void s_names(at_ctx_t *ctx)
{
    at_arena_reset(ctx->arena);
    const char **ids = NULL, **names = NULL;
    int n = 0;
    if (doc_store_names_unfolded(ctx, 200, &ids, &names, &n) != AT_OK)
        return;
    for (int i = 0; i < n; i++) {
        char *folded = at_search_fold_str(names[i]);
        doc_store_name_folded(ctx, ids[i], names[i], folded);
        free(folded);
    }
}

void document_text_tick(at_ctx_t *ctx)
{
    int64_t until = at_time_mono_us() + S_TICK_US;
    for (int i = 0; i < 50 && at_time_mono_us() < until; i++) {
        at_arena_reset(ctx->arena);
        doc_text_job_t job;
        if (doc_store_text_claim(ctx, S_LEASE_S, &job) != AT_OK)
            break;
        s_job(ctx, &job);
    }
    s_names(ctx);
}

at_status_t document_search(at_ctx_t *ctx, const ProtobufCMessage *req, ProtobufCMessage **reply)
{
    const Atrium__Search__SearchRequest *rq = (const void *) req;
    at_search_query_t q;
    char *tsquery = NULL;
    int limit = 0;
    at_status_t st = at_search_begin(ctx, rq->q, rq->has_limit, rq->limit, &q, &tsquery, &limit);
    Atrium__Search__SearchResult *out = at_msg_new(ctx, &atrium__search__search_result__descriptor);
    if (st == AT_OK && tsquery)
        st = doc_store_search(ctx, ctx->principal->firm_id, at_search_clients(ctx),
                              at_is_staff(ctx), tsquery, &q, limit, out);
    at_search_query_free(&q);
    if (st != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}
