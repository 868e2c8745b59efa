/* at_search: folding, query text and snippets for full-text search (see
 * at_search.h). */
#include "at_search.h"
#include "at_text.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

typedef struct {
    char *text;
    size_t len, cap;
    size_t *map; /* NULL: no map kept */
} s_buf_t;

static void s_reserve(s_buf_t *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->text = realloc(b->text, cap);
    if (!b->text)
        abort();
    if (b->map) {
        b->map = realloc(b->map, cap * sizeof *b->map);
        if (!b->map)
            abort();
    }
    b->cap = cap;
}

static void s_put(s_buf_t *b, const char *bytes, size_t n, size_t src)
{
    s_reserve(b, n);
    memcpy(b->text + b->len, bytes, n);
    if (b->map)
        for (size_t i = 0; i < n; i++)
            b->map[b->len + i] = src;
    b->len += n;
}

/* Letters that have no decomposition but a plain spelling most people type
 * instead (after case folding, so only the lower-case forms appear). */
static const char *s_plain(ucs4_t c)
{
    switch (c) {
    case 0x00E6: return "ae"; /* æ */
    case 0x00F0: return "d";  /* ð */
    case 0x00F8: return "o";  /* ø */
    case 0x00FE: return "th"; /* þ */
    case 0x0111: return "d";  /* đ */
    case 0x0127: return "h";  /* ħ */
    case 0x0131: return "i";  /* ı */
    case 0x0142: return "l";  /* ł */
    case 0x0153: return "oe"; /* œ */
    case 0x0167: return "t";  /* ŧ */
    default: return NULL;
    }
}

/* Emits one folded character: itself when a letter or digit, else a space. */
static void s_emit(s_buf_t *b, ucs4_t c, size_t src)
{
    if (c < 0x80) {
        char ch = (char) c;
        if (c >= 'A' && c <= 'Z')
            ch = (char) (c - 'A' + 'a');
        else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            ch = ' ';
        s_put(b, &ch, 1, src);
        return;
    }
    const char *plain = s_plain(c);
    if (plain) {
        s_put(b, plain, strlen(plain), src);
        return;
    }
    if (!uc_is_alnum(c)) {
        s_put(b, " ", 1, src);
        return;
    }
    uint8_t u8[6];
    int n = u8_uctomb(u8, c, sizeof u8);
    if (n > 0)
        s_put(b, (const char *) u8, (size_t) n, src);
    else
        s_put(b, " ", 1, src);
}

/* NFKD of c without its combining marks, each passed to fn. */
static void s_decompose(ucs4_t c, void (*fn)(s_buf_t *, ucs4_t, size_t), s_buf_t *b, size_t src)
{
    uint32_t buf[32];
    size_t n = sizeof buf / sizeof *buf;
    uint32_t *d = u32_normalize(UNINORM_NFKD, &c, 1, buf, &n);
    if (!d) {
        s_put(b, " ", 1, src);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (!uc_is_general_category(d[i], UC_CATEGORY_M))
            fn(b, d[i], src);
    if (d != buf)
        free(d);
}

/* Case-folds c (already decomposed) and decomposes the result again: İ
 * folds to i with a combining dot, which must go too. */
static void s_casefold(s_buf_t *b, ucs4_t c, size_t src)
{
    uint32_t buf[8];
    size_t n = sizeof buf / sizeof *buf;
    uint32_t *f = u32_casefold(&c, 1, NULL, NULL, buf, &n);
    if (!f) {
        s_put(b, " ", 1, src);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (f[i] < 0x80)
            s_emit(b, f[i], src);
        else
            s_decompose(f[i], s_emit, b, src);
    }
    if (f != buf)
        free(f);
}

int at_search_fold(const char *s, size_t len, bool with_map, at_fold_t *out)
{
    s_buf_t b = {0};
    if (with_map) {
        b.map = malloc(sizeof *b.map);
        if (!b.map)
            abort();
        b.cap = 0;
    }
    s_reserve(&b, len);
    const uint8_t *p = (const uint8_t *) (s ? s : "");
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { /* the common case, without libunistring */
            s_emit(&b, p[i], i);
            i++;
            continue;
        }
        ucs4_t c;
        int n = u8_mbtouc(&c, p + i, len - i);
        if (n <= 0)
            n = 1;
        s_decompose(c, s_casefold, &b, i);
        i += (size_t) n;
    }
    s_reserve(&b, 0);
    b.text[b.len] = 0;
    if (b.map)
        b.map[b.len] = len;
    out->text = b.text;
    out->len = b.len;
    out->map = b.map;
    return 0;
}

void at_fold_free(at_fold_t *f)
{
    if (!f)
        return;
    free(f->text);
    free(f->map);
    f->text = NULL;
    f->map = NULL;
    f->len = 0;
}

