/* auth_session: Redis keys of sessions and principals; tokens come from
 * libsodium, JSON from jansson and at_pbjson. */
#include "auth_session.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_time.h"
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define S_RANDOM_BYTES 32

static char *s_random_b64(at_arena_t *arena)
{
    unsigned char bin[S_RANDOM_BYTES];
    size_t cap =
        sodium_base64_ENCODED_LEN(S_RANDOM_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = at_arena_alloc(arena, cap);
    randombytes_buf(bin, sizeof bin);
    sodium_bin2base64(out, cap, bin, sizeof bin, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(bin, sizeof bin);
    return out;
}

char *auth_random_token(at_arena_t *arena)
{
    return s_random_b64(arena);
}

void auth_session_token_hash(const char *token, char hex[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *) token, strlen(token));
    sodium_bin2hex(hex, 65, digest, sizeof digest);
}

static char *s_key(at_arena_t *arena, const char *prefix, const char *suffix)
{
    return at_arena_printf(arena, "atrium:%s:%s", prefix, suffix);
}

at_status_t auth_session_create(at_cache_t *cache, at_arena_t *arena,
                                const auth_session_spec_t *spec, auth_session_t *out)
{
    out->token = s_random_b64(arena);
    out->csrf = s_random_b64(arena);
    out->id = at_arena_alloc(arena, 65);
    auth_session_token_hash(out->token, out->id);

    int64_t now = at_time_now_ms();
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:s?, s:s?, s:I, s:i}", "user_id", spec->user_id,
                  "firm_id", spec->firm_id, "csrf_token", out->csrf, "created_ms", (json_int_t) now,
                  "expires_ms", (json_int_t) (now + spec->max_s * 1000), "idle_s", spec->idle_s,
                  "ip", spec->ip, "user_agent", spec->user_agent, "last_ms", (json_int_t) now,
                  "generation", spec->generation);
    if (j)
        json_object_set_new(j, "prev_login_ms",
                            spec->prev_login_ms > 0 ? json_integer(spec->prev_login_ms)
                                                    : json_null());
    if (j && spec->mfa_enrolment_only)
        json_object_set_new(j, "mfa_enrolment_only", json_true());
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        abort(); /* only out of memory fails here */
    int64_t set_ttl = spec->set_ttl_s > spec->max_s ? spec->set_ttl_s : spec->max_s;
    int ttl = spec->max_s < spec->idle_s ? (int) spec->max_s : spec->idle_s;
    char *key = s_key(arena, "session", out->id);
    char *set = s_key(arena, "user_sessions", spec->user_id);
    at_status_t st = AT_OK;
    if (at_cache_set(cache, key, text, strlen(text), ttl) != 0 ||
        at_cache_sadd(cache, set, out->id) != 0 ||
        /* every member expires within set_ttl: the set need not outlive that */
        at_cache_expire(cache, set, (int) set_ttl) < 0)
        st = AT_UNAVAILABLE;
    free(text);
    return st;
}

at_status_t auth_session_end(at_cache_t *cache, const char *user_id, const char *id)
{
    char key[128], set[128];
    snprintf(key, sizeof key, "atrium:session:%s", id);
    snprintf(set, sizeof set, "atrium:user_sessions:%s", user_id);
    if (at_cache_del(cache, key) < 0 || at_cache_srem(cache, set, id) != 0)
        return AT_UNAVAILABLE;
    return AT_OK;
}

at_status_t auth_session_prev_login(at_cache_t *cache, const char *id, int64_t *prev_ms)
{
    *prev_ms = 0;
    char key[128];
    snprintf(key, sizeof key, "atrium:session:%s", id);
    char *value = NULL;
    size_t len = 0;
    int rc = at_cache_get(cache, key, &value, &len);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc > 0)
        return AT_NOT_FOUND;
    json_t *j = json_loadb(value, len, 0, NULL);
    free(value);
    json_t *v = json_object_get(j, "prev_login_ms");
    at_status_t st = v ? AT_OK : AT_NOT_FOUND;
    if (json_is_integer(v))
        *prev_ms = (int64_t) json_integer_value(v);
    json_decref(j);
    return st;
}

at_status_t auth_session_csrf(at_cache_t *cache, at_arena_t *arena, const char *id, char **csrf)
{
    *csrf = NULL;
    char key[128];
    snprintf(key, sizeof key, "atrium:session:%s", id);
    char *value = NULL;
    size_t len = 0;
    int rc = at_cache_get(cache, key, &value, &len);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc > 0)
        return AT_NOT_FOUND;
    json_t *j = json_loadb(value, len, 0, NULL);
    free(value);
    const char *c = json_string_value(json_object_get(j, "csrf_token"));
    *csrf = c ? at_arena_strdup(arena, c) : NULL;
    json_decref(j);
    return *csrf ? AT_OK : AT_NOT_FOUND;
}

