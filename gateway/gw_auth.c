/* gw_auth: who is calling. The session cookie's token is hashed (SHA-256)
 * and looked up in Redis with its idle expiry renewed in the same round
 * trip; the user's current principal (role, memberships) is read from Redis
 * on every request, so a membership change applies on the next request.
 * CSRF: state-changing cookie requests must echo the session's token.
 * A session whose generation differs from the principal's (the user has
 * changed password since) is refused and deleted. The session's own idle
 * timeout (the firm's when it began) is what its TTL is renewed to; a
 * session flagged mfa_enrolment_only reaches only GET /me, the TOTP
 * enrolment routes and logout (403 elsewhere, WebSocket included).
 *
 * Personal API tokens (Authorization: Bearer atr_...) are looked up as
 * atrium:api_token:<sha256>, a one-minute cache that auth.token_auth fills
 * from PostgreSQL on a miss; they carry the owner's current principal, no
 * session and no CSRF rule. A cookie wins over a bearer header.
 *
 * It never creates sessions (the auth service does) and never lets a
 * request through when Redis cannot be asked.
 */
#include "gw.h"
#include "at_digest.h"
#include "at_log.h"
#include "at_pbjson.h"
#include "at_time.h"
#include "auth.pb-c.h"
#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

static bool s_unsafe(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
           strcmp(method, "OPTIONS") != 0;
}

/* What a session flagged mfa_enrolment_only may reach (issue 3: a user who
 * must enrol is let in only to the enrolment endpoints). */
static bool s_enrolment_route(const char *method, const char *uri)
{
    static const char *const allowed[][2] = {
        {"GET", "/api/v1/me"},
        {"POST", "/api/v1/me/mfa/totp"},
        {"POST", "/api/v1/me/mfa/totp/confirm"},
        {"POST", "/api/v1/auth/logout"},
    };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strcmp(method, allowed[i][0]) == 0 && strcmp(uri, allowed[i][1]) == 0)
            return true;
    return false;
}

const char *gw_session_cookie(gw_req_t *r, const char *token)
{
    const char *secure = r->gw->behind_tls ? "; Secure" : "";
    if (!token)
        return at_arena_printf(r->arena,
                               "Set-Cookie: atrium_session=; Path=/; Max-Age=0; HttpOnly; "
                               "SameSite=Lax%s\r\n",
                               secure);
    return at_arena_printf(r->arena,
                           "Set-Cookie: atrium_session=%s; Path=/; HttpOnly; SameSite=Lax%s\r\n",
                           token, secure);
}

/* Loads the principal of user_id, asking auth to rebuild it when Redis has
 * none. */
static at_status_t s_principal(gw_req_t *r, const char *user_id, const char *firm_id,
                               Atrium__Principal **out)
{
    *out = NULL;
    char key[128];
    snprintf(key, sizeof key, "atrium:principal:%s", user_id);
    char *text = NULL;
    int rc = at_cache_get(r->thread->cache, key, &text, NULL);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc == 0) {
        json_t *j = json_loads(text, 0, NULL);
        free(text);
        ProtobufCMessage *m = NULL;
        if (j && at_pbjson_decode(&atrium__principal__descriptor, j, at_arena_allocator(r->arena),
                                  &m, NULL) == 0) {
            json_decref(j);
            *out = (Atrium__Principal *) m;
            return AT_OK;
        }
        json_decref(j);
        at_warn("gateway: unreadable principal for user %s; asking auth", user_id);
    }
    /* Rebuild: auth.principal answers the principal of the envelope's user. */
    Atrium__Principal *who = at_arena_alloc(r->arena, sizeof *who);
    atrium__principal__init(who);
    who->user_id = at_arena_strdup(r->arena, user_id);
    who->firm_id = at_arena_strdup(r->arena, firm_id);
    r->id.principal = who;
    Atrium__Reply *rep = NULL;
    ProtobufCMessage *m = NULL;
    at_status_t st =
        gw_call_msg(r, "auth.principal", true, NULL, &atrium__principal__descriptor, &m, &rep);
    r->id.principal = NULL;
    if (st == AT_NOT_FOUND)
        return AT_UNAUTHENTICATED; /* the user is gone */
    if (!at_status_is_success(st))
        return st == AT_TIMEOUT ? AT_UNAVAILABLE : st;
    *out = (Atrium__Principal *) m;
    return AT_OK;
}

/* A request with "Authorization: Bearer <token>": the token's owner, with
 * the principal every request gets. */