char *at_search_fold_str(const char *s)
{
    at_fold_t f;
    at_search_fold(s, s ? strlen(s) : 0, false, &f);
    return f.text;
}

int at_search_query_parse(const char *q, at_search_query_t *out)
{
    memset(out, 0, sizeof *out);
    at_fold_t f;
    at_search_fold(q, q ? strlen(q) : 0, false, &f);
    size_t i = 0;
    while (i < f.len && out->n < AT_SEARCH_WORDS_MAX) {
        while (i < f.len && f.text[i] == ' ')
            i++;
        size_t start = i;
        while (i < f.len && f.text[i] != ' ')
            i++;
        size_t wl = i - start;
        if (!wl)
            break;
        bool cut = false;
        if (wl > AT_SEARCH_WORD_MAX) {
            wl = AT_SEARCH_WORD_MAX;
            while (wl > 0 && ((unsigned char) f.text[start + wl] & 0xC0) == 0x80)
                wl--; /* never cut a UTF-8 sequence */
            cut = true;
        }
        out->words[out->n] = strndup(f.text + start, wl);
        if (!out->words[out->n])
            abort();
        out->prefix[out->n] = cut;
        out->n++;
    }
    if (out->n)
        out->prefix[out->n - 1] = true;
    at_fold_free(&f);
    return 0;
}

void at_search_query_free(at_search_query_t *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->n; i++)
        free(q->words[i]);
    memset(q, 0, sizeof *q);
}

char *at_search_tsquery(const at_search_query_t *q)
{
    if (!q || !q->n)
        return NULL;
    s_buf_t b = {0};
    for (size_t i = 0; i < q->n; i++) {
        if (i)
            s_put(&b, " & ", 3, 0);
        s_put(&b, "'", 1, 0);
        for (const char *c = q->words[i]; *c; c++) {
            if (*c == '\'' || *c == '\\')
                s_put(&b, "\\", 1, 0);
            s_put(&b, c, 1, 0);
        }
        s_put(&b, "'", 1, 0);
        if (q->prefix[i])
            s_put(&b, ":*", 2, 0);
    }
    s_reserve(&b, 0);
    b.text[b.len] = 0;
    return b.text;
}

long at_search_find(const at_fold_t *f, const at_search_query_t *q, size_t *match_len)
{
    if (!f || !q || !q->n)
        return -1;
    for (size_t i = 0; i < f->len; i++) {
        if (f->text[i] == ' ' || (i > 0 && f->text[i - 1] != ' '))
            continue;
        for (size_t k = 0; k < q->n; k++) {
            size_t wl = strlen(q->words[k]);
            if (i + wl > f->len || memcmp(f->text + i, q->words[k], wl) != 0)
                continue;
            if (q->prefix[k] || i + wl == f->len || f->text[i + wl] == ' ') {
                if (match_len)
                    *match_len = wl;
                return (long) i;
            }
        }
    }
    return -1;
}

