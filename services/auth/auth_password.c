/* auth_password: policy, NFC (libunistring) and Argon2id (libsodium); no
 * I/O, no user knowledge, no own crypto. */
#include "auth_password.h"
#include <errno.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uninorm.h>
#include <unistd.h>
#include <unistr.h>

/* How long a caller waits for a hashing slot before answering busy. */
#define S_SLOT_WAIT_S 5

struct auth_password_t {
    sem_t slots;
    unsigned long long opslimit;
    size_t memlimit;
    char dummy[AUTH_PASSWORD_HASH_MAX];
    char *common_text;   /* the list, lower-cased, lines NUL-terminated */
    const char **common; /* sorted pointers into common_text */
    size_t ncommon;
};

char *auth_password_nfc(const char *s, size_t *chars)
{
    if (chars)
        *chars = 0;
    if (!s)
        return NULL;
    size_t len = strnlen(s, AUTH_PASSWORD_MAX_BYTES + 1);
    if (len > AUTH_PASSWORD_MAX_BYTES || u8_check((const uint8_t *) s, len) != NULL)
        return NULL;
    size_t outlen = 0;
    uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *) s, len, NULL, &outlen);
    if (!nfc && len > 0)
        return NULL;
    char *out = malloc(outlen + 1);
    if (!out)
        abort();
    if (outlen)
        memcpy(out, nfc, outlen);
    out[outlen] = 0;
    if (nfc) {
        sodium_memzero(nfc, outlen);
        free(nfc);
    }
    if (chars)
        *chars = u8_mbsnlen((const uint8_t *) out, outlen);
    return out;
}

void auth_password_free_nfc(char *nfc)
{
    if (!nfc)
        return;
    sodium_memzero(nfc, strlen(nfc));
    free(nfc);
}

auth_pw_rc_t auth_password_check(const char *password)
{
    if (!password)
        return AUTH_PW_TOO_SHORT;
    if (strnlen(password, AUTH_PASSWORD_MAX_BYTES + 1) > AUTH_PASSWORD_MAX_BYTES)
        return AUTH_PW_TOO_LONG;
    size_t chars = 0;
    char *nfc = auth_password_nfc(password, &chars);
    if (!nfc)
        return AUTH_PW_NOT_UTF8;
    auth_password_free_nfc(nfc);
    return chars < AUTH_PASSWORD_MIN_CHARS ? AUTH_PW_TOO_SHORT : AUTH_PW_OK;
}

/* Takes a hashing slot, waiting at most S_SLOT_WAIT_S. 0 or -1. */
static int s_slot_take(auth_password_t *self)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += S_SLOT_WAIT_S;
    while (sem_timedwait(&self->slots, &until) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static void s_slot_give(auth_password_t *self)
{
    sem_post(&self->slots);
}

/* Hashes nfc with this hasher's cost; caller holds a slot. */
static auth_pw_rc_t s_hash(auth_password_t *self, const char *nfc, char *out)
{
    char buf[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(buf, nfc, strlen(nfc), self->opslimit, self->memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return AUTH_PW_ERROR;
    size_t n = strlen(buf);
    if (n >= AUTH_PASSWORD_HASH_MAX)
        return AUTH_PW_ERROR;
    memcpy(out, buf, n + 1);
    return AUTH_PW_OK;
}

auth_password_t *auth_password_new(int max_concurrent, unsigned long long opslimit, size_t memlimit)
{
    if (sodium_init() < 0)
        return NULL;
    if (max_concurrent <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        max_concurrent = n > 0 ? (int) n : 1;
    }
    auth_password_t *self = calloc(1, sizeof *self);
    if (!self)
        abort();
    self->opslimit = opslimit;
    self->memlimit = memlimit;
    if (sem_init(&self->slots, 0, (unsigned) max_concurrent) != 0) {
        free(self);
        return NULL;
    }
    /* The dummy: a hash of random bytes nobody knows, same cost as real ones. */
    unsigned char secret[32];
    char text[sodium_base64_ENCODED_LEN(sizeof secret, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(secret, sizeof secret);
    sodium_bin2base64(text, sizeof text, secret, sizeof secret,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    auth_pw_rc_t rc = s_hash(self, text, self->dummy);
    sodium_memzero(text, sizeof text);
    sodium_memzero(secret, sizeof secret);
    if (rc != AUTH_PW_OK) {
        auth_password_destroy(&self);
        return NULL;
    }
    return self;
}

void auth_password_destroy(auth_password_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sem_destroy(&(*self_p)->slots);
    free((*self_p)->common);
    free((*self_p)->common_text);
    free(*self_p);
    *self_p = NULL;
}

static int s_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void s_ascii_lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char) (*s - 'A' + 'a');
}

size_t auth_password_set_common(auth_password_t *self, const char *text, size_t len)
{
    free(self->common);
    free(self->common_text);
    self->common_text = malloc(len + 1);
    if (!self->common_text)
        abort();
    memcpy(self->common_text, text, len);
    self->common_text[len] = 0;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == '\n';
    self->common = calloc(cap, sizeof *self->common);
    if (!self->common)
        abort();
    self->ncommon = 0;
    for (char *line = self->common_text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = 0;
        if (n && line[0] != '#') {
            s_ascii_lower(line);
            self->common[self->ncommon++] = line;
        }
        line = nl ? nl + 1 : NULL;
    }
    qsort(self->common, self->ncommon, sizeof *self->common, s_cmp);
    return self->ncommon;
}

bool auth_password_is_common(const auth_password_t *self, const char *password)
{
    if (!self->ncommon)
        return false;
    char *nfc = auth_password_nfc(password, NULL);
    if (!nfc)
        return false;
    s_ascii_lower(nfc);
    const char *key = nfc;
    bool found = bsearch(&key, self->common, self->ncommon, sizeof *self->common, s_cmp) != NULL;
    auth_password_free_nfc(nfc);
    return found;
}

auth_pw_rc_t auth_password_hash(auth_password_t *self, const char *password, char *out)
{
    auth_pw_rc_t rc = auth_password_check(password);
    if (rc != AUTH_PW_OK)
        return rc;
    if (auth_password_is_common(self, password))
        return AUTH_PW_COMMON;
    char *nfc = auth_password_nfc(password, NULL);
    if (!nfc)
        return AUTH_PW_NOT_UTF8;
    if (s_slot_take(self) != 0) {
        auth_password_free_nfc(nfc);
        return AUTH_PW_BUSY;
    }
    rc = s_hash(self, nfc, out);
    s_slot_give(self);
    auth_password_free_nfc(nfc);
    return rc;
}

auth_pw_rc_t auth_password_verify(auth_password_t *self, const char *hash, const char *password,
                                  bool *match)
{
    *match = false;
    char *nfc = auth_password_nfc(password, NULL);
    if (!nfc)
        return AUTH_PW_OK; /* can never have been set: a mismatch, no hashing */
    bool real = hash != NULL;
    if (!real)
        hash = self->dummy;
    if (s_slot_take(self) != 0) {
        auth_password_free_nfc(nfc);
        return AUTH_PW_BUSY;
    }
    /* libsodium reads the algorithm and cost from the string itself, so
     * hashes made with older parameters keep verifying. */
    int v = crypto_pwhash_str_verify(hash, nfc, strlen(nfc));
    s_slot_give(self);
    auth_password_free_nfc(nfc);
    *match = real && v == 0;
    return AUTH_PW_OK;
}

bool auth_password_needs_rehash(const auth_password_t *self, const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, self->opslimit, self->memlimit) != 0;
}