at_status_t auth_principal_write(at_cache_t *cache, const Atrium__Principal *p)
{
    json_t *j = at_pbjson_encode(&p->base, NULL);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        abort();
    char key[128];
    snprintf(key, sizeof key, "atrium:principal:%s", p->user_id);
    int rc = at_cache_set(cache, key, text, strlen(text), 0);
    free(text);
    if (rc != 0) {
        at_warn("cannot write the principal of %s to redis", p->user_id);
        return AT_UNAVAILABLE;
    }
    return AT_OK;
}

Atrium__Auth__Session *auth_session_describe(at_arena_t *arena, const char *id, const char *text,
                                             size_t len, int ttl_s, int64_t now_ms,
                                             const char *current_id)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    json_t *created = json_object_get(j, "created_ms");
    if (!json_is_integer(created)) {
        json_decref(j);
        return NULL;
    }
    Atrium__Auth__Session *s = at_arena_alloc(arena, sizeof *s);
    atrium__auth__session__init(s);
    char buf[32];
    s->id = at_arena_strdup(arena, id);
    int64_t created_ms = json_integer_value(created);
    s->created_at = at_arena_strdup(arena, at_time_format_ms(created_ms, buf, sizeof buf));
    /* the gateway renews the TTL to idle_s on every use: what has run off
     * since is the time since the last use */
    int64_t last = json_integer_value(json_object_get(j, "last_ms"));
    json_int_t idle_s = json_integer_value(json_object_get(j, "idle_s"));
    if (ttl_s >= 0 && idle_s > 0 && ttl_s <= idle_s) {
        int64_t since = now_ms - (int64_t) (idle_s - ttl_s) * 1000;
        if (since > last)
            last = since;
    }
    if (last < created_ms)
        last = created_ms;
    s->last_used_at = at_arena_strdup(arena, at_time_format_ms(last, buf, sizeof buf));
    json_int_t expires = json_integer_value(json_object_get(j, "expires_ms"));
    if (expires > 0)
        s->expires_at = at_arena_strdup(arena, at_time_format_ms(expires, buf, sizeof buf));
    s->ip = at_arena_strdup(arena, json_string_value(json_object_get(j, "ip")));
    s->user_agent = at_arena_strdup(arena, json_string_value(json_object_get(j, "user_agent")));
    s->has_current = 1;
    s->current = current_id && strcmp(current_id, id) == 0;
    json_decref(j);
    return s;
}

static void s_free_members(char **members, int n)
{
    for (int i = 0; i < n; i++)
        free(members[i]);
    free(members);
}

static int s_newest_first(const void *a, const void *b)
{
    const Atrium__Auth__Session *x = *(Atrium__Auth__Session *const *) a;
    const Atrium__Auth__Session *y = *(Atrium__Auth__Session *const *) b;
    int c = strcmp(y->created_at, x->created_at); /* RFC 3339 UTC sorts as text */
    return c ? c : strcmp(y->id, x->id);
}

at_status_t auth_session_list(at_cache_t *cache, at_arena_t *arena, const char *user_id,
                              const char *current_id, Atrium__Auth__Session ***items, size_t *n)
{
    *items = NULL;
    *n = 0;
    char set[128];
    snprintf(set, sizeof set, "atrium:user_sessions:%s", user_id);
    char **ids = NULL;
    int count = at_cache_smembers(cache, set, &ids);
    if (count < 0)
        return AT_UNAVAILABLE;
    at_status_t st = AT_OK;
    *items = at_arena_alloc(arena, sizeof **items * (size_t) (count ? count : 1));
    int64_t now = at_time_now_ms();
    for (int i = 0; i < count; i++) {
        char key[128];
        snprintf(key, sizeof key, "atrium:session:%s", ids[i]);
        char *text = NULL;
        size_t len = 0;
        int rc = at_cache_get(cache, key, &text, &len);
        if (rc < 0) {
            st = AT_UNAVAILABLE;
            break;
        }
        if (rc > 0) {
            at_cache_srem(cache, set, ids[i]); /* expired: tidy the set */
            continue;
        }
        int ttl = at_cache_ttl(cache, key);
        Atrium__Auth__Session *s =
            auth_session_describe(arena, ids[i], text, len, ttl, now, current_id);
        free(text);
        if (s)
            (*items)[(*n)++] = s;
    }
    s_free_members(ids, count);
    if (st == AT_OK)
        qsort(*items, *n, sizeof **items, s_newest_first);
    else
        *n = 0;
    return st;
}

