/* auth_throttle: login throttling with fixed-window failure counters in
 * Redis (at_cache_incr_window), one per account and one per client IP:
 *   atrium:login_fail:acct:<sha256 hex of the lower-cased email>
 *   atrium:login_fail:ip:<ip>
 * The account key is by email, not by user, so an unknown email is throttled
 * exactly like a known one (no enumeration through 429s), and the email
 * itself is never written to Redis.
 *
 * While either count is at its limit, login answers 429 without looking at
 * the password; the wait is the key's remaining TTL. A successful login
 * clears the account's counter (not the IP's).
 */
#ifndef AUTH_THROTTLE_H
#define AUTH_THROTTLE_H

#include "at_cache.h"
#include "at_status.h"
#include <stdbool.h>

typedef struct {
    int per_account; /* failures per account per window before 429 */
    int per_ip;      /* failures per IP per window before 429 */
    int window_s;    /* the window, seconds */
} auth_throttle_limits_t;

/* The account key of email into key (at least 96 bytes). Pure. */
void auth_throttle_account_key(const char *email, char key[96]);

/* AT_OK when email and ip (may be NULL: no IP counter) may try a password;
 * AT_RATE_LIMITED with *retry_after (seconds, >= 1) when not;
 * AT_UNAVAILABLE when Redis cannot be reached (fail closed). */
at_status_t auth_throttle_check(at_cache_t *cache, const auth_throttle_limits_t *limits,
                                const char *email, const char *ip, int *retry_after);

/* Counts one failed login of email from ip. *locked is set when this
 * failure brought the account to its limit (audit auth.locked once per
 * window). AT_OK or AT_UNAVAILABLE. */
at_status_t auth_throttle_failed(at_cache_t *cache, const auth_throttle_limits_t *limits,
                                 const char *email, const char *ip, bool *locked);

/* Forgets the failures of email after a successful login. */
void auth_throttle_clear(at_cache_t *cache, const char *email);

#endif
