/* at_keyfile: a service's secret key kept in one file: len random bytes as
 * 2*len lower-case hex digits and a newline, mode 0600 in a 0700 folder.
 * The file is created on first start when absent (atomically: written
 * aside, then linked into place, so two instances starting together agree
 * on one key). The audit service keeps its Ed25519 checkpoint seed this way
 * (ATRIUM_AUDIT_KEY_FILE), the auth service the key that encrypts TOTP
 * secrets at rest (ATRIUM_AUTH_SECRET_KEY_FILE).
 *
 * It does not rotate keys: a lost file means a new key, and what the old
 * one protected is lost with it.
 */
#ifndef AT_KEYFILE_H
#define AT_KEYFILE_H

#include <stddef.h>

/* Reads len (<= 64) bytes of key from path, creating the file (and its
 * folder) when absent. Returns 0, or -1 with *error (malloc'd, caller
 * frees) when the file cannot be read or written or does not hold a key of
 * that length. Warns when the file is readable by group or others. */
int at_keyfile_load(const char *path, unsigned char *key, size_t len, char **error);

#endif
