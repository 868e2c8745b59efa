/* document_digest: libsodium SHA-256 with a portable, restorable state. */
#include "document_digest.h"
#include <sodium.h>
#include <stdint.h>
#include <string.h>

static const unsigned char s_tag[4] = {'s', '2', '5', '6'};

static void s_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24), p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8), p[3] = (unsigned char) v;
}

static uint32_t s_get32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static void s_save(const crypto_hash_sha256_state *st, unsigned char *out)
{
    memcpy(out, s_tag, 4);
    for (int i = 0; i < 8; i++)
        s_put32(out + 4 + 4 * i, st->state[i]);
    s_put32(out + 36, (uint32_t) (st->count >> 32));
    s_put32(out + 40, (uint32_t) st->count);
    memcpy(out + 44, st->buf, 64);
}

static int s_load(const unsigned char *in, crypto_hash_sha256_state *st)
{
    if (memcmp(in, s_tag, 4) != 0)
        return -1;
    for (int i = 0; i < 8; i++)
        st->state[i] = s_get32(in + 4 + 4 * i);
    st->count = (uint64_t) s_get32(in + 36) << 32 | s_get32(in + 40);
    memcpy(st->buf, in + 44, 64);
    return 0;
}

void doc_digest_init(unsigned char out[DOC_DIGEST_STATE_BYTES])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    s_save(&st, out);
}

int doc_digest_update(unsigned char state[DOC_DIGEST_STATE_BYTES], const void *data, size_t len)
{
    crypto_hash_sha256_state st;
    if (s_load(state, &st) != 0)
        return -1;
    crypto_hash_sha256_update(&st, data, len);
    s_save(&st, state);
    return 0;
}

int doc_digest_final(const unsigned char state[DOC_DIGEST_STATE_BYTES], char hex[65])
{
    crypto_hash_sha256_state st;
    unsigned char md[crypto_hash_sha256_BYTES];
    if (s_load(state, &st) != 0)
        return -1;
    crypto_hash_sha256_final(&st, md); /* works on the copy */
    sodium_bin2hex(hex, 65, md, sizeof md);
    return 0;
}

int doc_digest_hex_valid(const char *s)
{
    if (!s || strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}
