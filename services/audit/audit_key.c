/* audit_key: load or create the checkpoint-signing key file (see the
 * header); libsodium makes and expands the seed. */
#include "audit_key.h"
#include "at_log.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int s_err(char **error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int s_err(char **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(error, fmt, ap) < 0)
        *error = NULL;
    va_end(ap);
    return -1;
}

/* mkdir -p of path's folder, mode 0700 for what it creates. */
static int s_mkdirs(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        abort();
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = 0;
        for (char *p = dir + 1; *p && rc == 0; p++) {
            if (*p != '/')
                continue;
            *p = 0;
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                rc = -1;
            *p = '/';
        }
        if (rc == 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
            rc = -1;
    }
    free(dir);
    return rc;
}

static int s_create(const char *path, char **error)
{
    if (s_mkdirs(path) != 0)
        return s_err(error, "cannot create the folder of %s: %s", path, strerror(errno));
    unsigned char seed[crypto_sign_SEEDBYTES];
    randombytes_buf(seed, sizeof seed);
    char text[2 * crypto_sign_SEEDBYTES + 2];
    sodium_bin2hex(text, sizeof text, seed, sizeof seed);
    sodium_memzero(seed, sizeof seed);
    size_t len = strlen(text);
    text[len++] = '\n';
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long) getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        sodium_memzero(text, sizeof text);
        return s_err(error, "cannot create %s: %s", tmp, strerror(errno));
    }
    bool ok = write(fd, text, len) == (ssize_t) len && fsync(fd) == 0;
    sodium_memzero(text, sizeof text);
    close(fd);
    /* link() never replaces: if another instance won the race, its key
     * stays and we read it. */
    if (ok && link(tmp, path) != 0 && errno != EEXIST)
        ok = false;
    int saved = errno;
    unlink(tmp);
    if (!ok)
        return s_err(error, "cannot write %s: %s", path, strerror(saved));
    return 0;
}

int audit_key_load(const char *path, audit_key_t *key, char **error)
{
    *error = NULL;
    memset(key, 0, sizeof *key);
    if (sodium_init() < 0)
        return s_err(error, "libsodium cannot start");
    if (!path || !*path)
        return s_err(error, "no key file given");
    if (access(path, F_OK) != 0 && s_create(path, error) != 0)
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return s_err(error, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        at_warn("audit: %s is readable by others; chmod 600 it", path);
    char text[2 * crypto_sign_SEEDBYTES + 8] = {0};
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    unsigned char seed[crypto_sign_SEEDBYTES];
    size_t slen = 0;
    const char *end = NULL;
    int rc = 0;
    if (n < 2 * crypto_sign_SEEDBYTES ||
        sodium_hex2bin(seed, sizeof seed, text, (size_t) n, NULL, &slen, &end) != 0 ||
        slen != sizeof seed || (*end && strcmp(end, "\n") != 0))
        rc = s_err(error, "%s does not hold an Ed25519 seed as 64 hex digits", path);
    else
        crypto_sign_seed_keypair(key->pk, key->sk, seed);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(text, sizeof text);
    if (rc != 0)
        return rc;
    sodium_bin2hex(key->pk_hex, sizeof key->pk_hex, key->pk, sizeof key->pk);
    audit_chain_key_id(key->pk, key->key_id);
    return 0;
}

void audit_key_wipe(audit_key_t *key)
{
    sodium_memzero(key, sizeof *key);
}
