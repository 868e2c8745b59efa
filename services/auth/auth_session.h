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
#include <stdint.h>

typedef struct {
    const char *user_id;
    const char *firm_id;
    const char *ip;          /* may be NULL */
    const char *user_agent;  /* may be NULL */
    int idle_s;              /* sliding idle timeout: the key's TTL, renewed by the gateway */
    int64_t max_s;           /* absolute lifetime from now */
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

/* Ends session id (hex) of user_id: deletes the key and removes it from the
 * user's set. AT_OK (also when it was already gone) or AT_UNAVAILABLE. */
at_status_t auth_session_end(at_cache_t *cache, const char *user_id, const char *id);

/* The CSRF token of session id, into *csrf (arena). AT_OK, AT_NOT_FOUND when
 * the session is gone or AT_UNAVAILABLE. */
at_status_t auth_session_csrf(at_cache_t *cache, at_arena_t *arena, const char *id, char **csrf);

/* Writes atrium:principal:<p->user_id> = at_pbjson_encode(p), no TTL.
 * AT_OK or AT_UNAVAILABLE. */
at_status_t auth_principal_write(at_cache_t *cache, const Atrium__Principal *p);

/* SHA-256 hex of token into hex (65 bytes). */
void auth_session_token_hash(const char *token, char hex[65]);

#endif
