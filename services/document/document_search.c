/* document_search: document.search and the background text extraction (see
 * document_search.h). */
#include "document_search.h"
#include "at_log.h"
#include "at_search.h"
#include "at_time.h"
#include "document_blob.h"
#include "document_store.h"
#include "document_text.h"
#include <stdlib.h>
#include <string.h>

#define S_LEASE_S 60      /* a claimed job is tried again this long x attempts after a crash */
#define S_RETRY_S 30      /* a failed attempt is retried this long x attempts later */
#define S_TICK_US 2000000 /* one tick's extraction budget */

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
