/* gw_search: GET /api/v1/search?q=&limit= (api.md "Documents"). Asks
 * document.search, tasks.search and messaging.search for the caller's
 * hits, merges them by rank, keeps the best `limit` (default 20, at most 50)
 * and answers {items:[{type,id,title,snippet,client_id}], partial}.
 *
 * A service that cannot answer (down, slow, failing) does not fail the
 * search: the others' hits come back with "partial": true. Only when no
 * service answers is it an error (503 when they are unreachable). It does
 * no searching itself: each service folds, matches and checks tenancy over
 * its own schema.
 */
#include "at_log.h"
#include "at_search.h"
#include "at_text.h"
#include "at_time.h"
#include "gw.h"
#include "search.pb-c.h"
#include <stdlib.h>
#include <string.h>

static const char *const s_methods[] = {"document.search", "tasks.search", "messaging.search"};
#define S_N (sizeof s_methods / sizeof *s_methods)

typedef struct {
    Atrium__Search__SearchResult *result[S_N]; /* NULL: that service did not answer */
    at_status_t status[S_N];
    Atrium__Reply *reply[S_N]; /* the service's reply to a failure, or NULL */
} s_answers_t;

/* Asks every service, one after the other, each with an equal share of the
 * time left (so one hung service costs its share, not the whole deadline).
 * The only place the calls are made: running them concurrently changes
 * this function alone. */
static void s_ask(gw_req_t *r, const Atrium__Search__SearchRequest *rq, s_answers_t *a)
{
    int64_t deadline = r->deadline_ms;
    for (size_t i = 0; i < S_N; i++) {
        int64_t now = at_time_now_ms();
        int64_t left = deadline - now;
        r->deadline_ms = left > 0 ? now + left / (int64_t) (S_N - i) : deadline;
        ProtobufCMessage *out = NULL;
        a->status[i] = gw_call_msg(r, s_methods[i], true, &rq->base,
                                   &atrium__search__search_result__descriptor, &out, &a->reply[i]);
        a->result[i] = at_status_is_success(a->status[i]) ? (void *) out : NULL;
    }
    r->deadline_ms = deadline;
}

/* Best first: rank, then type and id so equal ranks keep one order. */
static int s_cmp(const void *pa, const void *pb)
{
    const Atrium__Search__SearchHit *a = *(Atrium__Search__SearchHit *const *) pa;
    const Atrium__Search__SearchHit *b = *(Atrium__Search__SearchHit *const *) pb;
    if (a->rank != b->rank)
        return a->rank > b->rank ? -1 : 1;
    int c = strcmp(a->type ? a->type : "", b->type ? b->type : "");
    return c ? c : strcmp(a->id ? a->id : "", b->id ? b->id : "");
}

static json_t *s_str(const char *s)
{
    return json_string(s ? s : "");
}

void gw_search(gw_req_t *r)
{
    const char *q = gw_query(r, "q");
    if (!q || !at_text_has_text(q))
        return gw_send_error(r, 400, "validation_failed", "q is required", "q", 0);
    long chars = at_text_utf8_length(q);
    if ((chars < 0 ? (long) strlen(q) : chars) > AT_SEARCH_QUERY_MAX)
        return gw_send_error(r, 400, "validation_failed", "q must be at most 1000 characters", "q",
                             0);
    int limit = AT_SEARCH_LIMIT_DEFAULT;
    const char *ls = gw_query(r, "limit");
    if (ls && *ls) {
        char *end = NULL;
        long v = strtol(ls, &end, 10);
        if (*end || v < 1)
            return gw_send_error(r, 400, "validation_failed", "limit must be a positive integer",
                                 "limit", 0);
        limit = v > AT_SEARCH_LIMIT_MAX ? AT_SEARCH_LIMIT_MAX : (int) v;
    }
    Atrium__Search__SearchRequest rq = ATRIUM__SEARCH__SEARCH_REQUEST__INIT;
    rq.q = (char *) q;
    rq.has_limit = 1;
    rq.limit = limit;
    s_answers_t a = {0};
    s_ask(r, &rq, &a);

    size_t answered = 0, total = 0;
    int first_failed = -1;
    for (size_t i = 0; i < S_N; i++) {
        if (a.result[i]) {
            answered++;
            total += a.result[i]->n_items;
            continue;
        }
        at_status_t st = a.status[i];
        if (st == AT_VALIDATION_FAILED || st == AT_BAD_REQUEST) /* the query's fault, not theirs */
            return gw_send_status(r, st, a.reply[i] ? a.reply[i]->message : "q is not valid",
                                  a.reply[i] ? a.reply[i]->field : NULL, 0);
        at_warn("search: %s answered %s; the result is partial", s_methods[i], at_status_code(st));
        if (first_failed < 0)
            first_failed = (int) i;
    }
    if (!answered) {
        const Atrium__Reply *rep = a.reply[first_failed];
        return gw_send_status(r, a.status[first_failed],
                              rep && rep->message ? rep->message : "search is unavailable", NULL,
                              rep && rep->has_retry_after ? rep->retry_after : 1);
    }
    Atrium__Search__SearchHit **hits = at_arena_alloc(r->arena, sizeof *hits * (total ? total : 1));
    size_t n = 0;
    for (size_t i = 0; i < S_N; i++)
        for (size_t k = 0; a.result[i] && k < a.result[i]->n_items; k++)
            hits[n++] = a.result[i]->items[k];
    qsort(hits, n, sizeof *hits, s_cmp);
    json_t *items = json_array();
    for (size_t i = 0; i < n && i < (size_t) limit; i++)
        json_array_append_new(
            items, json_pack("{s:o, s:o, s:o, s:o, s:o}", "type", s_str(hits[i]->type), "id",
                             s_str(hits[i]->id), "title", s_str(hits[i]->title), "snippet",
                             s_str(hits[i]->snippet), "client_id", s_str(hits[i]->client_id)));
    json_t *body = json_pack("{s:o, s:b}", "items", items, "partial", answered < S_N);
    gw_send_json(r, 200, body, NULL);
    json_decref(body);
}
