/* audit_key: the audit service's Ed25519 checkpoint-signing key, kept in
 * one file (ATRIUM_AUDIT_KEY_FILE, by default
 * $ATRIUM_DATA_DIR/audit/checkpoint.key): the 32-byte Ed25519 seed as 64
 * lower-case hex digits and a newline, mode 0600 in a 0700 folder, created
 * on first start when absent (common/at_keyfile.h does the file).
 *
 * It does not rotate keys or store the public half in the database (the
 * service does, audit_store_add_key); a lost file means a new key, while
 * the old public key stays in the database to verify old checkpoints.
 */
#ifndef AUDIT_KEY_H
#define AUDIT_KEY_H

#include "audit_chain.h"

typedef struct {
    unsigned char sk[64]; /* libsodium secret key (seed || pk) */
    unsigned char pk[32];
    char pk_hex[AUDIT_PK_HEX_LEN + 1];
    char key_id[AUDIT_KEY_ID_LEN + 1];
} audit_key_t;

/* Loads the key from path, creating the file (and its folder) when absent.
 * Returns 0, or -1 with *error (malloc'd, caller frees) when the file
 * cannot be read or written or does not hold a key. */
int audit_key_load(const char *path, audit_key_t *key, char **error);

/* Wipes the secret key from memory. */
void audit_key_wipe(audit_key_t *key);

#endif
