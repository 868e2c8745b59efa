/* audit_key: the checkpoint-signing key: the seed file is at_keyfile's,
 * libsodium expands the seed. */
#include "audit_key.h"
#include "at_keyfile.h"
#include <sodium.h>
#include <string.h>

int audit_key_load(const char *path, audit_key_t *key, char **error)
{
    memset(key, 0, sizeof *key);
    unsigned char seed[crypto_sign_SEEDBYTES];
    if (at_keyfile_load(path, seed, sizeof seed, error) != 0)
        return -1;
    crypto_sign_seed_keypair(key->pk, key->sk, seed);
    sodium_memzero(seed, sizeof seed);
    sodium_bin2hex(key->pk_hex, sizeof key->pk_hex, key->pk, sizeof key->pk);
    audit_chain_key_id(key->pk, key->key_id);
    return 0;
}

void audit_key_wipe(audit_key_t *key)
{
    sodium_memzero(key, sizeof *key);
}