/* The start of the character before byte offset i of s. */
static size_t s_prev(const char *s, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && ((unsigned char) s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

static bool s_blank(ucs4_t c)
{
    return c < 0x20 || c == 0x7F || c == 0x85 || c == 0xA0 || c == 0x2028 || c == 0x2029 ||
           c == ' ' || c == 0xFEFF;
}

char *at_search_snippet(const char *s, size_t len, const at_search_query_t *q, size_t max_chars)
{
    if (!s || !len || !max_chars)
        return strdup("");
    size_t start = 0;
    if (q && q->n) {
        at_fold_t f;
        at_search_fold(s, len, true, &f);
        long at = at_search_find(&f, q, NULL);
        if (at >= 0) {
            size_t hit = f.map[at];
            start = hit;
            for (size_t i = 0; i < max_chars / 3 && start > 0; i++)
                start = s_prev(s, start);
            /* begin at a word: just after the first blank before the hit */
            if (start > 0) {
                size_t p = start;
                while (p < hit && s[p] != ' ' && s[p] != '\n' && s[p] != '\t')
                    p++;
                if (p < hit)
                    start = p + 1;
            }
        }
        at_fold_free(&f);
    }
    s_buf_t b = {0};
    if (start > 0)
        s_put(&b, "\xE2\x80\xA6", 3, 0); /* … */
    size_t lead = b.len, chars = 0, i = start, last_blank = 0;
    bool blank = true; /* drops leading blanks */
    while (i < len && chars < max_chars) {
        ucs4_t c;
        int n = u8_mbtouc(&c, (const uint8_t *) s + i, len - i);
        if (n <= 0)
            n = 1;
        bool bad = c == 0xFFFD && !(n == 3 && memcmp(s + i, "\xEF\xBF\xBD", 3) == 0);
        if (bad) {
            /* not well-formed: left out */
        } else if (s_blank(c)) {
            if (!blank) {
                last_blank = b.len;
                s_put(&b, " ", 1, 0);
                chars++;
            }
            blank = true;
        } else {
            s_put(&b, s + i, (size_t) n, 0);
            chars++;
            blank = false;
        }
        i += (size_t) n;
    }
    bool cut = i < len;
    if (cut && last_blank > lead && last_blank >= lead + (b.len - lead) * 2 / 3)
        b.len = last_blank; /* end at a word */
    while (b.len > lead && b.text[b.len - 1] == ' ')
        b.len--;
    if (cut)
        s_put(&b, "\xE2\x80\xA6", 3, 0);
    s_reserve(&b, 0);
    b.text[b.len] = 0;
    return b.text;
}

at_status_t at_search_begin(at_ctx_t *ctx, const char *q, bool has_limit, int32_t limit_in,
                            at_search_query_t *pq, char **tsquery, int *limit)
{
    memset(pq, 0, sizeof *pq);
    *tsquery = NULL;
    *limit = AT_SEARCH_LIMIT_DEFAULT;
    if (!q || !at_text_has_text(q))
        return at_fail(ctx, AT_VALIDATION_FAILED, "q", "q is required");
    long chars = at_text_utf8_length(q);
    if ((chars < 0 ? (long) strlen(q) : chars) > AT_SEARCH_QUERY_MAX)
        return at_fail(ctx, AT_VALIDATION_FAILED, "q", "q must be at most %d characters",
                       AT_SEARCH_QUERY_MAX);
    if (has_limit && limit_in > 0)
        *limit = limit_in > AT_SEARCH_LIMIT_MAX ? AT_SEARCH_LIMIT_MAX : limit_in;
    at_search_query_parse(q, pq);
    char *t = at_search_tsquery(pq);
    *tsquery = t ? at_str(ctx, t) : NULL;
    free(t);
    return AT_OK;
}

at_status_t at_search_handle(at_ctx_t *ctx, const ProtobufCMessage *request,
                             ProtobufCMessage **reply, at_search_store_fn fn)
{
    const Atrium__Search__SearchRequest *in = (const void *) request;
    at_search_query_t q;
    char *tsquery = NULL;
    int limit = 0;
    at_status_t st = at_search_begin(ctx, in->q, in->has_limit, in->limit, &q, &tsquery, &limit);
    Atrium__Search__SearchResult *out = at_msg_new(ctx, &atrium__search__search_result__descriptor);
    if (st == AT_OK && tsquery)
        st = fn(ctx->db, ctx->arena, ctx->principal->firm_id, at_search_clients(ctx), tsquery, &q,
                limit, out);
    at_search_query_free(&q);
    if (st != AT_OK)
        return st;
    *reply = &out->base;
    return AT_OK;
}

void at_search_hits_add(at_arena_t *arena, const PGresult *res, const char *type,
                        const at_search_query_t *q, size_t snippet_chars,
                        Atrium__Search__SearchResult *out)
{
    for (int i = 0; i < PQntuples(res); i++) {
        Atrium__Search__SearchHit *h = at_arena_alloc(arena, sizeof *h);
        atrium__search__search_hit__init(h);
        h->type = (char *) type;
        h->id = at_arena_strdup(arena, PQgetvalue(res, i, 0));
        h->client_id =
            PQgetisnull(res, i, 1) ? NULL : at_arena_strdup(arena, PQgetvalue(res, i, 1));
        h->title = PQgetisnull(res, i, 2) ? NULL : at_arena_strdup(arena, PQgetvalue(res, i, 2));
        char *snip = at_search_snippet(PQgetvalue(res, i, 3), (size_t) PQgetlength(res, i, 3), q,
                                       snippet_chars);
        h->snippet = at_arena_strdup(arena, snip ? snip : "");
        free(snip);
        h->has_rank = 1;
        h->rank = strtod(PQgetvalue(res, i, 4), NULL);
        out->items[out->n_items++] = h;
    }
}

const char *at_search_clients(at_ctx_t *ctx)
{
    const Atrium__Principal *p = ctx->principal;
    if (p->has_all_clients && p->all_clients && at_is_staff(ctx))
        return NULL;
    json_t *ids = json_array();
    for (size_t i = 0; i < p->n_clients; i++)
        if (p->clients[i]->client_id && at_text_uuid(p->clients[i]->client_id))
            json_array_append_new(ids, json_string(p->clients[i]->client_id));
    char *text = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    char *out = at_str(ctx, text);
    free(text);
    return out;
}
