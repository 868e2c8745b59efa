/* at_tenancy: client existence for all_clients principals (see header). */
#include "at_tenancy.h"
#include "at_text.h"
#include "tenancy.pb-c.h"
#include "at_time.h"
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* Clients auth confirmed for a firm, per thread: a client never changes
 * firm, so a positive answer stays true; entries still expire after
 * S_TTL_MS so that a client deleted by a later feature stops resolving.
 * Negative answers are never kept. */
#define S_SLOTS 256
#define S_TTL_MS 60000
typedef struct {
    char key[80]; /* firm_id '/' client_id, lower case */
    int64_t until;
} s_slot_t;
static _Thread_local s_slot_t s_cache[S_SLOTS];
static _Thread_local unsigned s_next;

static void s_key(char *out, size_t n, const char *firm_id, const char *client_id)
{
    snprintf(out, n, "%s/%s", firm_id, client_id);
    for (char *c = out; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char) (*c - 'A' + 'a');
}

static bool s_cached(const char *key)
{
    int64_t now = at_time_mono_ms();
    for (unsigned i = 0; i < S_SLOTS; i++)
        if (s_cache[i].until > now && strcmp(s_cache[i].key, key) == 0)
            return true;
    return false;
}

static void s_remember(const char *key)
{
    s_slot_t *slot = &s_cache[s_next++ % S_SLOTS];
    snprintf(slot->key, sizeof slot->key, "%s", key);
    slot->until = at_time_mono_ms() + S_TTL_MS;
}

at_status_t at_client_visible(at_ctx_t *ctx, const char *client_id, const char **role)
{
    *role = NULL;
    const Atrium__Principal *p = ctx->principal;
    const char *r =
        p && at_text_uuid(client_id) ? at_can_see_client(ctx, p->firm_id, client_id) : NULL;
    if (!r)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "client does not exist");
    for (size_t i = 0; i < p->n_clients; i++)
        if (p->clients[i]->client_id && strcasecmp(p->clients[i]->client_id, client_id) == 0) {
            *role = r;
            return AT_OK;
        }
    char key[80];
    s_key(key, sizeof key, p->firm_id, client_id);
    if (s_cached(key)) {
        *role = r;
        return AT_OK;
    }
    Atrium__Tenancy__ClientRef req = ATRIUM__TENANCY__CLIENT_REF__INIT;
    req.client_id = (char *) client_id;
    ProtobufCMessage *reply = NULL;
    at_status_t st = at_call(ctx, "auth.client_get", &req.base, NULL, &reply);
    if (st == AT_NOT_FOUND || st == AT_FORBIDDEN)
        return at_fail(ctx, AT_NOT_FOUND, NULL, "client does not exist");
    if (!at_status_is_success(st))
        return st;
    s_remember(key);
    *role = r;
    return AT_OK;
}

const char *at_client_scope(at_ctx_t *ctx, bool *all)
{
    const Atrium__Principal *p = ctx->principal;
    *all = p && at_is_staff(ctx) && p->has_all_clients && p->all_clients;
    json_t *arr = json_array();
    for (size_t i = 0; p && !*all && i < p->n_clients; i++)
        if (at_text_uuid(p->clients[i]->client_id))
            json_array_append_new(arr, json_string(p->clients[i]->client_id));
    char *text = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    if (!text)
        abort(); /* only out of memory fails here */
    const char *out = at_arena_strdup(ctx->arena, text);
    free(text);
    return out;
}