at_status_t auth_session_owned(at_cache_t *cache, const char *user_id, const char *id)
{
    char key[128];
    snprintf(key, sizeof key, "atrium:session:%s", id);
    char *text = NULL;
    size_t len = 0;
    int rc = at_cache_get(cache, key, &text, &len);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc > 0)
        return AT_NOT_FOUND;
    json_t *j = json_loadb(text, len, 0, NULL);
    free(text);
    const char *owner = json_string_value(json_object_get(j, "user_id"));
    at_status_t st = owner && strcmp(owner, user_id) == 0 ? AT_OK : AT_NOT_FOUND;
    json_decref(j);
    return st;
}

at_status_t auth_session_end_others(at_cache_t *cache, const char *user_id, const char *keep_id,
                                    int *ended)
{
    *ended = 0;
    char set[128];
    snprintf(set, sizeof set, "atrium:user_sessions:%s", user_id);
    char **ids = NULL;
    int count = at_cache_smembers(cache, set, &ids);
    if (count < 0)
        return AT_UNAVAILABLE;
    at_status_t st = AT_OK;
    for (int i = 0; i < count && st == AT_OK; i++) {
        if (keep_id && strcmp(ids[i], keep_id) == 0)
            continue;
        st = auth_session_end(cache, user_id, ids[i]);
        if (st == AT_OK)
            (*ended)++;
    }
    s_free_members(ids, count);
    return st;
}

at_status_t auth_session_set_generation(at_cache_t *cache, const char *id, int generation)
{
    char key[128];
    snprintf(key, sizeof key, "atrium:session:%s", id);
    char *text = NULL;
    size_t len = 0;
    int rc = at_cache_get(cache, key, &text, &len);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc > 0)
        return AT_NOT_FOUND;
    json_t *j = json_loadb(text, len, 0, NULL);
    free(text);
    if (!json_is_object(j)) {
        json_decref(j);
        return AT_NOT_FOUND;
    }
    json_object_set_new(j, "generation", json_integer(generation));
    char *out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!out)
        abort();
    rc = at_cache_replace(cache, key, out, strlen(out));
    free(out);
    return rc < 0 ? AT_UNAVAILABLE : rc > 0 ? AT_NOT_FOUND : AT_OK;
}

at_status_t auth_mfa_ticket_create(at_cache_t *cache, at_arena_t *arena, const auth_mfa_ticket_t *t,
                                   int ttl_s, char **ticket)
{
    *ticket = s_random_b64(arena);
    char hex[65];
    auth_session_token_hash(*ticket, hex);
    json_t *j = json_pack("{s:s, s:s, s:s}", "user_id", t->user_id, "firm_id", t->firm_id, "email",
                          t->email);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        abort();
    int rc = at_cache_set(cache, s_key(arena, "mfa_ticket", hex), text, strlen(text), ttl_s);
    free(text);
    return rc == 0 ? AT_OK : AT_UNAVAILABLE;
}

at_status_t auth_mfa_ticket_take(at_cache_t *cache, at_arena_t *arena, const char *ticket,
                                 auth_mfa_ticket_t *t)
{
    memset(t, 0, sizeof *t);
    char hex[65];
    auth_session_token_hash(ticket, hex);
    char *text = NULL;
    size_t len = 0;
    int rc = at_cache_getdel(cache, s_key(arena, "mfa_ticket", hex), &text, &len);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc == 1)
        return AT_NOT_FOUND;
    json_t *j = json_loadb(text, len, 0, NULL);
    free(text);
    const char *u = json_string_value(json_object_get(j, "user_id"));
    const char *f = json_string_value(json_object_get(j, "firm_id"));
    const char *e = json_string_value(json_object_get(j, "email"));
    at_status_t st = AT_NOT_FOUND;
    if (u && f && e) {
        t->user_id = at_arena_strdup(arena, u);
        t->firm_id = at_arena_strdup(arena, f);
        t->email = at_arena_strdup(arena, e);
        st = AT_OK;
    }
    json_decref(j);
    return st;
}

at_status_t auth_api_token_cache(at_cache_t *cache, at_arena_t *arena, const char *hash,
                                 const Atrium__Auth__TokenAuthReply *who, int ttl_s)
{
    json_t *j = json_pack("{s:s, s:s, s:s}", "user_id", who->user_id, "firm_id", who->firm_id,
                          "token_id", who->token_id);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        abort();
    int rc = at_cache_set(cache, s_key(arena, "api_token", hash), text, strlen(text), ttl_s);
    free(text);
    return rc == 0 ? AT_OK : AT_UNAVAILABLE;
}

at_status_t auth_api_token_uncache(at_cache_t *cache, at_arena_t *arena, const char *hash)
{
    return at_cache_del(cache, s_key(arena, "api_token", hash)) < 0 ? AT_UNAVAILABLE : AT_OK;
}
