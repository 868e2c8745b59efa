/* auth_session: the session and principal keys in Redis that the gateway
 * reads (CONTRACTS.md "Sessions"): atrium:session:<sha256 hex of token>,
 * atrium:user_sessions:<user_id> and atrium:principal:<user_id>.
 *
 * It does not authenticate anyone (the handlers verify passwords first) and
 * never stores or logs a token: only its SHA-256.
 */
#ifndef AUTH_SESSION_H
#define AUTH_SESSION_H

#include "at_arena.h"
#include "at_cache.h"
#include "at_status.h"
#include "auth.pb-c.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *user_id;
    const char *firm_id;
    const char *ip;          /* may be NULL */
    const char *user_agent;  /* may be NULL */
    int idle_s;              /* sliding idle timeout: the key's TTL, renewed by the gateway */
    int64_t max_s;           /* absolute lifetime from now */
    int generation;          /* the user's session generation (the gateway compares it
                                with the principal's) */
    bool mfa_enrolment_only; /* the firm requires MFA of staff and this user has none yet:
                                the gateway lets the session reach only the enrolment
                                routes (and GET /me, logout) */
    int64_t set_ttl_s;       /* TTL of the user's session set when over max_s: the
                                longest any session of the user may live */
    int64_t prev_login_ms;   /* the user's login before this session (epoch ms; 0: none),
                                what GET /dashboard counts "new" from */
} auth_session_spec_t;

/* A new session: token (the cookie value: 32 random bytes, unpadded
 * base64url), id (SHA-256 hex of the token, the key suffix) and csrf (32
 * random bytes, unpadded base64url); all allocated in arena. */
typedef struct {
    char *token;
    char *id;
    char *csrf;
} auth_session_t;

/* Creates the session key (TTL idle_s) and adds its id to the user's set.
 * Returns AT_OK, or AT_UNAVAILABLE when Redis cannot be reached. */
at_status_t auth_session_create(at_cache_t *cache, at_arena_t *arena,
                                const auth_session_spec_t *spec, auth_session_t *out);

/* The login before session id (hex) as it recorded at its start, into
 * *prev_ms (epoch ms; 0 when that session was the user's first). AT_OK,
 * AT_NOT_FOUND when the session is gone or predates the record, or
 * AT_UNAVAILABLE. */
at_status_t auth_session_prev_login(at_cache_t *cache, const char *id, int64_t *prev_ms);

/* Ends session id (hex) of user_id: deletes the key and removes it from the
 * user's set. AT_OK (also when it was already gone) or AT_UNAVAILABLE. */
at_status_t auth_session_end(at_cache_t *cache, const char *user_id, const char *id);

/* The CSRF token of session id, into *csrf (arena). AT_OK, AT_NOT_FOUND when
 * the session is gone or AT_UNAVAILABLE. */
at_status_t auth_session_csrf(at_cache_t *cache, at_arena_t *arena, const char *id, char **csrf);

/* Writes atrium:principal:<p->user_id> = at_pbjson_encode(p), no TTL.
 * AT_OK or AT_UNAVAILABLE. */
at_status_t auth_principal_write(at_cache_t *cache, const Atrium__Principal *p);

/* Describes session id from its stored JSON text (len bytes), the key's
 * remaining ttl_s (seconds, < 0 unknown) and now_ms: created, last use
 * (now - (idle_s - ttl_s), so to the second, without a write per request),
 * absolute end, ip, user agent, and current = (id equals current_id).
 * Returns a message in arena, or NULL when text is not a session. Pure. */
Atrium__Auth__Session *auth_session_describe(at_arena_t *arena, const char *id, const char *text,
                                             size_t len, int ttl_s, int64_t now_ms,
                                             const char *current_id);

/* The live sessions of user_id, newest first, into *items / *n (arena);
 * ids in the user's set whose key is gone are removed from it. AT_OK or
 * AT_UNAVAILABLE. */
at_status_t auth_session_list(at_cache_t *cache, at_arena_t *arena, const char *user_id,
                              const char *current_id, Atrium__Auth__Session ***items, size_t *n);

/* AT_OK when session id exists and belongs to user_id, AT_NOT_FOUND when
 * not (also for another user's session), AT_UNAVAILABLE. */
at_status_t auth_session_owned(at_cache_t *cache, const char *user_id, const char *id);

/* Ends every session of user_id except keep_id (may be NULL: all). *ended
 * gets the count. AT_OK or AT_UNAVAILABLE. */
at_status_t auth_session_end_others(at_cache_t *cache, const char *user_id, const char *keep_id,
                                    int *ended);

/* Rewrites session id's generation, keeping its expiry. AT_OK, AT_NOT_FOUND
 * (gone meanwhile) or AT_UNAVAILABLE. */
at_status_t auth_session_set_generation(at_cache_t *cache, const char *id, int generation);

/* What an MFA ticket stands for: a user whose password was right. */
typedef struct {
    char *user_id;
    char *firm_id;
    char *email;
} auth_mfa_ticket_t;

/* Makes an MFA ticket (a random token, into *ticket in arena) for t, kept
 * as atrium:mfa_ticket:<sha256 hex of it> for ttl_s. It is no session: the
 * gateway never reads these keys. AT_OK or AT_UNAVAILABLE. */
at_status_t auth_mfa_ticket_create(at_cache_t *cache, at_arena_t *arena, const auth_mfa_ticket_t *t,
                                   int ttl_s, char **ticket);

/* Takes ticket (GETDEL: of concurrent callers one gets it) into *t (arena).
 * AT_OK, AT_NOT_FOUND when unknown, used or expired, AT_UNAVAILABLE. */
at_status_t auth_mfa_ticket_take(at_cache_t *cache, at_arena_t *arena, const char *ticket,
                                 auth_mfa_ticket_t *t);

/* The gateway's view of a personal API token: atrium:api_token:<hash> =
 * {"user_id", "firm_id", "token_id"}, written for ttl_s by auth.token_auth
 * from PostgreSQL and deleted when the token is revoked. AT_OK or
 * AT_UNAVAILABLE. */
at_status_t auth_api_token_cache(at_cache_t *cache, at_arena_t *arena, const char *hash,
                                 const Atrium__Auth__TokenAuthReply *who, int ttl_s);
at_status_t auth_api_token_uncache(at_cache_t *cache, at_arena_t *arena, const char *hash);

/* A new single-use token: 32 random bytes (libsodium) as unpadded
 * base64url, in arena (invitations, and sessions above). */
char *auth_random_token(at_arena_t *arena);

/* SHA-256 hex of token into hex (65 bytes). */
void auth_session_token_hash(const char *token, char hex[65]);

#endif