static at_status_t s_bearer(gw_req_t *r, const char *token, bool required)
{
    if (strncmp(token, "atr_", 4) != 0 || strlen(token) > 200)
        return required ? AT_UNAUTHENTICATED : AT_OK;
    char hash[65], key[96];
    at_sha256_hex(token, strlen(token), hash);
    snprintf(key, sizeof key, "atrium:api_token:%s", hash);
    char *text = NULL;
    int rc = at_cache_get(r->thread->cache, key, &text, NULL);
    if (rc < 0)
        return AT_UNAVAILABLE;
    char *uid = NULL, *fid = NULL;
    if (rc == 0) {
        json_t *j = json_loads(text, 0, NULL);
        free(text);
        const char *u = json_string_value(json_object_get(j, "user_id"));
        const char *f = json_string_value(json_object_get(j, "firm_id"));
        if (u && f) {
            uid = at_arena_strdup(r->arena, u);
            fid = at_arena_strdup(r->arena, f);
        }
        json_decref(j);
    }
    if (!uid) {
        /* not cached: auth looks it up in PostgreSQL (and caches it) */
        Atrium__Auth__TokenAuthRequest q = ATRIUM__AUTH__TOKEN_AUTH_REQUEST__INIT;
        q.token_hash = hash;
        Atrium__Reply *rep = NULL;
        ProtobufCMessage *m = NULL;
        at_status_t st = gw_call_msg(r, "auth.token_auth", true, &q.base,
                                     &atrium__auth__token_auth_reply__descriptor, &m, &rep);
        if (st == AT_NOT_FOUND)
            return required ? AT_UNAUTHENTICATED : AT_OK;
        if (!at_status_is_success(st))
            return st == AT_TIMEOUT ? AT_UNAVAILABLE : st;
        const Atrium__Auth__TokenAuthReply *who = (const void *) m;
        if (!who->user_id || !who->firm_id)
            return AT_UNAUTHENTICATED;
        uid = who->user_id;
        fid = who->firm_id;
    }
    Atrium__Principal *p = NULL;
    at_status_t st = s_principal(r, uid, fid, &p);
    if (st != AT_OK)
        return st;
    if (!p->firm_id || strcmp(p->firm_id, fid) != 0)
        return AT_UNAUTHENTICATED;
    p->session_id = NULL; /* no session: logout and session lists see none */
    r->id.principal = p;
    r->id.by_cookie = false;
    return AT_OK;
}

at_status_t gw_authenticate(gw_req_t *r, bool required, bool csrf_exempt)
{
    memset(&r->id, 0, sizeof r->id);
    const char *cookies = mg_get_header(r->conn, "Cookie");
    char token[256] = "";
    if (!cookies || mg_get_cookie(cookies, "atrium_session", token, sizeof token) <= 0)
        token[0] = 0;
    if (!token[0]) {
        const char *authz = mg_get_header(r->conn, "Authorization");
        if (authz && strncasecmp(authz, "Bearer ", 7) == 0)
            return s_bearer(r, authz + 7, required);
        return required ? AT_UNAUTHENTICATED : AT_OK;
    }

    char hash[65], key[96];
    at_sha256_hex(token, strlen(token), hash);
    snprintf(key, sizeof key, "atrium:session:%s", hash);
    int idle_s = (int) at_config_int(r->gw->config, "ATRIUM_SESSION_IDLE_MINUTES") * 60;
    char *text = NULL;
    int rc = at_cache_getex(r->thread->cache, key, idle_s, &text, NULL);
    if (rc < 0)
        return AT_UNAVAILABLE;
    if (rc > 0)
        return required ? AT_UNAUTHENTICATED : AT_OK;
    json_t *s = json_loads(text, 0, NULL);
    free(text);
    const char *user_id = json_string_value(json_object_get(s, "user_id"));
    const char *firm_id = json_string_value(json_object_get(s, "firm_id"));
    const char *csrf = json_string_value(json_object_get(s, "csrf_token"));
    json_int_t expires = json_integer_value(json_object_get(s, "expires_ms"));
    if (!user_id || !firm_id || !csrf || (expires && expires < at_time_now_ms())) {
        if (s && expires && expires < at_time_now_ms())
            at_cache_del(r->thread->cache, key);
        json_decref(s);
        return required ? AT_UNAUTHENTICATED : AT_OK;
    }
    /* sessions made before the generation existed count as generation 0 */
    json_int_t generation = json_integer_value(json_object_get(s, "generation"));
    /* the session's own idle timeout (the firm's when it began): GETEX
     * renewed it with the installation's, so set it when they differ */
    json_int_t own_idle = json_integer_value(json_object_get(s, "idle_s"));
    if (own_idle > 0 && own_idle != idle_s &&
        at_cache_expire(r->thread->cache, key, (int) own_idle) < 0) {
        json_decref(s);
        return AT_UNAVAILABLE;
    }
    bool enrolment_only = json_is_true(json_object_get(s, "mfa_enrolment_only"));
    r->id.csrf_token = at_arena_strdup(r->arena, csrf);
    char *uid = at_arena_strdup(r->arena, user_id), *fid = at_arena_strdup(r->arena, firm_id);
    json_decref(s);

    if (s_unsafe(r->info->request_method) && !csrf_exempt) {
        const char *h = mg_get_header(r->conn, "X-CSRF-Token");
        size_t n = strlen(r->id.csrf_token);
        if (!h || strlen(h) != n || CRYPTO_memcmp(h, r->id.csrf_token, n) != 0)
            return AT_FORBIDDEN;
    }
    Atrium__Principal *p = NULL;
    at_status_t st = s_principal(r, uid, fid, &p);
    if (st != AT_OK)
        return st;
    if (!p->firm_id || strcmp(p->firm_id, fid) != 0)
        return AT_UNAUTHENTICATED;
    /* A password change bumps the user's generation in PostgreSQL and in
     * the principal and deletes the other sessions; should Redis bring one
     * back (a restart from its append-only file), its generation gives it
     * away. A principal rebuilt from PostgreSQL carries the current one. */
    if (generation != (json_int_t) p->session_generation) {
        at_cache_del(r->thread->cache, key);
        return AT_UNAUTHENTICATED;
    }
    if (enrolment_only && !s_enrolment_route(r->info->request_method, r->info->local_uri)) {
        r->id.denied = "the firm requires MFA for staff: set it up first "
                       "(POST /api/v1/me/mfa/totp, then /api/v1/me/mfa/totp/confirm)";
        return AT_FORBIDDEN;
    }
    p->session_id = at_arena_strdup(r->arena, hash);
    r->id.principal = p;
    r->id.by_cookie = true;
    return AT_OK;
}
