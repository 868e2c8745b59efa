/* audit_export: CSV and JSON Lines rows of the trail (see the header). JSON
 * is written and read by jansson only. */
#include "audit_export.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void audit_buf_free(audit_buf_t *b)
{
    free(b->data);
    *b = (audit_buf_t){0};
}

static void s_put(audit_buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort(); /* out of memory: the house rule */
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static void s_puts(audit_buf_t *b, const char *s)
{
    s_put(b, s, strlen(s));
}

/* The columns, in order; the JSON names of the same fields. */
static const char *const s_columns[] = {
    "seq",        "at",         "event_id",      "firm_id",     "actor_id",  "actor_name",
    "actor_kind", "action",     "resource_type", "resource_id", "client_id", "ip",
    "user_agent", "request_id", "source",        "details",     "hash",
};
#define S_NCOLUMNS (sizeof s_columns / sizeof s_columns[0])

/* The event's values in s_columns order; seq is written into seqbuf. */
static void s_values(const audit_chain_event_t *ev, const char *hash, char seqbuf[24],
                     const char *out[S_NCOLUMNS])
{
    snprintf(seqbuf, 24, "%lld", (long long) ev->seq);
    const char *v[S_NCOLUMNS] = {
        seqbuf,         ev->at,         ev->event_id,   ev->firm_id,       ev->actor_id,
        ev->actor_name, ev->actor_kind, ev->action,     ev->resource_type, ev->resource_id,
        ev->client_id,  ev->ip,         ev->user_agent, ev->request_id,    ev->source,
        ev->details,    hash,
    };
    memcpy(out, v, sizeof v);
}

void audit_export_csv_header(audit_buf_t *b)
{
    for (size_t i = 0; i < S_NCOLUMNS; i++) {
        if (i)
            s_puts(b, ",");
        s_puts(b, s_columns[i]);
    }
    s_puts(b, "\r\n");
}

void audit_export_csv_cell(audit_buf_t *b, const char *s)
{
    if (!s || !*s)
        return;
    bool neutralise = strchr("=+-@\t\r", s[0]) != NULL;
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        s_puts(b, "\"");
    if (neutralise)
        s_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            s_puts(b, "\"\"");
        else
            s_put(b, p, 1);
    }
    if (quote)
        s_puts(b, "\"");
}

void audit_export_csv_row(audit_buf_t *b, const audit_chain_event_t *ev, const char *hash)
{
    char seq[24];
    const char *v[S_NCOLUMNS];
    s_values(ev, hash, seq, v);
    for (size_t i = 0; i < S_NCOLUMNS; i++) {
        if (i)
            s_puts(b, ",");
        audit_export_csv_cell(b, v[i]);
    }
    s_puts(b, "\r\n");
}

void audit_export_jsonl_row(audit_buf_t *b, const audit_chain_event_t *ev, const char *hash)
{
    char seq[24];
    const char *v[S_NCOLUMNS];
    s_values(ev, hash, seq, v);
    json_t *o = json_object();
    for (size_t i = 0; i < S_NCOLUMNS; i++) {
        json_t *x;
        if (strcmp(s_columns[i], "seq") == 0)
            x = json_integer((json_int_t) ev->seq);
        else if (strcmp(s_columns[i], "details") == 0 && v[i])
            x = json_loads(v[i], 0, NULL);
        else
            x = v[i] ? json_string(v[i]) : json_null();
        /* a details text that is not JSON (never stored) or a string that is
         * not UTF-8 (json_string refuses it) still gets its key */
        if (!x && v[i])
            x = json_stringn_nocheck(v[i], strlen(v[i]));
        json_object_set_new(o, s_columns[i], x ? x : json_null());
    }
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (line) {
        s_puts(b, line);
        s_puts(b, "\n");
        free(line);
    }
}

static const char *s_opt(json_t *o, const char *key, bool *bad)
{
    json_t *x = json_object_get(o, key);
    if (!x || json_is_null(x))
        return NULL;
    if (!json_is_string(x)) {
        *bad = true;
        return NULL;
    }
    return json_string_value(x);
}

int audit_export_jsonl_parse(const char *line, audit_chain_event_t *ev, const char **hash,
                             json_t **hold, char **details, const char **why)
{
    *ev = (audit_chain_event_t){0};
    *hash = NULL;
    *hold = NULL;
    *details = NULL;
    json_error_t err;
    json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        *why = "the line is not a JSON object";
        return -1;
    }
    json_t *seq = json_object_get(o, "seq");
    json_t *det = json_object_get(o, "details");
    if (!json_is_integer(seq) || !json_is_object(det)) {
        json_decref(o);
        *why = "the line has no integer seq or no details object";
        return -1;
    }
    bool bad = false;
    ev->seq = (int64_t) json_integer_value(seq);
    ev->firm_id = s_opt(o, "firm_id", &bad);
    ev->event_id = s_opt(o, "event_id", &bad);
    ev->at = s_opt(o, "at", &bad);
    ev->actor_id = s_opt(o, "actor_id", &bad);
    ev->actor_name = s_opt(o, "actor_name", &bad);
    ev->actor_kind = s_opt(o, "actor_kind", &bad);
    ev->action = s_opt(o, "action", &bad);
    ev->resource_type = s_opt(o, "resource_type", &bad);
    ev->resource_id = s_opt(o, "resource_id", &bad);
    ev->client_id = s_opt(o, "client_id", &bad);
    ev->ip = s_opt(o, "ip", &bad);
    ev->user_agent = s_opt(o, "user_agent", &bad);
    ev->request_id = s_opt(o, "request_id", &bad);
    ev->source = s_opt(o, "source", &bad);
    *hash = s_opt(o, "hash", &bad);
    if (bad) {
        json_decref(o);
        *why = "a field that must be text or null is not";
        return -1;
    }
    /* The stored text is jansson's compact, key-sorted dump; dumping the
     * parsed object the same way gives it back byte for byte. */
    *details = json_dumps(det, JSON_COMPACT | JSON_SORT_KEYS);
    ev->details = *details;
    *hold = o;
    return 0;
}
