/* auth_password: the password policy and Argon2id hashing (libsodium
 * crypto_pwhash, RFC 9106), with Unicode NFC normalisation first (api.md
 * "Passwords"), and a cap on concurrent hashes so a login burst cannot take
 * more memory or cores than the host has.
 *
 * It does no I/O and knows no users: callers look the hash up and store it.
 */
#ifndef AUTH_PASSWORD_H
#define AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

/* Policy limits: characters (Unicode code points after NFC) and raw bytes. */
#define AUTH_PASSWORD_MIN_CHARS 12
#define AUTH_PASSWORD_MAX_BYTES 1024

/* Room for an encoded hash string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"). */
#define AUTH_PASSWORD_HASH_MAX 128

/* The cost the service uses: m=19 MiB, t=2, p=1 (OWASP's Argon2id minimum). */
#define AUTH_PASSWORD_OPSLIMIT 2ULL
#define AUTH_PASSWORD_MEMLIMIT ((size_t) 19 * 1024 * 1024)

typedef enum {
    AUTH_PW_OK = 0,
    AUTH_PW_TOO_SHORT, /* fewer than AUTH_PASSWORD_MIN_CHARS characters */
    AUTH_PW_TOO_LONG,  /* more than AUTH_PASSWORD_MAX_BYTES bytes (refused before hashing) */
    AUTH_PW_NOT_UTF8,  /* not valid UTF-8, or contains NUL */
    AUTH_PW_COMMON,    /* on the list of common passwords (auth_password_set_common) */
    AUTH_PW_BUSY,      /* no hashing slot within the wait limit (answer 503) */
    AUTH_PW_ERROR,     /* out of memory in the hash (logged) */
} auth_pw_rc_t;

typedef struct auth_password_t auth_password_t;

/* Makes a hasher that runs at most max_concurrent hashes at once (<= 0: the
 * number of online cores) with the given Argon2id cost (opslimit passes,
 * memlimit bytes), and prepares a dummy hash of the same cost for unknown
 * accounts. Calls sodium_init. Returns NULL if libsodium cannot start. */
auth_password_t *auth_password_new(int max_concurrent, unsigned long long opslimit,
                                   size_t memlimit);

/* Destroys; accepts NULL; nulls *self_p. */
void auth_password_destroy(auth_password_t **self_p);

/* Checks password (NUL-terminated) against the policy for a new password:
 * valid UTF-8, at most AUTH_PASSWORD_MAX_BYTES bytes, at least
 * AUTH_PASSWORD_MIN_CHARS code points after NFC. */
auth_pw_rc_t auth_password_check(const char *password);

/* Gives the hasher the list of common passwords: text (len bytes, one
 * password a line; empty lines and lines starting with '#' are skipped) is
 * copied, lower-cased (ASCII) and sorted. auth_password_hash refuses a
 * password on it with AUTH_PW_COMMON. Call before sharing the hasher
 * between threads. Returns the number of entries. */
size_t auth_password_set_common(auth_password_t *self, const char *text, size_t len);

/* True when the NFC form of password, lower-cased (ASCII letters), is on
 * the common list. */
bool auth_password_is_common(const auth_password_t *self, const char *password);

/* Checks the policy and the common list, then hashes the NFC form of password into out (at
 * least AUTH_PASSWORD_HASH_MAX bytes) as a PHC string with a random salt.
 * Blocks for a hashing slot (at most a few seconds). */
auth_pw_rc_t auth_password_hash(auth_password_t *self, const char *password, char *out);

/* Verifies password (NFC-normalised first) against an encoded hash.
 * *match is set true only on a match. A password over the byte limit or not
 * UTF-8 is a mismatch without hashing. A NULL hash verifies against the
 * dummy hash (always a mismatch, same time as a real account). Returns
 * AUTH_PW_OK when the comparison ran, AUTH_PW_BUSY or AUTH_PW_ERROR when not. */
auth_pw_rc_t auth_password_verify(auth_password_t *self, const char *hash, const char *password,
                                  bool *match);

/* True when hash was made with other parameters than this hasher's (then
 * re-hash after a successful login). */
bool auth_password_needs_rehash(const auth_password_t *self, const char *hash);

/* The NFC form of s (NUL-terminated, malloc'd; caller frees with
 * auth_password_free_nfc, which wipes it), or NULL when s is not UTF-8 or
 * longer than AUTH_PASSWORD_MAX_BYTES. *chars gets the code point count. */
char *auth_password_nfc(const char *s, size_t *chars);
void auth_password_free_nfc(char *nfc);

#endif
